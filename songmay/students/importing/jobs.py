"""The two jobs of an import (preview, then import once confirmed) and the template."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import islice
from typing import IO, TYPE_CHECKING, Any

from django.db import IntegrityError

from songmay.areas.models import School, SchoolLevel
from songmay.campaigns.models import Campaign
from songmay.jobs.models import Job
from songmay.jobs.services import JobOutcome, job_upload
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import RowError, iter_table, write_xlsx
from songmay.students.importing.checking import CheckedFile, PupilRow, pupil_rows_checking
from songmay.students.importing.columns import CHUNK, COLUMNS, FLAG_KEYS
from songmay.students.importing.writing import (
    ImportPlan,
    ImportRejectedError,
    _Planner,
    students_import,
)
from songmay.students.models import Gender

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.jobs.services import JobProgress


def _job_target(job: Job) -> tuple[Campaign, School | None] | RowError:
    """The campaign and school a job was started for, as its owner may still see them."""
    actor = job.created_by
    campaign = Campaign.objects.visible_to(actor).filter(pk=job.params.get("campaign")).first()
    if campaign is None:
        return RowError(0, "", "Không tìm thấy chương trình đã chọn. Hãy tải tệp lên lại.")
    school = None
    if actor.school_id is not None:
        school = actor.school
    elif job.params.get("school"):
        school = School.objects.visible_to(actor).filter(pk=job.params["school"]).first()
        if school is None:
            return RowError(0, "", "Không tìm thấy trường đã chọn. Hãy tải tệp lên lại.")
    return campaign, school


def _checking_job_file(
    job: Job, upload: IO[bytes], progress: JobProgress, *, phase: str
) -> tuple[CheckedFile, Iterator[PupilRow], Campaign, School | None]:
    """The job's file, checked row by row as the returned rows are asked for."""
    target = _job_target(job)
    if isinstance(target, RowError):
        return CheckedFile(errors=[target]), iter(()), Campaign(), None
    campaign, school = target
    progress.phase(phase)
    checked = CheckedFile()
    rows = pupil_rows_checking(
        actor=job.created_by, campaign=campaign, school=school,
        table=iter_table(upload, job.file_name), result=checked, progress=progress,
    )  # fmt: skip
    return checked, rows, campaign, school


def _outcome(
    checked: CheckedFile,
    campaign: Campaign,
    school: School | None,
    counts: dict[str, int],
    errors: list[RowError],
    *,
    keep_file: bool,
) -> JobOutcome:
    errors = sorted(errors, key=lambda found: found.row)
    summary: dict[str, Any] = {
        **counts,
        "rows": checked.row_count,
        "notices": checked.notices,
        "header_row": checked.header_row,
        "campaign": str(campaign) if campaign.pk else "",
        "school": str(school) if school is not None else "",
    }
    # A file that could not be read at all cannot be given back with an error column.
    readable = checked.row_count > 0 or any(error.row for error in errors)
    return JobOutcome(summary=summary, errors=errors, keep_file=keep_file and readable)


def run_student_preview(job: Job, progress: JobProgress) -> JobOutcome:
    """The `students.preview` job: check every row and count what would change; write nothing.

    The file is kept: to be imported once the user confirms, or given back with its errors.
    """
    with job_upload(job) as upload:
        return _preview(job, upload, progress)


def _preview(job: Job, upload: IO[bytes], progress: JobProgress) -> JobOutcome:
    checked, rows, campaign, school = _checking_job_file(
        job, upload, progress, phase="Đang kiểm tra từng dòng"
    )
    if not campaign.pk:
        return JobOutcome(errors=checked.errors)
    plan = ImportPlan()
    counts = dict.fromkeys(("created", "updated", "unchanged", "merged"), 0)
    planner = _Planner(campaign)
    for batch in _batched(rows):
        planner.plan(batch, plan)
        for action in plan.actions:
            counts[action.kind] += 1
            counts["merged"] += action.kind == "created" and action.registered is not None
        plan.actions = []
    errors = checked.errors + plan.errors
    counts["error_rows"] = len({error.row for error in errors if error.row})
    return _outcome(checked, campaign, school, counts, errors, keep_file=True)


def _batched(rows: Iterator[PupilRow]) -> Iterator[list[PupilRow]]:
    while batch := list(islice(rows, CHUNK)):
        yield batch


def run_student_import(job: Job, progress: JobProgress) -> JobOutcome:
    """The `students.import` job: check the confirmed file again, then write all or nothing."""
    with job_upload(job) as upload:
        return _import(job, upload, progress)


