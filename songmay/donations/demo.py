"""The demo campaign's gifts, adding up exactly to the seeds' figures for Bắc Giang by 20/12:
977 million đồng in cash, 114 desktops, 122 laptops, 119 iPads and tablets, 651 smartphones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from stdnum import luhn

from songmay.areas.models import Area
from songmay.campaigns.models import Campaign
from songmay.donations.models import Donation, Donor, DonorKind, PaymentMethod
from songmay.donations.services import (
    DonationData,
    DonorData,
    ItemData,
    donation_receive,
    donor_create,
    pledge_create,
)
from songmay.inventory.models import Condition, Warehouse
from songmay.inventory.services import (
    DeviceData,
    devices_register,
    minimum_spec_set,
    warehouse_create,
)

CASH = 977_000_000
DEVICES = {"desktop": 114, "laptop": 122, "tablet": 119, "smartphone": 651}

# (kind, name, consents to be named, tax code)
DONORS = [
    (DonorKind.COMPANY, "Công ty TNHH Điện tử Kinh Bắc", True, "0100109106"),
    (DonorKind.AGENCY, "Công đoàn ngành Giáo dục tỉnh", True, ""),
    (DonorKind.FUND, "Quỹ Khuyến học tỉnh", True, ""),
    (DonorKind.COMPANY, "Công ty Cổ phần Xây dựng Sông Thương", True, "0100686209"),
    (DonorKind.AGENCY, "Cán bộ, giáo viên Sở Giáo dục và Đào tạo", True, ""),
    (DonorKind.INDIVIDUAL, "Nguyễn Thị Hảo", False, ""),
    (DonorKind.INDIVIDUAL, "Trần Văn Tâm", False, ""),
    (DonorKind.AGENCY, "Hội Doanh nhân trẻ tỉnh", True, ""),
    (DonorKind.AGENCY, "Liên đoàn Lao động tỉnh", True, ""),
    (DonorKind.OPERATOR, "Viettel Bắc Giang", True, ""),
    (DonorKind.OPERATOR, "VNPT Bắc Giang", True, ""),
]
DEMO_COMPANY = "Công ty Cổ phần Công nghệ Bắc Giang (demo)"

# (donor, day, amount, method): 977.000.000 đ in all.
MONEY = [
    ("Công ty TNHH Điện tử Kinh Bắc", dt.date(2021, 9, 20), 250_000_000, "bank_transfer"),
    ("Công đoàn ngành Giáo dục tỉnh", dt.date(2021, 9, 24), 180_000_000, "bank_transfer"),
    ("Quỹ Khuyến học tỉnh", dt.date(2021, 10, 5), 150_000_000, "bank_transfer"),
    ("Công ty Cổ phần Xây dựng Sông Thương", dt.date(2021, 10, 12), 120_000_000, "bank_transfer"),
    ("Cán bộ, giáo viên Sở Giáo dục và Đào tạo", dt.date(2021, 10, 18), 96_500_000, "cash"),
    ("Nguyễn Thị Hảo", dt.date(2021, 11, 2), 50_000_000, "cash"),
    (DEMO_COMPANY, dt.date(2021, 11, 15), 80_500_000, "bank_transfer"),
    ("Trần Văn Tâm", dt.date(2021, 12, 10), 50_000_000, "bank_transfer"),
]

# (donor, day, kind, count, make, model, RAM GB, storage GB, screen inches, OS)
GOODS = [
    ("Công ty TNHH Điện tử Kinh Bắc", dt.date(2021, 9, 28), "desktop", 60,
     "Dell", "OptiPlex 3080", 8, 256, None, "Windows 10"),
    ("Công ty Cổ phần Xây dựng Sông Thương", dt.date(2021, 10, 20), "desktop", 54,
     "HP", "ProDesk 400 G7", 8, 256, None, "Windows 10"),
    (DEMO_COMPANY, dt.date(2021, 10, 8), "laptop", 70,
     "Lenovo", "IdeaPad 3", 8, 256, Decimal("14.0"), "Windows 10"),
    ("Hội Doanh nhân trẻ tỉnh", dt.date(2021, 10, 26), "laptop", 52,
     "Asus", "VivoBook 15", 4, 256, Decimal("15.6"), "Windows 10"),
    ("Hội Doanh nhân trẻ tỉnh", dt.date(2021, 10, 26), "tablet", 100,
     "Samsung", "Galaxy Tab A7 Lite", 3, 32, Decimal("8.7"), "Android 11"),
    ("Nguyễn Thị Hảo", dt.date(2021, 11, 20), "tablet", 19,
     "Apple", "iPad 9 (2021)", 3, 64, Decimal("10.2"), "iPadOS 15"),
    ("Viettel Bắc Giang", dt.date(2021, 9, 30), "smartphone", 400,
     "Xiaomi", "Redmi 9A", 2, 32, Decimal("6.5"), "Android 10"),
    ("Liên đoàn Lao động tỉnh", dt.date(2021, 12, 15), "smartphone", 251,
     "Samsung", "Galaxy A03", 3, 32, Decimal("6.5"), "Android 11"),
]  # fmt: skip

TELECOM = [
    ("Viettel Bắc Giang", dt.date(2021, 9, 30), "data_package", 500,
     "Gói 4G học trực tuyến, 6 tháng"),
    ("VNPT Bắc Giang", dt.date(2021, 10, 15), "free_installation", 30,
     "Lắp cáp quang miễn phí cho hộ có học sinh"),
]  # fmt: skip

# Per kind: RAM GB, storage GB, screen inches (the campaign's minimum for online learning).
MINIMUM = {
    "desktop": (Decimal(4), 128, None),
    "laptop": (Decimal(4), 128, Decimal("11.6")),
    "tablet": (Decimal(2), 32, Decimal(7)),
    "smartphone": (Decimal(2), 32, Decimal("5.5")),
}


def _imei(kind_index: int, number: int) -> str:
    body = f"35{kind_index:02d}{number:010d}"[:14]
    return body + luhn.calc_check_digit(body)


def load_demo_donations(*, campaign: Campaign) -> bool:
    """Add the demo gifts to `campaign` once; False if they are already there."""
    if Donation.objects.filter(campaign=campaign).exists():
        return False
    province = campaign.area or Area.objects.get(code="24")
    for kind, (min_ram, min_storage, min_screen) in MINIMUM.items():
        minimum_spec_set(
            actor=None, campaign=campaign, kind=kind, ram_gb=min_ram, storage_gb=min_storage,
            screen_inches=min_screen,
        )  # fmt: skip
    warehouse = Warehouse.objects.filter(area=province).first() or warehouse_create(
        actor=None,
        name="Kho thiết bị dùng chung – Sở GD&ĐT",
        area=province,
        address="Trụ sở Sở Giáo dục và Đào tạo",
    )
    donors = {donor.name: donor for donor in Donor.objects.all()}
    for kind, name, consent, tax_code in DONORS:
        if name not in donors:
            donors[name] = donor_create(
                actor=None,
                data=DonorData(
                    kind=kind, name=name, area=province, tax_code=tax_code,
                    public_name_consent=consent,
                ),
            )  # fmt: skip
    kinh_bac = donors["Công ty TNHH Điện tử Kinh Bắc"]
    pledge = pledge_create(
        actor=None, campaign=campaign, donor=kinh_bac, pledged_on=dt.date(2021, 9, 14),
        due_on=dt.date(2021, 12, 31), amount=300_000_000, items={"desktop": 60},
        note="Cam kết tại lễ phát động ngày 12/9/2021.",
    )  # fmt: skip
    youth = donors["Hội Doanh nhân trẻ tỉnh"]
    youth_pledge = pledge_create(
        actor=None, campaign=campaign, donor=youth, pledged_on=dt.date(2021, 9, 14),
        items={"laptop": 52, "tablet": 100},
    )  # fmt: skip
    pledges = {kinh_bac.pk: pledge, youth.pk: youth_pledge}
    for number, (name, day, amount, method) in enumerate(MONEY, start=1):
        donor = donors[name]
        donation_receive(
            actor=None, campaign=campaign, donor=donor, pledge=pledges.get(donor.pk),
            data=DonationData(
                kind="money", received_on=day, amount=amount, method=method,
                bank_reference=f"FT21{number:03d}{amount // 1000:06d}"
                if method == PaymentMethod.BANK_TRANSFER else "",
            ),
        )  # fmt: skip
    serial = 0
    for index, (name, day, kind, count, make, model, ram, storage, screen, os) in enumerate(GOODS):
        donor = donors[name]
        donation = donation_receive(
            actor=None, campaign=campaign, donor=donor, pledge=pledges.get(donor.pk),
            data=DonationData(
                kind="goods", received_on=day,
                items=[ItemData(kind, count, f"{make} {model}")],
            ),
        )  # fmt: skip
        rows = []
        for n in range(count):
            serial += 1
            rows.append(
                DeviceData(
                    kind=kind, make=make, model=model, serial=f"DEMO{serial:06d}",
                    imei=_imei(index, n) if kind in ("tablet", "smartphone") else "",
                    ram_gb=Decimal(ram), storage_gb=storage, os=os, screen_inches=screen,
                    # A few arrive damaged: the inventory must show them as not usable yet.
                    condition=Condition.NEEDS_REPAIR if n % 50 == 49 else Condition.NEW,
                )
            )  # fmt: skip
        devices_register(
            actor=None, campaign=campaign, rows=rows, origin_donation=donation,
            warehouse=warehouse, source="Dữ liệu demo",
        )  # fmt: skip
    for name, day, kind, count, description in TELECOM:
        donation_receive(
            actor=None, campaign=campaign, donor=donors[name],
            data=DonationData(
                kind="telecom", received_on=day, items=[ItemData(kind, count, description)]
            ),
        )  # fmt: skip
    return True
