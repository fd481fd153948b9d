import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from songmay.accounts.scope import Role
from songmay.audit.models import AuditEntry
from songmay.donations.models import Donation, Donor, Pledge, PledgeStatus, Spending
from songmay.donations.services import DonationData, donation_receive
from songmay.inventory.models import Device


@pytest.fixture
def officer_client(client, fund):
    client.force_login(fund["officer"])
    return client


def _money(fund, amount=50_000_000, **extra):
    return donation_receive(
        actor=fund["officer"],
        campaign=fund["campaign"],
        donor=fund["company"],
        data=DonationData(
            kind="money",
            received_on=fund["day"],
            amount=amount,
            method="bank_transfer",
            bank_reference="FT001",
            **extra,
        ),
    )


def test_an_officer_records_a_pledge_then_receives_part_of_it(officer_client, fund):
    response = officer_client.post(
        reverse("donations:pledge_create"),
        {
            "campaign": fund["campaign"].pk,
            "donor": fund["company"].pk,
            "pledged_on": "13/09/2021",
            "amount": "100.000.000",
            "qty_laptop": "20",
        },
    )
    pledge = Pledge.objects.get()
    assert response.status_code == 302
    assert pledge.amount == 100_000_000
    form = officer_client.get(reverse("donations:donation_create") + f"?pledge={pledge.pk}")
    assert f'<option value="{pledge.pk}" selected>' in form.content.decode()
    response = officer_client.post(
        reverse("donations:donation_create"),
        {
            "campaign": fund["campaign"].pk,
            "donor": fund["company"].pk,
            "pledge": pledge.pk,
            "kind": "goods",
            "received_on": "22/09/2021",
            "qty_laptop": "8",
        },
    )
    donation = Donation.objects.get()
    assert response.status_code == 302
    assert donation.code == "TN-00001"
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PARTLY_RECEIVED
    page = officer_client.get(reverse("donations:pledge_detail", args=[pledge.pk])).content
    assert "Còn thiếu" in page.decode()


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-500.000", "không được âm"), ("1.500,5", "đồng chẵn"), ("mười triệu", "đồng chẵn")],
)
def test_a_bad_amount_is_refused_in_vietnamese_and_nothing_written(
    officer_client, fund, amount, message
):
    entries = AuditEntry.objects.count()
    response = officer_client.post(
        reverse("donations:donation_create"),
        {
            "campaign": fund["campaign"].pk,
            "donor": fund["company"].pk,
            "kind": "money",
            "received_on": "22/09/2021",
            "amount": amount,
            "method": "cash",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Donation.objects.count() == 0
    assert AuditEntry.objects.count() == entries


def test_a_purchase_shows_in_the_ledger_with_the_receipts_that_paid(officer_client, fund):
    donation = _money(fund, 30_000_000)
    response = officer_client.post(
        reverse("donations:spending_create"),
        {
            "campaign": fund["campaign"].pk,
            "kind": "purchase",
            "spent_on": "25/09/2021",
            "description": "Mua điện thoại",
            "approved_by": "Giám đốc Sở",
            "supplier": "Cửa hàng Di Động",
            "invoice_number": "HD-77",
            "warehouse": fund["warehouse"].pk,
            "line-TOTAL_FORMS": "3",
            "line-INITIAL_FORMS": "0",
            "line-0-kind": "smartphone",
            "line-0-make": "Xiaomi",
            "line-0-model": "Redmi 9A",
            "line-0-unit_price": "2.500.000",
            "line-0-quantity": "4",
        },
    )
    spending = Spending.objects.get()
    assert response.status_code == 302
    assert spending.amount == 10_000_000
    assert Device.objects.filter(origin_purchase__spending=spending).count() == 4
    page = officer_client.get(
        reverse("donations:ledger") + f"?campaign={fund['campaign'].pk}"
    ).content.decode()
    assert "20.000.000 đ" in page  # the balance
    assert f"{donation.code}: 10.000.000 đ" in page


def test_the_trace_link_is_issued_and_revoked_from_the_donor_page(officer_client, fund):
    donor = fund["company"]
    officer_client.post(reverse("donations:donor_trace_issue", args=[donor.pk]))
    donor.refresh_from_db()
    token = donor.trace_token
    assert len(token) >= 40
    page = officer_client.get(reverse("donations:donor_detail", args=[donor.pk]))
    assert token in page.content.decode()
    officer_client.post(reverse("donations:donor_trace_revoke", args=[donor.pk]))
    donor.refresh_from_db()
    assert donor.trace_token == ""


def test_a_donor_sees_its_own_gifts_and_not_the_others(client, fund, make_user):
    _money(fund, 10_000_000)
    other = donation_receive(
        actor=None,
        campaign=fund["campaign"],
        donor=fund["person"],
        data=DonationData(kind="money", received_on=fund["day"], amount=7_000_000, method="cash"),
    )
    client.force_login(make_user(Role.DONOR, donor=fund["company"]))
    page = client.get(reverse("donations:donation_list")).content.decode()
    assert "10.000.000 đ" in page
    assert "7.000.000 đ" not in page
    assert client.get(reverse("donations:donation_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("donations:ledger")).status_code == 403


def test_an_officer_of_another_province_gets_404(client, fund, make_user, place):
    donation = _money(fund)
    client.force_login(make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]))
    assert client.get(reverse("donations:donation_detail", args=[donation.pk])).status_code == 404
    assert (
        client.get(reverse("donations:donor_detail", args=[fund["company"].pk])).status_code == 404
    )
    url = reverse("donations:ledger") + f"?campaign={fund['campaign'].pk}"
    assert client.get(url).status_code == 404


def test_donor_form_rejects_a_wrong_tax_code(officer_client, fund):
    response = officer_client.post(
        reverse("donations:donor_create"),
        {"kind": "company", "name": "Công ty Sai Mã", "area": fund["campaign"].area.pk,
         "tax_code": "0100109107"},
    )  # fmt: skip
    assert "Mã số thuế “0100109107” không hợp lệ" in response.content.decode()
    assert not Donor.objects.filter(name="Công ty Sai Mã").exists()


def test_lists_keep_their_query_count(officer_client, fund, django_assert_max_num_queries):
    for n in range(5):
        _money(fund, 1_000_000 * (n + 1))
    with django_assert_max_num_queries(12):
        officer_client.get(reverse("donations:donation_list"))
    with django_assert_max_num_queries(12):
        officer_client.get(reverse("donations:ledger"))
    with django_assert_max_num_queries(12):
        officer_client.get(reverse("donations:donor_list"))


def test_day_of_receipt_cannot_be_in_the_future(officer_client, fund):
    tomorrow = timezone.localdate() + dt.timedelta(days=2)
    response = officer_client.post(
        reverse("donations:donation_create"),
        {"campaign": fund["campaign"].pk, "donor": fund["company"].pk, "kind": "money",
         "received_on": tomorrow.strftime("%d/%m/%Y"), "amount": "1.000.000", "method": "cash"},
    )  # fmt: skip
    assert "Ngày nhận không được sau hôm nay" in response.content.decode()