def _import(job: Job, upload: IO[bytes], progress: JobProgress) -> JobOutcome:
    # Each batch of rows is written as soon as it is checked, in the import's one transaction.
    checked, rows, campaign, school = _checking_job_file(
        job, upload, progress, phase="Đang kiểm tra và ghi từng dòng"
    )
    if not campaign.pk:
        return JobOutcome(errors=checked.errors)

    def checked_rows() -> Iterator[PupilRow]:
        yield from rows
        if checked.errors:  # nothing is kept: the transaction is undone
            raise _CheckFailedError

    try:
        summary = students_import(
            actor=job.created_by,
            campaign=campaign,
            school=school,
            rows=checked_rows(),
            file_name=job.file_name,
        )
    except _CheckFailedError:
        return _outcome(checked, campaign, school, {}, checked.errors, keep_file=True)
    except ImportRejectedError as rejected:
        return _outcome(checked, campaign, school, {}, rejected.errors, keep_file=True)
    except DomainError as problem:
        errors = [RowError(0, "", problem.message)]
        return _outcome(checked, campaign, school, {}, errors, keep_file=False)
    except IntegrityError:
        message = (
            "Có người vừa ghi cùng những học sinh này trong lúc nhập; chưa ghi gì. "
            "Hãy tải tệp lên lại để kiểm tra và nhập lại."
        )
        return _outcome(checked, campaign, school, {}, [RowError(0, "", message)], keep_file=False)
    return _outcome(checked, campaign, school, summary.as_dict(), [], keep_file=False)


class _CheckFailedError(Exception):
    """Some row of the file is wrong: raised inside the write so that none of it is kept."""


# ---------------------------------------------------------------------------- template

_DROP_DOWNS = {
    "gender": [str(label) for label in Gender.labels],
    "level": [str(label) for label in SchoolLevel.labels],
    "household": ["Hộ nghèo", "Hộ cận nghèo", "Khó khăn khác"],
    "lacking": ["Thiết bị", "Kết nối", "Cả hai"],
    "consent": ["x", "Có"],
    **{key: ["x"] for key in FLAG_KEYS},
}


def template_xlsx(*, user: User) -> bytes:
    """The template to fill: the columns with one example row, drop-down lists for the coded
    columns, and a sheet of instructions ("Hướng dẫn")."""
    school = user.school or School.objects.visible_to(user).select_related("area").first()
    example: dict[str, object] = {
        "number": 1,
        "full_name": "Nguyễn Văn An (dòng ví dụ, hãy xoá)",
        "date_of_birth": dt.date(2012, 3, 4),
        "gender": "Nam",
        "class_name": "4A",
        "level": "Tiểu học",
        "personal_id": "024212001234",
        "guardian_name": "Nguyễn Văn Bình",
        "guardian_phone": "0983.934.091",
        "village": "Thôn Đồng",
        "commune": school.area.name if school is not None else "Xã Lục Ngạn",
        "household": "Hộ nghèo",
        "orphaned_by_covid": "",
        "disability": "",
        "ethnic_minority": "x",
        "remote_area": "x",
        "lacking": "Thiết bị",
        "consent": "x",
        "consent_on": dt.date(2021, 9, 12),
        "school_code": school.code if school is not None else "",
    }
    title = "Danh sách học sinh"
    guide: list[list[object]] = [
        [
            column.label,
            "Bắt buộc" if column.required else "Không bắt buộc",
            column.help or "Để trống nếu không có.",
        ]
        for column in COLUMNS
    ]
    notes = [
        "Mỗi em một dòng; giữ nguyên dòng tên cột (có thể thêm dòng tiêu đề phía trên). "
        "Xoá dòng ví dụ trước khi nhập.",
        "Các cột Giới tính, Cấp học, Hoàn cảnh, Còn thiếu và các cột x có danh sách để chọn.",
        "Trước khi ghi, hệ thống cho xem số em sẽ thêm mới, cập nhật, không đổi và các dòng lỗi; "
        "tệp chỉ được nhập khi mọi dòng đều đúng.",
        "Nhập lại cùng một tệp không làm thay đổi gì; tệp đã sửa sẽ cập nhật đúng các em đó "
        "(nhận ra qua số định danh, hoặc họ tên và ngày sinh).",
        "Cột không có trong tệp thì giữ nguyên thông tin đã có; ô Số định danh để trống không "
        "xoá số đã ghi.",
        "Mỗi em chỉ được hỗ trợ một lần: em đã được trường khác đăng ký (cùng số định danh) sẽ "
        "được chuyển về trường bạn; em nghi trùng sẽ được cán bộ xã/phường xem xét.",
    ]
    guide.append(["", "", ""])
    guide += [["Lưu ý" if index == 0 else "", "", note] for index, note in enumerate(notes)]
    keys = [column.key for column in COLUMNS]
    return write_xlsx(
        [
            (title, [column.label for column in COLUMNS], [[example[key] for key in keys]]),
            ("Hướng dẫn", ["Cột", "Bắt buộc", "Cách ghi"], guide),
        ],
        drop_downs={title: {keys.index(key): values for key, values in _DROP_DOWNS.items()}},
    )
