"""A campaign with gifts that travelled: money that bought tablets, donated phones, pupils."""

import datetime as dt
import zoneinfo

import pytest

from songmay.allocation.tests.conftest import alloc_world  # noqa: F401 - a shared world
from songmay.connectivity.tests.conftest import package_world, spot_world  # noqa: F401 - shared
from songmay.donations.tests import conftest as donations

fund = donations.fund  # the Bắc Ninh campaign, its officer, two donors and a store

HANDED_OVER_AT = dt.datetime(2021, 10, 5, 9, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
PUPILS = [
    # (full name, guardian, guardian's phone as typed)
    ("Nguyễn Văn An", "Nguyễn Văn Bảo", "0983.111.222"),
    ("Lê Thị Bình", "Lê Văn Cường", "0912 333 444"),
    ("Hoàng Minh Châu", "Hoàng Thị Dung", "0977555666"),
    ("Phạm Gia Huy", "Phạm Văn Khải", "+84 904 123 456"),
    ("Vũ Ngọc Lan", "Vũ Thị Mai", "0868.765.432"),
]


def hand_over(devices, school):
    """Move devices to a school and walk them through to handed over, via the services."""
    from songmay.inventory.models import DeviceEvent, DeviceStatus
    from songmay.inventory.services import device_move, device_status_change

    for device in devices:
        device_move(actor=None, device=device, school=school)
        for status in ("inspected", "available", "assigned", "handed_over"):
            device_status_change(actor=None, device=device, status=status)
    # The services stamp the present moment; the story needs a day of the 2021 campaign.
    DeviceEvent.objects.filter(device__in=devices, to_status=DeviceStatus.HANDED_OVER).update(
        at=HANDED_OVER_AT
    )


@pytest.fixture
def gifts(fund, place):
    """Company money (named) bought 10 tablets; a private person (not named) gave money and
    7 phones. 8 tablets and 3 phones were handed over at Lục Ngạn, 2 tablets at Sơn Động."""
    from songmay.donations.models import DonationKind, DonorKind, PaymentMethod
    from songmay.donations.services import (
        DonationData,
        DonorData,
        ItemData,
        PurchaseLineData,
        SpendingData,
        donation_receive,
        donor_create,
        donor_trace_link_issue,
        spending_record,
    )
    from songmay.inventory.models import Device
    from songmay.inventory.services import DeviceData, devices_register

    officer, campaign, day = fund["officer"], fund["campaign"], fund["day"]
    schools = place["schools"]
    company_money = donation_receive(
        actor=officer,
        campaign=campaign,
        donor=fund["company"],
        data=DonationData(
            kind=DonationKind.MONEY,
            received_on=day,
            amount=50_000_000,
            method=PaymentMethod.BANK_TRANSFER,
            bank_reference="FT21265001",
        ),
    )
    person_money = donation_receive(
        actor=officer,
        campaign=campaign,
        donor=fund["person"],
        data=DonationData(
            kind=DonationKind.MONEY,
            received_on=day + dt.timedelta(days=1),
            amount=20_000_000,
            method=PaymentMethod.CASH,
        ),
    )
    person_phones = donation_receive(
        actor=officer,
        campaign=campaign,
        donor=fund["person"],
        data=DonationData(
            kind=DonationKind.GOODS,
            received_on=day + dt.timedelta(days=2),
            items=[ItemData("smartphone", 7)],
        ),
    )
    operator = donor_create(
        actor=officer,
        data=DonorData(
            kind=DonorKind.OPERATOR,
            name="Viettel Bắc Ninh",
            area=place["bac_ninh"],
            contact_name="Đỗ Văn Liên Hệ",
            phone="0961.222.333",
            email="lienhe@example.vn",
            address="Số 1 đường Thử, Bắc Ninh",
            public_name_consent=True,
        ),
    )
    donation_receive(
        actor=officer,
        campaign=campaign,
        donor=operator,
        data=DonationData(
            kind=DonationKind.TELECOM,
            received_on=day + dt.timedelta(days=2),
            items=[ItemData("data_package", 100)],
        ),
    )
    # 30.000.000 đ, first in first out: all of it from the company's money.
    purchase = spending_record(
        actor=officer,
        campaign=campaign,
        data=SpendingData(
            kind="purchase",
            spent_on=day + dt.timedelta(days=5),
            description="Mua máy tính bảng",
            approved_by="Giám đốc Sở",
            supplier="Công ty TNHH Thiết bị Kinh Bắc",
            invoice_number="0000123",
            lines=[PurchaseLineData("tablet", 3_000_000, 10, make="Samsung", model="Tab A7")],
        ),
        warehouse=fund["warehouse"],
    )
    phones = devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData(kind="smartphone", make="Samsung", model="A12")] * 7,
        origin_donation=person_phones,
        warehouse=fund["warehouse"],
    )
    tablets = list(Device.objects.filter(origin_purchase__spending=purchase).order_by("seq"))
    hand_over(tablets[:8], schools["lucngan"])
    hand_over(tablets[8:], schools["sondong"])
    hand_over(phones[:3], schools["lucngan"])
    company = donor_trace_link_issue(actor=officer, donor=fund["company"])
    person = donor_trace_link_issue(actor=officer, donor=fund["person"])
    return {
        **fund,
        "company": company,
        "person": person,
        "operator": operator,
        "company_money": company_money,
        "person_money": person_money,
        "person_phones": person_phones,
        "purchase": purchase,
    }


@pytest.fixture
def pupils(gifts, place):
    """Pupils with guardians and phones at both schools: none may reach a public page."""
    from songmay.students.models import Student
    from songmay.students.services import StudentData, student_register

    schools = [place["schools"]["lucngan"], place["schools"]["sondong"]]
    for number, (full_name, guardian, phone) in enumerate(PUPILS):
        student_register(
            actor=None,
            campaign=gifts["campaign"],
            school=schools[number % 2],
            data=StudentData(
                full_name=full_name,
                date_of_birth=dt.date(2012, 3, 1 + number),
                level="primary",
                lacking="device",
                personal_id=f"0242120001{number:02d}",
                guardian_name=guardian,
                guardian_phone=phone,
                village="Thôn Đồng Mới",
            ),
        )
    return list(Student.objects.all())
