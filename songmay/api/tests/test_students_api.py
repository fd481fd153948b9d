import datetime as dt

import pytest

from songmay.accounts.models import User
from songmay.accounts.scope import Role
from songmay.accounts.services import api_token_create
from songmay.audit.models import AuditEntry
from songmay.campaigns.services import CampaignData, campaign_create
from songmay.students.models import Need, NeedStatus, Student
from songmay.students.services import StudentData, student_register

API = "/api/v1"


def bearer(user):
    _token, key = api_token_create(actor=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def campaign(place):
    return campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em", area=place["bac_ninh"])
    )


def register(campaign, school, full_name, **fields):
    data = StudentData(
        full_name=full_name,
        date_of_birth=fields.pop("date_of_birth", dt.date(2012, 3, 4)),
        level=fields.pop("level", "primary"),
        lacking=fields.pop("lacking", "device"),
        **fields,
    )
    return student_register(actor=None, campaign=campaign, school=school, data=data)


@pytest.fixture
def pupils(place, campaign):
    """One pupil at the Lục Ngạn school, one at Sơn Động (both Bắc Ninh), one in Phú Thọ."""
    schools = place["schools"]
    phu_tho_campaign = campaign_create(
        actor=None, data=CampaignData(name="Chương trình Phú Thọ", area=place["phu_tho"])
    )
    return {
        "lucngan": register(
            campaign,
            schools["lucngan"],
            "Nguyễn Văn An",
            personal_id="024212000123",
            gender="male",
            guardian_phone="0983.934.091",
        ),
        "sondong": register(campaign, schools["sondong"], "Trần Thị Bình", household="poor"),
        "phutho": register(phu_tho_campaign, schools["phutho"], "Lê Văn Cường"),
    }


@pytest.fixture
def staff_ln(place, make_user):
    """School staff of the Lục Ngạn school, with a token."""
    user = make_user(Role.SCHOOL_STAFF, school=place["schools"]["lucngan"])
    return user, bearer(user)


def new_pupil(campaign, school="T-07582", **fields):
    return {
        "campaign": campaign.pk,
        "school": school,
        "full_name": "  Hoàng   Thị Dung ",
        "date_of_birth": "2012-05-06",
        "gender": "female",
        "level": "primary",
        "lacking": "both",
        "class_name": "4a",
        "personal_id": "024312000456",
        "guardian_name": "Hoàng Văn Em",
        "guardian_phone": "0983 934 091",
        "commune": "07582",
        "household": "near_poor",
        "circumstances": ["orphaned_by_covid", "remote_area"],
        "consent_given": True,
        "consent_on": "2021-09-20",
        **fields,
    }


def post(client, headers, payload, url=f"{API}/students"):
    return client.post(url, payload, content_type="application/json", **headers)


# Reading -----------------------------------------------------------------------------------


def test_openapi_lists_the_student_endpoints(client, db):
    paths = client.get(f"{API}/openapi.json").json()["paths"]

    assert {
        "/api/v1/students",
        "/api/v1/students/{need_id}",
        "/api/v1/students/{need_id}/confirm",
        "/api/v1/students/{need_id}/withdraw",
    } <= set(paths)
    assert paths["/api/v1/students"]["post"]["summary"] == "Đăng ký học sinh cần hỗ trợ"


def test_school_staff_lists_only_its_own_pupils(client, pupils, staff_ln):
    _user, headers = staff_ln

    response = client.get(f"{API}/students", **headers)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [row] = body["items"]
    need = pupils["lucngan"]
    assert row["id"] == need.pk
    assert row["school"] == {"id": need.school_id, "code": "T-07582", "name": need.school.name}
    assert row["student"]["full_name"] == "Nguyễn Văn An"
    assert row["student"]["personal_id"] == "024212000123"
    assert row["student"]["guardian_phone"] == "+84983934091"
    assert row["student"]["gender"] == "male"
    assert row["status"] == "registered"


def test_province_officer_lists_its_provinces_pupils(client, pupils, place, make_user):
    headers = bearer(make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"]))

    body = client.get(f"{API}/students", **headers).json()

    assert {row["id"] for row in body["items"]} == {
        pupils["lucngan"].pk,
        pupils["sondong"].pk,
    }


def test_student_list_filters(client, pupils, campaign, place, make_user):
    headers = bearer(make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"]))
    lucngan, sondong = pupils["lucngan"].pk, pupils["sondong"].pk

    def ids(**query):
        response = client.get(f"{API}/students", query, **headers)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["items"]]

    assert ids(school="T-07615") == [sondong]
    assert ids(area="07582") == [lucngan]
    assert ids(household="poor") == [sondong]
    assert ids(q="nguyen van") == [lucngan]
    assert ids(campaign=campaign.pk, status="registered") == [lucngan, sondong]
    assert ids(status="confirmed", level="primary") == []
    assert ids(lacking="connectivity") == []


def test_student_list_with_a_school_or_campaign_outside_the_scope_is_404(
    client, pupils, place, make_user
):
    headers = bearer(make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]))
    other_campaign = campaign_create(
        actor=None, data=CampaignData(name="Chương trình khác", area=place["bac_ninh"])
    )

    by_school = client.get(f"{API}/students", {"school": "T-07582"}, **headers)
    by_campaign = client.get(f"{API}/students", {"campaign": other_campaign.pk}, **headers)

    assert by_school.status_code == 404
    assert by_school.json()["field"] == "school"
    assert by_campaign.status_code == 404
    assert by_campaign.json()["field"] == "campaign"


