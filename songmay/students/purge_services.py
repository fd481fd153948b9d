"""Purging pupils' personal data once a campaign is over (DESIGN §7: "purgeable after the
campaign"). What makes a child identifiable goes; what is counted stays: level, household,
school, commune, special circumstances, statuses, dates of handover, devices and money.

Personal strings also travel: into the audit trail (a need is shown as "name (school)"), into
device timelines ("Cho em ... mượn"), into free-text notes and reasons, into uploaded files.
Each such row is found through the pupil it belongs to and every occurrence of the pupil's
strings in it is replaced, so no name, phone or ID survives in the campaign's rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import Q

from songmay.accounts.scope import authorize
from songmay.allocation.models import Assignment, Handover
from songmay.audit.models import AuditEntry
from songmay.audit.services import REDACTED, SENSITIVE_FIELDS, audit_record, audited
from songmay.connectivity.models import BroadbandRequest, ConnectivitySupport
from songmay.inventory.models import DeviceEvent
from songmay.jobs.models import Job, JobStatus
from songmay.lib.errors import DomainError
from songmay.lib.vietnamese import fold, name_sort_key
from songmay.pool.models import Loan, RecallItem
from songmay.students.models import DuplicateCandidate, Need, Student
from songmay.students.purge_selectors import PurgePlan, pseudonym, purge_plan, purge_refusal

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.campaigns.models import Campaign

# Written where a required text held a person's name, address or number.
ERASED = "(đã xoá)"
# Keys of audit `changes` whose values are a pupil's personal data.
PERSONAL_KEYS = SENSITIVE_FIELDS | {
    "full_name",
    "village",
    "class_name",
    "received_by",
    "phone",
    "address",
    "name",
}
CHUNK = 2000


@dataclass(frozen=True)
class PurgeResult:
    plan: PurgePlan
    students: int
    files: int
    rows: int  # other rows whose personal strings were replaced


class _Strings:
    """Each purged pupil's personal strings, to find them again in free text."""

    def __init__(self) -> None:
        self.of: dict[int, set[str]] = defaultdict(set)

    def add(self, student_id: int, *values: str) -> None:
        for raw in values:
            value = (raw or "").strip()
            if len(value) < 3 or value == ERASED:
                continue
            self.of[student_id].add(value)
            digits = value.replace(".", "").replace(" ", "")
            if digits.startswith("+84"):  # a phone as stored, as typed and as printed
                national = "0" + digits[3:]
                self.of[student_id] |= {national, _dotted(national)}
            elif digits.startswith("0") and digits.isdigit() and len(digits) >= 9:
                self.of[student_id] |= {digits, "+84" + digits[1:], _dotted(digits)}

    def for_students(self, ids: Iterable[int]) -> list[str]:
        found: set[str] = set()
        for student_id in ids:
            found |= self.of.get(student_id, set())
        return sorted(found, key=len, reverse=True)


def _dotted(national: str) -> str:
    return f"{national[:4]}.{national[4:7]}.{national[7:]}" if len(national) == 10 else national


def _scrub(value: Any, strings: list[str]) -> Any:
    """`value` (text or JSON) with every occurrence of `strings` replaced."""
    if isinstance(value, str):
        for text in strings:
            if text in value:
                value = value.replace(text, ERASED)
        return value
    if isinstance(value, list):
        return [_scrub(item, strings) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, strings) for key, item in value.items()}
    return value


def _redact_changes(changes: dict[str, Any], strings: list[str]) -> dict[str, Any]:
    redacted = {
        key: ([REDACTED, REDACTED] if isinstance(value, list) else REDACTED)
        if key in PERSONAL_KEYS and value not in ("", None, [])
        else value
        for key, value in changes.items()
    }
    return _scrub(redacted, strings)


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    batch: list[int] = []
    for pk in ids:
        batch.append(pk)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _save_changed(rows: Iterable[models.Model], fields: list[str], strings_of: Any) -> int:
    """Scrub `fields` of each row with its pupils' strings; save the rows that changed."""
    changed = []
    for row in rows:
        strings = strings_of(row)
        dirty = False
        for name in fields:
            before = getattr(row, name)
            after = _scrub(before, strings)
            if after != before:
                setattr(row, name, after)
                dirty = True
        if dirty:
            changed.append(row)
    if changed:
        type(changed[0]).objects.bulk_update(changed, fields, batch_size=500)  # type: ignore[attr-defined]
    return len(changed)


