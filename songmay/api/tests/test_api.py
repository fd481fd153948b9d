import datetime as dt

import pytest
from django.test import Client

from songmay.accounts.models import ApiToken, User
from songmay.accounts.scope import Role
from songmay.accounts.services import api_token_create, api_token_revoke
from songmay.areas.models import School
from songmay.audit.models import AuditEntry
from songmay.campaigns.demo import BAC_GIANG, VINH_PHUC
from songmay.campaigns.models import Campaign

API = "/api/v1"


def bearer(user):
    _token, key = api_token_create(actor=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def officer(place, make_user):
    """A province officer of Bắc Ninh, with a token."""
    user = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    return user, bearer(user)


def new_school(area="07582", **fields):
    return {
        "code": "24799901",
        "name": "Trường Tiểu học Kiên Lao",
        "area": area,
        "levels": ["primary"],
        **fields,
    }


# Schema and authentication -----------------------------------------------------------------


def test_openapi_schema_is_served_without_a_token_and_lists_every_path(client, db):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Songmay API"
    assert {
        "/api/v1/areas",
        "/api/v1/areas/{code}",
        "/api/v1/schools",
        "/api/v1/schools/{school_id}",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{campaign_id}",
    } <= set(schema["paths"])
    assert schema["paths"]["/api/v1/schools"]["get"]["summary"] == "Danh sách trường"
    assert "TokenAuth" in schema["components"]["securitySchemes"]


def test_no_documentation_page_that_would_load_swagger_from_a_cdn(client, db):
    response = client.get(f"{API}/docs")

    assert response.status_code == 404
    assert response.json() == {"message": "Không tìm thấy."}


def test_request_without_token_is_401_json(client, db):
    response = client.get(f"{API}/schools")

    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401(client, db):
    response = client.get(f"{API}/schools", HTTP_AUTHORIZATION="Bearer not-a-real-key")

    assert response.status_code == 401
    assert response.json() == {"message": "Mã truy cập không đúng."}


def test_revoked_token_is_401(client, officer):
    user, _headers = officer
    token, key = api_token_create(actor=user, name="Đồng bộ Excel")
    api_token_revoke(actor=user, token=token)

    response = client.get(f"{API}/schools", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 401
    assert "thu hồi" in response.json()["message"]


def test_token_of_a_disabled_user_is_401(client, officer):
    user, headers = officer
    # Disabled behind the services' back: the token itself is still live.
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = client.get(f"{API}/schools", **headers)

    assert response.status_code == 401
    assert "khoá" in response.json()["message"]


def test_session_login_is_not_accepted(client, officer):
    user, _headers = officer
    client.force_login(user)

    assert client.get(f"{API}/schools").status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(client, officer, django_assert_num_queries):
    user, headers = officer
    client.get(f"{API}/areas/24", **headers)
    token = ApiToken.objects.get(user=user)
    first_use = token.last_used_at
    assert first_use is not None

    # Token, then the area: no write.
    with django_assert_num_queries(2):
        client.get(f"{API}/areas/24", **headers)
    token.refresh_from_db()
    assert token.last_used_at == first_use

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - dt.timedelta(minutes=2))
    client.get(f"{API}/areas/24", **headers)
    token.refresh_from_db()
    assert token.last_used_at > first_use - dt.timedelta(seconds=1)


def test_post_with_a_token_needs_no_csrf_token(officer):
    _user, headers = officer
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        f"{API}/schools", new_school(), content_type="application/json", **headers
    )

    assert response.status_code == 201


# Areas -------------------------------------------------------------------------------------


def test_area_search_folds_accents(client, areas, make_user):
    headers = bearer(make_user(Role.ADMIN))

    response = client.get(f"{API}/areas", {"q": "bac giang"}, **headers)

    assert response.status_code == 200
    names = [area["name"] for area in response.json()["items"]]
    assert "Phường Bắc Giang" in names
    assert all("Bắc Giang" in name for name in names)


