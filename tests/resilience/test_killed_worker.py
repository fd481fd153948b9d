"""A worker killed in the middle of a write leaves nothing behind, and the work can be retried.

The worker is a real process (`songmay db_worker`, or the `songmay allocate` command) on the
test database, killed with SIGKILL: no exception handler, no `finally`, no rollback sent. What
undoes its half-written transaction is PostgreSQL itself, when the dead client's connection
closes; these tests prove that every write the worker had made is then gone.
"""

from __future__ import annotations

import datetime as dt
import io
import signal
import subprocess
from collections import Counter

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection

from songmay.accounts.scope import Role
from songmay.areas.services import SchoolData, school_create
from songmay.audit.models import AuditEntry
from songmay.campaigns.services import CampaignData, campaign_create
from songmay.jobs.models import Job, JobStatus
from songmay.jobs.selectors import job_get
from songmay.jobs.services import job_confirm, job_start
from songmay.students.models import Need, Student
from tests.resilience.conftest import (
    SONGMAY,
    backends,
    child_env,
    holds_write_lock,
    wait_until,
)

ROWS = 20_000
WORKER = "resilience-worker"


def _ids_handed_out(table: str) -> int:
    """The last id the table's sequence gave out: sequences are not transactional, so this
    shows how many rows an uncommitted transaction has inserted so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 0)",
            [table],
        )
        return cursor.fetchone()[0]


def _xlsx(rows) -> bytes:
    """The pupils as a school would upload them: a title row, the header, one row each."""
    from bench.import_students import HEADER

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách")
    sheet.append(["DANH SÁCH HỌC SINH CÒN THIẾU THIẾT BỊ, KẾT NỐI"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _worker(processes, *, batch_timeout: float | None = None):
    """A real `songmay db_worker`: run to the end of the queue, or started for the test to kill."""
    command = [SONGMAY, "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0"]
    process = subprocess.Popen(  # noqa: S603 - our own command
        command,
        env=child_env(WORKER),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    processes.append(process)
    if batch_timeout is not None:
        out, err = process.communicate(timeout=batch_timeout)
        assert process.returncode == 0, err or out
    return process


def _kill(process, app_name: str) -> None:
    """SIGKILL `process`, then wait until the server has noticed and closed its connections."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    wait_until(lambda: not backends(app_name), timeout=30, what="the dead worker's connections")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_no_pupil_and_the_requeued_job_imports_once(
    postgres, database_tasks, place, make_user, processes
):
    from bench.import_students import _pupils

    admin = make_user(Role.ADMIN)
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em", area=place["bac_ninh"])
    )
    schools = [
        school_create(
            actor=None,
            data=SchoolData(
                code=f"TH-THCS-{area.code}",
                name=f"Trường TH&THCS {area.name}",
                area=area,
                levels=["primary", "lower_secondary"],
            ),
        )
        for area in (place["communes"]["lucngan"], place["communes"]["sondong"])
    ]
    data = _xlsx(_pupils(ROWS, schools))  # the benchmark's realistic pupils
    students_before = Student.objects.count()

    # The user uploads the file; a worker checks it; the user confirms it.
    preview = job_start(
        actor=admin, kind="students.preview", file_name="ds.xlsx", payload=data,
        params={"campaign": campaign.pk, "school": None},
    )  # fmt: skip
    _worker(processes, batch_timeout=180)
    preview.refresh_from_db()
    assert preview.status == JobStatus.SUCCEEDED, preview.errors[:5]
    assert preview.summary["created"] == ROWS
    job = job_confirm(actor=admin, preview=preview)
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED

    # A worker takes the import. What it writes stays unseen until its transaction commits;
    # what shows how far the write has gone is the pupils' id sequence. Once a third of the
    # pupils are written, the worker is killed.
    ids_before = _ids_handed_out("students_student")
    worker = _worker(processes)

    def a_third_written() -> bool:
        assert worker.poll() is None, worker.communicate()
        return (
            holds_write_lock(WORKER, "students_student")
            and _ids_handed_out("students_student") - ids_before >= ROWS // 3
        )

    wait_until(a_third_written, timeout=120, what="a third of the pupils to be written")
    # Its progress does not wait for the commit: the job's page shows it rising meanwhile.
    shown = job_get(user=admin, pk=job.pk)
    assert (shown.status, shown.total) == (JobStatus.RUNNING, ROWS)
    assert shown.percent >= 30, (shown.done, shown.total)
    _kill(worker, WORKER)

    assert Student.objects.count() == students_before
    assert not Need.objects.filter(campaign=campaign).exists()
    assert not AuditEntry.objects.filter(action="student.imported").exists()
    # The page shows the job as still "Đang xử lý"; the file it needs to start over is kept.
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert bytes(job.payload) == data

    # The operator re-queues it; the next worker imports the whole file, once.
    call_command("requeue_jobs", str(job.pk))
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED
    _worker(processes, batch_timeout=180)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.errors[:5]
    assert job.summary["created"] == ROWS
    assert Student.objects.count() == students_before + ROWS
    needs = Need.objects.filter(campaign=campaign)
    assert needs.count() == ROWS
    assert needs.values("student").distinct().count() == ROWS
    assert Counter(needs.values_list("school_id", flat=True)) == {
        school.pk: ROWS // len(schools) for school in schools
    }
    assert AuditEntry.objects.filter(action="student.imported").count() == len(schools)
    assert AuditEntry.objects.filter(action="job.requeued", target_id=str(job.pk)).count() == 1


