"""Benchmark: a realistic mix of users against gunicorn + PostgreSQL on this machine.

    .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --clients 16 --seconds 120 --workers 5

Creates a database `songmay_bench_load` (dropped afterwards unless --keep), migrates, loads
the official areas and the demo (the Bắc Giang campaign: 17,049 pupils, 1,006 devices, one
log-in per role), then serves it with gunicorn (the project's gunicorn.conf.py, production
settings, W workers, default 2 × cores + 1) and runs C concurrent clients (default 32) for
T seconds (default 60). Each request is drawn from a weighted mix of what the roles do:

- the province officer (so.bacninh): home, the campaign dashboard and an area below it, the
  pupil list (plain, searched by name, filtered by level/household/status), a pupil's page,
  the devices, the donations, the dead spots; the same person's API token lists pupils and
  devices and reads the indicators;
- the commune officer (xa.lucngan) and the school (truong.thlucngan): home, their pupils, a
  pupil's page; the school also corrects pupils, through the edit form (CSRF token, redirect)
  and through the API (PATCH with its own token): the writes, about 3 % of requests;
- the donor (nhataitro), the operator (viettel) and the auditor (thanhtra): their dashboards
  and lists;
- anyone: the public progress page.

Every logged-in session has passed its second factor, as production requires of officers.
Prints requests per second, the error rate and latency percentiles, overall and per kind.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import loadgen, serve, support  # noqa: E402

BENCH_DB = "songmay_bench_load"


def _form_body(form: Any, **changes: str) -> str:
    """What a browser posts back for an unchanged bound-to-initial form, with `changes`."""
    import datetime as dt

    pairs: list[tuple[str, str]] = []
    for name, bound in form.fields.items():
        value = bound.prepare_value(form[name].value())
        if name in changes:
            value = changes[name]
        if value is None or value is False:
            continue
        if value is True:
            pairs.append((name, "on"))
        elif isinstance(value, list | tuple):
            pairs += [(name, str(v)) for v in value]
        elif isinstance(value, dt.date):
            pairs.append((name, value.strftime("%d/%m/%Y")))
        else:
            pairs.append((name, str(value)))
    return urlencode(pairs)


def _world() -> dict[str, Any]:
    """The demo, plus what the mix needs: sessions, tokens, ids to visit, bodies to post."""
    from django.core.management import call_command
    from django.utils.crypto import get_random_string

    from songmay.accounts.models import User
    from songmay.accounts.services import api_token_create
    from songmay.areas.models import Area
    from songmay.areas.services import areas_load_official
    from songmay.campaigns.demo import BAC_GIANG, load_demo
    from songmay.campaigns.models import Campaign
    from songmay.students.forms import StudentForm
    from songmay.students.models import Need

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    areas_load_official(actor=None)
    load_demo()
    campaign = Campaign.objects.get(name=BAC_GIANG)
    users = {user.username: user for user in User.objects.all()}
    sessions = {name: serve.session_cookie(user) for name, user in users.items()}
    rng = random.Random(9)
    officer, school = users["so.bacninh"], users["truong.thlucngan"]
    _token, officer_key = api_token_create(actor=officer, name="bench")
    _token, school_key = api_token_create(actor=school, name="bench")
    needs = list(Need.objects.filter(campaign=campaign).values_list("pk", flat=True))
    in_school = list(
        Need.objects.filter(campaign=campaign, school=school.school).values_list("pk", flat=True)
    )
    in_commune = list(
        Need.objects.filter(campaign=campaign, school__area=users["xa.lucngan"].area)
        .values_list("pk", flat=True)
    )  # fmt: skip
    names = list(
        Need.objects.filter(campaign=campaign).values_list("student__full_name", flat=True)[:2000]
    )
    editable = rng.sample(in_school, min(40, len(in_school)))
    csrf = get_random_string(32)
    forms = []
    for pk in editable:
        need = Need.objects.select_related("student", "school").get(pk=pk)
        form = StudentForm(user=school, need=need)
        forms.append(
            {
                "path": f"/students/{pk}/edit/",
                "body": _form_body(form, class_name=rng.choice(["5A", "5B", "4C"])),
            }
        )
    area = Area.objects.get(code="07582")
    print(
        f"demo loaded: {len(needs):,} pupils in need, {len(users)} log-ins:"
        f" {time.perf_counter() - started:.1f} s"
    )
    return {
        "campaign": campaign.pk,
        "area": area.pk,
        "sessions": sessions,
        "officer_key": officer_key,
        "school_key": school_key,
        "needs": rng.sample(needs, min(300, len(needs))),
        "in_school": in_school[:200],
        "in_commune": in_commune[:200],
        "words": sorted({name.split()[-1] for name in names}),
        "editable": editable,
        "forms": forms,
        "csrf": csrf,
    }


def _scenario(world: dict[str, Any], site: serve.Site, options: Any) -> dict[str, Any]:
    """The weighted mix: (kind, weight, user or token, method, variants, expected statuses)."""
    c = world["campaign"]
    origin = f"https://127.0.0.1:{site.port}"

    def page(kind: str, weight: float, user: str | None, paths: list[str]) -> dict[str, Any]:
        headers = dict(serve.PROXY_HEADERS)
        if user:
            headers["Cookie"] = world["sessions"][user]
        return {"kind": kind, "weight": weight, "method": "GET", "headers": headers,
                "variants": [{"path": p} for p in paths], "expect": [200]}  # fmt: skip

    def api(kind: str, weight: float, key: str, paths: list[str]) -> dict[str, Any]:
        headers = {**serve.PROXY_HEADERS, "Authorization": f"Bearer {key}"}
        return {"kind": kind, "weight": weight, "method": "GET", "headers": headers,
                "variants": [{"path": p} for p in paths], "expect": [200]}  # fmt: skip

    levels = ["primary", "lower_secondary", "upper_secondary"]
    households = ["poor", "near_poor", "hardship"]
    statuses = ["confirmed", "registered", "equipped"]
    filters = [
        f"/students/?campaign={c}&level={lv}&household={h}&status={s}"
        for lv in levels for h in households for s in statuses
    ]  # fmt: skip
    searches = [f"/students/?q={word}" for word in world["words"]]
    writes_form = {
        "kind": "write: pupil edit form",
        "weight": 1.5,
        "method": "POST",
        "headers": {
            **serve.PROXY_HEADERS,
            "Cookie": f"{world['sessions']['truong.thlucngan']}; csrftoken={world['csrf']}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{origin}/students/",
        },
        "variants": [
            {"path": form["path"], "body": f"{form['body']}&csrfmiddlewaretoken={world['csrf']}"}
            for form in world["forms"]
        ],
        "expect": [302],
    }
    writes_api = {
        "kind": "write: API PATCH pupil",
        "weight": 1.5,
        "method": "PATCH",
        "headers": {
            **serve.PROXY_HEADERS,
            "Authorization": f"Bearer {world['school_key']}",
            "Content-Type": "application/json",
        },
        "variants": [
            {"path": f"/api/v1/students/{pk}", "body": json.dumps({"class_name": name})}
            for pk in world["editable"]
            for name in ("5A", "5B")
        ],
        "expect": [200],
    }
    entries = [
        page("home", 8, "so.bacninh", ["/"]),
        page("dashboard: province", 6, "so.bacninh", [f"/dashboard/campaigns/{c}/"]),
        page("dashboard: area", 2, "so.bacninh",
             [f"/dashboard/campaigns/{c}/areas/{world['area']}/"]),
        page("pupils: list", 6, "so.bacninh", ["/students/", "/students/?page=2"]),
        page("pupils: search", 6, "so.bacninh", searches),
        page("pupils: filtered", 5, "so.bacninh", filters),
        page("pupil: detail", 8, "so.bacninh", [f"/students/{pk}/" for pk in world["needs"]]),
        page("devices: list", 5, "so.bacninh",
             ["/inventory/devices/", "/inventory/devices/?page=3"]),
        page("donations: list", 3, "so.bacninh", ["/donations/receipts/"]),
        page("dead spots: list", 3, "so.bacninh", ["/connectivity/dead-spots/"]),
        page("home", 3, "xa.lucngan", ["/"]),
        page("pupils: list", 3, "xa.lucngan", ["/students/"]),
        page("pupil: detail", 3, "xa.lucngan", [f"/students/{pk}/" for pk in world["in_commune"]]),
        page("dashboard: commune", 2, "xa.lucngan", [f"/dashboard/campaigns/{c}/"]),
        page("home", 4, "truong.thlucngan", ["/"]),
        page("pupils: list", 4, "truong.thlucngan", ["/students/"]),
        page("pupil: detail", 4, "truong.thlucngan",
             [f"/students/{pk}/" for pk in world["in_school"]]),
        page("dashboard: donor", 2, "nhataitro", ["/dashboard/"]),
        page("dashboard: operator", 1, "viettel", ["/dashboard/"]),
        page("dead spots: list", 1, "viettel", ["/connectivity/dead-spots/"]),
        page("pupils: list", 1, "thanhtra", ["/students/"]),
        page("devices: list", 1, "thanhtra", ["/inventory/devices/"]),
        page("public: campaign", 6, None, [f"/public/campaigns/{c}/"]),
        page("public: index", 1, None, ["/public/"]),
        api("api: pupils", 4, world["officer_key"],
            [f"/api/v1/students?campaign={c}", f"/api/v1/students?campaign={c}&level=primary"]),
        api("api: devices", 2, world["officer_key"], ["/api/v1/devices"]),
        api("api: dead spots", 1, world["officer_key"], ["/api/v1/dead-spots"]),
        api("api: indicators", 1, world["officer_key"], [f"/api/v1/campaigns/{c}/indicators"]),
        writes_form,
        writes_api,
    ]  # fmt: skip
    return {
        "host": "127.0.0.1",
        "port": site.port,
        "clients": options.clients,
        "seconds": options.seconds,
        "seed": 1,
        # Entries of the same kind (several roles' pupil lists) are counted together.
        "entries": entries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--cache", choices=sorted(serve.CACHES), default="locmem")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/",
        help="postgres://user@host:port/ (the database is created and dropped)",
    )
    options = parser.parse_args()
    url, server_url = support.database(options.database_url, BENCH_DB)
    if server_url is None:
        raise SystemExit("this benchmark needs PostgreSQL (--database-url)")
    site = serve.prepare(url, cache=options.cache, redis_url=options.redis_url)
    import django

    django.setup()
    from django.core.management import call_command

    server = None
    try:
        world = _world()
        if options.cache == "database":
            call_command("createcachetable", verbosity=0)
        serve.collectstatic(site)
        server = serve.start(site, workers=options.workers)
        spec = _scenario(world, site, options)
        # One request of each kind first, so a broken page shows before the run, not in it.
        for entry in spec["entries"]:
            if entry["method"] == "GET":
                path = entry["variants"][0]["path"]
                status, _body, _seconds = serve.get(site, path, entry["headers"])
                support.expect(status == 200, f"{entry['kind']} {path} answered {status}")
        print(
            f"gunicorn: {options.workers} sync workers, cache {options.cache};"
            f" {options.clients} clients × {options.seconds:.0f} s, {len(spec['entries'])}"
            f" request kinds by role; machine load average before:"
            f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        result = loadgen.run_in_process(spec)
        result["kinds"] = dict(sorted(result["kinds"].items()))
        rows = loadgen.summarise(result)
        print(loadgen.table(rows))
        for line in loadgen.first_errors(result):
            print(line)
        total = rows[-1]
        writes = sum(r.requests for r in rows if r.kind.startswith("write"))
        print(
            f"  overall: {total.rps:.1f} requests/s, error rate {100 * total.error_rate:.2f} %,"
            f" p50 {total.p50_ms:.0f} ms, p95 {total.p95_ms:.0f} ms, p99 {total.p99_ms:.0f} ms;"
            f" writes {writes:,} ({100 * writes / max(total.requests, 1):.1f} %)"
        )
        print(
            f"  load generator CPU {result['client_cpu_seconds']:.1f} s of {result['seconds']:.0f}"
            f" s; machine load average after: {os.getloadavg()[0]:.1f};"
            f" worker memory {', '.join(f'{m:.0f}' for m in serve.worker_rss_mib(server))} MiB"
        )
    finally:
        if server is not None:
            server.stop()
        if options.keep:
            from django.db import connections

            connections.close_all()
            print(f"kept database {BENCH_DB}")
        else:
            support.drop(server_url, BENCH_DB)


if __name__ == "__main__":
    main()
