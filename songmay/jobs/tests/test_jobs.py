import io

import openpyxl
import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from songmay.accounts.scope import Role
from songmay.audit.models import AuditEntry
from songmay.jobs import selectors, services
from songmay.jobs.models import Job, JobStatus
from songmay.jobs.services import JobKind, JobOutcome, job_run, job_start
from songmay.jobs.tasks import run_job
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import RowError
from songmay.lib.tests import builders

HEADER = ["Mã trường", "Tên trường", "Cấp học", "Mã xã/phường"]
calls_seen: list[int] = []


def counting_runner(job, progress):
    """A test runner: reports three steps and succeeds."""
    calls_seen.append(job.pk)
    for done in range(1, 4):
        progress(done, 3)
    return JobOutcome(summary={"rows": 3})


def crashing_runner(job, progress):
    raise RuntimeError("bug")


@pytest.fixture
def test_kinds(monkeypatch):
    calls_seen.clear()
    kinds = {
        **services.JOB_KINDS,
        "test.count": JobKind("Đếm thử", f"{__name__}.counting_runner", "schools.view"),
        "test.crash": JobKind("Lỗi thử", f"{__name__}.crashing_runner", "schools.view"),
    }
    monkeypatch.setattr(services, "JOB_KINDS", kinds)


@pytest.fixture
def officer(make_user, place):
    return make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])


@pytest.fixture
def other(make_user, place):
    """Another officer of the same commune: same rights, but not the job's owner."""
    return make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])


def start(user, rows, callbacks, *, execute=True, name="ds.xlsx"):
    with callbacks(execute=execute):
        job = job_start(
            actor=user, kind="schools.import", file_name=name, payload=builders.xlsx(rows)
        )
    job.refresh_from_db()
    return job