def test_student_list_query_count_does_not_grow_with_rows(
    client, pupils, place, make_user, django_assert_num_queries
):
    headers = bearer(make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"]))
    for number in range(3):
        register(
            pupils["sondong"].campaign,
            place["schools"]["sondong"],
            f"Phạm Văn {number}",
            commune=place["communes"]["sondong"],
        )
    client.get(f"{API}/students", **headers)  # records the token's first use

    # Token with its user and area, the count, the page with each pupil's student and school.
    with django_assert_num_queries(3):
        response = client.get(f"{API}/students", **headers)
    assert response.json()["count"] == 5


def test_pupil_detail_and_writes_outside_the_scope_are_404(client, pupils, place, make_user):
    headers = bearer(make_user(Role.SCHOOL_STAFF, school=place["schools"]["sondong"]))
    need = pupils["lucngan"]

    detail = client.get(f"{API}/students/{need.pk}", **headers)
    patch = client.patch(
        f"{API}/students/{need.pk}",
        {"full_name": "Đổi tên"},
        content_type="application/json",
        **headers,
    )
    withdraw = post(
        client, headers, {"reason": "Chuyển trường"}, f"{API}/students/{need.pk}/withdraw"
    )

    assert detail.status_code == 404
    assert detail.json() == {"message": "Không tìm thấy."}
    assert patch.status_code == 404
    assert withdraw.status_code == 404
    need.refresh_from_db()
    need.student.refresh_from_db()
    assert (need.student.full_name, need.status) == ("Nguyễn Văn An", NeedStatus.REGISTERED)


def test_pupil_of_another_province_is_404(client, pupils, place, make_user):
    headers = bearer(make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]))

    response = client.get(f"{API}/students/{pupils['lucngan'].pk}", **headers)
    confirm = post(client, headers, {}, f"{API}/students/{pupils['lucngan'].pk}/confirm")

    assert response.status_code == 404
    assert confirm.status_code == 404
    assert client.get(f"{API}/students/{pupils['phutho'].pk}", **headers).status_code == 200


def test_donor_may_not_see_pupils(client, demo):
    headers = bearer(User.objects.get(username="nhataitro"))

    response = client.get(f"{API}/students", **headers)

    assert response.status_code == 403
    assert response.json() == {"message": "Bạn không có quyền dùng chức năng này."}
    assert client.get(f"{API}/students/1", **headers).status_code == 403


def test_pupil_detail_shows_circumstances_and_commune(client, campaign, place, staff_ln):
    _user, headers = staff_ln
    need = register(
        campaign,
        place["schools"]["lucngan"],
        "Vi Thị Gấm",
        commune=place["communes"]["lucngan"],
        circumstances=["ethnic_minority"],
    )

    body = client.get(f"{API}/students/{need.pk}", **headers).json()

    assert body["student"]["circumstances"] == ["ethnic_minority"]
    assert body["student"]["commune"]["code"] == "07582"
    assert body["student"]["gender"] is None
    assert body["campaign"] == {"id": campaign.pk, "name": campaign.name}


# Registering -------------------------------------------------------------------------------


def test_post_student_registers_it_with_api_audit_entries(client, campaign, staff_ln):
    user, headers = staff_ln

    response = post(client, headers, new_pupil(campaign))

    assert response.status_code == 201
    body = response.json()
    student = body["student"]
    assert student["full_name"] == "Hoàng Thị Dung"
    assert student["date_of_birth"] == "2012-05-06"
    assert student["guardian_phone"] == "+84983934091"
    assert student["circumstances"] == ["orphaned_by_covid", "remote_area"]
    assert student["commune"]["code"] == "07582"
    assert student["consent_on"] == "2021-09-20"
    assert (body["class_name"], body["household"], body["lacking"]) == ("4A", "near_poor", "both")
    need = Need.objects.get(pk=body["id"])
    for action, target in (("student.created", need.student_id), ("need.registered", need.pk)):
        entry = AuditEntry.objects.get(action=action, target_id=str(target))
        assert (entry.via, entry.actor) == ("api", user)
    # Personal data never reaches the audit trail in clear.
    created = AuditEntry.objects.get(action="student.created", target_id=str(need.student_id))
    assert "024312000456" not in str(created.changes)


