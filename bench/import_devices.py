"""Benchmark: import N devices from one xlsx through the real code path, and compare with the
floor measured in the same run.

    .venv/bin/python bench/import_devices.py --rows 100000
    .venv/bin/python bench/import_devices.py --rows 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/

Sets up a fresh database (SQLite: a temporary file; PostgreSQL: a database `songmay_bench_devices`
created on the server and dropped afterwards), migrates, loads the official areas, creates a
campaign, a store and a goods receipt large enough for the file, writes a realistic xlsx of N
devices (the Bắc Giang mix of desktops, laptops, tablets and smartphones, plus 4G routers;
every phone and tablet with a valid IMEI), then:

- floor: read the file with python-calamine and bulk-insert the equivalent Device and
  DeviceEvent rows (rolled back afterwards);
- preview: the `devices.preview` job (read, check every row, duplicates in the file and
  against the inventory);
- import: the `devices.import` job (read and check again, then `devices_register`: clean,
  check uniqueness and the receipt, write devices, timeline events and the audit entry),
  i.e. what runs after the user confirms;
- re-import: the same file again, where every row is refused as already in the inventory.

Prints seconds, rows per second, the ratio to the floor and the process's peak memory.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stdnum import luhn  # noqa: E402

from bench import support  # noqa: E402

BENCH_DB = "songmay_bench_devices"  # its own: the pupils bench may run at the same time

HEADER = [
    "STT", "Loại thiết bị", "Hãng", "Model", "Số serial", "IMEI", "RAM (GB)", "Bộ nhớ (GB)",
    "Hệ điều hành", "Màn hình (inch)", "Tình trạng", "Ghi chú",
]  # fmt: skip
# (kind label, code, share, makes and models, RAM, storage, OS, screen): Bắc Giang's 2021 gifts
# were 114 desktops, 122 laptops, 119 tablets and 651 smartphones.
KINDS = [
    ("Máy tính để bàn", "desktop", 114, [("Dell", "OptiPlex 3080"), ("HP", "ProDesk 400")],
     [4, 8], [256, 500], "Windows 10", [19.5, 21.5]),
    ("Máy tính xách tay", "laptop", 122, [("Dell", "Latitude 3420"), ("Lenovo", "ThinkPad E14")],
     [4, 8], [128, 256], "Windows 10", [14, 15.6]),
    ("Máy tính bảng", "tablet", 119, [("Samsung", "Galaxy Tab A7"), ("Lenovo", "Tab M10")],
     [2, 3], [32, 64], "Android 10", [8, 10.4]),
    ("Điện thoại thông minh", "smartphone", 651, [("Samsung", "Galaxy A12"), ("Oppo", "A16"),
     ("Vsmart", "Joy 4"), ("Xiaomi", "Redmi 9A")], [2, 3, 4], [32, 64], "Android 11", [6.5, 6.52]),
    ("Bộ phát wifi 4G", "router_4g", 40, [("Viettel", "D6601"), ("TP-Link", "M7000")],
     [], [], "", []),
]  # fmt: skip
CONDITIONS = ["Mới"] * 7 + ["Tốt"] * 2 + ["Trung bình"]
IMEI_CODES = {"tablet", "smartphone", "router_4g"}
CONDITION_CODES = {"Mới": "new", "Tốt": "good", "Trung bình": "fair"}


def _devices(count: int, seed: int = 2021) -> list[list[object]]:
    rng = random.Random(seed)
    weights = [kind[2] for kind in KINDS]
    rows: list[list[object]] = []
    for number in range(1, count + 1):
        label, code, _, models, rams, storages, system, screens = rng.choices(KINDS, weights)[0]
        make, model = rng.choice(models)
        imei = ""
        if code in IMEI_CODES:
            # Type allocation code, then a serial number made unique by the row number.
            base = f"35{rng.randrange(10**6):06d}{number:06d}"
            imei = base + luhn.calc_check_digit(base)
        rows.append(
            [
                number, label, make, model, f"{make[:2].upper()}{number:08d}{rng.choice('ABCXYZ')}",
                imei, rng.choice(rams) if rams else "", rng.choice(storages) if storages else "",
                system, rng.choice(screens) if screens else "", rng.choice(CONDITIONS), "",
            ]
        )  # fmt: skip
    return rows


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách thiết bị")
    sheet.append(["DANH SÁCH THIẾT BỊ TIẾP NHẬN"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _setup(rows: list[list[object]]) -> tuple[Any, Any, Any, Any]:
    """An admin, a Bắc Ninh campaign with a store, and a goods receipt listing every device."""
    import datetime as dt

    from django.core.management import call_command

    from songmay.accounts.scope import Role
    from songmay.accounts.services import UserData, user_create
    from songmay.areas.models import Area
    from songmay.areas.services import areas_load_official
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.donations.services import (
        DonationData,
        DonorData,
        ItemData,
        donation_receive,
        donor_create,
    )
    from songmay.inventory.services import warehouse_create

    call_command("migrate", verbosity=0)
    areas_load_official(actor=None)
    province = Area.objects.get(code="24")
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Chương trình thử tải", area=province)
    )
    admin = user_create(
        actor=None,
        data=UserData(username="bench", full_name="Bench", role=Role.ADMIN),
        password="bench-only-password-2021",  # noqa: S106 - a throw-away database
    )
    warehouse = warehouse_create(actor=None, name="Kho Sở GD&ĐT", area=province)
    donor = donor_create(
        actor=None, data=DonorData(kind="company", name="Công ty Thử tải", area=province)
    )
    codes = {label: code for label, code, *_ in KINDS}
    listed = Counter(codes[str(row[1])] for row in rows)
    donation = donation_receive(
        actor=None,
        campaign=campaign,
        donor=donor,
        data=DonationData(
            kind="goods",
            received_on=dt.date(2021, 9, 22),
            items=[ItemData(kind, quantity) for kind, quantity in sorted(listed.items())],
        ),
    )
    return admin, campaign, warehouse, donation


def _floor(data: bytes, campaign: Any, warehouse: Any, donation: Any) -> float:
    """Read the file with python-calamine and bulk-insert the same rows; rolled back."""
    import python_calamine
    from django.db import transaction
    from django.utils import timezone

    from songmay.inventory.models import Device, DeviceEvent

    codes = {label: code for label, code, *_ in KINDS}
    started = time.perf_counter()
    with transaction.atomic():
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        values = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)[2:]
        devices = [
            Device(
                campaign=campaign, seq=index, asset_tag=f"F{index:08d}", kind=codes[row[1]],
                make=row[2], model=row[3], serial=row[4], imei=str(row[5]),
                ram_gb=Decimal(row[6]) if row[6] != "" else None,
                storage_gb=int(row[7]) if row[7] != "" else None, os=row[8],
                screen_inches=Decimal(str(row[9])) if row[9] != "" else None,
                condition=CONDITION_CODES[row[10]], warehouse=warehouse, origin_donation=donation,
            )
            for index, row in enumerate(values, 1)
        ]  # fmt: skip
        Device.objects.bulk_create(devices, batch_size=2000)
        now = timezone.now()
        DeviceEvent.objects.bulk_create(
            [
                DeviceEvent(device=device, at=now, kind="registered", to_status="received")
                for device in devices
            ],
            batch_size=2000,
        )
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="postgres://user@host:port/ or empty")
    options = parser.parse_args()

    url, server = support.database(options.database_url, BENCH_DB)
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"  # as in production: no query log kept in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "songmay.settings")
    import django

    django.setup()
    from django.db import connection

    from songmay.inventory.models import Device, DeviceEvent

    try:
        rows = _devices(options.rows)
        admin, campaign, warehouse, donation = _setup(rows)
        data = _xlsx(rows)
        del rows
        baseline = support.peak_mib()
        print(
            f"{connection.vendor}: {options.rows:,} devices, xlsx {len(data) / 1024 / 1024:.1f} MiB"
        )
        params = {"campaign": campaign.pk, "warehouse": warehouse.pk, "donation": donation.pk}
        floor = _floor(data, campaign, warehouse, donation)
        preview, job = support.run_job("devices.preview", admin, params, data)
        support.expect(not job.errors and job.summary["created"] == options.rows, job.errors[:5])
        written, job = support.run_job("devices.import", admin, params, data)
        support.expect(not job.errors, job.errors[:5])
        support.expect(Device.objects.count() == options.rows, "every device registered once")
        support.expect(DeviceEvent.objects.count() == options.rows, "one timeline event per device")
        again, job = support.run_job("devices.preview", admin, params, data)
        support.expect(len(job.errors) >= options.rows, "every row refused as already registered")
        peak = support.peak_mib()

        def line(label: str, seconds: float) -> str:
            return (
                f"  {label:<30}{seconds:8.2f} s {options.rows / seconds:10,.0f} rows/s "
                f"{seconds / floor:6.2f}× floor"
            )

        print(line("floor (calamine + bulk)", floor))
        print(line("preview job", preview))
        print(line("import job (after confirm)", written))
        print(line("preview + import", preview + written))
        print(line("re-import, all duplicates", again))
        print(f"  peak memory: {peak:,.0f} MiB (before the runs: {baseline:,.0f} MiB)")
    finally:
        if server is not None:
            support.drop(server, BENCH_DB)


if __name__ == "__main__":
    main()
