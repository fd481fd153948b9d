"""Matching checked rows with the registry, and writing them all in one transaction."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from songmay.areas.models import School
from songmay.audit.services import audit_record, audited
from songmay.campaigns.models import Campaign
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import RowError
from songmay.students.dedupe import Person
from songmay.students.importing.checking import PupilRow
from songmay.students.importing.columns import CHUNK, FIELDS_OF, LABELS, NEED_FIELDS, chunks
from songmay.students.models import CIRCUMSTANCES, Need, Student
from songmay.students.services import _check_school, _queue_for_review, matches_for

if TYPE_CHECKING:
    from songmay.accounts.models import User

_STUDENT_VALUES = (
    "full_name", "name_folded", "sort_key", "date_of_birth", "gender", "personal_id",
    "guardian_name", "guardian_phone", "village", "commune_id", "consent_given", "consent_on",
    *CIRCUMSTANCES,
)  # fmt: skip
_NEED_VALUES = ("school_id", *NEED_FIELDS)


class ImportRejectedError(Exception):
    """Raised inside the write transaction so that nothing of the file is kept."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} lỗi")
        self.errors = errors


@dataclass
class _Registered:
    """A child already registered, as plain values: enough to compare and to update."""

    student_id: int
    student: dict[str, Any]
    need_id: int | None = None
    need: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Action:
    row: PupilRow
    kind: str  # "created", "updated" or "unchanged", as the school's list sees it
    registered: _Registered | None = None  # the child this row is (same need or same ID)
    student_changes: dict[str, Any] = field(default_factory=dict)
    need_changes: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportPlan:
    """What writing the file would do, row by row; `errors` when it cannot be written."""

    actions: list[_Action] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for action in self.actions if action.kind == kind)

    @property
    def merged(self) -> int:
        """New rows for this school of children already registered elsewhere (same ID)."""
        return sum(1 for a in self.actions if a.kind == "created" and a.registered is not None)


def _student_row_values(row: PupilRow, before: dict[str, Any] | None) -> dict[str, Any]:
    """The Student values the row sets; a column the sheet lacks keeps what is registered."""
    values: dict[str, Any] = {}
    for key in row.columns:
        for name in FIELDS_OF.get(key, ()):
            if name in NEED_FIELDS:
                continue
            if name == "commune":
                commune = row.student["commune"]
                values["commune_id"] = commune.pk if commune is not None else None
            else:
                values[name] = row.student[name]
    if before is not None:
        # A blank cell never erases a registered ID; a consent without a date keeps its date.
        if not values.get("personal_id", "x"):
            values["personal_id"] = before["personal_id"]
        if values.get("consent_given") and before["consent_given"] and not row.consent_dated:
            values["consent_on"] = before["consent_on"]
    return values


def _need_row_values(row: PupilRow) -> dict[str, Any]:
    values = {"school_id": row.school.pk}
    for name in NEED_FIELDS:
        if name in row.columns:
            values[name] = row.need[name]
    return values


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in after.items() if before.get(name) != value}


def _registered_at_schools(campaign: Campaign, school_ids: list[int]) -> list[_Registered]:
    fields = ["id", "student_id", *_NEED_VALUES, *(f"student__{name}" for name in _STUDENT_VALUES)]
    found = []
    for chunk in chunks(school_ids):
        needs = Need.objects.filter(
            campaign=campaign, school_id__in=chunk, student__merged_into__isnull=True
        )
        for values in needs.values(*fields).iterator(chunk_size=2000):
            found.append(
                _Registered(
                    student_id=values["student_id"],
                    student={name: values[f"student__{name}"] for name in _STUDENT_VALUES},
                    need_id=values["id"],
                    need={name: values[name] for name in _NEED_VALUES},
                )
            )
    return found


def _registered_with_ids(campaign: Campaign, personal_ids: list[str]) -> dict[str, _Registered]:
    """Children registered anywhere under these IDs, with their need in the campaign if any."""
    by_id: dict[str, _Registered] = {}
    for chunk in chunks(personal_ids):
        for values in (
            Student.objects.active().filter(personal_id__in=chunk).values("id", *_STUDENT_VALUES)
        ):
            by_id[values["personal_id"]] = _Registered(
                student_id=values["id"], student={name: values[name] for name in _STUDENT_VALUES}
            )
    students = {registered.student_id: registered for registered in by_id.values()}
    for id_chunk in chunks(sorted(students)):
        for values in Need.objects.filter(campaign=campaign, student_id__in=id_chunk).values(
            "id", "student_id", *_NEED_VALUES
        ):
            registered = students[values["student_id"]]
            registered.need_id = values["id"]
            registered.need = {name: values[name] for name in _NEED_VALUES}
    return by_id