def _purge_students(ids: list[int], strings: _Strings) -> int:
    students = list(Student.objects.select_for_update().filter(pk__in=ids))
    for student in students:
        strings.add(
            student.pk,
            student.full_name,
            student.personal_id,
            student.guardian_name,
            student.guardian_phone,
            student.village,
        )
        name = pseudonym(student.pk)
        student.full_name, student.name_folded, student.sort_key = (
            name,
            fold(name),
            name_sort_key(name),
        )
        student.date_of_birth = None
        student.personal_id = student.guardian_name = student.guardian_phone = ""
        student.village = ""
    fields = ["full_name", "name_folded", "sort_key", "date_of_birth", "personal_id",
              "guardian_name", "guardian_phone", "village"]  # fmt: skip
    Student.objects.bulk_update(students, fields, batch_size=500)
    # The class is not counted anywhere and narrows a child down within a school.
    Need.objects.filter(student_id__in=ids).exclude(class_name="").update(class_name="")
    return len(students)


def _delete_after_commit(field: models.fields.files.FieldFile) -> int:
    """Remove an uploaded file once the purge is committed (a rollback keeps it)."""
    if not field or not field.name:
        return 0
    storage, name = field.storage, field.name
    transaction.on_commit(lambda: storage.delete(name))
    return 1


def _purge_records(ids: list[int], strings: _Strings) -> tuple[int, int]:
    """Handovers, data and broadband requests, loans: the receiver's name, phones, address,
    signed scans and return photos. Returns (files deleted, rows scrubbed)."""
    files = rows = 0
    handovers = list(
        Handover.objects.select_for_update()
        .filter(assignment__student_id__in=ids)
        .select_related("assignment")
    )
    for handover in handovers:
        strings.add(handover.assignment.student_id, handover.received_by)
        files += _delete_after_commit(handover.scan)
        handover.received_by, handover.scan = ERASED, ""
    Handover.objects.bulk_update(handovers, ["received_by", "scan"], batch_size=500)
    supports = list(
        ConnectivitySupport.objects.select_for_update()
        .filter(need__student_id__in=ids)
        .select_related("need")
    )
    for support in supports:
        strings.add(support.need.student_id, support.phone)
        support.phone = ""
    ConnectivitySupport.objects.bulk_update(supports, ["phone"], batch_size=500)
    requests = list(
        BroadbandRequest.objects.select_for_update()
        .filter(need__student_id__in=ids)
        .select_related("need")
    )
    for request in requests:
        strings.add(request.need.student_id, request.phone, request.address)
        request.phone, request.address = "", ERASED
    BroadbandRequest.objects.bulk_update(requests, ["phone", "address"], batch_size=500)
    loans = list(
        Loan.objects.select_for_update().filter(need__student_id__in=ids).select_related("need")
    )
    for loan in loans:
        files += _delete_after_commit(loan.photo)  # taken at the pupil's home
        loan.photo = ""
    Loan.objects.bulk_update(loans, ["photo"], batch_size=500)
    rows += len(handovers) + len(supports) + len(requests)
    return files, rows


def _scrub_texts(ids: list[int], strings: _Strings) -> int:
    """Replace the pupils' strings in the free text written about them."""
    rows = 0
    need_student = dict(Need.objects.filter(student_id__in=ids).values_list("pk", "student_id"))

    def of_need(row: Any) -> list[str]:
        return strings.for_students([need_student.get(row.need_id, -1)])

    rows += _save_changed(
        ConnectivitySupport.objects.filter(need_id__in=need_student).exclude(failure_reason=""),
        ["failure_reason"],
        of_need,
    )
    rows += _save_changed(
        BroadbandRequest.objects.filter(need_id__in=need_student).exclude(note=""),
        ["note"],
        of_need,
    )
    rows += _save_changed(
        Loan.objects.filter(need_id__in=need_student).exclude(note=""), ["note"], of_need
    )
    loan_student = {
        pk: need_student[need]
        for pk, need in Loan.objects.filter(need_id__in=need_student).values_list("pk", "need_id")
    }
    rows += _save_changed(
        RecallItem.objects.filter(loan_id__in=loan_student).exclude(note=""),
        ["note"],
        lambda item: strings.for_students([loan_student[item.loan_id]]),
    )
    rows += _save_changed(
        Assignment.objects.filter(student_id__in=ids),
        ["why", "end_reason"],
        lambda row: strings.for_students([row.student_id]),
    )
    # A device's timeline names the pupil it was given or lent to.
    device_students: dict[int, set[int]] = defaultdict(set)
    for device, student in Assignment.objects.filter(student_id__in=ids).values_list(
        "device_id", "student_id"
    ):
        device_students[device].add(student)
    for device, need in Loan.objects.filter(need_id__in=need_student).values_list(
        "device_id", "need_id"
    ):
        device_students[device].add(need_student[need])
    rows += _save_changed(
        DeviceEvent.objects.filter(device_id__in=device_students),
        ["note", "from_location", "to_location"],
        lambda event: strings.for_students(device_students[event.device_id]),
    )
    rows += _save_changed(
        DuplicateCandidate.objects.filter(Q(first_id__in=ids) | Q(second_id__in=ids)),
        ["reason"],
        lambda pair: strings.for_students([pair.first_id, pair.second_id]),
    )
    return rows


