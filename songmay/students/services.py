"""Writes for the needs registry: register, correct, confirm, withdraw, and merge duplicates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from songmay.accounts.scope import authorize
from songmay.areas.models import Area, School, SchoolLevel
from songmay.audit.services import audit_record, audited, diff, snapshot
from songmay.lib.errors import DomainError
from songmay.lib.phones import InvalidPhone, parse_phone
from songmay.lib.vietnamese import fold, name_sort_key, normalize_spaces
from songmay.students.dedupe import Match, Person, birth_dates, find_matches
from songmay.students.models import (
    CIRCUMSTANCES,
    DuplicateCandidate,
    Gender,
    Household,
    Lacking,
    Need,
    NeedStatus,
    ReviewStatus,
    Student,
)

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.campaigns.models import Campaign

STUDENT_FIELDS = [
    "full_name",
    "date_of_birth",
    "gender",
    "personal_id",
    "guardian_name",
    "guardian_phone",
    "village",
    "commune",
    "consent_given",
    "consent_on",
    *CIRCUMSTANCES,
]
NEED_FIELDS = ["school", "class_name", "level", "household", "lacking", "status"]
EARLIEST_BIRTH_YEAR = 1990
# Choices' `.values` is rebuilt at every call; an import asks for them once per row.
_GENDERS = frozenset(Gender.values)
_LEVELS = frozenset(SchoolLevel.values)
_HOUSEHOLDS = frozenset(Household.values)
_LACKINGS = frozenset(Lacking.values)


@dataclass
class StudentData:
    """One pupil's row, as typed in a form, an API call or a spreadsheet."""

    full_name: str
    date_of_birth: dt.date | None
    level: str
    lacking: str
    gender: str = ""
    class_name: str = ""
    personal_id: str = ""
    guardian_name: str = ""
    guardian_phone: str = ""
    village: str = ""
    commune: Area | None = None
    household: str = Household.NONE
    circumstances: list[str] = field(default_factory=list)
    consent_given: bool = False
    consent_on: dt.date | None = None

    @classmethod
    def of(cls, need: Need) -> StudentData:
        """A registered pupil's current fields, to change some and write back."""
        student = need.student
        return cls(
            full_name=student.full_name,
            date_of_birth=student.date_of_birth,
            level=need.level,
            lacking=need.lacking,
            gender=student.gender,
            class_name=need.class_name,
            personal_id=student.personal_id,
            guardian_name=student.guardian_name,
            guardian_phone=student.guardian_phone,
            village=student.village,
            commune=student.commune,
            household=need.household,
            circumstances=[name for name in CIRCUMSTANCES if getattr(student, name)],
            consent_given=student.consent_given,
            consent_on=student.consent_on,
        )


