"""Benchmark: the province dashboard over 1,000,000 pupils in need, served by gunicorn on
PostgreSQL and loaded by 32 concurrent clients, against a trivial page in the same run.

    .venv/bin/python bench/dashboard.py
    .venv/bin/python bench/dashboard.py --pupils 100000 --seconds 10
    .venv/bin/python bench/dashboard.py --keep                # keep the database afterwards
    .venv/bin/python bench/dashboard.py --reuse --cache redis # the kept one, a shared cache

Creates a database `songmay_bench_dashboard` (dropped afterwards unless --keep), migrates,
loads the official areas, then generates with COPY one province campaign (default Hà Nội, 01):
N pupils in need (default 1,000,000) at S schools (default 1,000) over every commune of the
province, with levels, households and what they lack; a third of those lacking a device have
it handed over (assignment + handover record, over the last four months, so the series and the
forecast have points), some wait for their handover, some have a data package; idle devices in
schools and in the provincial store; a few hundred dead spots; a province officer.

Then:
- in this process: the cube build (the cold cost of the dashboard's figures), the series, and a
  warm request through Django's test client, each timed with its queries;
- gunicorn with the project's gunicorn.conf.py, production settings and W workers (default
  2 × cores + 1): one warm-up request to the officer's dashboard (timed: the cold request),
  then C concurrent clients (default 32) for T seconds (default 30) on the dashboard, then on
  `/healthz` (a trivial page) for the same time.

Prints requests per second, errors, p50/p95/p99 latency of each page, the ratio of the two
throughputs, and the goals: p95 under 300 ms at 32 clients, and at least half the trivial
page's throughput. `--cache redis` (needs the `redis` package) or `--cache database` runs the
server with a cache shared by its workers instead of the default per-process LocMemCache.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pickle
import pstats
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import loadgen, serve, support  # noqa: E402

BENCH_DB = "songmay_bench_dashboard"
# One school teaches one level here; (level, share of schools).
SCHOOL_LEVELS = ["primary"] * 10 + ["lower_secondary"] * 7 + ["upper_secondary"] * 2
SCHOOL_LEVELS += ["continuing"]
HOUSEHOLDS = ["poor"] * 28 + ["near_poor"] * 22 + ["hardship"] * 45 + ["none"] * 5
KINDS_BY_LEVEL = {
    "primary": ["tablet"] * 8 + ["laptop"] * 2,
    "lower_secondary": ["laptop"] * 5 + ["tablet"] * 4 + ["smartphone"],
    "upper_secondary": ["laptop"] * 5 + ["smartphone"] * 5,
    "continuing": ["laptop"] * 6 + ["smartphone"] * 4,
}
AGE = {"primary": 8, "lower_secondary": 13, "upper_secondary": 16, "continuing": 17}
FAMILY = "Nguyễn Trần Lê Phạm Hoàng Vũ Đặng Bùi Đỗ Hồ Ngô Dương".split()
MIDDLE = "Văn Thị Minh Ngọc Đức Thu Hoàng Gia Bảo Khánh".split()
GIVEN = (
    "An Bình Chi Dũng Giang Hà Hải Hương Khánh Linh Mai Nam Phúc Quân Tâm Thảo Trang Tuấn Vy"
    " Yến Long Hùng Ngân Sơn".split()
)
DEAD_SPOT_STATUSES = ["reported"] * 3 + ["surveyed"] * 2 + ["planned"] * 2 + ["building"] * 2
DEAD_SPOT_STATUSES += ["covered"] * 4 + ["verified"] * 2


def _copy(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    from django.db import connection

    count = 0
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    _set_sequence(table)
    return count


def _set_sequence(table: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608 - our tables
            f" (SELECT coalesce(max(id), 1) FROM {table}))"
        )


def _at(day: dt.date, hour: int = 9) -> str:
    return f"{day.isoformat()} {hour:02d}:00:00+07"


def _generate(pupils: int, school_count: int, province_code: str) -> dict[str, Any]:  # noqa: PLR0915
    """The province campaign and everything in it; returns what the run needs."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from songmay.accounts.models import User
    from songmay.accounts.scope import Role
    from songmay.allocation.models import AllocationRun, RunStatus
    from songmay.areas.models import Area, AreaLevel
    from songmay.areas.services import areas_load_official
    from songmay.campaigns.services import CampaignData, PhaseData, campaign_create
    from songmay.connectivity.models import DataPackage, Operator
    from songmay.inventory.models import Warehouse
    from songmay.lib.vietnamese import fold, name_sort_key

    call_command("migrate", verbosity=0)
    areas_load_official(actor=None)
    rng = random.Random(2021)
    today = timezone.localdate()
    launch = today - dt.timedelta(days=150)
    province = Area.objects.get(code=province_code, level=AreaLevel.PROVINCE)
    communes = list(
        Area.objects.filter(parent=province).order_by("path").values_list("pk", flat=True)
    )
    campaign = campaign_create(
        actor=None,
        data=CampaignData(
            name=f"Sóng và máy tính cho em – {province.name} (bench)",
            area=province,
            launched_on=launch,
            phases=[
                PhaseData(1, "Học sinh ở vùng giãn cách", launch, launch + dt.timedelta(days=90)),
                PhaseData(
                    2,
                    "Hướng tới 100% học sinh có thiết bị",
                    launch + dt.timedelta(days=91),
                    today + dt.timedelta(days=365),
                    target_percent=100,
                ),
            ],
        ),
    )
    now = _at(today)
    school_levels = [SCHOOL_LEVELS[n % len(SCHOOL_LEVELS)] for n in range(school_count + 1)]
    _copy(
        "areas_school",
        ["id", "code", "name", "name_folded", "teaches_primary", "teaches_lower_secondary",
         "teaches_upper_secondary", "teaches_continuing", "area_id", "address",
         "principal_name", "contact_name", "phone", "email", "is_active", "created_at",
         "updated_at"],
        (
            (n, f"B{n:07d}", f"Trường số {n}", f"truong so {n}",
             school_levels[n] == "primary", school_levels[n] == "lower_secondary",
             school_levels[n] == "upper_secondary", school_levels[n] == "continuing",
             communes[n % len(communes)], "", "", "", "", "", True, now, now)
            for n in range(1, school_count + 1)
        ),
    )  # fmt: skip
    store = Warehouse.objects.create(name=f"Kho Sở GD&ĐT {province.name}", area=province)
    operator = Operator.objects.create(code="bench-op", name="Nhà mạng (bench)")
    package = DataPackage.objects.create(
        operator=operator, name="Học trực tuyến", data_gb_per_month=30, months=12, price=0,
        free=True,
    )  # fmt: skip
    run = AllocationRun.objects.create(
        campaign=campaign, number=1, status=RunStatus.APPROVED, policy={}, inputs=b"",
        inputs_digest="", excluded_needs=[], excluded_devices=[], summary={},
        approved_at=timezone.now(),
    )  # fmt: skip

    # Schools differ in size: a few large town schools, many small ones.
    weights = [rng.lognormvariate(0, 0.6) for _ in range(school_count)]
    school_of = rng.choices(range(1, school_count + 1), weights, k=pupils)
    names = [f"{f} {m} {g}" for f in FAMILY for m in MIDDLE for g in GIVEN]
    folded = {name: (fold(name), name_sort_key(name)) for name in names}

    needs: list[tuple[Any, ...]] = []
    students: list[tuple[Any, ...]] = []
    equipped: list[tuple[int, int, str, dt.date | None]] = []  # need, school, level, handed on
    packages: list[tuple[int, str, dt.date]] = []
    for n in range(1, pupils + 1):
        school = school_of[n - 1]
        level = school_levels[school]
        draw = rng.random()
        lacking = "device" if draw < 0.7 else "both" if draw < 0.9 else "connectivity"
        draw = rng.random()
        merged = draw < 0.003 and n > 1
        status = (
            "withdrawn" if merged or draw < 0.02 else "registered" if draw < 0.1 else "confirmed"
        )
        created = launch + dt.timedelta(days=int(90 * rng.random() ** 2))
        if status == "confirmed" and lacking != "connectivity":
            draw = rng.random()
            if draw < 0.35:
                span = (today - created).days
                handed = created + dt.timedelta(days=int(span * rng.random() ** 0.6))
                equipped.append((n, school, level, handed))
                status = "equipped"
            elif draw < 0.40:
                equipped.append((n, school, level, None))
        if lacking != "device" and status != "withdrawn":
            draw = rng.random()
            if draw < 0.5:
                activated = created + dt.timedelta(days=rng.randint(5, 40))
                packages.append(
                    (n, "active" if draw < 0.4 and activated <= today else "requested", activated)
                )
        name = names[n % len(names)]
        born = dt.date(2021 - AGE[level], 1 + n % 12, 1 + n % 28)
        students.append(
            (n, name, folded[name][0], folded[name][1], born, "male" if n % 2 else "female", "",
             "", f"+8491{n:07d}", f"Thôn {n % 17 + 1}", rng.random() < 0.01,
             rng.random() < 0.03, rng.random() < 0.15, rng.random() < 0.2, True, created,
             _at(created), _at(created), communes[school % len(communes)],
             n - 1 if merged else None)
        )  # fmt: skip
        confirmed_at = _at(created, 15) if status != "registered" else None
        needs.append(
            (n, f"{n % 5 + 1}A", level, rng.choice(HOUSEHOLDS), lacking, status, confirmed_at,
             _at(created), _at(created), campaign.pk, None, school, n)
        )  # fmt: skip
    _copy(
        "students_student",
        ["id", "full_name", "name_folded", "sort_key", "date_of_birth", "gender", "personal_id",
         "guardian_name", "guardian_phone", "village", "orphaned_by_covid", "disability",
         "ethnic_minority", "remote_area", "consent_given", "consent_on", "created_at",
         "updated_at", "commune_id", "merged_into_id"],
        iter(students),
    )  # fmt: skip
    del students
    _copy(
        "students_need",
        ["id", "class_name", "level", "household", "lacking", "status", "confirmed_at",
         "created_at", "updated_at", "campaign_id", "confirmed_by_id", "school_id",
         "student_id"],
        iter(needs),
    )  # fmt: skip
    del needs

    # Devices: one per assignment at the pupil's school, then idle ones in schools and the store.
    devices: list[tuple[Any, ...]] = []

    def device(kind: str, status: str, school: int | None, warehouse: int | None) -> int:
        seq = len(devices) + 1
        devices.append(
            (seq, seq, f"TB{campaign.pk:03d}-{seq:07d}", kind, "", "", "", "", "", "new",
             status, "", now, now, campaign.pk, school, warehouse)
        )  # fmt: skip
        return seq

    assignments: list[tuple[Any, ...]] = []
    handovers: list[tuple[Any, ...]] = []
    for need, school, level, handed_on in equipped:
        kind = rng.choice(KINDS_BY_LEVEL[level])
        pk = device(kind, "handed_over" if handed_on else "reserved", school, None)
        assignments.append(
            (pk, "handed_over" if handed_on else "active", "Nhóm 1 (hộ nghèo); cùng trường",
             (handed_on or today) + dt.timedelta(days=14), now, None, "", campaign.pk, pk, need,
             run.pk, need)
        )  # fmt: skip
        if handed_on:
            handovers.append(
                (len(handovers) + 1, handed_on, "Phụ huynh", "mother", "", _at(handed_on, 16),
                 pk, None)
            )  # fmt: skip
    for n in range(pupils // 25):
        level = rng.choice(SCHOOL_LEVELS)
        status = "available" if n % 50 else rng.choice(["in_repair", "received", "inspected"])
        at_store = n % 5 == 0
        device(
            rng.choice(KINDS_BY_LEVEL[level]),
            status,
            None if at_store else rng.randint(1, school_count),
            store.pk if at_store else None,
        )
    _copy(
        "inventory_device",
        ["id", "seq", "asset_tag", "kind", "make", "model", "serial", "imei", "os", "condition",
         "status", "note", "created_at", "updated_at", "campaign_id", "school_id",
         "warehouse_id"],
        iter(devices),
    )  # fmt: skip
    # Each assignment is an approved proposal: the pairing, then the assignment.
    _copy(
        "allocation_proposal",
        ["id", "run_id", "need_id", "device_id", "tier", "preference", "distance", "why"],
        ((row[0], row[10], row[9], row[8], 0, 0, 0, row[2]) for row in assignments),
    )  # fmt: skip
    _copy(
        "allocation_assignment",
        ["id", "status", "why", "due_on", "created_at", "ended_at", "end_reason", "campaign_id",
         "device_id", "need_id", "run_id", "student_id", "proposal_id"],
        ((*row, row[0]) for row in assignments),
    )  # fmt: skip
    _copy(
        "allocation_handover",
        ["id", "handed_over_on", "received_by", "relation", "scan", "recorded_at",
         "assignment_id", "recorded_by_id"],
        iter(handovers),
    )  # fmt: skip
    _copy(
        "connectivity_connectivitysupport",
        ["id", "phone", "consent_given", "consent_on", "status", "activated_on", "ends_on",
         "failure_reason", "requested_at", "need_id", "operator_id", "requested_by_id",
         "package_id", "batch_id"],
        (
            (i, f"+8491{need:07d}", True, activated, status,
             activated if status == "active" else None,
             activated + dt.timedelta(days=365) if status == "active" else None, "",
             _at(activated - dt.timedelta(days=3)), need, operator.pk, None, package.pk, None)
            for i, (need, status, activated) in enumerate(packages, start=1)
        ),
    )  # fmt: skip
    spots = max(50, school_count // 3)
    _copy(
        "connectivity_deadspot",
        ["id", "village", "latitude", "longitude", "households", "pupils", "technology",
         "status", "reported_on", "target_on", "covered_on", "notes", "created_at",
         "updated_at", "area_id", "operator_id"],
        (
            (n, f"Thôn lõm sóng {n}", None, None, rng.randint(5, 80), rng.randint(2, 60), "4g",
             status, launch + dt.timedelta(days=n % 60),
             launch + dt.timedelta(days=60 + n % 150),
             launch + dt.timedelta(days=70 + n % 70) if status in ("covered", "verified")
             else None,
             "", now, now, communes[n * 7 % len(communes)], operator.pk)
            for n, status in ((n, rng.choice(DEAD_SPOT_STATUSES)) for n in range(1, spots + 1))
        ),
    )  # fmt: skip
    officer = User.objects.create(
        username="so.bench", full_name="Cán bộ Sở (bench)", role=Role.PROVINCE_OFFICER,
        area=province,
    )  # fmt: skip
    officer.set_unusable_password()
    officer.save(update_fields=["password"])
    with connection.cursor() as cursor:
        # What autovacuum would have done by now: statistics and the visibility map.
        cursor.execute("VACUUM ANALYZE")
    return {
        "campaign": campaign,
        "officer": officer,
        "communes": len(communes),
        "province": province.name,
        "equipped": len(handovers),
        "waiting": len(assignments) - len(handovers),
        "devices": len(devices),
        "packages": len(packages),
        "dead_spots": spots,
    }


def _existing() -> dict[str, Any]:
    from songmay.accounts.models import User
    from songmay.campaigns.models import Campaign

    campaign = Campaign.objects.select_related("area").get(name__endswith="(bench)")
    return {"campaign": campaign, "officer": User.objects.get(username="so.bench")}


# ---- In this process: where the time of one dashboard goes ----


def _timed(target: Any, name: str, seconds: dict[str, float]) -> Callable[[], None]:
    """Accumulate the seconds spent in target.name; returns the undo."""
    original = getattr(target, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

    setattr(target, name, wrapper)
    return lambda: setattr(target, name, original)


def _profile(path: str, cookie: str, campaign: Any, *, cprofile: bool) -> None:  # noqa: PLR0915
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from songmay.audit.freshness import data_version
    from songmay.reports import dashboard_views, dashboards, indicators

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    name, _, value = cookie.partition("=")
    client.cookies[name] = value
    seconds: dict[str, float] = {}
    undo = [
        _timed(indicators, "build_cube", seconds),
        _timed(dashboards, "campaign_cube", seconds),
        _timed(dashboards, "campaign_series", seconds),
        _timed(dashboards, "build_report", seconds),
        _timed(dashboard_views, "report_charts", seconds),
        _timed(dashboard_views, "render", seconds),
    ]
    try:
        cache.clear()
        with CaptureQueriesContext(connection) as cold_queries:
            started = time.perf_counter()
            response = client.get(path)
            cold = time.perf_counter() - started
        support.expect(response.status_code == 200, f"dashboard in-process: {response}")
        cold_split = dict(seconds)
        seconds.clear()
        repeats = 20
        with CaptureQueriesContext(connection) as warm_queries:
            started = time.perf_counter()
            for _ in range(repeats):
                client.get(path)
            warm = (time.perf_counter() - started) / repeats
        warm_split = {k: v / repeats for k, v in seconds.items()}
    finally:
        for step in undo:
            step()
    key = f"songmay:cube:{campaign.pk}:{data_version()}:{timezone.localdate().isoformat()}"
    started = time.perf_counter()
    for _ in range(repeats):
        cube = cache.get(key)
    unpickle = (time.perf_counter() - started) / repeats
    # PostgreSQL's JIT compiles the big aggregates of the cube (on by default in Debian's
    # PostgreSQL 15): the same build with it off, then with it on, buffers warm both times.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        jit_setting = cursor.fetchone()[0]
        jit = {}
        for value in ("off", "on"):
            cursor.execute(f"SET jit = {value}")
            started = time.perf_counter()
            indicators.build_cube(campaign)
            jit[value] = time.perf_counter() - started
        cursor.execute(f"SET jit = {jit_setting}")
    size = len(pickle.dumps(cube, pickle.HIGHEST_PROTOCOL))
    print("in this process (Django test client, no gunicorn):")
    print(
        f"  cold request {cold * 1000:8.0f} ms, {len(cold_queries)} queries:"
        f" build_cube {cold_split.get('build_cube', 0) * 1000:.0f} ms,"
        f" series {cold_split.get('campaign_series', 0) * 1000:.0f} ms,"
        f" render {cold_split.get('render', 0) * 1000:.0f} ms"
    )
    slowest = sorted(cold_queries.captured_queries, key=lambda q: -float(q["time"]))[:6]
    for query in slowest:
        print(f"    {float(query['time']) * 1000:7.0f} ms  {query['sql'][:150]}")
    print(
        f"  warm request {warm * 1000:8.1f} ms, {len(warm_queries) // repeats} queries:"
        f" cube from cache {warm_split.get('campaign_cube', 0) * 1000:.1f} ms"
        f" (unpickle {unpickle * 1000:.1f} ms, {size / 1024:.0f} KiB pickled),"
        f" series {warm_split.get('campaign_series', 0) * 1000:.1f} ms,"
        f" build_report {warm_split.get('build_report', 0) * 1000:.1f} ms,"
        f" charts {warm_split.get('report_charts', 0) * 1000:.1f} ms,"
        f" render {warm_split.get('render', 0) * 1000:.1f} ms"
    )
    print(f"  page size {len(response.content) / 1024:.0f} KiB")
    print(
        f"  build_cube again, buffers warm: {jit['off'] * 1000:.0f} ms with jit = off,"
        f" {jit['on'] * 1000:.0f} ms with jit = on (server setting: {jit_setting})"
    )
    if cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeats):
            client.get(path)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
        print("  warm requests, by own time (cProfile):")
        print("\n".join("    " + line for line in out.getvalue().splitlines()[6:]))


def _forget_cache(cache_kind: str) -> None:
    """Drop what this process put in a shared cache, so the server starts cold."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection

    if cache_kind == "redis":
        import redis

        prefix = settings.CACHES["default"]["KEY_PREFIX"]
        client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    elif cache_kind == "database":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM bench_cache")
    else:
        cache.clear()


def _load(site: serve.Site, kind: str, path: str, headers: dict[str, str], options: Any) -> Any:
    return loadgen.run_in_process({
        "host": "127.0.0.1",
        "port": site.port,
        "clients": options.clients,
        "seconds": options.seconds,
        "entries": [{
            "kind": kind, "method": "GET", "headers": {**serve.PROXY_HEADERS, **headers},
            "variants": [{"path": path}], "expect": [200],
        }],
    })  # fmt: skip


def main() -> None:  # noqa: PLR0912, PLR0915 - one stage after another
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--schools", type=int, default=1_000)
    parser.add_argument("--province", default="01", help="official code (01: Hà Nội)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--cache", choices=sorted(serve.CACHES), default="locmem")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--cprofile", action="store_true", help="profile warm requests")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database kept before")
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/",
        help="postgres://user@host:port/ (the database is created and dropped)",
    )
    options = parser.parse_args()
    server_url: str | None
    if options.reuse:
        base = options.database_url.rstrip("/")
        url, server_url = f"{base}/{BENCH_DB}", f"{base}/postgres"
    else:
        url, server_url = support.database(options.database_url, BENCH_DB)
    if server_url is None:
        raise SystemExit("this benchmark needs PostgreSQL (--database-url)")
    site = serve.prepare(url, cache=options.cache, redis_url=options.redis_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.urls import reverse

    server = None
    try:
        if options.reuse:
            world = _existing()
            print(f"reusing {BENCH_DB}")
        else:
            started = time.perf_counter()
            world = _generate(options.pupils, options.schools, options.province)
            print(
                f"generated {options.pupils:,} pupils in need at {options.schools:,} schools in"
                f" {world['communes']} communes of {world['province']}: {world['equipped']:,}"
                f" handed over, {world['waiting']:,} awaiting handover, {world['devices']:,}"
                f" devices, {world['packages']:,} data packages, {world['dead_spots']} dead"
                f" spots: {time.perf_counter() - started:.1f} s"
            )
        if options.cache == "database":
            call_command("createcachetable", verbosity=0)
        campaign, officer = world["campaign"], world["officer"]
        cookie = serve.session_cookie(officer)
        path = reverse("dashboards:campaign", args=[campaign.pk])
        serve.collectstatic(site)
        _profile(path, cookie, campaign, cprofile=options.cprofile)
        _forget_cache(options.cache)

        server = serve.start(site, workers=options.workers)
        status, body, cold = serve.get(site, path, {"Cookie": cookie})
        support.expect(status == 200 and b"chart-pupils" in body, f"dashboard answered {status}")
        print(
            f"gunicorn: {options.workers} sync workers, cache {options.cache},"
            f" {options.clients} clients × {options.seconds:.0f} s per page;"
            f" machine load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        print(f"  cold first request (cube build in one worker): {cold * 1000:,.0f} ms")
        dashboard = _load(site, "dashboard", path, {"Cookie": cookie}, options)
        drained = serve.settle(site)
        trivial = _load(site, "healthz", "/healthz", {}, options)
        rows = [*loadgen.summarise(dashboard), *loadgen.summarise(trivial)]
        print(loadgen.table(rows))
        for line in loadgen.first_errors(dashboard) + loadgen.first_errors(trivial):
            print(line)
        print(f"  (between the two: {drained:.1f} s for requests still queued to finish)")
        slow = sum(1 for x in dashboard["kinds"]["dashboard"]["latencies"] if x > 1)
        boots = server.log.read_text().count("Booting worker")
        memory = serve.worker_rss_mib(server)
        print(
            f"  dashboard requests over 1 s: {slow} (with a per-process cache, each worker"
            f" builds the cube once); workers booted: {boots} (gunicorn's max_requests"
            f" recycling starts new ones, with an empty per-process cache);"
            f" worker memory {', '.join(f'{m:.0f}' for m in memory)} MiB"
        )
        print(
            f"  load generator CPU: {dashboard['client_cpu_seconds']:.1f} s and"
            f" {trivial['client_cpu_seconds']:.1f} s of the 2 × {options.seconds:.0f} s"
            f" wall (it shares the machine's {os.cpu_count()} cores with the server)"
        )
        print(f"  machine load average after: {os.getloadavg()[0]:.1f}")
        board, easy = rows[0], rows[1]
        ratio = board.rps / easy.rps if easy.rps else 0.0
        print(f"  throughput ratio dashboard / trivial page: {ratio:.2f}")
        goals = [
            (f"p95 under 300 ms at {options.clients} clients ({board.p95_ms:.0f} ms)",
             board.p95_ms < 300),
            (f"throughput at least half the trivial page's ({ratio:.2f})", ratio >= 0.5),
            ("no errors", board.errors == 0 and easy.errors == 0),
        ]  # fmt: skip
        for goal, met in goals:
            print(f"  {'met' if met else 'NOT met'}: {goal}")
    finally:
        if server is not None:
            server.stop()
        if options.cache != "locmem":
            _forget_cache(options.cache)
        if options.keep or options.reuse:
            from django.db import connections

            connections.close_all()
            print(f"kept database {BENCH_DB}; next time: --reuse")
        else:
            support.drop(server_url, BENCH_DB)


if __name__ == "__main__":
    main()