def import_plan(campaign: Campaign, rows: Sequence[PupilRow]) -> ImportPlan:
    """Match each checked row with the registry: a need of the same campaign at the same school
    (same personal ID, or same name and birth date) is updated or left unchanged; any other
    row is new for the school, joining the child already registered under its personal ID."""
    plan = ImportPlan()
    at_school = _registered_at_schools(campaign, sorted({row.school.pk for row in rows}))
    by_id_here: dict[tuple[int, str], _Registered] = {}
    by_name_here: dict[tuple[int, str, dt.date], list[_Registered]] = {}
    for here in at_school:
        school_id, student = here.need["school_id"], here.student
        if student["personal_id"]:
            by_id_here[(school_id, student["personal_id"])] = here
        name = (school_id, student["name_folded"], student["date_of_birth"])
        by_name_here.setdefault(name, []).append(here)
    by_id = _registered_with_ids(
        campaign, sorted({row.student["personal_id"] for row in rows if row.student["personal_id"]})
    )
    claimed: dict[int, int] = {}  # need id -> the row that matched it first
    new_ids: dict[str, int] = {}  # personal ID -> the row that brings it first

    def error(row: PupilRow, key: str, message: str) -> None:
        plan.errors.append(RowError(row.row, LABELS[key], message))

    for row in rows:
        personal_id = row.student["personal_id"]
        if personal_id and new_ids.setdefault(personal_id, row.row) != row.row:
            error(
                row,
                "personal_id",
                f"Số định danh “{personal_id}” trùng với dòng {new_ids[personal_id]}. Mỗi em chỉ "
                "ghi một dòng; hãy xoá dòng thừa hoặc sửa số.",
            )
            continue
        registered: _Registered | None = (
            by_id_here.get((row.school.pk, personal_id)) if personal_id else None
        )
        if registered is None:
            same_name = [
                other
                for other in by_name_here.get(
                    (row.school.pk, row.student["name_folded"], row.student["date_of_birth"]), []
                )
                # Two different IDs are two children, whatever else they share.
                if not (personal_id and other.student["personal_id"])
            ]
            if len(same_name) > 1:
                error(
                    row,
                    "full_name",
                    f"Trường đã có {len(same_name)} em tên {row.student['full_name']} cùng ngày "
                    "sinh này. Hãy ghi số định danh để biết dòng này là em nào.",
                )
                continue
            registered = same_name[0] if same_name else None
        if registered is not None:
            assert registered.need_id is not None  # noqa: S101 - found through its need
            first = claimed.setdefault(registered.need_id, row.row)
            if first != row.row:
                error(
                    row,
                    "full_name",
                    f"Dòng này và dòng {first} cùng chỉ một em đã có trong danh sách của trường. "
                    "Mỗi em chỉ ghi một dòng; hãy xoá dòng thừa.",
                )
                continue
            owner = by_id.get(personal_id) if personal_id else None
            if owner is not None and owner.student_id != registered.student_id:
                error(
                    row,
                    "personal_id",
                    "Số định danh này đã thuộc một học sinh khác. Nếu là cùng một em, hãy báo "
                    "cán bộ xã/phường để gộp hồ sơ.",
                )
                continue
            student_changes = _changes(
                registered.student, _student_row_values(row, registered.student)
            )
            need_changes = _changes(registered.need, _need_row_values(row))
            kind = "updated" if student_changes or need_changes else "unchanged"
            plan.actions.append(_Action(row, kind, registered, student_changes, need_changes))
            continue
        other = by_id.get(personal_id) if personal_id else None
        if other is None:
            plan.actions.append(_Action(row, "created"))
            continue
        # The same personal ID: the child registered before, maybe by its former school.
        student_changes = _changes(other.student, _student_row_values(row, other.student))
        need_changes = _changes(other.need, _need_row_values(row)) if other.need_id else {}
        plan.actions.append(_Action(row, "created", other, student_changes, need_changes))
    return plan