def personal_id_problem(personal_id: str, born: dt.date | None, gender: str) -> str | None:
    """Check a 12-digit personal ID (căn cước): province 001–096, then the digit for century and
    sex, then the two last digits of the birth year. None when it is right."""
    if len(personal_id) != 12 or not (personal_id.isascii() and personal_id.isdigit()):
        return f"Số định danh “{personal_id}” phải gồm đúng 12 chữ số."
    if not 1 <= int(personal_id[:3]) <= 96:
        return (
            f"Số định danh “{personal_id}”: 3 số đầu (mã tỉnh nơi khai sinh) phải từ 001 đến 096."
        )
    if born is not None:
        century_code = int(personal_id[3])
        century = 1900 + 100 * (century_code // 2)
        if century + int(personal_id[4:6]) != born.year:
            return (
                f"Số định danh “{personal_id}” không khớp năm sinh {born.year} "
                "(số thứ 4–6 ghi thế kỷ và năm sinh). Hãy kiểm tra lại số hoặc ngày sinh."
            )
        if gender and (century_code % 2 == 1) != (gender == Gender.FEMALE):
            return (
                f"Số định danh “{personal_id}” không khớp giới tính "
                "(số thứ 4 chẵn là nam, lẻ là nữ). Hãy kiểm tra lại."
            )
    return None


def student_clean(  # noqa: PLR0912 - one check per field, in the order of the sheet
    data: StudentData,
    *,
    school: School,
    today: dt.date | None = None,
    school_levels: Sequence[str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Normalise and check one pupil; return (student fields, need fields) or raise DomainError.

    An import checking many rows passes `today` and the school's levels, asked once.
    """
    name = normalize_spaces(data.full_name)
    if not name:
        raise DomainError("Thiếu họ và tên học sinh.", field="full_name")
    if today is None:
        today = timezone.localdate()
    levels = school.levels if school_levels is None else school_levels
    if data.date_of_birth is None:
        raise DomainError(
            "Thiếu ngày sinh. Ghi theo dạng ngày/tháng/năm, ví dụ 04/03/2012.",
            field="date_of_birth",
        )
    if not dt.date(EARLIEST_BIRTH_YEAR, 1, 1) <= data.date_of_birth <= today:
        raise DomainError(
            f"Ngày sinh {data.date_of_birth:%d/%m/%Y} không hợp lý. Hãy kiểm tra năm sinh.",
            field="date_of_birth",
        )
    if data.gender and data.gender not in _GENDERS:
        raise DomainError("Giới tính ghi “Nam” hoặc “Nữ”.", field="gender")
    if data.level not in _LEVELS:
        raise DomainError("Cấp học ghi một trong: Tiểu học, THCS, THPT, GDTX.", field="level")
    if data.level not in levels:
        raise DomainError(
            f"{school.name} không dạy cấp {SchoolLevel(data.level).label}. "
            "Hãy sửa cấp học hoặc đăng ký ở đúng trường.",
            field="level",
        )
    if data.household not in _HOUSEHOLDS:
        raise DomainError(
            "Hoàn cảnh ghi một trong: Hộ nghèo, Hộ cận nghèo, Khó khăn khác, hoặc để trống.",
            field="household",
        )
    if data.lacking not in _LACKINGS:
        raise DomainError(
            "Cột Còn thiếu ghi một trong: Thiết bị, Kết nối, Cả hai.", field="lacking"
        )
    unknown = [name for name in data.circumstances if name not in CIRCUMSTANCES]
    if unknown:
        raise DomainError(
            "Hoàn cảnh đặc biệt chỉ gồm: " + ", ".join(CIRCUMSTANCES.values()) + ".",
            field="circumstances",
        )
    personal_id = "".join(data.personal_id.split())
    if personal_id:
        problem = personal_id_problem(personal_id, data.date_of_birth, data.gender)
        if problem:
            raise DomainError(problem, field="personal_id")
    phone = ""
    if data.guardian_phone.strip():
        try:
            phone = parse_phone(data.guardian_phone)
        except InvalidPhone:
            raise DomainError(
                f"Số điện thoại “{data.guardian_phone}” không hợp lệ. Ví dụ đúng: 0983.934.091.",
                field="guardian_phone",
            ) from None
    consent_on = data.consent_on
    if data.consent_given and consent_on is None:
        consent_on = today
    if consent_on and consent_on > today:
        raise DomainError("Ngày đồng ý không được sau hôm nay.", field="consent_on")
    student = {
        "full_name": name,
        "name_folded": fold(name),
        "sort_key": name_sort_key(name),
        "date_of_birth": data.date_of_birth,
        "gender": data.gender,
        "personal_id": personal_id,
        "guardian_name": normalize_spaces(data.guardian_name),
        "guardian_phone": phone,
        "village": normalize_spaces(data.village),
        "commune": data.commune,
        "consent_given": data.consent_given,
        "consent_on": consent_on if data.consent_given else None,
        **{name: name in data.circumstances for name in CIRCUMSTANCES},
    }
    need = {
        "school": school,
        "class_name": normalize_spaces(data.class_name).upper(),
        "level": data.level,
        "household": data.household,
        "lacking": data.lacking,
    }
    return student, need


PERSON_FIELDS = (
    "pk",
    "full_name",
    "date_of_birth",
    "guardian_name",
    "guardian_phone",
    "personal_id",
)


def matches_for(people: Sequence[Person]) -> list[list[Match]]:
    """For each person, the registered children who may be the same; one query per 500 dates."""
    dates = sorted({day for person in people for day in birth_dates(person.date_of_birth)})
    # Plain tuples, not model objects: an import compares hundreds of thousands of rows.
    active = Student.objects.active().values_list(*PERSON_FIELDS)
    by_date: dict[dt.date, list[Person]] = {}
    for start in range(0, len(dates), 500):
        for values in active.filter(date_of_birth__in=dates[start : start + 500]):
            by_date.setdefault(values[2], []).append(Person(*values))
    with_id = [person.personal_id for person in people if person.personal_id]
    by_id: dict[str, Person] = {}
    for start in range(0, len(with_id), 500):
        for values in active.filter(personal_id__in=with_id[start : start + 500]):
            by_id[values[5]] = Person(*values)
    results = []
    for person in people:
        pool = [
            other for day in birth_dates(person.date_of_birth) for other in by_date.get(day, [])
        ]
        if person.personal_id in by_id:
            pool.append(by_id[person.personal_id])
        results.append(find_matches(person, {other.id: other for other in pool}.values()))
    return results


def _queue_for_review(student: Student, matches: Iterable[Match]) -> int:
    pairs = [
        DuplicateCandidate(
            first_id=min(student.pk, match.other_id),
            second_id=max(student.pk, match.other_id),
            reason=match.reason,
        )
        for match in matches
        if not match.same
    ]
    DuplicateCandidate.objects.bulk_create(pairs, ignore_conflicts=True)
    return len(pairs)


def _check_school(actor: User | None, school: School, permission: str) -> None:
    authorize(actor, permission, school.area)
    if actor is not None and not School.objects.visible_to(actor).filter(pk=school.pk).exists():
        raise DomainError(f"{school.name} nằm ngoài phạm vi của bạn.", field="school")


@audited
def student_register(
    *, actor: User | None, campaign: Campaign, school: School, data: StudentData
) -> Need:
    """Register a pupil's need. The same personal ID joins the child already registered; a
    likely duplicate goes to the review queue."""
    _check_school(actor, school, "students.add")
    student_values, need_values = student_clean(data, school=school)
    person = Person(
        0,
        student_values["full_name"],
        data.date_of_birth,
        student_values["guardian_name"],
        student_values["guardian_phone"],
        student_values["personal_id"],
    )
    matches = matches_for([person])[0]
    same = next((match for match in matches if match.same), None)
    if same is not None:
        student = Student.objects.select_for_update().get(pk=same.other_id)
        before = snapshot(student, STUDENT_FIELDS)
        for name, value in student_values.items():
            setattr(student, name, value)
        student.save()
        changes = diff(before, snapshot(student, STUDENT_FIELDS))
        audit_record(
            actor=actor, action="student.updated", target=student, area=school.area, changes=changes
        )
    else:
        student = Student.objects.create(**student_values)
        audit_record(
            actor=actor,
            action="student.created",
            target=student,
            area=school.area,
            changes=diff({}, snapshot(student, STUDENT_FIELDS)),
        )
        _queue_for_review(student, matches)
    need = Need.objects.select_for_update().filter(campaign=campaign, student=student).first()
    if need is None:
        need = Need.objects.create(campaign=campaign, student=student, **need_values)
        audit_record(
            actor=actor,
            action="need.registered",
            target=need,
            area=school.area,
            changes=diff({}, snapshot(need, NEED_FIELDS)),
        )
        return need
    # The child was registered before in this campaign, here or by its former school: one
    # need per child, now held by the school that registers it last (a transfer).
    before = snapshot(need, NEED_FIELDS)
    for name, value in need_values.items():
        setattr(need, name, value)
    need.save()
    audit_record(
        actor=actor,
        action="need.updated",
        target=need,
        area=school.area,
        changes=diff(before, snapshot(need, NEED_FIELDS)),
    )
    return need


@audited
def need_update(*, actor: User | None, need: Need, data: StudentData) -> Need:
    """Correct a registered pupil's details (its school stays; a transfer re-registers)."""
    _check_school(actor, need.school, "students.change")
    need = Need.objects.select_for_update().select_related("student", "school").get(pk=need.pk)
    student_values, need_values = student_clean(data, school=need.school)
    other = Student.objects.active().filter(personal_id=student_values["personal_id"])
    if student_values["personal_id"] and other.exclude(pk=need.student_id).exists():
        raise DomainError(
            "Số định danh này đã thuộc một học sinh khác. Nếu là cùng một em, "
            "hãy báo cán bộ xã/phường để gộp hồ sơ.",
            field="personal_id",
        )
    student = need.student
    before = {**snapshot(student, STUDENT_FIELDS), **snapshot(need, NEED_FIELDS)}
    for name, value in student_values.items():
        setattr(student, name, value)
    student.save()
    for name, value in need_values.items():
        setattr(need, name, value)
    need.save()
    after = {**snapshot(student, STUDENT_FIELDS), **snapshot(need, NEED_FIELDS)}
    audit_record(
        actor=actor,
        action="need.updated",
        target=need,
        area=need.school.area,
        changes=diff(before, after),
    )
    return need


@audited
def needs_confirm(*, actor: User | None, needs: Iterable[Need]) -> int:
    """Confirm registered needs (area and province officers); returns how many changed."""
    confirmed = 0
    for need in needs:
        authorize(actor, "students.confirm", need.school.area)
        locked = Need.objects.select_for_update().get(pk=need.pk)
        if locked.status != NeedStatus.REGISTERED:
            continue
        locked.status, locked.confirmed_by, locked.confirmed_at = (
            NeedStatus.CONFIRMED,
            actor,
            timezone.now(),
        )
        locked.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
        audit_record(
            actor=actor,
            action="need.confirmed",
            target=locked,
            area=need.school.area,
            changes={"status": [NeedStatus.REGISTERED, NeedStatus.CONFIRMED]},
        )
        confirmed += 1
    if not confirmed:
        raise DomainError("Không có em nào ở trạng thái “Đã đăng ký” để xác nhận.")
    return confirmed


@audited
def need_withdraw(*, actor: User | None, need: Need, reason: str) -> Need:
    """Take a pupil off the list (moved away, no longer in need), with the reason."""
    _check_school(actor, need.school, "students.change")
    if not reason.strip():
        raise DomainError("Hãy ghi lý do rút, ví dụ “Gia đình đã tự mua máy”.", field="reason")
    need = Need.objects.select_for_update().get(pk=need.pk)
    if need.status == NeedStatus.EQUIPPED:
        raise DomainError("Em đã được trang bị thiết bị; không thể rút khỏi danh sách.")
    before = need.status
    need.status = NeedStatus.WITHDRAWN
    need.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="need.withdrawn",
        target=need,
        area=need.school.area,
        changes={"status": [before, need.status], "reason": reason.strip()},
    )
    return need


@audited
def duplicate_merge(*, actor: User | None, candidate: DuplicateCandidate, keep: Student) -> Student:
    """Merge a reviewed pair: the other record points at the one kept, and its needs move to
    it (or are withdrawn where the kept child already has one in that campaign)."""
    if keep.pk not in (candidate.first_id, candidate.second_id):
        raise DomainError("Hồ sơ giữ lại phải là một trong hai hồ sơ của cặp này.")
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != ReviewStatus.PENDING:
        raise DomainError("Cặp này đã được xử lý.")
    gone_id = candidate.second_id if keep.pk == candidate.first_id else candidate.first_id
    gone = Student.objects.select_for_update().get(pk=gone_id)
    keep = Student.objects.select_for_update().get(pk=keep.pk)
    if gone.merged_into_id or keep.merged_into_id:
        raise DomainError("Một trong hai hồ sơ đã được gộp vào hồ sơ khác.")
    area = None
    for need in (
        Need.objects.select_for_update().filter(student=gone).select_related("school__area")
    ):
        authorize(actor, "students.review", need.school.area)
        area = need.school.area
        if Need.objects.filter(campaign=need.campaign_id, student=keep).exists():
            need.status = NeedStatus.WITHDRAWN
            need.save(update_fields=["status", "updated_at"])
        else:
            need.student = keep
            need.save(update_fields=["student", "updated_at"])
    for name in ("personal_id", "guardian_name", "guardian_phone", "village", "gender"):
        if not getattr(keep, name) and getattr(gone, name):
            setattr(keep, name, getattr(gone, name))
    if gone.personal_id == keep.personal_id:
        gone.personal_id = ""  # the unique ID now belongs to the kept record alone
    gone.merged_into = keep
    gone.save()
    keep.save()
    candidate.status, candidate.decided_by, candidate.decided_at = (
        ReviewStatus.MERGED,
        actor,
        timezone.now(),
    )
    candidate.save()
    audit_record(
        actor=actor,
        action="student.merged",
        target=keep,
        area=area,
        changes={"merged": [gone.pk, keep.pk], "reason": candidate.reason},
    )
    return keep


@audited
def duplicate_mark_distinct(
    *, actor: User | None, candidate: DuplicateCandidate
) -> DuplicateCandidate:
    """Record that the pair are two different children (twins, namesakes)."""
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    for need in Need.objects.filter(student__in=[candidate.first_id, candidate.second_id]):
        authorize(actor, "students.review", need.school.area)
    candidate.status, candidate.decided_by, candidate.decided_at = (
        ReviewStatus.DISTINCT,
        actor,
        timezone.now(),
    )
    candidate.save()
    audit_record(actor=actor, action="student.marked_distinct", target=candidate)
    return candidate
