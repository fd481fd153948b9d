"""Benchmark: the rebalancing proposal for an outbreak over a national shared pool.

    .venv/bin/python bench/pool.py
    .venv/bin/python bench/pool.py --database-url postgres://postgres@127.0.0.1:5432/

Sets up a fresh database (SQLite: a temporary file; PostgreSQL: a database
`songmay_bench_pool` created on the server and dropped afterwards), migrates, loads the
official areas, and bulk-inserts a national campaign: 5,000 schools spread over the communes,
one store per province, 100,000 available pool devices (a fifth in stores, the rest idle at
schools) and 60,000 confirmed pupils in need. An outbreak then closes 10% of the communes, and
`rebalance_propose` (read the inputs, run the allocation engine, cut the moves) is timed.

Prints seconds, the proposal's size and the process's peak memory during the proposal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import support  # noqa: E402

BENCH_DB = "songmay_bench_pool"
KINDS = ["tablet"] * 5 + ["laptop"] * 3 + ["smartphone"] + ["desktop"]
HOUSEHOLDS = ["poor"] * 3 + ["near_poor"] * 3 + ["hardship"] * 3 + ["none"]
LEVELS = ["primary"] * 6 + ["lower_secondary"] * 3 + ["upper_secondary"]


def _setup(schools: int, devices: int, pupils: int, seed: int) -> tuple[Any, Any, list[Any]]:
    from django.core.management import call_command

    from songmay.accounts.scope import Role
    from songmay.accounts.services import UserData, user_create
    from songmay.areas.models import Area, AreaLevel, School
    from songmay.areas.services import areas_load_official
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.inventory.models import Device, DeviceStatus, Warehouse
    from songmay.inventory.services import asset_tag
    from songmay.lib.vietnamese import fold, name_sort_key
    from songmay.students.models import Need, NeedStatus, Student

    rng = random.Random(seed)
    call_command("migrate", verbosity=0)
    areas_load_official(actor=None)
    communes = list(Area.objects.filter(level=AreaLevel.COMMUNE).order_by("code"))
    provinces = list(Area.objects.filter(level=AreaLevel.PROVINCE).order_by("code"))
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Kho dùng chung thử tải", area=None)
    )
    admin = user_create(
        actor=None,
        data=UserData(username="bench", full_name="Bench", role=Role.ADMIN),
        password="bench-only-password-2021",  # noqa: S106 - a throw-away database
    )
    School.objects.bulk_create(
        [
            School(
                code=f"P{n:05d}", name=f"Trường {n}", name_folded=f"truong {n}",
                teaches_primary=True, teaches_lower_secondary=True, teaches_upper_secondary=True,
                area=communes[n % len(communes)],
            )
            for n in range(schools)
        ],
        batch_size=2000,
    )  # fmt: skip
    school_ids = list(School.objects.values_list("pk", flat=True))
    Warehouse.objects.bulk_create(
        [Warehouse(name=f"Kho {p.name}", area=p) for p in provinces], batch_size=500
    )
    store_ids = list(Warehouse.objects.values_list("pk", flat=True))
    rows = []
    for seq in range(1, devices + 1):
        at_store = seq % 5 == 0
        rows.append(
            Device(
                campaign=campaign, seq=seq, asset_tag=asset_tag(campaign.pk, seq),
                kind=rng.choice(KINDS), status=DeviceStatus.AVAILABLE,
                warehouse_id=rng.choice(store_ids) if at_store else None,
                school_id=None if at_store else rng.choice(school_ids),
            )
        )  # fmt: skip
    Device.objects.bulk_create(rows, batch_size=5000)
    students = [
        Student(
            full_name=f"Học Sinh {n}", name_folded=fold(f"Học Sinh {n}"),
            sort_key=name_sort_key(f"Học Sinh {n}"), date_of_birth=dt.date(2012, 1, 1),
            consent_given=True, consent_on=dt.date(2021, 9, 12),
        )
        for n in range(pupils)
    ]  # fmt: skip
    Student.objects.bulk_create(students, batch_size=5000)
    student_ids = list(Student.objects.order_by("pk").values_list("pk", flat=True))
    Need.objects.bulk_create(
        [
            Need(
                campaign=campaign, student_id=student_id, school_id=rng.choice(school_ids),
                level=rng.choice(LEVELS), household=rng.choice(HOUSEHOLDS), lacking="device",
                status=NeedStatus.CONFIRMED,
            )
            for student_id in student_ids
        ],
        batch_size=5000,
    )  # fmt: skip
    return admin, campaign, communes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=5_000)
    parser.add_argument("--pupils", type=int, default=60_000)
    parser.add_argument("--closed", type=float, default=0.10, help="share of communes closed")
    parser.add_argument("--database-url", default="", help="postgres://user@host:port/ or empty")
    options = parser.parse_args()

    url, server = support.database(options.database_url, BENCH_DB)
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"  # as in production: no query log kept in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "songmay.settings")
    import django

    django.setup()
    from django.db import connection

    from songmay.pool.rebalance import rebalance_propose
    from songmay.pool.transfer_services import outbreak_declare

    try:
        started = time.perf_counter()
        admin, campaign, communes = _setup(
            options.schools, options.devices, options.pupils, seed=2021
        )
        closed = random.Random(7).sample(communes, round(len(communes) * options.closed))
        outbreak = outbreak_declare(
            actor=admin, campaign=campaign, areas=closed, starts_on=dt.date(2021, 9, 6),
            decision="Quyết định thử tải",
        )  # fmt: skip
        print(
            f"{connection.vendor}: {options.devices:,} devices, {options.schools:,} schools, "
            f"{options.pupils:,} pupils in need; {len(closed)} of {len(communes):,} communes "
            f"closed (set-up {time.perf_counter() - started:.0f} s)"
        )
        baseline = support.peak_mib()
        support.reset_peak()
        started = time.perf_counter()
        proposal = rebalance_propose(actor=admin, outbreak=outbreak)
        seconds = time.perf_counter() - started
        moved = sum(len(move["devices"]) for move in proposal["moves"])
        print(
            f"proposal: {seconds:.2f} s; {proposal['pupils']:,} pupils in closed communes, "
            f"{proposal['devices']:,} idle devices, {proposal['served']:,} served "
            f"({moved:,} moved in {len(proposal['moves']):,} transfers, "
            f"{sum(len(m['devices']) for m in proposal['local']):,} lent on the spot)"
        )
        print(
            f"peak memory: {support.peak_mib():.0f} MiB (before the proposal: {baseline:.0f} MiB)"
        )
    finally:
        if server is not None:
            support.drop(server, BENCH_DB)


if __name__ == "__main__":
    main()
