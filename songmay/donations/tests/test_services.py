import datetime as dt

import pytest

from songmay.audit.models import AuditEntry
from songmay.donations.models import (
    Donation,
    DonationKind,
    Funding,
    PaymentMethod,
    PledgeStatus,
    Spending,
    SpendingKind,
)
from songmay.donations.selectors import ledger
from songmay.donations.services import (
    DonationData,
    ItemData,
    PurchaseLineData,
    SpendingData,
    donation_receive,
    pledge_cancel,
    pledge_create,
    spending_record,
)
from songmay.inventory.models import Device
from songmay.lib.errors import DomainError


def money(fund, amount, *, donor="company", day=None, earmark="", pledge=None):
    return donation_receive(
        actor=fund["officer"],
        campaign=fund["campaign"],
        donor=fund[donor],
        pledge=pledge,
        data=DonationData(
            kind=DonationKind.MONEY,
            received_on=day or fund["day"],
            amount=amount,
            method=PaymentMethod.BANK_TRANSFER,
            bank_reference=f"FT{amount}",
            earmark=earmark,
        ),
    )


def test_pledge_follows_its_receipts_to_fulfilled(fund):
    pledge = pledge_create(
        actor=fund["officer"],
        campaign=fund["campaign"],
        donor=fund["company"],
        pledged_on=dt.date(2021, 9, 13),
        amount=100_000_000,
        items={"laptop": 10},
    )
    money(fund, 60_000_000, pledge=pledge)
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PARTLY_RECEIVED
    money(fund, 40_000_000, pledge=pledge)
    donation_receive(
        actor=fund["officer"],
        campaign=fund["campaign"],
        donor=fund["company"],
        pledge=pledge,
        data=DonationData(
            kind=DonationKind.GOODS, received_on=fund["day"], items=[ItemData("laptop", 10)]
        ),
    )
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.FULFILLED
    assert list(Donation.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]


def test_a_receipt_for_a_cancelled_pledge_is_refused_and_nothing_written(fund):
    pledge = pledge_create(
        actor=fund["officer"],
        campaign=fund["campaign"],
        donor=fund["company"],
        pledged_on=dt.date(2021, 9, 13),
        amount=5_000_000,
    )
    pledge_cancel(actor=fund["officer"], pledge=pledge, reason="Doanh nghiệp rút cam kết")
    entries = AuditEntry.objects.count()
    with pytest.raises(DomainError, match="đã bị huỷ"):
        money(fund, 5_000_000, pledge=pledge)
    assert Donation.objects.count() == 0
    assert AuditEntry.objects.count() == entries


def test_a_purchase_is_paid_first_in_first_out_and_creates_its_devices(fund):
    first = money(fund, 30_000_000, day=dt.date(2021, 9, 21))
    second = money(fund, 50_000_000, day=dt.date(2021, 9, 23))
    spending = spending_record(
        actor=fund["officer"],
        campaign=fund["campaign"],
        warehouse=fund["warehouse"],
        data=SpendingData(
            kind=SpendingKind.PURCHASE,
            spent_on=dt.date(2021, 9, 25),
            description="Mua máy tính bảng",
            approved_by="Giám đốc Sở",
            supplier="Công ty Thiết bị Số",
            invoice_number="0001234",
            lines=[PurchaseLineData("tablet", 4_000_000, 10, make="Samsung", model="Tab A7")],
        ),
    )
    assert spending.amount == 40_000_000
    assert dict(Funding.objects.values_list("donation_id", "amount")) == {
        first.pk: 30_000_000,
        second.pk: 10_000_000,
    }
    devices = Device.objects.filter(origin_purchase__spending=spending)
    assert devices.count() == 10
    assert {d.warehouse_id for d in devices} == {fund["warehouse"].pk}
    book = ledger(campaign=fund["campaign"])
    assert (book.received, book.spent, book.balance) == (80_000_000, 40_000_000, 40_000_000)
    assert book.rows[-1].funded_by == ((first.code, 30_000_000), (second.code, 10_000_000))


def test_spending_more_than_the_balance_is_refused(fund):
    money(fund, 10_000_000)
    with pytest.raises(DomainError, match=r"10\.000\.000 đ, không đủ chi 12\.000\.000 đ"):
        spending_record(
            actor=fund["officer"],
            campaign=fund["campaign"],
            data=SpendingData(
                kind=SpendingKind.OTHER,
                spent_on=fund["day"],
                amount=12_000_000,
                description="Vận chuyển",
                approved_by="Giám đốc Sở",
            ),
        )
    assert Spending.objects.count() == 0


def test_earmarked_money_is_spent_only_when_named(fund):
    earmarked = money(fund, 20_000_000, earmark="Mua máy cho học sinh mồ côi do COVID-19")
    other = {
        "kind": SpendingKind.OTHER,
        "spent_on": fund["day"],
        "amount": 5_000_000,
        "description": "Sửa chữa máy",
        "approved_by": "Giám đốc Sở",
    }
    with pytest.raises(DomainError, match="không đủ"):
        spending_record(
            actor=fund["officer"], campaign=fund["campaign"], data=SpendingData(**other)
        )
    spending = spending_record(
        actor=fund["officer"],
        campaign=fund["campaign"],
        data=SpendingData(**other, funded_by=[earmarked.pk]),
    )
    assert spending.fundings.get().donation == earmarked


def test_a_receipt_outside_the_intake_window_is_kept_and_flagged(fund):
    from songmay.campaigns.models import IntakeWindow

    IntakeWindow.objects.create(
        campaign=fund["campaign"], opens_on=dt.date(2021, 9, 21), closes_on=dt.date(2021, 9, 26)
    )
    inside = money(fund, 1_000_000, day=dt.date(2021, 9, 26))
    late = money(fund, 2_000_000, day=dt.date(2021, 9, 27))
    assert not inside.outside_intake_window
    assert late.outside_intake_window and late.needs_review


@pytest.mark.parametrize("amount", [0, -5])
def test_a_money_receipt_needs_a_positive_amount(fund, amount):
    with pytest.raises(DomainError, match="lớn hơn 0"):
        money(fund, amount)
    assert Donation.objects.count() == 0


def test_devices_can_be_earmarked_for_a_school_of_the_province_only(fund, place):
    donation = donation_receive(
        actor=fund["officer"],
        campaign=fund["campaign"],
        donor=fund["company"],
        data=DonationData(
            kind=DonationKind.GOODS,
            received_on=fund["day"],
            items=[ItemData("tablet", 5)],
            earmark_school=place["schools"]["lucngan"],
        ),
    )
    assert donation.earmark_school == place["schools"]["lucngan"]
    with pytest.raises(DomainError, match="không thuộc"):
        donation_receive(
            actor=fund["officer"],
            campaign=fund["campaign"],
            donor=fund["company"],
            data=DonationData(
                kind=DonationKind.GOODS,
                received_on=fund["day"],
                items=[ItemData("tablet", 5)],
                earmark_school=place["schools"]["phutho"],
            ),
        )
