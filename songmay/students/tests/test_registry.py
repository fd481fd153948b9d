import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import given
from hypothesis import strategies as st

from songmay.accounts.scope import Role
from songmay.audit.models import AuditEntry
from songmay.campaigns.services import CampaignData, campaign_create
from songmay.lib.errors import DomainError
from songmay.students.dedupe import Person, compare
from songmay.students.models import DuplicateCandidate, Need, NeedStatus, ReviewStatus, Student
from songmay.students.services import (
    StudentData,
    duplicate_mark_distinct,
    duplicate_merge,
    need_update,
    need_withdraw,
    needs_confirm,
    student_register,
)

AN = {
    "full_name": "Nguyễn Văn An",
    "date_of_birth": dt.date(2012, 3, 4),
    "level": "primary",
    "lacking": "device",
    "guardian_name": "Nguyễn Văn Bình",
    "guardian_phone": "0983 000 001",
}


@pytest.fixture
def campaign(place):
    return campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em", area=place["bac_ninh"])
    )


@pytest.fixture
def staff(place, make_user):
    return {
        key: make_user(Role.SCHOOL_STAFF, school=school) for key, school in place["schools"].items()
    }


def register(actor, campaign, school, **fields):
    return student_register(
        actor=actor, campaign=campaign, school=school, data=StudentData(**{**AN, **fields})
    )


@pytest.mark.django_db
def test_school_staff_register_a_pupil_with_an_audit_entry(place, campaign, staff):
    need = register(
        staff["lucngan"],
        campaign,
        place["schools"]["lucngan"],
        personal_id="024212001234",
        gender="male",
        circumstances=["orphaned_by_covid"],
        consent_given=True,
    )
    student = need.student
    assert (student.guardian_phone, student.orphaned_by_covid) == ("+84983000001", True)
    assert student.consent_on is not None
    assert need.status == NeedStatus.REGISTERED
    actions = set(
        AuditEntry.objects.filter(actor=staff["lucngan"]).values_list("action", flat=True)
    )
    assert {"student.created", "need.registered"} <= actions
    entry = AuditEntry.objects.get(action="student.created", actor=staff["lucngan"])
    # Sensitive values never reach the trail, only the fact that they were set.
    assert entry.changes["personal_id"] == ["***", "***"]
    assert entry.changes["date_of_birth"] == ["***", "***"]
    assert "024212001234" not in str(entry.changes)


@pytest.mark.django_db
def test_school_staff_cannot_register_at_another_school(place, campaign, staff):
    with pytest.raises(DomainError, match="ngoài phạm vi"):
        register(staff["lucngan"], campaign, place["schools"]["sondong"])
    assert not Need.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"personal_id": "12345"}, "personal_id", "đúng 12 chữ số"),
        ({"personal_id": "024210001234"}, "personal_id", "không khớp năm sinh"),  # born 2010
        (
            {"personal_id": "024212001234", "gender": "female"},
            "personal_id",
            "không khớp giới tính",
        ),
        ({"guardian_phone": "0983"}, "guardian_phone", "không hợp lệ"),
        ({"level": "upper_secondary"}, "level", "không dạy cấp THPT"),
        ({"date_of_birth": dt.date(1980, 1, 1)}, "date_of_birth", "không hợp lý"),
        ({"full_name": "  "}, "full_name", "Thiếu họ và tên"),
    ],
)
@pytest.mark.django_db
def test_bad_fields_are_refused_with_the_field_and_a_fix(place, campaign, fields, field, message):
    with pytest.raises(DomainError, match=message) as error:
        register(None, campaign, place["schools"]["lucngan"], **fields)
    assert error.value.field == field
    assert not Student.objects.exists()


@pytest.mark.django_db
def test_same_personal_id_is_one_child_once_even_after_a_transfer(place, campaign):
    first = register(None, campaign, place["schools"]["lucngan"], personal_id="024212001234")
    moved = register(
        None,
        campaign,
        place["schools"]["sondong"],
        personal_id="024212001234",
        full_name="Nguyễn Văn  An",
        class_name="3b",
    )
    assert moved.pk == first.pk  # one need per child per campaign
    assert moved.school == place["schools"]["sondong"]
    assert moved.class_name == "3B"
    assert Student.objects.count() == 1
    assert Need.objects.counted().count() == 1