def test_area_list_starts_at_the_officers_province_and_pages(client, officer):
    _user, headers = officer

    top = client.get(f"{API}/areas", **headers).json()
    children = client.get(f"{API}/areas", {"parent": "24", "page_size": 2}, **headers).json()

    assert top == {
        "count": 1,
        "items": [
            {
                "code": "24",
                "name": "Bắc Ninh",
                "division_type": top["items"][0]["division_type"],
                "level": "province",
                "parent": None,
            }
        ],
    }
    assert len(children["items"]) == 2
    assert children["count"] > 50
    assert {area["parent"] for area in children["items"]} == {"24"}


def test_area_of_another_province_is_404(client, officer):
    _user, headers = officer

    assert client.get(f"{API}/areas/25", **headers).status_code == 404
    response = client.get(f"{API}/areas", {"parent": "25"}, **headers)
    assert response.status_code == 404
    assert response.json()["field"] == "parent"


# Schools -----------------------------------------------------------------------------------


def test_province_officer_lists_schools_of_its_province_only(client, officer, place):
    _user, headers = officer

    response = client.get(f"{API}/schools", **headers)

    assert response.status_code == 200
    codes = {school["code"] for school in response.json()["items"]}
    assert codes == {place["schools"]["lucngan"].code, place["schools"]["sondong"].code}
    assert response.json()["count"] == 2


def test_school_list_filters_by_area_level_and_state(client, officer, place):
    _user, headers = officer
    lucngan = place["schools"]["lucngan"]

    by_area = client.get(f"{API}/schools", {"area": "07582"}, **headers).json()
    by_level = client.get(f"{API}/schools", {"level": "upper_secondary"}, **headers).json()
    inactive = client.get(f"{API}/schools", {"active": "false"}, **headers).json()

    assert [school["id"] for school in by_area["items"]] == [lucngan.pk]
    assert by_level["count"] == 0
    assert inactive["count"] == 0


def test_school_list_with_an_area_outside_the_scope_is_404(client, officer):
    _user, headers = officer

    response = client.get(f"{API}/schools", {"area": "25"}, **headers)

    assert response.status_code == 404
    assert response.json()["field"] == "area"


def test_school_list_query_count_does_not_grow_with_rows(
    client, officer, django_assert_num_queries
):
    _user, headers = officer
    client.get(f"{API}/schools", **headers)  # records the token's first use

    # Token with its user and area, the count, the page with each school's area.
    with django_assert_num_queries(3):
        response = client.get(f"{API}/schools", **headers)
    assert response.json()["count"] == 2


def test_school_of_another_province_is_404_json(client, officer, place):
    _user, headers = officer
    other = place["schools"]["phutho"]

    response = client.get(f"{API}/schools/{other.pk}", **headers)

    assert response.status_code == 404
    assert response.json() == {"message": "Không tìm thấy."}


def test_school_detail_shows_levels_as_codes_and_area(client, officer, place):
    _user, headers = officer
    school = place["schools"]["lucngan"]

    body = client.get(f"{API}/schools/{school.pk}", **headers).json()

    assert body["code"] == school.code
    assert body["levels"] == ["primary"]
    assert body["area"] == {"code": "07582", "name": school.area.name}


def test_school_staff_sees_only_its_school(client, place, make_user):
    own, other = place["schools"]["lucngan"], place["schools"]["sondong"]
    headers = bearer(make_user(Role.SCHOOL_STAFF, school=own))

    listed = client.get(f"{API}/schools", **headers).json()

    assert [school["id"] for school in listed["items"]] == [own.pk]
    assert client.get(f"{API}/schools/{other.pk}", **headers).status_code == 404


def test_donor_may_not_use_schools(client, demo):
    headers = bearer(User.objects.get(username="nhataitro"))

    response = client.get(f"{API}/schools", **headers)

    assert response.status_code == 403
    assert response.json() == {"message": "Bạn không có quyền dùng chức năng này."}