def _scrub_audit(ids: list[int], strings: _Strings) -> int:
    """Entries about the purged pupils and their records: names and numbers go."""
    need_student = dict(Need.objects.filter(student_id__in=ids).values_list("pk", "student_id"))
    need_label = {
        pk: f"{pseudonym(student)} ({school})"
        for pk, student, school in Need.objects.filter(pk__in=need_student).values_list(
            "pk", "student_id", "school__name"
        )
    }
    targets: dict[str, dict[int, list[int]]] = {
        "students.student": {pk: [pk] for pk in ids},
        "students.need": {pk: [student] for pk, student in need_student.items()},
    }
    for model, field in (
        (Assignment, "student_id"),
        (Handover, "assignment__student_id"),
        (ConnectivitySupport, "need__student_id"),
        (BroadbandRequest, "need__student_id"),
        (Loan, "need__student_id"),
    ):
        targets[model._meta.label_lower] = {
            pk: [student]
            for pk, student in model.objects.filter(**{f"{field}__in": ids}).values_list(
                "pk", field
            )
        }
    targets["students.duplicatecandidate"] = {
        pk: [first, second]
        for pk, first, second in DuplicateCandidate.objects.filter(
            Q(first_id__in=ids) | Q(second_id__in=ids)
        ).values_list("pk", "first_id", "second_id")
    }
    rows = 0
    for target_type, students_of in targets.items():
        for batch in _chunks(students_of):
            entries = list(
                AuditEntry.objects.filter(
                    target_type=target_type, target_id__in=[str(pk) for pk in batch]
                )
            )
            for entry in entries:
                pk = int(entry.target_id)
                strings_here = strings.for_students(students_of[pk])
                if target_type == "students.student":
                    entry.target_repr = pseudonym(pk)
                elif target_type == "students.need":
                    entry.target_repr = need_label[pk][:255]
                else:
                    entry.target_repr = _scrub(entry.target_repr, strings_here)
                entry.changes = _redact_changes(entry.changes, strings_here)
            AuditEntry.objects.bulk_update(entries, ["target_repr", "changes"], batch_size=500)
            rows += len(entries)
    return rows


def _purge_jobs(campaign: Campaign) -> int:
    """Uploaded lists of the campaign's pupils and the row errors quoting them."""
    jobs = list(
        Job.objects.filter(
            params__campaign=campaign.pk, status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]
        )
    )
    for job in jobs:
        job.payload = b""
        job.errors = []
        job.summary = {
            key: value for key, value in job.summary.items() if isinstance(value, int | float)
        }
    Job.objects.bulk_update(jobs, ["payload", "errors", "summary"], batch_size=100)
    return len(jobs)


@audited
def personal_data_purge(
    *, actor: User | None, campaign: Campaign, force: bool = False, today: dt.date | None = None
) -> PurgeResult:
    """Anonymise the personal data of an ended campaign's pupils; aggregates stay unchanged."""
    authorize(actor, "campaigns.change", campaign.area)
    plan = purge_plan(campaign=campaign, today=today)
    refusal = purge_refusal(plan)
    if refusal and not force:
        raise DomainError(refusal)
    strings = _Strings()
    students = files = rows = 0
    ids = list(plan.students.order_by("pk").values_list("pk", flat=True))
    for batch in _chunks(ids):
        students += _purge_students(batch, strings)
        batch_files, batch_rows = _purge_records(batch, strings)
        files += batch_files
        rows += batch_rows + _scrub_texts(batch, strings) + _scrub_audit(batch, strings)
        strings.of.clear()
    rows += _purge_jobs(campaign)
    audit_record(
        actor=actor,
        action="campaign.personal_data_purged",
        target=campaign,
        area=campaign.area,
        changes={
            "students": students,
            "kept": plan.kept,
            "files": files,
            "rows": rows,
            "forced": force and not plan.ended,
        },
    )
    return PurgeResult(plan=plan, students=students, files=files, rows=rows)
