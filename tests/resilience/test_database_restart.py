"""The database restarted under load loses no committed write, and hides no failed one.

Several client processes register pupils through the real service (`student_register`) in a
loop, each write between Django's request signals as in a web request; meanwhile the test
"restarts" the database several times. Every write a client saw commit must be there, whole,
afterwards; every write that failed must be there whole or not at all; the failures must
reach the client as errors; and the clients must carry on once the database is back.

Why not `pg_ctlcluster 15 main restart`: other engineers' test runs share this PostgreSQL
server, and a real restart would break them. The test models a restart on its own test
database only, which is what an application sees of one:

- every connection of the clients is dropped at once (`pg_terminate_backend`), whatever it
  was doing: a backend killed in the middle of a transaction undoes it, exactly as the crash
  recovery of a restart undoes any transaction that had not committed;
- for about a second the database refuses new connections (`ALLOW_CONNECTIONS false`), as a
  server that is shutting down or starting up does;
- what had committed stays: PostgreSQL acknowledges COMMIT only once its WAL record is on
  disk (fsync and synchronous_commit on, which the test checks), so a real restart keeps it
  too. What the application must get right, and this test checks, is to report a write as
  done only after COMMIT returned, to turn a dropped connection into an error, and to
  reconnect afterwards (`conn_health_checks=True`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import defaultdict

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from songmay.audit.models import AuditEntry
from songmay.campaigns.services import CampaignData, campaign_create
from songmay.students.models import Need, Student
from tests.resilience.conftest import ROOT, child_env, database_url, wait_until

CLIENTS = 4
CLIENT = "resilience-client"

# One client: registers pupils until told to stop, printing each outcome as it knows it.
REGISTER = """
import datetime as dt, os, sys, time
import django
django.setup()
from django.core.signals import request_finished, request_started
from songmay.areas.models import School
from songmay.campaigns.models import Campaign
from songmay.students.services import StudentData, student_register
client, stop = int(sys.argv[1]), sys.argv[4]
campaign = Campaign.objects.get(pk=int(sys.argv[2]))
school = School.objects.select_related("area").get(pk=int(sys.argv[3]))
number = 0
while not os.path.exists(stop):
    number += 1
    name = f"Học Sinh {client} Số {number}"
    request_started.send(sender=None)  # as a web request: drop a connection found broken
    try:
        need = student_register(actor=None, campaign=campaign, school=school, data=StudentData(
            full_name=name, level="primary", lacking="device", household="poor",
            date_of_birth=dt.date(2008, 1, 1) + dt.timedelta(days=client * 1000 + number % 1000),
        ))
    except Exception as error:
        print("failed", time.time(), type(error).__name__, name, sep="\\t", flush=True)
        time.sleep(0.02)
    else:
        print("committed", time.time(), need.pk, name, sep="\\t", flush=True)
    finally:
        request_finished.send(sender=None)