def test_post_school_creates_it_with_an_api_audit_entry(client, officer):
    user, headers = officer

    response = client.post(
        f"{API}/schools",
        new_school(phone="0204.3854.123"),
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 201
    body = response.json()
    assert body["phone"] == "+842043854123"
    assert body["area"]["code"] == "07582"
    school = School.objects.get(pk=body["id"])
    entry = AuditEntry.objects.get(action="school.created", target_id=str(school.pk))
    assert entry.via == "api"
    assert entry.actor == user


def test_post_school_with_a_bad_phone_is_400_naming_the_field(client, officer):
    _user, headers = officer

    response = client.post(
        f"{API}/schools", new_school(phone="12345"), content_type="application/json", **headers
    )

    assert response.status_code == 400
    assert response.json()["field"] == "phone"
    assert "không hợp lệ" in response.json()["message"]
    assert not School.objects.filter(code="24799901").exists()


def test_post_school_in_an_area_outside_the_scope_is_404(client, officer, place):
    # 404, not 400: an area the user cannot see is answered as if it did not exist.
    _user, headers = officer
    phu_tho_commune = place["communes"]["phutho"].code

    response = client.post(
        f"{API}/schools",
        new_school(area=phu_tho_commune),
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 404
    assert response.json()["field"] == "area"
    assert phu_tho_commune in response.json()["message"]
    assert not School.objects.filter(code="24799901").exists()


def test_post_school_with_invalid_fields_is_422_listing_them(client, officer):
    _user, headers = officer
    payload = {
        "name": "Trường A",
        "area": "07582",
        "levels": ["kindergarten"],
        "email": "not-an-email",
        "phone_number": "0983934091",
    }

    response = client.post(f"{API}/schools", payload, content_type="application/json", **headers)

    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "Dữ liệu gửi lên không hợp lệ."
    errors = {error["field"]: error["message"] for error in body["errors"]}
    assert errors["code"] == "Thiếu trường bắt buộc."
    assert errors["levels.0"].startswith("Phải là một trong:")
    assert errors["email"] == "Thư điện tử “not-an-email” không hợp lệ."
    assert "phone_number" in errors


def test_school_staff_may_not_register_schools(client, place, make_user):
    headers = bearer(make_user(Role.SCHOOL_STAFF, school=place["schools"]["lucngan"]))

    response = client.post(
        f"{API}/schools", new_school(), content_type="application/json", **headers
    )

    assert response.status_code == 403


def test_patch_school_changes_only_the_fields_sent(client, officer, place):
    _user, headers = officer
    school = place["schools"]["lucngan"]
    name, area = school.name, school.area_id

    response = client.patch(
        f"{API}/schools/{school.pk}",
        {"phone": "0983.934.091", "levels": ["primary", "lower_secondary"]},
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 200
    school.refresh_from_db()
    assert school.phone == "+84983934091"
    assert school.levels == ["primary", "lower_secondary"]
    assert (school.name, school.area_id) == (name, area)
    entry = AuditEntry.objects.get(action="school.updated", target_id=str(school.pk))
    assert entry.via == "api"
    assert set(entry.changes) == {"phone", "teaches_lower_secondary"}


def test_patch_school_of_another_province_is_404(client, officer, place):
    _user, headers = officer
    other = place["schools"]["phutho"]

    response = client.patch(
        f"{API}/schools/{other.pk}", {"name": "Đổi tên"}, content_type="application/json", **headers
    )

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name != "Đổi tên"


def test_unexpected_error_is_500_without_a_traceback(officer, monkeypatch):
    _user, headers = officer

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("songmay.api.schools.school_list", broken)
    client = Client(raise_request_exception=False)

    response = client.get(f"{API}/schools", **headers)

    assert response.status_code == 500
    assert b"Traceback" not in response.content
    assert b"secret internals" not in response.content


# Campaigns ---------------------------------------------------------------------------------


def test_province_officer_sees_its_provinces_campaign_only(client, demo):
    headers = bearer(User.objects.get(username="so.bacninh"))

    response = client.get(f"{API}/campaigns", **headers)

    assert response.status_code == 200
    names = [campaign["name"] for campaign in response.json()["items"]]
    assert BAC_GIANG in names
    assert VINH_PHUC not in names


def test_campaign_detail_has_phases_windows_and_contacts(client, demo, make_user):
    from songmay.areas.models import Area

    headers = bearer(make_user(Role.PROVINCE_OFFICER, area=Area.objects.get(code="25")))
    campaign = Campaign.objects.get(name=VINH_PHUC)

    body = client.get(f"{API}/campaigns/{campaign.pk}", **headers).json()

    assert body["area"] == {"code": "25", "name": "Phú Thọ"}
    assert body["launched_on"] == "2021-09-12"
    assert body["phases"] == [
        {
            "number": 1,
            "name": "Triển khai Chương trình trên địa bàn tỉnh",
            "starts_on": "2021-09-21",
            "ends_on": "2021-09-26",
            "target_percent": 100,
            "goal": "",
        }
    ]
    assert body["intake_windows"] == [
        {"opens_on": "2021-09-21", "closes_on": "2021-09-26", "note": ""}
    ]
    assert [c["phone"] for c in body["contacts"]][:2] == ["+84983934091", "+84985131568"]
    assert [c["order"] for c in body["contacts"]] == [1, 2, 3, 4]


def test_campaign_of_another_province_is_404(client, demo):
    headers = bearer(User.objects.get(username="so.bacninh"))
    other = Campaign.objects.get(name=VINH_PHUC)

    assert client.get(f"{API}/campaigns/{other.pk}", **headers).status_code == 404
    response = client.put(
        f"{API}/campaigns/{other.pk}",
        {"name": "X", "area": "25"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 404


def campaign_payload(**fields):
    return {
        "name": "Chương trình Sóng và máy tính cho em 2022",
        "area": "24",
        "launched_on": "2022-01-10",
        "phases": [
            {
                "number": 1,
                "name": "Giai đoạn 1",
                "starts_on": "2022-01-10",
                "ends_on": "2022-06-30",
                "target_percent": 100,
            }
        ],
        "intake_windows": [{"opens_on": "2022-01-10", "closes_on": "2022-01-20"}],
        "contacts": [
            {"full_name": "Nguyễn Văn A", "position": "Chuyên viên", "phone": "0983 934 091"}
        ],
        **fields,
    }


def test_post_and_put_campaign(client, demo):
    user = User.objects.get(username="so.bacninh")
    headers = bearer(user)

    created = client.post(
        f"{API}/campaigns", campaign_payload(), content_type="application/json", **headers
    )

    assert created.status_code == 201
    body = created.json()
    assert body["contacts"][0]["phone"] == "+84983934091"
    assert body["intake_windows"] == [
        {"opens_on": "2022-01-10", "closes_on": "2022-01-20", "note": ""}
    ]

    updated = client.put(
        f"{API}/campaigns/{body['id']}",
        campaign_payload(name="Đợt 2", intake_windows=[], contacts=[]),
        content_type="application/json",
        **headers,
    )

    assert updated.status_code == 200
    assert updated.json()["name"] == "Đợt 2"
    assert updated.json()["intake_windows"] == []
    assert (
        AuditEntry.objects.filter(
            target_id=str(body["id"]),
            via="api",
            action__in=["campaign.created", "campaign.updated"],
        ).count()
        == 2
    )


def test_campaign_with_a_window_ending_before_it_opens_is_400(client, demo):
    headers = bearer(User.objects.get(username="so.bacninh"))
    windows = [{"opens_on": "2022-01-20", "closes_on": "2022-01-10"}]

    response = client.post(
        f"{API}/campaigns",
        campaign_payload(intake_windows=windows),
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 400
    assert response.json()["field"] == "intake_windows"
    assert "ngày kết thúc trước ngày bắt đầu" in response.json()["message"]


def test_area_officer_may_read_but_not_write_campaigns(client, demo):
    headers = bearer(User.objects.get(username="xa.lucngan"))

    assert client.get(f"{API}/campaigns", **headers).status_code == 200
    response = client.post(
        f"{API}/campaigns", campaign_payload(), content_type="application/json", **headers
    )
    assert response.status_code == 403


def test_unknown_addresses_answer_json_404(client, db):
    for url in (f"{API}/", f"{API}/nothing/here"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"message": "Không tìm thấy."}


def test_malformed_json_is_400_in_vietnamese(client, officer):
    _user, headers = officer

    response = client.post(
        f"{API}/schools", "{not json", content_type="application/json", **headers
    )

    assert response.status_code == 400
    assert "JSON hợp lệ" in response.json()["message"]


def test_vietnamese_text_is_sent_as_utf8(client, officer):
    _user, headers = officer

    response = client.get(f"{API}/areas/24", **headers)

    assert "Bắc Ninh".encode() in response.content
