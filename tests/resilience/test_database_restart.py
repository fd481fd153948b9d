"""The database restarted under load loses no committed write, and hides no failed one.

Several client processes register pupils through the real service (`student_register`) in a
loop, each write between Django's request signals as in a web request; meanwhile the test
restarts PostgreSQL for real, several times: a crash (`pg_ctl restart -m immediate`: every
server process killed, no shutdown checkpoint, the write-ahead log replayed on start) and a
clean fast shutdown (`-m fast`: open transactions aborted, connections closed). Every write a
client saw commit must be there, whole, afterwards; every write that failed must be there whole
or not at all; the failures must reach the client as errors; and the clients must carry on once
the database is back.

Why a private server: other engineers' test runs and CI jobs share the machine's PostgreSQL,
and restarting it would break them. So the test starts a throwaway PostgreSQL of its own
(`initdb` in a temporary directory, its own port; see `private_postgres`), migrates the schema
into it, points the clients at it, and deletes it at the end. It is as durable as production:
fsync and synchronous_commit on, so COMMIT returns only once its log record is on disk. It runs
in the suite's PostgreSQL run only, where the server's programs are installed.

Two of the restarts catch every client in the middle of a write on purpose: a lock held on the
needs table keeps each one waiting after it has added its pupil and audit entry, so the restart
must undo those rows. The others hit the clients wherever they are, COMMIT included.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import defaultdict
from contextlib import closing

import psycopg
import pytest
from psycopg import sql

from songmay.audit.models import AuditEntry
from songmay.students.models import Need, Student
from tests.resilience.conftest import ROOT, SONGMAY, Cluster, child_env, wait_until

CLIENTS = 4
CLIENT = "resilience-client"
# While the clients write: (mode, whether every client is held in the middle of a write).
RESTARTS = [("immediate", True), ("fast", True), ("immediate", False), ("fast", False)]

# What the clients need in the fresh database: a school in a commune, and a campaign.
SETUP = """
import django
django.setup()
from songmay.areas.models import AreaLevel
from songmay.areas.services import SchoolData, area_create, school_create
from songmay.campaigns.services import CampaignData, campaign_create
province = area_create(
    actor=None, code="24", name="Bắc Ninh", level=AreaLevel.PROVINCE, parent=None
)
commune = area_create(
    actor=None, code="07582", name="Lục Ngạn", level=AreaLevel.COMMUNE, parent=province
)
school = school_create(actor=None, data=SchoolData(
    code="T-07582", name="Trường Tiểu học Lục Ngạn", area=commune, levels=["primary"]
))
campaign = campaign_create(
    actor=None, data=CampaignData(name="Sóng và máy tính cho em", area=province)
)
print(campaign.pk, school.pk)
"""

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


def _table(model) -> sql.Identifier:
    return sql.Identifier(model._meta.db_table)


def _clients_writing(watcher: psycopg.Connection) -> int:
    """How many clients have added a pupil in a transaction not yet committed."""
    return watcher.execute(
        sql.SQL(
            "SELECT count(DISTINCT a.pid) FROM pg_locks l JOIN pg_stat_activity a"
            " ON a.pid = l.pid WHERE a.application_name = %s AND l.relation = {}::regclass"
            " AND l.mode = 'RowExclusiveLock' AND l.granted"
        ).format(sql.Literal(Student._meta.db_table)),
        [CLIENT],
    ).fetchone()[0]


def _restart(cluster: Cluster, mode: str, *, hold: bool) -> None:
    """Restart the server; with `hold`, first keep every client inside a write: each waits
    to add its need while this test holds a lock on the needs table (the restart ends it)."""
    if not hold:
        cluster.restart(mode)
        return
    with (
        closing(psycopg.connect(cluster.url())) as holder,
        closing(psycopg.connect(cluster.url(), autocommit=True)) as watcher,
    ):
        holder.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(_table(Need)))
        wait_until(
            lambda: _clients_writing(watcher) == CLIENTS,
            timeout=30,
            what="every client to be held in the middle of a write",
        )
        cluster.restart(mode)


def _prepare(env: dict[str, str]) -> list[str]:
    """Migrate the empty database and add what the clients need; the campaign's and the
    school's ids."""
    for command in ([SONGMAY, "migrate", "-v0"], [sys.executable, "-c", SETUP]):
        done = subprocess.run(  # noqa: S603 - our own interpreter and commands
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.split()


def _read_back(
    cluster: Cluster, campaign: int
) -> tuple[dict[int, str], dict[str, list[int]], dict[str, set[int]]]:
    """What is in the database: the campaign's needs (id -> pupil's name), the clients'
    pupils (name -> ids) and the audited creations (action -> target ids)."""
    with closing(psycopg.connect(cluster.url())) as db:
        needs = dict(
            db.execute(
                sql.SQL(
                    "SELECT n.id, s.full_name FROM {} n JOIN {} s ON s.id = n.student_id"
                    " WHERE n.campaign_id = %s"
                ).format(_table(Need), _table(Student)),
                [campaign],
            ).fetchall()
        )
        students: dict[str, list[int]] = {}
        for pk, name in db.execute(
            sql.SQL("SELECT id, full_name FROM {} WHERE full_name LIKE 'Học Sinh %%'").format(
                _table(Student)
            )
        ):
            students.setdefault(name, []).append(pk)
        audited: dict[str, set[int]] = defaultdict(set)
        for action, target in db.execute(
            sql.SQL("SELECT action, target_id FROM {} WHERE action = ANY(%s)").format(
                _table(AuditEntry)
            ),
            [["student.created", "need.registered"]],
        ):
            audited[action].add(int(target))
    return needs, students, audited


def _outcomes(output: str) -> list[tuple[str, float, str, str]]:
    lines = [line.split("\t") for line in output.splitlines() if "\t" in line]
    return [(kind, float(at), detail, name) for kind, at, detail, name in lines]


@pytest.mark.slow
def test_no_committed_write_is_lost_when_the_database_restarts_under_load(
    private_postgres, processes, tmp_path
):
    cluster = private_postgres
    env = child_env(CLIENT, url=cluster.url())
    with closing(psycopg.connect(cluster.url(), autocommit=True)) as server:
        assert server.execute("SHOW fsync").fetchone() == ("on",)
        assert server.execute("SHOW synchronous_commit").fetchone() == ("on",)
    campaign_pk, school_pk = _prepare(env)

    stop = tmp_path / "stop"
    clients = []
    for number in range(CLIENTS):
        # Files, not pipes: the test reads them while the clients run, and an unread pipe
        # would fill up and stall its client.
        with (tmp_path / f"client-{number}.out").open("w") as out:
            client = subprocess.Popen(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-c", REGISTER, str(number), campaign_pk, school_pk, str(stop)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        processes.append(client)
        clients.append((client, tmp_path / f"client-{number}.out"))

    def committed_counts() -> list[int]:
        for client, out in clients:
            assert client.poll() is None, out.read_text()
        return [out.read_text().count("committed\t") for _, out in clients]

    def each_committed_more_than(counts: list[int], more: int):
        return lambda: all(
            now >= before + more for now, before in zip(committed_counts(), counts, strict=True)
        )

    # Every client is up and writing before the first restart.
    wait_until(each_committed_more_than([0] * CLIENTS, 5), timeout=60, what="the clients")

    restarts = []  # (mode, held, when it began, when the server was back)
    for mode, hold in RESTARTS:
        began = time.time()
        _restart(cluster, mode, hold=hold)
        restarts.append((mode, hold, began, time.time()))
        # Once the server is back, each client's writes commit again.
        wait_until(
            each_committed_more_than(committed_counts(), 5),
            timeout=60,
            what=f"writes after the {mode} restart",
        )
    stopped = time.time()
    stop.touch()
    outcomes = []
    for client, out in clients:
        client.wait(timeout=30)
        assert client.returncode == 0, out.read_text()
        outcomes.append(_outcomes(out.read_text()))
    # One more crash with nothing running: what committed since the last checkpoint is then
    # only in the write-ahead log, and must come back from it.
    cluster.restart("immediate")
    crashes = 1 + sum(mode == "immediate" for mode, *_ in RESTARTS)
    log = cluster.log.read_text(errors="replace")
    assert log.count("not properly shut down; automatic recovery in progress") == crashes
    assert log.count("redo done at") == crashes

    committed = [
        (pk, name) for mine in outcomes for kind, _, pk, name in mine if kind == "committed"
    ]
    failed = [
        (error, name) for mine in outcomes for kind, _, error, name in mine if kind == "failed"
    ]
    # Each client saw the restarts as database errors, not as silence or other bugs, and
    # carried on after each one.
    assert {error for error, _ in failed} <= {"OperationalError", "InterfaceError"}, failed
    ends = [began for _, _, began, _ in restarts[1:]] + [stopped]
    for mine in outcomes:
        assert any(kind == "failed" for kind, *_ in mine)
        for (_, _, _, back), end in zip(restarts, ends, strict=True):
            assert any(kind == "committed" and back < at < end for kind, at, _, _ in mine)

    needs, students, audited = _read_back(cluster, int(campaign_pk))
    need_of = {name: pk for pk, name in needs.items()}

    # Every write reported as committed is there, whole: the pupil, the need, their audit
    # entries.
    for pk, name in committed:
        assert needs.get(int(pk)) == name, f"committed but lost: {name}"
        assert int(pk) in audited["need.registered"], f"need not audited: {name}"
        assert students[name][0] in audited["student.created"], f"pupil not audited: {name}"
    # A failed write is all there (its COMMIT reached the disk just before the restart) or
    # not there at all; and nothing is there that no client asked for.
    for _, name in failed:
        for pk in students.get(name, []):
            assert pk in audited["student.created"] and name in need_of, f"half written: {name}"
            assert need_of[name] in audited["need.registered"], f"half written: {name}"
    asked = {name for _, name in committed} | {name for _, name in failed}
    assert set(students) <= asked
    assert all(len(same) == 1 for same in students.values())
    assert len(needs) == len(students)
    assert audited["student.created"] == {pk for same in students.values() for pk in same}
    assert audited["need.registered"] == set(needs)
    # A client held in the middle of a write had not committed it: the restart undid it.
    for _, held, began, _ in restarts:
        if held:
            for mine in outcomes:
                caught = next(name for kind, at, _, name in mine if kind == "failed" and at > began)
                assert caught not in students, f"uncommitted but kept: {caught}"
