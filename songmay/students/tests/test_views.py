import datetime as dt
import io

import openpyxl
import pytest

from songmay.accounts.scope import Role
from songmay.audit.models import AuditEntry
from songmay.campaigns.services import CampaignData, campaign_create
from songmay.students.models import DuplicateCandidate, Need, NeedStatus, Student
from songmay.students.services import StudentData, student_register

NAMES = ["Trần Thị Ân", "Nguyễn Văn Bình", "Lê An", "Phạm Thị Ăn", "Đỗ Văn Dũng", "Hà Đức"]


@pytest.fixture
def registry(place, make_user):
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em", area=place["bac_ninh"])
    )
    for number, name in enumerate(NAMES):
        student_register(
            actor=None,
            campaign=campaign,
            school=place["schools"]["lucngan"],
            data=StudentData(
                full_name=name,
                date_of_birth=dt.date(2012, 1, number + 1),
                level="primary",
                lacking="device",
                household="poor" if number % 2 else "near_poor",
            ),
        )
    student_register(
        actor=None,
        campaign=campaign,
        school=place["schools"]["sondong"],
        data=StudentData(
            full_name="Vũ Thị Sơn Động",
            date_of_birth=dt.date(2011, 5, 5),
            level="primary",
            lacking="both",
        ),
    )
    staff = make_user(Role.SCHOOL_STAFF, school=place["schools"]["lucngan"])
    officer = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    return {"campaign": campaign, "staff": staff, "officer": officer}


@pytest.mark.django_db
def test_list_reads_like_a_class_list_with_counts_and_filters(registry, client):
    client.force_login(registry["staff"])
    page = client.get("/students/").content.decode()
    positions = [
        page.index(name) for name in ["Lê An", "Phạm Thị Ăn", "Trần Thị Ân", "Nguyễn Văn Bình"]
    ]
    assert positions == sorted(positions)  # given name first, in the Vietnamese alphabet
    assert "Vũ Thị Sơn Động" not in page  # another school
    assert '<div class="stat">6</div>' in page
    poor = client.get("/students/", {"household": "poor", "q": "van"}).content.decode()
    assert "Nguyễn Văn Bình" in poor
    assert "Đỗ Văn Dũng" not in poor  # near-poor
    assert "Phạm Thị Ăn" not in poor  # poor, but no "van" in the name


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(registry, client, django_assert_max_num_queries):
    client.force_login(registry["officer"])
    with django_assert_max_num_queries(10) as queries:
        page = client.get("/students/")
    assert page.status_code == 200
    # The pupils are counted once: the figures at the top also give the paginator its length.
    assert sum("COUNT(" in query["sql"] for query in queries.captured_queries) == 1
    assert page.context["page"].paginator.num_pages == 1


@pytest.mark.django_db
def test_export_is_scoped_and_recorded_as_a_personal_data_export(registry, client):
    client.force_login(registry["staff"])
    response = client.get("/students/export.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][:3] == ("STT", "Họ và tên", "Ngày sinh")
    assert len(rows) == 1 + len(NAMES)
    assert rows[1][1] == "Lê An"
    entry = AuditEntry.objects.get(action="student.exported")
    assert (entry.actor, entry.changes["rows"]) == (registry["staff"], len(NAMES))


@pytest.mark.django_db
def test_officer_confirms_ticked_pupils(registry, client):
    ticked = list(Need.objects.filter(school__code="T-07582").values_list("pk", flat=True)[:2])
    client.force_login(registry["officer"])
    response = client.post("/students/confirm/", {"need": ticked, "next": "/students/"})
    assert response["Location"] == "/students/"
    assert Need.objects.filter(status=NeedStatus.CONFIRMED).count() == 2


@pytest.mark.django_db
def test_staff_add_a_pupil_through_the_form_and_see_field_errors(registry, place, client):
    client.force_login(registry["staff"])
    form = {
        "campaign": registry["campaign"].pk,
        "school": place["schools"]["lucngan"].pk,
        "full_name": "Hoàng Thị Mai",
        "date_of_birth": "07/08/2013",
        "level": "primary",
        "household": "hardship",
        "lacking": "connectivity",
        "guardian_phone": "0983.111.222",
    }
    response = client.post("/students/new/", form)
    need = Need.objects.get(student__full_name="Hoàng Thị Mai")
    assert response["Location"] == f"/students/{need.pk}/"
    assert "0983.111.222" in client.get(response["Location"]).content.decode()
    bad = client.post("/students/new/", {**form, "full_name": "Khác", "personal_id": "123"})
    assert "phải gồm đúng 12 chữ số" in bad.content.decode()
    assert not Student.objects.filter(full_name="Khác").exists()


@pytest.mark.django_db
def test_officer_merges_a_reviewed_pair_from_the_queue(registry, place, client):
    student_register(
        actor=None,
        campaign=registry["campaign"],
        school=place["schools"]["lucngan"],
        data=StudentData(
            full_name="Le An", date_of_birth=dt.date(2012, 1, 3), level="primary", lacking="device"
        ),
    )
    pair = DuplicateCandidate.objects.get()
    client.force_login(registry["officer"])
    assert "Họ tên giống nhau" in client.get("/students/duplicates/").content.decode()
    client.post(f"/students/duplicates/{pair.pk}/", {"keep": "first"})
    assert Student.objects.active().filter(name_folded="le an").count() == 1
    assert Need.objects.counted().filter(school__code="T-07582").count() == len(NAMES)
