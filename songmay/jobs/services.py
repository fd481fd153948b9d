"""Starting and running long jobs. A job runs in a task worker and reports its progress
to the person who started it; what it writes is done by the domain services it calls."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from songmay.audit.context import origin
from songmay.audit.services import audit_record, audited
from songmay.jobs.models import Job, JobStatus
from songmay.jobs.progress import JobProgress, progress_clear
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import RowError

if TYPE_CHECKING:
    from songmay.accounts.models import User

logger = logging.getLogger(__name__)


@dataclass
class JobOutcome:
    """What a runner returns: counts on success, or the errors that kept it from writing."""

    summary: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    # Keep the uploaded file once the job is done: a preview awaiting confirmation, or a file
    # with errors that its owner may download back with an error column added.
    keep_file: bool = False


Runner = Callable[[Job, JobProgress], JobOutcome]


@dataclass(frozen=True)
class JobKind:
    label: str
    runner: str  # dotted path to a Runner, imported when the job runs
    permission: str  # what the person starting the job must be allowed to do
    done_url: str = ""  # URL name of the page to go on to when the job is done
    # For a preview (check only): the kind of the job that writes the file once confirmed.
    confirms_into: str = ""


# The registry of long jobs, by `Job.kind`.
JOB_KINDS: dict[str, JobKind] = {
    "schools.import": JobKind(
        label="Nhập danh sách trường",
        runner="songmay.areas.importing.run_school_import",
        permission="schools.add",
        done_url="areas:school_list",
    ),
    "students.preview": JobKind(
        label="Kiểm tra tệp danh sách học sinh",
        runner="songmay.students.importing.run_student_preview",
        permission="students.add",
        confirms_into="students.import",
    ),
    "students.import": JobKind(
        label="Nhập danh sách học sinh",
        runner="songmay.students.importing.run_student_import",
        permission="students.add",
        done_url="students:list",
    ),
    "devices.preview": JobKind(
        label="Kiểm tra tệp danh sách thiết bị",
        runner="songmay.inventory.importing.run_device_preview",
        permission="inventory.change",
        confirms_into="devices.import",
    ),
    "devices.import": JobKind(
        label="Nhập danh sách thiết bị",
        runner="songmay.inventory.importing.run_device_import",
        permission="inventory.change",
        done_url="inventory:device_list",
    ),
    "dead_spots.preview": JobKind(
        label="Kiểm tra tệp danh sách điểm lõm sóng",
        runner="songmay.connectivity.importing.run_dead_spot_preview",
        permission="connectivity.change",
        confirms_into="dead_spots.import",
    ),
    "dead_spots.import": JobKind(
        label="Nhập danh sách điểm lõm sóng",
        runner="songmay.connectivity.importing.run_dead_spot_import",
        permission="connectivity.change",
        done_url="connectivity:dead_spot_list",
    ),
}


@audited
def job_confirm(*, actor: User, preview: Job) -> Job:
    """Confirm a checked file: start the job that writes it, from the file the preview kept."""
    # The file moves from one row to the other inside the database, never through memory.
    preview = Job.objects.select_for_update().defer("payload").get(pk=preview.pk)
    kind = JOB_KINDS.get(preview.kind)
    if kind is None or not kind.confirms_into:
        raise DomainError("Tác vụ này không phải bước kiểm tra tệp; không có gì để xác nhận.")
    if preview.created_by_id != actor.pk:
        raise DomainError("Chỉ người tải tệp lên mới xác nhận nhập được tệp đó.")
    if preview.status != JobStatus.SUCCEEDED:
        raise DomainError("Tệp này chưa kiểm tra xong hoặc còn lỗi; chưa thể nhập.")
    if preview.summary.get("confirmed_job"):
        raise DomainError(
            f"Tệp này đã được xác nhận nhập (tác vụ #{preview.summary['confirmed_job']})."
        )
    size = _upload_size(preview)
    if not size:
        raise DomainError("Tệp đã không còn được lưu. Hãy tải lên lại.")
    job = _job_queue(
        actor=actor,
        kind=kind.confirms_into,
        file_name=preview.file_name,
        size=size,
        params={**preview.params, "preview": preview.pk},
    )
    kept = Job.objects.filter(pk=preview.pk).values("payload")[:1]
    Job.objects.filter(pk=job.pk).update(payload=models.Subquery(kept))
    Job.objects.filter(pk=preview.pk).update(
        payload=b"", summary={**preview.summary, "confirmed_job": job.pk, "file_kept": False}
    )
    return job


@audited
def job_start(
    *,
    actor: User,
    kind: str,
    file_name: str,
    payload: bytes,
    params: dict[str, Any] | None = None,
) -> Job:
    """Save a job with its input file and queue it for a worker once the save is committed."""
    return _job_queue(
        actor=actor,
        kind=kind,
        file_name=file_name,
        size=len(payload),
        params=params,
        payload=payload,
    )


def _job_queue(
    *,
    actor: User,
    kind: str,
    file_name: str,
    size: int,
    params: dict[str, Any] | None,
    payload: bytes = b"",
) -> Job:
    from songmay.jobs.tasks import run_job  # noqa: PLC0415  (tasks imports this module)

    job_kind = JOB_KINDS.get(kind)
    if job_kind is None:
        raise DomainError(f"Không có loại tác vụ “{kind}”.")
    if not actor.scope.may(job_kind.permission):
        raise PermissionDenied
    job = Job.objects.create(
        kind=kind, created_by=actor, file_name=file_name[:255], payload=payload, params=params or {}
    )
    audit_record(
        actor=actor,
        action="job.started",
        target=job,
        target_repr=f"{job_kind.label}: {file_name}"[:255],
        changes={"kind": kind, "file": file_name, "bytes": size},
    )
    transaction.on_commit(lambda: run_job.enqueue(job.pk))
    return job


def _upload_size(job: Job) -> int:
    """The size of the file a job keeps, measured by the database."""
    sizes = Job.objects.filter(pk=job.pk).values_list(Length("payload"), flat=True)
    return sizes.first() or 0


# The uploaded file is copied out of the database this much at a time: read as one value it
# would sit whole in memory, several times over (the driver's buffer, its bytes, their copies).
UPLOAD_PIECE_BYTES = 8 * 1024 * 1024


@contextmanager
def job_upload(job: Job) -> Iterator[IO[bytes]]:
    """The file a job keeps, copied from the database a piece at a time into a temporary file
    with no name: it holds personal data, and is gone once closed or its process ends."""
    stored = Job.objects.filter(pk=job.pk)
    size = _upload_size(job)
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as file:
        for start in range(0, size, UPLOAD_PIECE_BYTES):
            piece = stored.values_list(
                Substr("payload", start + 1, UPLOAD_PIECE_BYTES, output_field=models.BinaryField()),
                flat=True,
            ).first()
            if not piece:
                break  # purged meanwhile: the reader finds the file cut short
            file.write(piece)
        file.seek(0)
        yield file


def job_run(*, job_id: int) -> Job | None:
    """Run a queued job to the end. A job a killed worker left running starts over.

    The job's own status and progress are bookkeeping, not domain writes, so they are not
    audited; the runner's services audit what it changes.
    """
    # Without the file: a runner reads it with `job_upload`, a piece at a time.
    job = Job.objects.select_related("created_by").defer("payload").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return job
    progress_clear(job)  # what a killed worker's run left
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, done=0, total=0, summary={}, errors=[], finished_at=None
    )
    job_kind = JOB_KINDS.get(job.kind)
    progress = JobProgress(job)
    try:
        if job_kind is None:
            raise LookupError(f"unknown job kind {job.kind!r}")
        runner: Runner = import_string(job_kind.runner)
        with origin("task"):
            outcome = runner(job, progress)
    except Exception:  # a bug must not leave the job "running" forever
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        outcome = JobOutcome(
            errors=[
                RowError(
                    0,
                    "",
                    f"Lỗi hệ thống khi xử lý tác vụ #{job.pk}; chưa ghi gì vào hệ thống. "
                    "Hãy thử lại sau ít phút hoặc báo quản trị viên.",
                )
            ]
        )
    status = JobStatus.FAILED if outcome.errors else JobStatus.SUCCEEDED
    Job.objects.filter(pk=job.pk).update(
        status=status,
        summary={**outcome.summary, **({"file_kept": True} if outcome.keep_file else {})},
        errors=[asdict(error) for error in outcome.errors],
        done=progress.total,
        total=progress.total,
        finished_at=timezone.now(),
        # The uploaded file is kept only while its owner still needs it: it may hold personal data.
        **({} if outcome.keep_file else {"payload": b""}),
    )
    progress_clear(job)
    return Job.objects.select_related("created_by").defer("payload").get(pk=job.pk)


@audited
def job_files_purge(*, actor: User | None, older_than: dt.timedelta) -> int:
    """Delete the uploaded files still kept by finished jobs older than `older_than`: they hold
    pupils' personal data and are only needed for a confirm or a retry soon after upload."""
    cutoff = timezone.now() - older_than
    stale = Job.objects.filter(finished_at__lt=cutoff).exclude(payload=b"")
    count = stale.update(payload=b"")
    audit_record(
        actor=actor,
        action="job.files_purged",
        target_repr=f"Xoá {count} tệp tải lên cũ hơn {older_than.days} ngày",
        changes={"files": count, "days": older_than.days},
    )
    return count