@pytest.mark.django_db
def test_transfer_without_id_goes_to_review_then_merge_counts_the_child_once(
    place, campaign, make_user
):
    old = register(None, campaign, place["schools"]["lucngan"])
    new = register(None, campaign, place["schools"]["sondong"], guardian_phone="")
    pair = DuplicateCandidate.objects.get()
    assert "Họ tên giống nhau" in pair.reason
    assert Need.objects.counted().count() == 2
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    duplicate_merge(actor=officer, candidate=pair, keep=new.student)
    old.refresh_from_db()
    assert old.student.merged_into == new.student
    assert old.status == NeedStatus.WITHDRAWN  # the kept child already had a need here
    assert Need.objects.counted().count() == 1
    assert Student.objects.active().count() == 1
    assert Student.objects.count() == 2  # the merged record stays, for the history
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by) == (ReviewStatus.MERGED, officer)
    assert AuditEntry.objects.filter(action="student.merged", actor=officer).exists()


@pytest.mark.django_db
def test_typo_in_the_name_and_swapped_day_and_month_go_to_review(place, campaign):
    register(None, campaign, place["schools"]["lucngan"])
    register(
        None,
        campaign,
        place["schools"]["lucngan"],
        full_name="Nguyễn Văn Ân",
        date_of_birth=dt.date(2012, 4, 3),
        guardian_phone="",
    )
    pair = DuplicateCandidate.objects.get()
    assert "ngày và tháng sinh bị đảo" in pair.reason


@pytest.mark.django_db
def test_siblings_with_the_same_guardian_are_not_matched(place, campaign):
    register(None, campaign, place["schools"]["lucngan"])
    register(
        None,
        campaign,
        place["schools"]["lucngan"],
        full_name="Nguyễn Thị Hoa",
        date_of_birth=dt.date(2014, 9, 20),
    )
    assert not DuplicateCandidate.objects.exists()
    assert Need.objects.counted().count() == 2


@pytest.mark.django_db
def test_twins_go_to_review_and_stay_two_children_when_marked_distinct(place, campaign, make_user):
    register(None, campaign, place["schools"]["lucngan"])
    register(None, campaign, place["schools"]["lucngan"], full_name="Nguyễn Thị Bích")
    pair = DuplicateCandidate.objects.get()
    assert "sinh đôi" in pair.reason
    assert Student.objects.active().count() == 2  # never merged without an officer
    officer = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    duplicate_mark_distinct(actor=officer, candidate=pair)
    assert DuplicateCandidate.objects.get().status == ReviewStatus.DISTINCT
    assert Need.objects.counted().count() == 2


@pytest.mark.django_db
def test_officers_confirm_and_staff_withdraw(place, campaign, staff, make_user):
    need = register(staff["lucngan"], campaign, place["schools"]["lucngan"])
    with pytest.raises(PermissionDenied):  # school staff register; officers confirm
        needs_confirm(actor=staff["lucngan"], needs=[need])
    officer = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    assert needs_confirm(actor=officer, needs=[need]) == 1
    need.refresh_from_db()
    assert (need.status, need.confirmed_by) == (NeedStatus.CONFIRMED, officer)
    with pytest.raises(DomainError, match="lý do"):
        need_withdraw(actor=staff["lucngan"], need=need, reason=" ")
    need_withdraw(actor=staff["lucngan"], need=need, reason="Gia đình đã tự mua máy")
    assert Need.objects.counted().count() == 0


@pytest.mark.django_db
def test_correcting_a_pupil_updates_both_records(place, campaign, staff):
    need = register(staff["lucngan"], campaign, place["schools"]["lucngan"])
    data = StudentData.of(need)
    data.household, data.class_name = "poor", "4a"
    need_update(actor=staff["lucngan"], need=need, data=data)
    need.refresh_from_db()
    assert (need.household, need.class_name) == ("poor", "4A")
    entry = AuditEntry.objects.filter(action="need.updated").latest("created_at")
    assert entry.changes["household"] == ["none", "poor"]


names = st.sampled_from(
    ["Nguyễn Văn An", "Nguyen Van An", "Trần Thị Bích", "Lê Ân", "Nguyễn Văn Ann"]
)
dates = st.dates(dt.date(2010, 1, 1), dt.date(2012, 12, 31))
people = st.builds(
    Person,
    id=st.integers(1, 1000),
    full_name=names,
    date_of_birth=dates,
    guardian_name=st.sampled_from(["", "Nguyễn Văn Bình"]),
    guardian_phone=st.sampled_from(["", "+84983000001"]),
    personal_id=st.sampled_from(["", "024212001234", "024211009999"]),
)


@given(people, people)
def test_matching_is_symmetric(a, b):
    forward, backward = compare(a, b), compare(b, a)
    assert (forward is None) == (backward is None)
    if forward and backward:
        assert forward.same == backward.same


@given(people, people)
def test_only_an_equal_personal_id_merges_without_review(a, b):
    match = compare(a, b)
    if match is not None and match.same:
        assert a.personal_id and a.personal_id == b.personal_id