def test_registering_the_same_personal_id_twice_keeps_one_need(client, campaign, staff_ln):
    _user, headers = staff_ln

    first = post(client, headers, new_pupil(campaign))
    again = post(client, headers, new_pupil(campaign, full_name="Hoàng Thị Dung", lacking="device"))

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["lacking"] == "device"
    assert Need.objects.filter(campaign=campaign).count() == 1
    assert Student.objects.filter(personal_id="024312000456").count() == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"personal_id": "12345"}, ("personal_id", "phải gồm đúng 12 chữ số")),
        ({"personal_id": "024212000456"}, ("personal_id", "không khớp giới tính")),
        ({"guardian_phone": "12345"}, ("guardian_phone", "không hợp lệ")),
        ({"level": "upper_secondary"}, ("level", "không dạy cấp THPT")),
        ({"full_name": "   "}, ("full_name", "Thiếu họ và tên")),
    ],
)
def test_post_student_with_bad_data_is_400_naming_the_field(
    client, campaign, staff_ln, fields, error
):
    _user, headers = staff_ln

    response = post(client, headers, new_pupil(campaign, **fields))

    field, words = error
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert words in response.json()["message"]
    assert not Need.objects.exists()


def test_post_student_with_an_unknown_circumstance_is_422(client, campaign, staff_ln):
    _user, headers = staff_ln

    response = post(client, headers, new_pupil(campaign, circumstances=["covid"]))

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "circumstances"
    assert "orphaned_by_covid" in error["message"]


def test_post_student_at_a_school_outside_the_scope_is_404(client, campaign, staff_ln):
    _user, headers = staff_ln

    response = post(client, headers, new_pupil(campaign, school="T-07615"))

    assert response.status_code == 404
    assert response.json()["field"] == "school"
    assert "T-07615" in response.json()["message"]
    assert not Need.objects.exists()


def test_post_student_in_a_campaign_outside_the_scope_is_404(client, place, staff_ln):
    _user, headers = staff_ln
    phu_tho = campaign_create(
        actor=None, data=CampaignData(name="Chương trình Phú Thọ", area=place["phu_tho"])
    )

    response = post(client, headers, new_pupil(phu_tho))

    assert response.status_code == 404
    assert response.json()["field"] == "campaign"


def test_officers_may_not_register_pupils(client, campaign, place, make_user):
    headers = bearer(make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"]))

    assert post(client, headers, new_pupil(campaign)).status_code == 403


# Correcting, confirming, withdrawing -------------------------------------------------------


def test_patch_student_changes_only_the_fields_sent(client, pupils, staff_ln):
    _user, headers = staff_ln
    need = pupils["lucngan"]

    response = client.patch(
        f"{API}/students/{need.pk}",
        {"class_name": "5b", "guardian_phone": "0985.131.568", "gender": None},
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 200, response.json()
    assert response.json()["class_name"] == "5B"
    need.refresh_from_db()
    student = need.student
    student.refresh_from_db()
    assert (student.guardian_phone, student.gender) == ("+84985131568", "")
    assert (student.full_name, student.personal_id) == ("Nguyễn Văn An", "024212000123")
    entry = AuditEntry.objects.get(action="need.updated", target_id=str(need.pk))
    assert entry.via == "api"
    assert set(entry.changes) == {"class_name", "guardian_phone", "gender"}


def test_patch_student_with_a_bad_personal_id_is_400(client, pupils, staff_ln):
    _user, headers = staff_ln
    need = pupils["lucngan"]

    response = client.patch(
        f"{API}/students/{need.pk}",
        {"personal_id": "999212000123"},
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 400
    assert response.json()["field"] == "personal_id"
    assert "mã tỉnh" in response.json()["message"]


def test_area_officer_confirms_a_pupil(client, pupils, place, make_user):
    user = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    headers = bearer(user)
    need = pupils["lucngan"]
    url = f"{API}/students/{need.pk}/confirm"

    response = post(client, headers, {}, url)
    again = post(client, headers, {}, url)

    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert response.json()["confirmed_at"] is not None
    entry = AuditEntry.objects.get(action="need.confirmed", target_id=str(need.pk))
    assert (entry.via, entry.actor) == ("api", user)
    assert again.status_code == 400
    assert "Đã đăng ký" in again.json()["message"]


def test_school_staff_may_not_confirm(client, pupils, staff_ln):
    _user, headers = staff_ln

    response = post(client, headers, {}, f"{API}/students/{pupils['lucngan'].pk}/confirm")

    assert response.status_code == 403
    assert Need.objects.get(pk=pupils["lucngan"].pk).status == NeedStatus.REGISTERED


def test_withdraw_student_records_the_reason(client, pupils, staff_ln):
    user, headers = staff_ln
    need = pupils["lucngan"]

    response = post(
        client, headers, {"reason": "Gia đình đã tự mua máy"}, f"{API}/students/{need.pk}/withdraw"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    entry = AuditEntry.objects.get(action="need.withdrawn", target_id=str(need.pk))
    assert (entry.via, entry.actor) == ("api", user)
    assert entry.changes["reason"] == "Gia đình đã tự mua máy"


def test_withdraw_without_a_reason_is_400(client, pupils, staff_ln):
    _user, headers = staff_ln
    need = pupils["lucngan"]

    response = post(client, headers, {"reason": "  "}, f"{API}/students/{need.pk}/withdraw")

    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert Need.objects.get(pk=need.pk).status == NeedStatus.REGISTERED