# ---------------------------------------------------------------------------- writing


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # new rows joined to a child already registered under the same ID
    review: int = 0  # likely duplicates sent to an officer's review

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged": self.merged,
            "review": self.review,
        }


_FOREIGN_KEYS = {"commune_id": "commune", "school_id": "school"}


def _bulk_update(model: type[Student] | type[Need], changes: dict[int, dict[str, Any]]) -> None:
    """Write each object's changed fields; objects changing the same fields go together."""
    now = timezone.now()
    groups: dict[tuple[str, ...], list[Any]] = {}
    for pk, values in changes.items():
        if not values:
            continue
        instance = model(pk=pk, updated_at=now)
        for name, value in values.items():
            setattr(instance, name, value)
        names = tuple(sorted(_FOREIGN_KEYS.get(name, name) for name in values))
        groups.setdefault(names, []).append(instance)
    for names, instances in groups.items():
        model.objects.bulk_update(instances, [*names, "updated_at"], batch_size=CHUNK)


@audited
def students_import(
    *,
    actor: User | None,
    campaign: Campaign,
    school: School | None,
    rows: Iterable[PupilRow],
    file_name: str = "",
) -> ImportSummary:
    """Write every checked row in one transaction, once per pupil; any failure keeps none."""
    rows = list(rows)
    if actor is not None and not Campaign.objects.visible_to(actor).filter(pk=campaign.pk).exists():
        raise DomainError("Chương trình này nằm ngoài phạm vi của bạn.", field="campaign")
    schools = {row.school.pk: row.school for row in rows}
    if school is not None:
        schools.setdefault(school.pk, school)
    for each in schools.values():
        _check_school(actor, each, "students.add")
    plan = import_plan(campaign, rows)
    if plan.errors:
        raise ImportRejectedError(plan.errors)

    student_changes: dict[int, dict[str, Any]] = {}
    need_changes: dict[int, dict[str, Any]] = {}
    new_needs: list[Need] = []
    created: list[tuple[_Action, Student]] = []
    for action in plan.actions:
        registered = action.registered
        if registered is None:
            created.append((action, Student(**action.row.student)))
            continue
        student_changes[registered.student_id] = action.student_changes
        if registered.need_id is not None:
            need_changes[registered.need_id] = action.need_changes
        else:
            new_needs.append(_new_need(campaign, action.row, registered.student_id))
    _bulk_update(Student, student_changes)
    _bulk_update(Need, need_changes)
    Student.objects.bulk_create([student for _, student in created], batch_size=CHUNK)
    new_needs += [_new_need(campaign, action.row, student.pk) for action, student in created]
    Need.objects.bulk_create(new_needs, batch_size=CHUNK)

    people = [_person(student) for _, student in created]
    review = 0
    for (_action, student), matches in zip(created, matches_for(people), strict=True):
        review += _queue_for_review(student, matches)

    summary = ImportSummary(
        rows=len(rows),
        created=plan.count("created"),
        updated=plan.count("updated"),
        unchanged=plan.count("unchanged"),
        merged=plan.merged,
        review=review,
    )
    counts = Counter((action.row.school.pk, action.kind) for action in plan.actions)
    for each in sorted(schools.values(), key=lambda found: found.code):
        audit_record(
            actor=actor,
            action="student.imported",
            target=each,
            area=each.area,
            target_repr=f"Nhập danh sách học sinh từ tệp “{file_name}”: {each.name}"[:255],
            changes={
                "file": file_name,
                "campaign": campaign.pk,
                **{kind: counts[(each.pk, kind)] for kind in ("created", "updated", "unchanged")},
            },
        )
    return summary


def _new_need(campaign: Campaign, row: PupilRow, student_id: int) -> Need:
    return Need(campaign=campaign, student_id=student_id, **row.need)


def _person(student: Student) -> Person:
    return Person(
        id=student.pk,
        full_name=student.full_name,
        date_of_birth=student.date_of_birth,
        guardian_name=student.guardian_name,
        guardian_phone=student.guardian_phone,
        personal_id=student.personal_id,
    )