@pytest.mark.django_db
def test_requeueing_a_finished_job_is_refused(make_user, database_tasks):
    from songmay.jobs.services import job_requeue
    from songmay.lib.errors import DomainError

    admin = make_user(Role.ADMIN)
    job = Job.objects.create(kind="students.import", created_by=admin, status=JobStatus.SUCCEEDED)
    with pytest.raises(DomainError, match="đã kết thúc"):
        job_requeue(actor=None, job=job)
    assert not AuditEntry.objects.filter(action="job.requeued").exists()


@pytest.mark.django_db
def test_a_job_still_waiting_for_a_worker_is_not_queued_twice(
    make_user, database_tasks, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from songmay.jobs.services import job_requeue
    from songmay.lib.errors import DomainError

    admin = make_user(Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(actor=admin, kind="students.import", file_name="ds.xlsx", payload=b"PK")
    assert DBTaskResult.objects.count() == 1
    with pytest.raises(DomainError, match="đang chờ"):
        job_requeue(actor=None, job=job)
    assert DBTaskResult.objects.count() == 1


PUPILS, DEVICES = 40, 30
ALLOCATE = "resilience-allocate"


@pytest.fixture
def allocation_world(place, make_user):
    """A Bắc Ninh campaign with 40 confirmed pupils at two schools and 30 available tablets."""
    from songmay.inventory.services import DeviceData, device_status_change, devices_register
    from songmay.students.services import StudentData, needs_confirm, student_register

    schools = place["schools"]
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em", area=place["bac_ninh"])
    )
    households = ["poor", "near_poor", "hardship", "none"]
    needs = [
        student_register(
            actor=None,
            campaign=campaign,
            school=schools["lucngan" if index % 2 else "sondong"],
            data=StudentData(
                full_name=f"Nguyễn Văn Em Số {index}",
                date_of_birth=dt.date(2012, 1 + index % 12, 1 + index % 28),
                level="primary",
                lacking="device",
                household=households[index % 4],
            ),
        )
        for index in range(PUPILS)
    ]
    needs_confirm(actor=officer, needs=needs)
    devices = devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("tablet", serial=f"TAB-{index}") for index in range(DEVICES)],
        school=schools["lucngan"],
    )
    for device in devices:
        device_status_change(actor=officer, device=device, status="inspected")
        device_status_change(actor=officer, device=device, status="available")
    return {"campaign": campaign, "officer": officer}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_approval_killed_mid_way_leaves_no_assignment_and_a_retry_serves_each_child_once(
    postgres, allocation_world, processes
):
    """`songmay allocate C --approve` (a draft run and its approval, in one transaction) is
    killed after it has reserved the devices and written every assignment, before it commits.

    To kill it at that point every time, the test holds a lock the approval needs just after
    its assignments: the row of an older draft, which an approval marks as set aside. The
    command waits there with all its writes made; the test then kills it.
    """
    import psycopg

    from songmay.allocation.models import LIVE, AllocationRun, Assignment, RunStatus
    from songmay.allocation.services import run_create
    from songmay.inventory.models import Device, DeviceEvent, DeviceStatus
    from tests.resilience.conftest import database_url

    campaign = allocation_world["campaign"]
    older = run_create(actor=allocation_world["officer"], campaign=campaign)
    served = older.summary["served"]
    assert served == DEVICES
    events_before = DeviceEvent.objects.count()
    audit_before = AuditEntry.objects.count()
    command = [SONGMAY, "allocate", str(campaign.pk), "--approve"]

    with psycopg.connect(database_url()) as blocker:
        blocker.execute(
            "SELECT id FROM allocation_allocationrun WHERE id = %s FOR UPDATE", [older.pk]
        )
        approval = subprocess.Popen(  # noqa: S603 - our own command
            command, env=child_env(ALLOCATE), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        processes.append(approval)

        def waiting_with_its_assignments_written() -> bool:
            assert approval.poll() is None, approval.communicate()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                    " AND application_name = %s AND wait_event_type = 'Lock'",
                    [ALLOCATE],
                )
                waiting = cursor.fetchone() is not None
            return waiting and holds_write_lock(ALLOCATE, "allocation_assignment")

        wait_until(waiting_with_its_assignments_written, timeout=60, what="the approval")
        approval.send_signal(signal.SIGKILL)
        approval.wait(timeout=10)
        blocker.rollback()  # the server now finds the client gone and undoes its transaction
    wait_until(lambda: not backends(ALLOCATE), timeout=30, what="the killed command's connection")

    assert not Assignment.objects.exists()
    assert list(AllocationRun.objects.values_list("pk", "status")) == [(older.pk, RunStatus.DRAFT)]
    assert not Device.objects.exclude(status=DeviceStatus.AVAILABLE).exists()
    assert DeviceEvent.objects.count() == events_before
    assert AuditEntry.objects.count() == audit_before

    # The officer runs the same command again: it succeeds, and each child has one device.
    retry = subprocess.run(  # noqa: S603 - our own command
        command, env=child_env(ALLOCATE), capture_output=True, text=True, timeout=120, check=False
    )
    assert retry.returncode == 0, retry.stderr
    approved = AllocationRun.objects.get(status=RunStatus.APPROVED)
    assert AllocationRun.objects.get(pk=older.pk).status == RunStatus.DISCARDED
    live = Assignment.objects.filter(status__in=LIVE)
    assert live.count() == Assignment.objects.count() == served
    assert set(live.values_list("run_id", flat=True)) == {approved.pk}
    assert max(Counter(live.values_list("student_id", flat=True)).values()) == 1
    assert max(Counter(live.values_list("device_id", flat=True)).values()) == 1
    assert Device.objects.filter(status=DeviceStatus.ASSIGNED).count() == served
    assert DeviceEvent.objects.count() == events_before  # the assignments are the record