@audited
def job_requeue(*, actor: User | None, job: Job) -> Job:
    """Queue again a job whose worker died before finishing it (killed, machine restarted).

    Its runner wrote in one transaction that died with the worker, so the job starts over
    from the file it still keeps. Nothing tells a dead worker from a slow one: the operator
    calls this once the worker is known to be gone. A job still waiting for one is refused.
    """
    from songmay.jobs.tasks import run_job  # noqa: PLC0415  (tasks imports this module)

    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.is_finished:
        raise DomainError(f"Tác vụ #{job.pk} đã kết thúc; không có gì để chạy lại.")
    waiting = DBTaskResult.objects.filter(
        task_path=run_job.module_path, status=TaskResultStatus.READY, args_kwargs__args__0=job.pk
    )
    if waiting.exists():
        raise DomainError(f"Tác vụ #{job.pk} đang chờ đến lượt xử lý; không cần chạy lại.")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, done=0, total=0, summary={})
    audit_record(
        actor=actor,
        action="job.requeued",
        target=job,
        target_repr=f"Chạy lại tác vụ #{job.pk}: {job.file_name}"[:255],
        changes={"kind": job.kind, "was": job.status},
    )
    transaction.on_commit(lambda: run_job.enqueue(job.pk))
    job.refresh_from_db()
    return job