def test_starting_a_job_is_audited_and_runs_only_once_committed(
    officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = job_start(actor=officer, kind="schools.import", file_name="ds.xlsx", payload=b"PK")

    assert len(callbacks) == 1
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED
    entry = AuditEntry.objects.get(action="job.started")
    assert (entry.actor, entry.target_id) == (officer, str(job.pk))
    assert entry.changes == {"kind": "schools.import", "file": "ds.xlsx", "bytes": 2}


def test_an_unknown_kind_is_refused(officer):
    with pytest.raises(DomainError):
        job_start(actor=officer, kind="nothing", file_name="a.xlsx", payload=b"")

    assert not Job.objects.exists()


def test_the_task_dispatches_on_the_kind_and_records_the_outcome(
    officer, test_kinds, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(actor=officer, kind="test.count", file_name="a.csv", payload=b"a")

    job.refresh_from_db()
    assert calls_seen == [job.pk]
    assert (job.status, job.done, job.total, job.summary) == (
        JobStatus.SUCCEEDED,
        3,
        3,
        {"rows": 3},
    )
    assert job.finished_at is not None
    assert bytes(job.payload) == b""  # the upload is not kept once read


def test_a_crashing_runner_fails_the_job_with_a_message_instead_of_hanging(
    officer, test_kinds, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(actor=officer, kind="test.crash", file_name="a.csv", payload=b"a")

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.errors[0]["row"] == 0
    assert "Lỗi hệ thống" in job.errors[0]["message"]


def test_a_job_left_running_by_a_killed_worker_starts_over(
    officer, test_kinds, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # the worker never ran it
        job = job_start(actor=officer, kind="test.count", file_name="a.csv", payload=b"a")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, done=2, total=3)

    run_job.enqueue(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert calls_seen == [job.pk]


def test_a_finished_job_is_not_run_again(officer, test_kinds, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(actor=officer, kind="test.count", file_name="a.csv", payload=b"a")

    job_run(job_id=job.pk)

    assert calls_seen == [job.pk]


def test_an_import_killed_midway_and_rerun_writes_each_school_once(
    officer, django_capture_on_commit_callbacks
):
    rows = [HEADER, ["T-1", "Trường A", "TH", "07582"], ["T-2", "Trường B", "TH", "07582"]]
    job = start(officer, rows, django_capture_on_commit_callbacks, execute=False)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, done=1, total=3)

    run_job.enqueue(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.summary["created"] == 2
    assert AuditEntry.objects.filter(action="school.imported").count() == 1


# ------------------------------------------------------------------------- pages


def test_an_unfinished_job_shows_its_progress_and_refreshes(
    client, officer, django_capture_on_commit_callbacks
):
    job = start(officer, [HEADER], django_capture_on_commit_callbacks, execute=False)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, done=30, total=120, summary={"phase": "Đang kiểm tra từng dòng"}
    )
    client.force_login(officer)

    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()

    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress value="30" max="120">' in page
    assert "25%" in page
    assert "Đang kiểm tra từng dòng" in page
    assert "Đang xử lý" in page
    assert 'style="' not in page  # our CSP forbids inline styles


def test_a_queued_job_shows_it_is_waiting(client, officer, django_capture_on_commit_callbacks):
    job = start(officer, [HEADER], django_capture_on_commit_callbacks, execute=False)
    client.force_login(officer)

    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()

    assert "Đang chờ" in page
    assert '<meta http-equiv="refresh"' in page


def test_a_failed_import_lists_its_errors_and_stops_refreshing(
    client, officer, django_capture_on_commit_callbacks
):
    rows = [HEADER, ["T-1", "", "TH", "07582"], ["T-2", "Trường B", "Mầm non", "07582"]]
    job = start(officer, rows, django_capture_on_commit_callbacks)
    client.force_login(officer)

    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()

    assert job.status == JobStatus.FAILED
    assert "refresh" not in page
    assert "Chưa ghi gì vào hệ thống" in page
    assert "Có 2 lỗi ở 2 dòng" in page
    for header in ("Dòng", "Cột", "Lỗi"):
        assert f">{header}</th>" in page
    assert "Thiếu tên trường" in page
    assert "“Mầm non”" in page
    assert reverse("jobs:errors_xlsx", args=[job.pk]) in page


def test_the_errors_download_as_xlsx(client, officer, django_capture_on_commit_callbacks):
    rows = [HEADER, ["T-1", "", "TH", "07582"], ["=cmd|' /C calc'!A0", "B", "TH", "07582"]]
    job = start(officer, rows, django_capture_on_commit_callbacks)
    client.force_login(officer)

    response = client.get(reverse("jobs:errors_xlsx", args=[job.pk]))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Dòng", "Cột", "Lỗi"]
    assert values[1][:2] == [2, "Tên trường"]
    assert sheet["A1"].font.b
    # An error quoting what was typed never turns it into a formula.
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_a_successful_job_has_no_error_file(client, officer, django_capture_on_commit_callbacks):
    job = start(officer, [HEADER, ["T-1", "A", "TH", "07582"]], django_capture_on_commit_callbacks)
    client.force_login(officer)

    assert job.status == JobStatus.SUCCEEDED
    assert client.get(reverse("jobs:errors_xlsx", args=[job.pk])).status_code == 404
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Hoàn thành" in page
    assert "refresh" not in page


@pytest.mark.parametrize("name", ["jobs:detail", "jobs:errors_xlsx"])
def test_another_users_job_is_not_found(
    client, officer, other, name, django_capture_on_commit_callbacks
):
    job = start(officer, [HEADER, ["T-1", "", "TH", "07582"]], django_capture_on_commit_callbacks)
    client.force_login(other)

    assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_job_pages_need_a_log_in(client, officer, django_capture_on_commit_callbacks):
    job = start(officer, [HEADER], django_capture_on_commit_callbacks)

    response = client.get(reverse("jobs:detail", args=[job.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_job_list_shows_only_ones_own_jobs_in_a_fixed_number_of_queries(
    client, officer, other, django_capture_on_commit_callbacks
):
    mine = start(officer, [HEADER], django_capture_on_commit_callbacks, name="cua-toi.xlsx")
    start(other, [HEADER], django_capture_on_commit_callbacks, name="cua-nguoi-khac.xlsx")
    client.force_login(officer)
    url = reverse("jobs:list")
    client.get(url)  # warm up the session and caches

    with CaptureQueriesContext(connection) as one:
        page = client.get(url).content.decode()
    for _ in range(5):
        start(officer, [HEADER], django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as six:
        client.get(url)

    assert "cua-toi.xlsx" in page
    assert reverse("jobs:detail", args=[mine.pk]) in page
    assert "cua-nguoi-khac.xlsx" not in page
    assert len(six) == len(one)


def test_progress_is_shown_while_the_job_runs_and_updates_are_thinned(
    officer, django_capture_on_commit_callbacks, monkeypatch
):
    job = start(officer, [HEADER], django_capture_on_commit_callbacks, execute=False)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    progress = services.JobProgress(job)
    cache = caches["jobs"]
    writes = []
    original = cache.set

    def counted(*args, **kwargs):
        writes.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(cache, "set", counted)

    with CaptureQueriesContext(connection) as first:
        for done in range(1, 251):
            progress(done, 1000)
        progress.phase("Đang kiểm tra từng dòng")
    quarter = selectors.job_get(user=officer, pk=job.pk)
    with CaptureQueriesContext(connection) as then:
        for done in range(251, 1001):
            progress(done, 1000)

    assert (quarter.done, quarter.total, quarter.percent) == (250, 1000, 25)
    assert quarter.summary == {"phase": "Đang kiểm tra từng dòng"}
    assert selectors.job_get(user=officer, pk=job.pk).percent == 100
    assert len(writes) <= 102
    assert not first.captured_queries + then.captured_queries  # the row waits for the end


def test_row_errors_are_stored_as_plain_json(officer, test_kinds, monkeypatch):
    def runner(job, progress):
        return JobOutcome(errors=[RowError(3, "Email", "Email “x” không hợp lệ.")])

    monkeypatch.setattr(f"{__name__}.counting_runner", runner)
    job = Job.objects.create(kind="test.count", created_by=officer)

    job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.errors == [{"row": 3, "column": "Email", "message": "Email “x” không hợp lệ."}]


@pytest.mark.django_db
def test_old_uploaded_files_are_purged_and_recent_ones_kept(make_user, areas):
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    user = make_user(Role.ADMIN)
    now = timezone.now()
    old = Job.objects.create(
        kind="students.preview",
        created_by=user,
        payload=b"pupils",
        status="succeeded",
        finished_at=now - dt.timedelta(days=8),
    )
    recent = Job.objects.create(
        kind="students.preview",
        created_by=user,
        payload=b"pupils",
        status="succeeded",
        finished_at=now - dt.timedelta(days=1),
    )
    call_command("purge_job_files", "--days", "7")
    old.refresh_from_db()
    recent.refresh_from_db()
    assert bytes(old.payload) == b""
    assert bytes(recent.payload) == b"pupils"
    assert AuditEntry.objects.get(action="job.files_purged").changes["files"] == 1


def test_a_runner_reads_the_upload_a_piece_at_a_time(officer, monkeypatch):
    data = bytes(range(256)) * 3 + b"end"
    job = Job.objects.create(kind="schools.import", created_by=officer, payload=data)
    empty = Job.objects.create(kind="schools.import", created_by=officer)
    monkeypatch.setattr(services, "UPLOAD_PIECE_BYTES", 100)

    with CaptureQueriesContext(connection) as queries, services.job_upload(job) as upload:
        assert upload.read() == data
    with services.job_upload(empty) as upload:
        assert upload.read() == b""

    assert len(queries) == 1 + 8  # the size, then eight pieces


def test_confirming_hands_the_file_to_the_import_and_the_preview_keeps_none(
    make_user, areas, django_capture_on_commit_callbacks
):
    admin = make_user(Role.ADMIN)
    data = builders.xlsx([["Họ và tên"], ["Nguyễn Văn An"]])
    preview = Job.objects.create(
        kind="students.preview", created_by=admin, file_name="ds.xlsx", payload=data,
        status=JobStatus.SUCCEEDED, params={"campaign": 1}, summary={"file_kept": True},
    )  # fmt: skip

    with django_capture_on_commit_callbacks():  # no worker runs it here
        job = services.job_confirm(
            actor=admin, preview=selectors.job_get(user=admin, pk=preview.pk)
        )

    job.refresh_from_db()
    preview.refresh_from_db()
    assert (job.kind, bytes(job.payload), job.params) == (
        "students.import",
        data,
        {"campaign": 1, "preview": preview.pk},
    )
    assert bytes(preview.payload) == b""
    assert preview.summary == {"file_kept": False, "confirmed_job": job.pk}
    entry = AuditEntry.objects.get(action="job.started", target_id=str(job.pk))
    assert entry.changes["bytes"] == len(data)
    with pytest.raises(DomainError, match="đã được xác nhận"):
        services.job_confirm(actor=admin, preview=preview)


def _in_a_process(code, **env):
    """The last line `code` prints, run by `songmay shell` in a process of its own."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    clean = {k: v for k, v in os.environ.items() if k not in ("SONGMAY_CACHE_URL", "DEBUG")}
    done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "songmay.cli", "shell", "--no-imports", "-c", code],
        env={**clean, "DATABASE_URL": "sqlite://", **env},
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("shared_by", ["folder", "redis"])
def test_the_pages_process_sees_the_progress_the_workers_process_writes(tmp_path, shared_by):
    """Without Redis the processes of a machine share a folder; with it, every machine."""
    import secrets
    import socket

    if shared_by == "redis":
        try:
            socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        except OSError:
            pytest.skip("no Redis on 127.0.0.1:6379")
        env = {"SONGMAY_CACHE_URL": "redis://127.0.0.1:6379/15"}
    else:
        env = {"SONGMAY_PROGRESS_DIR": str(tmp_path / "progress")}
    job = (
        "import datetime as dt; from songmay.jobs.models import Job;"
        f"job = Job(pk={secrets.randbelow(10**9)}, status='running',"
        " created_at=dt.datetime(2021, 9, 12, tzinfo=dt.UTC));"
    )
    worker = "from songmay.jobs.progress import JobProgress; JobProgress(job)(3, 4); print('ok')"
    page = (
        "from songmay.jobs.progress import progress_apply, progress_clear; progress_apply([job]);"
        "progress_clear(job); print(job.done, job.total, job.percent)"
    )

    assert _in_a_process(job + worker, **env) == "ok"
    assert _in_a_process(job + page, **env) == "3 4 75"


def test_the_job_pages_show_the_live_progress_of_a_running_job(
    officer, client, django_capture_on_commit_callbacks
):
    job = start(officer, [HEADER], django_capture_on_commit_callbacks, execute=False)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    progress = services.JobProgress(job)
    progress.phase("Đang kiểm tra từng dòng")
    progress(2701, 30000)
    client.force_login(officer)

    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    listing = client.get(reverse("jobs:list")).content.decode()

    # Plain numbers for the bar: "2.701" of "30.000" would read as 2.7 of 30.
    assert '<progress value="2701" max="30000">9%</progress>' in page
    assert "Đang kiểm tra từng dòng…" in page
    assert "Đang xử lý (9%)" in listing
