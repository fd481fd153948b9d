"""Matching checked rows with the registry, and writing them all in one transaction."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Max
from django.utils import timezone

from songmay.areas.models import School
from songmay.audit.services import audit_record, audited
from songmay.campaigns.models import Campaign
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import RowError
from songmay.students.dedupe import Person, birth_dates, review_matches
from songmay.students.importing.checking import PupilRow
from songmay.students.importing.columns import CHUNK, FIELDS_OF, LABELS, NEED_FIELDS, chunks
from songmay.students.importing.compact import FirstRows, IdSet, id_key
from songmay.students.models import CIRCUMSTANCES, DuplicateCandidate, Need, Student
from songmay.students.services import PERSON_FIELDS, _check_school

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


def _registered(values: dict[str, Any]) -> _Registered:
    return _Registered(
        student_id=values["student_id"],
        student={name: values[f"student__{name}"] for name in _STUDENT_VALUES},
        need_id=values["id"],
        need={name: values[name] for name in _NEED_VALUES},
    )


def _registered_at_schools(
    campaign: Campaign,
    before: int,
    school_ids: list[int],
    with_ids: Iterable[int],
    pairs: set[tuple[str, dt.date]],
) -> list[_Registered]:
    """The needs at these schools of these children (those found by their IDs), or of children
    with one of these (folded name, birth date) pairs."""
    fields = ["id", "student_id", *_NEED_VALUES, *(f"student__{name}" for name in _STUDENT_VALUES)]
    # From the children's indexed IDs and names to their needs, never through a school's
    # whole list: a batch costs the same however many pupils are registered.
    students = Student.objects.active().filter(pk__lte=before)
    ids = set(with_ids)
    # A name is asked with the birth dates of the batch (one index holds both): common names
    # would otherwise bring every namesake the registry has. That is still a superset (every
    # name with every date), growing with the registry: only the batch's own pairs go on to
    # the costlier read of their needs.
    for chunk in chunks(sorted({name for name, _day in pairs})):
        for chunk_days in chunks(sorted({day for _name, day in pairs})):
            same = students.filter(name_folded__in=chunk, date_of_birth__in=chunk_days)
            for pk, name, day in same.values_list("id", "name_folded", "date_of_birth"):
                if (name, day) in pairs:
                    ids.add(pk)
    found: dict[int, _Registered] = {}
    # The school is checked here, not in SQL: SQLite would then walk the schools' index.
    schools = set(school_ids)
    needs = Need.objects.filter(campaign=campaign).order_by()
    for id_chunk in chunks(sorted(ids)):
        for values in needs.filter(student_id__in=id_chunk).values(*fields):
            if values["school_id"] in schools:
                found[values["id"]] = _registered(values)
    return list(found.values())


def _registered_with_ids(
    campaign: Campaign, before: int, personal_ids: list[str]
) -> dict[str, _Registered]:
    """Children registered anywhere under these IDs, with their need in the campaign if any."""
    by_id: dict[str, _Registered] = {}
    for chunk in chunks(personal_ids):
        # `personal_id > ''` as in the unique index's condition, so that the index is used.
        known = Student.objects.active().filter(pk__lte=before, personal_id__gt="")
        for values in known.filter(personal_id__in=chunk).values("id", *_STUDENT_VALUES):
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


class _Planner:
    """`import_plan` a batch of rows at a time: each batch looks up only the children its rows
    may be, and what one row claims stays claimed for the rows after it."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.claimed = FirstRows()  # need id -> the row that matched it first
        self.new_ids = FirstRows()  # personal ID -> the row that brings it first
        # The plan is made against the registry as it was before the import: children are
        # looked up among those registered then (ids come from one sequence), so a batch does
        # not fetch, only to skip them, the namesakes the batches before it wrote: that made
        # each batch slower than the last (26 minutes for a million rows).
        self.before: int = Student.objects.aggregate(last=Max("id"))["last"] or 0
        # Children this import has written, for the queue of likely duplicates.
        self.written = IdSet()

    def plan(self, rows: Sequence[PupilRow], plan: ImportPlan) -> None:
        school_ids = sorted({row.school.pk for row in rows})
        personal_ids = sorted({row.student["personal_id"] for row in rows} - {""})
        pairs = {(row.student["name_folded"], row.student["date_of_birth"]) for row in rows}
        by_id_here: dict[tuple[int, str], _Registered] = {}
        by_name_here: dict[tuple[int, str, dt.date], list[_Registered]] = {}
        by_id = _registered_with_ids(self.campaign, self.before, personal_ids)
        with_ids = (registered.student_id for registered in by_id.values())
        found = _registered_at_schools(self.campaign, self.before, school_ids, with_ids, pairs)
        for here in found:
            school_id, student = here.need["school_id"], here.student
            if student["personal_id"]:
                by_id_here[(school_id, student["personal_id"])] = here
            name = (school_id, student["name_folded"], student["date_of_birth"])
            by_name_here.setdefault(name, []).append(here)
        claimed, new_ids = self.claimed, self.new_ids

        def error(row: PupilRow, key: str, message: str) -> None:
            plan.errors.append(RowError(row.row, LABELS[key], message))

        for row in rows:
            personal_id = row.student["personal_id"]
            if personal_id and (first := new_ids.first(id_key(personal_id), row.row)) != row.row:
                error(
                    row,
                    "personal_id",
                    f"Số định danh “{personal_id}” trùng với dòng {first}. Mỗi em chỉ ghi một "
                    "dòng; hãy xoá dòng thừa hoặc sửa số.",
                )
                continue
            registered: _Registered | None = (
                by_id_here.get((row.school.pk, personal_id)) if personal_id else None
            )
            if registered is None:
                same_name = [
                    other
                    for other in by_name_here.get(
                        (row.school.pk, row.student["name_folded"], row.student["date_of_birth"]),
                        [],
                    )
                    # Two different IDs are two children, whatever else they share.
                    if not (personal_id and other.student["personal_id"])
                ]
                if len(same_name) > 1:
                    error(
                        row,
                        "full_name",
                        f"Trường đã có {len(same_name)} em tên {row.student['full_name']} cùng "
                        "ngày sinh này. Hãy ghi số định danh để biết dòng này là em nào.",
                    )
                    continue
                registered = same_name[0] if same_name else None
            if registered is not None:
                assert registered.need_id is not None  # noqa: S101 - found through its need
                first = claimed.first(registered.need_id, row.row)
                if first != row.row:
                    error(
                        row,
                        "full_name",
                        f"Dòng này và dòng {first} cùng chỉ một em đã có trong danh sách của "
                        "trường. Mỗi em chỉ ghi một dòng; hãy xoá dòng thừa.",
                    )
                    continue
                owner = by_id.get(personal_id) if personal_id else None
                if owner is not None and owner.student_id != registered.student_id:
                    error(
                        row,
                        "personal_id",
                        "Số định danh này đã thuộc một học sinh khác. Nếu là cùng một em, hãy "
                        "báo cán bộ xã/phường để gộp hồ sơ.",
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


def import_plan(campaign: Campaign, rows: Sequence[PupilRow]) -> ImportPlan:
    """Match each checked row with the registry: a need of the same campaign at the same school
    (same personal ID, or same name and birth date) is updated or left unchanged; any other
    row is new for the school, joining the child already registered under its personal ID."""
    plan = ImportPlan()
    planner = _Planner(campaign)
    for batch in chunks(rows):
        planner.plan(batch, plan)
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
    if actor is not None and not Campaign.objects.visible_to(actor).filter(pk=campaign.pk).exists():
        raise DomainError("Chương trình này nằm ngoài phạm vi của bạn.", field="campaign")
    writer = _Writer(actor, campaign)
    # Rows are planned and new pupils written a batch at a time, so a file of any size is
    # never held whole; the plan is made against the registry as it was before the import
    # and the transaction undoes everything if any row turns out wrong.
    batch: list[PupilRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            writer.add(batch)
            batch = []
    writer.add(batch)
    if school is not None and school.pk not in writer.schools:
        writer.check_school(school)
    if writer.refused is not None:
        raise writer.refused
    if writer.plan.errors:
        raise ImportRejectedError(writer.plan.errors)
    return writer.finish(file_name)


class _Writer:
    def __init__(self, actor: User | None, campaign: Campaign) -> None:
        self.actor = actor
        self.campaign = campaign
        self.planner = _Planner(campaign)
        self.plan = ImportPlan()
        self.schools: dict[int, School] = {}
        self.refused: DomainError | None = None
        self.counts: Counter[tuple[int, str]] = Counter()
        self.summary = ImportSummary()
        self.student_changes: dict[int, dict[str, Any]] = {}
        self.need_changes: dict[int, dict[str, Any]] = {}
        self.new_needs: list[tuple[PupilRow, int]] = []
        self.created_dates: set[dt.date] = set()

    def check_school(self, school: School) -> None:
        self.schools[school.pk] = school
        try:
            _check_school(self.actor, school, "students.add")
        except DomainError as refused:
            # Raised once every row is read: a row's own errors are told first.
            self.refused = self.refused or refused

    def add(self, rows: list[PupilRow]) -> None:
        for row in rows:
            if row.school.pk not in self.schools:
                self.check_school(row.school)
        self.summary.rows += len(rows)
        if self.refused is not None:
            return
        self.planner.plan(rows, self.plan)
        created = [action.row for action in self.plan.actions if self._record(action)]
        self.plan.actions = []
        if created and not self.plan.errors:
            students = [Student(**row.student) for row in created]
            Student.objects.bulk_create(students, batch_size=CHUNK)
            Need.objects.bulk_create(
                [
                    _new_need(self.campaign, row, student.pk)
                    for row, student in zip(created, students, strict=True)
                ],
                batch_size=CHUNK,
            )
            for student in students:
                self.planner.written.add(student.pk)
                if student.date_of_birth is not None:
                    self.created_dates.add(student.date_of_birth)

    def _record(self, action: _Action) -> bool:
        """Count the action and keep what it changes; True for a pupil new to the registry."""
        self.counts[(action.row.school.pk, action.kind)] += 1
        setattr(self.summary, action.kind, getattr(self.summary, action.kind) + 1)
        registered = action.registered
        if registered is None:
            return True
        if action.kind == "created":
            self.summary.merged += 1
        if action.student_changes:
            self.student_changes[registered.student_id] = action.student_changes
        if registered.need_id is None:
            self.new_needs.append((action.row, registered.student_id))
        elif action.need_changes:
            self.need_changes[registered.need_id] = action.need_changes
        return False

    def finish(self, file_name: str) -> ImportSummary:
        _bulk_update(Student, self.student_changes)
        _bulk_update(Need, self.need_changes)
        Need.objects.bulk_create(
            [_new_need(self.campaign, row, student_id) for row, student_id in self.new_needs],
            batch_size=CHUNK,
        )
        self.summary.review = _queue_likely_duplicates(self.planner.written, self.created_dates)
        for each in sorted(self.schools.values(), key=lambda found: found.code):
            audit_record(
                actor=self.actor,
                action="student.imported",
                target=each,
                area=each.area,
                target_repr=f"Nhập danh sách học sinh từ tệp “{file_name}”: {each.name}"[:255],
                changes={
                    "file": file_name,
                    "campaign": self.campaign.pk,
                    **{
                        kind: self.counts[(each.pk, kind)]
                        for kind in ("created", "updated", "unchanged")
                    },
                },
            )
        return self.summary


def _queue_likely_duplicates(new_ids: IdSet, dates: set[dt.date]) -> int:
    """Send each new student's likely duplicates to review, a few hundred birth dates at a
    time; returns the number of pairs found (a pair of two new students counts twice).

    A file of a million pupils may bring hundreds of thousands of pairs: each is kept as two
    ids and a shared reason, and they are written a batch of model instances at a time."""
    pairs: list[tuple[int, int, str]] = []
    reasons: dict[str, str] = {}  # a handful of texts, each kept once
    days = sorted(dates)
    active = Student.objects.active().values_list(*PERSON_FIELDS)
    for start in range(0, len(days), 200):
        chunk = days[start : start + 200]
        wanted = sorted({day for each in chunk for day in birth_dates(each)})
        by_date: dict[dt.date, list[Person]] = {}
        for part in range(0, len(wanted), CHUNK):
            born = active.filter(date_of_birth__in=wanted[part : part + CHUNK])
            for values in born.iterator(chunk_size=2000):
                by_date.setdefault(values[2], []).append(Person(*values))
        for day in chunk:
            new = [person for person in by_date.get(day, []) if person.id in new_ids]
            pool = [other for other_day in birth_dates(day) for other in by_date.get(other_day, [])]
            for person, matches in review_matches(new, pool):
                pairs.extend(
                    (person.id, match.other_id, reasons.setdefault(match.reason, match.reason))
                    for match in matches
                    if not match.same
                )
    # In the order one student after another would have queued them: the first found wins
    # (a student meets each other one once, so the reason never decides the order).
    pairs.sort()
    for start in range(0, len(pairs), CHUNK):
        DuplicateCandidate.objects.bulk_create(
            [
                DuplicateCandidate(
                    first_id=min(student_id, other_id),
                    second_id=max(student_id, other_id),
                    reason=reason,
                )
                for student_id, other_id, reason in pairs[start : start + CHUNK]
            ],
            ignore_conflicts=True,
        )
    return len(pairs)


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
