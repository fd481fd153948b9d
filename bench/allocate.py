"""Benchmark: one national allocation on PostgreSQL through the real code path, compared with
the floor measured in the same run.

    .venv/bin/python bench/allocate.py --database-url postgres://postgres@127.0.0.1:5432/
    .venv/bin/python bench/allocate.py --pupils 100000 --devices 30000 --schools 2000 \\
        --database-url postgres://postgres@127.0.0.1:5432/

Creates a database `songmay_bench_alloc` (or `--database-name`; dropped afterwards), migrates,
loads the official areas, then generates with COPY one national campaign: N confirmed pupils in
need (default 1,000,000) at S schools (default 20,000) spread over every commune, and D
available devices (default 300,000) of the five kinds, most at schools and the rest in provincial
stores. Then:

- floor: COPY the needs out of PostgreSQL, and COPY as many assignment rows as the run
  serves into a copy of the assignment table (same indexes), dropped afterwards;
- read: the run's inputs read from the database (`allocation.inputs.read_inputs`);
- solve: the engine (`allocation.engine.allocate_table`);
- draft: the rest of `run_create` (summary, stored inputs, proposals and unserved rows);
- write: `run_approve` (reserve the devices, create the assignments).

Prints the seconds of each stage, the ratio of read + solve + write (and of the whole path,
draft included) to the floor, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import support  # noqa: E402

BENCH_DB = "songmay_bench_alloc"
LEVELS = ["primary"] * 60 + ["lower_secondary"] * 30 + ["upper_secondary"] * 8 + ["continuing"] * 2
HOUSEHOLDS = ["poor"] * 28 + ["near_poor"] * 22 + ["hardship"] * 49 + ["none"]
KINDS = (
    ["tablet"] * 30 + ["laptop"] * 25 + ["smartphone"] * 30 + ["desktop"] * 10 + ["router_4g"] * 5
)
NOW = "2021-09-25 08:00:00+07"


def _copy(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    from django.db import connection

    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _set_sequence(table: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608 - our tables
            f" (SELECT max(id) FROM {table}))"
        )


def _generate(pupils: int, devices: int, school_count: int) -> tuple[Any, int]:
    """A national campaign with its schools, pupils in need and devices; returns the
    campaign and the number of communes used."""
    from django.core.management import call_command
    from django.db import connection

    from songmay.areas.models import Area, AreaLevel
    from songmay.areas.services import areas_load_official
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.inventory.models import Warehouse

    call_command("migrate", verbosity=0)
    areas_load_official(actor=None)
    rng = random.Random(2021)
    communes = list(
        Area.objects.filter(level=AreaLevel.COMMUNE).order_by("path").values_list("pk", flat=True)
    )
    provinces = list(Area.objects.filter(level=AreaLevel.PROVINCE).order_by("path"))
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em", area=None)
    )
    _copy(
        "areas_school",
        ["id", "code", "name", "name_folded", "teaches_primary", "teaches_lower_secondary",
         "teaches_upper_secondary", "teaches_continuing", "area_id", "address",
         "principal_name", "contact_name", "phone", "email", "is_active", "created_at",
         "updated_at"],
        (
            (n, f"S{n:06d}", f"Trường số {n}", f"truong so {n}", True, True, True, True,
             communes[n % len(communes)], "", "", "", "", "", True, NOW, NOW)
            for n in range(1, school_count + 1)
        ),
    )  # fmt: skip
    _set_sequence("areas_school")
    warehouses = [
        Warehouse.objects.create(name=f"Kho Sở GD&ĐT {province.name}", area=province).pk
        for province in provinces
    ]
    school_ids = list(range(1, school_count + 1))
    # A tenth of the pupils share their guardian's phone with the pupil before: siblings.
    phones = []
    for n in range(pupils):
        phones.append(phones[-1] if n and rng.random() < 0.1 else f"+8498{n:07d}")
    _copy(
        "students_student",
        ["id", "full_name", "name_folded", "sort_key", "gender", "personal_id",
         "guardian_name", "guardian_phone", "village", "orphaned_by_covid", "disability",
         "ethnic_minority", "remote_area", "consent_given", "consent_on", "created_at",
         "updated_at"],
        (
            (n, f"Học sinh {n}", f"hoc sinh {n}", f"{n:09d}", "", "", "", phones[n - 1], "",
             rng.random() < 0.01, rng.random() < 0.03, rng.random() < 0.15,
             rng.random() < 0.2, True, "2021-09-12", NOW, NOW)
            for n in range(1, pupils + 1)
        ),
    )  # fmt: skip
    _set_sequence("students_student")
    _copy(
        "students_need",
        ["id", "campaign_id", "student_id", "school_id", "class_name", "level", "household",
         "lacking", "status", "confirmed_at", "created_at", "updated_at"],
        (
            (n, campaign.pk, n, rng.choice(school_ids), "", rng.choice(LEVELS),
             rng.choice(HOUSEHOLDS), "device" if rng.random() < 0.75 else "both",
             "confirmed", NOW, NOW, NOW)
            for n in range(1, pupils + 1)
        ),
    )  # fmt: skip
    _set_sequence("students_need")

    def place(n: int) -> tuple[int | None, int | None]:
        return (None, rng.choice(school_ids)) if n % 5 else (rng.choice(warehouses), None)

    _copy(
        "inventory_device",
        ["id", "campaign_id", "seq", "asset_tag", "kind", "make", "model", "serial", "imei",
         "os", "condition", "warehouse_id", "school_id", "status", "note", "created_at",
         "updated_at"],
        (
            (n, campaign.pk, n, f"TB{campaign.pk:03d}-{n:06d}", rng.choice(KINDS), "", "", "",
             "", "", "new", *place(n), "available", "", NOW, NOW)
            for n in range(1, devices + 1)
        ),
    )  # fmt: skip
    _set_sequence("inventory_device")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return campaign, len(communes)


def _floor(campaign: Any, assignments: int) -> float:
    """COPY the needs out, and `assignments` assignment rows into a same-shaped table."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with connection.cursor() as cursor:
        out = io.BytesIO()
        with cursor.copy(
            "COPY (SELECT n.id, n.level, n.household, n.school_id, s.guardian_phone,"  # noqa: S608
            " s.orphaned_by_covid, s.disability, s.ethnic_minority, s.remote_area"
            " FROM students_need n JOIN students_student s ON s.id = n.student_id"
            f" WHERE n.campaign_id = {int(campaign.pk)}) TO STDOUT"
        ) as copy:
            for block in copy:
                out.write(block)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE floor_assignment (LIKE allocation_assignment INCLUDING ALL)"
            )
        _copy(
            "floor_assignment",
            ["proposal_id", "campaign_id", "run_id", "need_id", "student_id", "device_id",
             "status", "why", "due_on", "created_at", "end_reason"],
            (
                (n, campaign.pk, 1, n, n, n, "active",
                 "Nhóm 1 (hộ nghèo); lựa chọn 1; cùng trường", "2021-10-09", NOW, "")
                for n in range(1, assignments + 1)
            ),
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def _cpu() -> float:
    """CPU seconds of this process and of the processes it has waited for (the solver's)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _timed(
    target: Any, name: str, seconds: dict[str, float], cpu: dict[str, float]
) -> Callable[..., Any]:
    original = getattr(target, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started, started_cpu = time.perf_counter(), _cpu()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[name] = time.perf_counter() - started
            cpu[name] = _cpu() - started_cpu

    setattr(target, name, wrapper)
    return original


def _stored_inputs(run: Any) -> bytes:
    return bytes(type(run).objects.values_list("inputs", flat=True).get(pk=run.pk))


def main() -> None:  # noqa: PLR0915 - one stage after another
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=300_000)
    parser.add_argument("--schools", type=int, default=20_000)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/",
        help="postgres://user@host:port/ (the database is created and dropped)",
    )
    parser.add_argument(
        "--database-name",
        default=os.environ.get("SONGMAY_BENCH_DB", BENCH_DB),
        help=f"name of the throw-away database (default {BENCH_DB}, or $SONGMAY_BENCH_DB),"
        " so that two people can run the benchmark on one server",
    )
    options = parser.parse_args()
    url, server = support.database(options.database_url, options.database_name)
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "songmay.settings")
    import django

    django.setup()
    from songmay.allocation import services
    from songmay.allocation.models import Assignment, RunStatus

    try:
        started = time.perf_counter()
        campaign, communes = _generate(options.pupils, options.devices, options.schools)
        print(
            f"generated {options.pupils:,} pupils in need at {options.schools:,} schools in"
            f" {communes:,} communes, {options.devices:,} devices:"
            f" {time.perf_counter() - started:.1f} s"
        )
        seconds: dict[str, float] = {}
        cpu: dict[str, float] = {}
        _timed(services, "read_inputs", seconds, cpu)
        _timed(services.engine, "allocate_table", seconds, cpu)
        _timed(services, "run_create", seconds, cpu)
        _timed(services, "run_approve", seconds, cpu)
        support.reset_peak()
        baseline = support.peak_mib()
        run = services.run_create(actor=None, campaign=campaign)
        run = services.run_approve(actor=None, run=run)
        draft, write = seconds["run_create"], seconds["run_approve"]
        peak = support.peak_mib()
        served = Assignment.objects.filter(run=run).count()
        if run.status != RunStatus.APPROVED or served != run.summary["served"]:
            raise SystemExit(f"unexpected outcome: {run.status}, {served} assignments")
        started_cpu = _cpu()
        floor = _floor(campaign, served)
        floor_cpu = _cpu() - started_cpu
        read, solve = seconds["read_inputs"], seconds["allocate_table"]
        store = draft - read - solve
        core = read + solve + write

        # The CPU seconds of this process and its solver processes (not the database's): on a
        # machine shared with other work, the wall-clock seconds of a stage depend on what
        # else runs meanwhile.
        cpu["draft"] = cpu["run_create"] - cpu["read_inputs"] - cpu["allocate_table"]
        cpu["core"] = cpu["read_inputs"] + cpu["allocate_table"] + cpu["run_approve"]
        cpu["whole"] = cpu["run_create"] + cpu["run_approve"]

        def line(label: str, value: float, stage: str) -> str:
            return (
                f"  {label:<40}{value:8.2f} s {value / floor:7.2f}× floor"
                f" {cpu[stage]:8.2f} s CPU here"
            )

        summary = run.summary
        print(
            f"served {summary['served']:,} of {summary['pupils']:,} pupils,"
            f" {summary['idle']:,} devices idle, {len(summary['by_tier'])} tiers"
        )
        cpu["floor"] = floor_cpu
        print(line("floor (COPY needs out + assignments in)", floor, "floor"))
        print(line("read (inputs from the database)", read, "read_inputs"))
        print(line("solve (engine)", solve, "allocate_table"))
        print(line("draft (summary, inputs, proposals)", store, "draft"))
        print(line("write (approve: assignments, devices)", write, "run_approve"))
        print(line("read + solve + write", core, "core"))
        print(line("whole path (run_create + run_approve)", draft + write, "whole"))
        print(
            f"  peak memory: {peak:,.0f} MiB (before the run: {baseline:,.0f} MiB);"
            f" stored inputs {len(_stored_inputs(run)) / 2**20:.1f} MiB"
        )
        goals = [
            ("read + solve + write within 5× the floor", core <= 5 * floor),
            ("solve under 2 s", solve < 2),
            ("peak memory under 2 GiB", peak < 2048),
        ]
        for goal, met in goals:
            print(f"  {'met' if met else 'NOT met'}: {goal}")
    finally:
        support.drop(server, options.database_name)


if __name__ == "__main__":
    main()
