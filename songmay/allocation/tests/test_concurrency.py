"""Parallel approvals of overlapping runs, from several processes, on PostgreSQL.

Each process is a separate Python interpreter connected to the test database; they wait on a
shared start signal so that their approvals really run at the same moment.
"""

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from songmay.allocation.models import LIVE, AllocationRun, Assignment, RunStatus

ROOT = Path(__file__).resolve().parents[3]

APPROVE = """
import os, sys, time
import django
django.setup()
from songmay.allocation.models import AllocationRun
from songmay.allocation.services import run_approve
from songmay.lib.errors import DomainError
run = AllocationRun.objects.defer("inputs").get(pk=int(sys.argv[1]))
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.002)
try:
    run_approve(actor=None, run=run)
    print("approved", flush=True)
except DomainError as error:
    print("refused:" + error.message, flush=True)
"""


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def _second_campaign_for_the_same_children(world):
    """Campaign B lists the same five children with three devices of its own: its run and
    campaign A's compete for the same pupils, with no campaign lock in common."""
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.inventory.services import DeviceData, device_status_change, devices_register
    from songmay.students.models import Need

    officer = world["officer"]
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Giai đoạn 2", area=world["campaign"].area)
    )
    for need in world["needs"]:
        Need.objects.create(
            campaign=campaign, student_id=need.student_id, school_id=need.school_id,
            level=need.level, household=need.household, lacking=need.lacking,
            status="confirmed",
        )  # fmt: skip
    devices = devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("tablet", serial=f"B-TAB-{n}") for n in range(3)],
        school=world["schools"]["lucngan"],
    )
    for device in devices:
        device_status_change(actor=officer, device=device, status="inspected")
        device_status_change(actor=officer, device=device, status="available")
    return campaign


@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_never_assign_a_pupil_or_a_device_twice(alloc_world, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL")
    from songmay.allocation.services import run_create

    w = alloc_world
    runs = [run_create(actor=w["officer"], campaign=w["campaign"]) for _ in range(3)]
    other = _second_campaign_for_the_same_children(w)
    runs.append(run_create(actor=w["officer"], campaign=other))
    assert all(run.summary["served"] == 3 for run in runs)  # the same three children each time

    go = tmp_path / "go"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "songmay.settings",
        "PYTHONPATH": str(ROOT),
    }
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", APPROVE, str(run.pk), str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for run in runs
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready", process.stderr
    time.sleep(0.2)
    go.touch()
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outcomes.append(out.strip())

    assert sum(outcome == "approved" for outcome in outcomes) == 1, outcomes
    for outcome in outcomes:
        if outcome != "approved":
            assert outcome.startswith("refused:Lượt phân bổ"), outcome
            assert "Hãy chạy lại" in outcome or "đã bị bỏ" in outcome, outcome
    live = Assignment.objects.filter(status__in=LIVE)
    assert live.count() == 3
    assert max(Counter(live.values_list("student_id", flat=True)).values()) == 1
    assert max(Counter(live.values_list("device_id", flat=True)).values()) == 1
    approved = AllocationRun.objects.filter(status=RunStatus.APPROVED)
    assert approved.count() == 1
    assert set(live.values_list("run_id", flat=True)) == {approved.get().pk}
