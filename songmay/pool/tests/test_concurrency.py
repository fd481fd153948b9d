"""Two people lending the same device at the same moment, from two processes, on PostgreSQL:
exactly one loan is made, the other person is told the device is already lent."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from songmay.inventory.models import Device
from songmay.pool.models import Loan

ROOT = Path(__file__).resolve().parents[3]

LEND = """
import datetime as dt, os, sys, time
import django
django.setup()
from django.utils import timezone
from songmay.areas.models import School
from songmay.inventory.models import Device
from songmay.lib.errors import DomainError
from songmay.pool.services import loan_out
device = Device.objects.get(pk=int(sys.argv[1]))
school = School.objects.get(pk=int(sys.argv[2]))
print("ready", flush=True)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.002)
try:
    loan_out(actor=None, devices=[device], school=school,
             due_on=timezone.localdate() + dt.timedelta(days=7))
    print("lent", flush=True)
except DomainError as error:
    print("refused:" + error.message, flush=True)
"""


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_two_people_lending_the_same_device_at_once_make_exactly_one_loan(pool_world, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL")
    w = pool_world
    device = w["tablets"][0]
    go = tmp_path / "go"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "songmay.settings",
        "PYTHONPATH": str(ROOT),
    }
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", LEND, str(device.pk), str(school.pk), str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for school in (w["schools"]["lucngan"], w["schools"]["sondong"])
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

    assert sorted(outcome.split(":")[0] for outcome in outcomes) == ["lent", "refused"], outcomes
    refused = next(outcome for outcome in outcomes if outcome.startswith("refused"))
    assert "đang được cho mượn" in refused or "vừa được người khác" in refused
    assert Loan.objects.filter(device=device).count() == 1
    assert Device.objects.get(pk=device.pk).status == "on_loan"