"""


def _server() -> psycopg.Connection:
    """A connection to the server's maintenance database, from which the test database's
    connections are dropped and its doors shut and opened."""
    return psycopg.connect(database_url().rsplit("/", 1)[0] + "/postgres", autocommit=True)


def _restart(server: psycopg.Connection, dbname: str, *, down: float) -> int:
    """Drop every client connection to the test database and refuse new ones for `down`
    seconds; returns how many of the dropped connections were inside a transaction."""
    database = sql.Identifier(dbname)
    server.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(database))
    try:
        rows = server.execute(
            "SELECT pid, xact_start IS NOT NULL FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = %s",
            [dbname, CLIENT],
        ).fetchall()
        for pid, _ in rows:
            server.execute("SELECT pg_terminate_backend(%s)", [pid])
        time.sleep(down)
    finally:
        server.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(database))
    return sum(in_transaction for _, in_transaction in rows)


def _outcomes(output: str) -> list[tuple[str, float, str, str]]:
    lines = [line.split("\t") for line in output.splitlines() if "\t" in line]
    return [(kind, float(at), detail, name) for kind, at, detail, name in lines]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_no_committed_write_is_lost_when_the_database_restarts_under_load(
    postgres, place, processes, tmp_path
):
    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] in ("on", "remote_write", "remote_apply", "local")
    dbname = connection.settings_dict["NAME"]
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em", area=place["bac_ninh"])
    )
    school = place["schools"]["lucngan"]
    stop = tmp_path / "stop"
    clients = []
    for number in range(CLIENTS):
        # Files, not pipes: the test reads them while the clients run, and an unread pipe
        # would fill up and stall its client.
        with (tmp_path / f"client-{number}.out").open("w") as out:
            client = subprocess.Popen(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-c", REGISTER, str(number), str(campaign.pk), str(school.pk),
                 str(stop)],
                cwd=ROOT, env=child_env(CLIENT), stdout=out, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        processes.append(client)
        clients.append((client, tmp_path / f"client-{number}.out"))

    def each_committed(count: int):
        def check() -> bool:
            for client, out in clients:
                assert client.poll() is None, out.read_text()
            return all(out.read_text().count("committed\t") >= count for _, out in clients)

        return check

    # Every client is up and writing before the first restart.
    wait_until(each_committed(5), timeout=60, what="the clients to write")

    # Restart until at least one connection was dropped in the middle of a transaction.
    dropped_mid_transaction, restarts = 0, 0
    with _server() as server:
        while restarts < 3 or (not dropped_mid_transaction and restarts < 20):
            dropped_mid_transaction += _restart(server, dbname, down=0.8)
            restarts += 1
            time.sleep(0.3)
    back_at = time.time()
    # Once the database is back, each client's writes commit again.
    so_far = min(out.read_text().count("committed\t") for _, out in clients)
    wait_until(each_committed(so_far + 10), timeout=30, what="writes after the restarts")
    stop.touch()
    outcomes = []
    for client, out in clients:
        client.wait(timeout=30)
        assert client.returncode == 0, out.read_text()
        outcomes.append(_outcomes(out.read_text()))

    assert dropped_mid_transaction > 0
    committed = [
        (pk, name) for mine in outcomes for kind, _, pk, name in mine if kind == "committed"
    ]
    failed = [
        (error, name) for mine in outcomes for kind, _, error, name in mine if kind == "failed"
    ]
    # The restarts reached the clients as database errors, not as silence or other bugs.
    assert failed
    assert {error for error, _ in failed} <= {"OperationalError", "InterfaceError"}, failed
    for mine in outcomes:
        assert any(kind == "committed" and at > back_at for kind, at, _, _ in mine)

    # Every write reported as committed is there, whole: the pupil, the need, the audit entry.
    needs = {
        need.pk: need for need in Need.objects.filter(campaign=campaign).select_related("student")
    }
    audited = set(
        AuditEntry.objects.filter(action="student.created").values_list("target_id", flat=True)
    )
    for pk, name in committed:
        need = needs.get(int(pk))
        assert need is not None, f"committed but lost: {name}"
        assert need.student.full_name == name
        assert str(need.student_id) in audited
    # A failed write is all there (its COMMIT reached the server just before the drop) or
    # not there at all; and nothing is there that no client asked for.
    students = defaultdict(list)
    for student in Student.objects.filter(full_name__startswith="Học Sinh "):
        students[student.full_name].append(student)
    needed = {need.student_id for need in needs.values()}
    for _, name in failed:
        for student in students.get(name, []):
            assert student.pk in needed and str(student.pk) in audited, f"half written: {name}"
    asked = {name for _, name in committed} | {name for _, name in failed}
    assert set(students) <= asked
    assert all(len(same) == 1 for same in students.values())
    assert len(needs) == sum(len(same) for same in students.values())
    assert audited == {str(student.pk) for same in students.values() for student in same}
