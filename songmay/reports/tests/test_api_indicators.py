"""GET /api/v1/campaigns/{id}/indicators: the report's JSON within the token user's scope."""

import pytest

from songmay.accounts.scope import Role
from songmay.accounts.services import api_token_create


def url(campaign):
    return f"/api/v1/campaigns/{campaign.pk}/indicators"


def bearer(user):
    _token, key = api_token_create(actor=user, name="chỉ số")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def call(client):
    def get(user, campaign, **query):
        headers = bearer(user) if user is not None else {}
        return client.get(url(campaign), query, **headers)

    return get


def test_province_officer_gets_the_campaign_figures(call, gifts, pupils):
    response = call(gifts["officer"], gifts["campaign"])
    assert response.status_code == 200
    data = response.json()
    assert data["campaign"]["id"] == gifts["campaign"].pk
    assert data["place"]["name"] == "Bắc Ninh"
    assert data["pupils_in_need"]["total"] == 5
    assert data["pupils_in_need"]["by_level"]["primary"] == 5
    assert data["money"] == {"received": 70_000_000, "spent": 30_000_000, "balance": 40_000_000}
    assert data["gifts_received"]["smartphone"] == 7
    assert {area["name"] for area in data["areas"]} >= {"Xã Lục Ngạn", "Xã Sơn Động"}
    assert "Bắc Ninh" in response.content.decode()  # UTF-8, not \u escapes


def test_area_and_school_within_the_scope(call, gifts, pupils, place, make_user):
    lucngan, sondong = place["communes"]["lucngan"], place["communes"]["sondong"]
    officer = make_user(Role.AREA_OFFICER, area=lucngan)
    data = call(officer, gifts["campaign"]).json()
    assert data["place"] == {"kind": "area", "id": lucngan.pk, "name": lucngan.name}
    assert data["pupils_in_need"]["total"] == 3
    assert data["money"] is None
    school = place["schools"]["lucngan"]
    data = call(officer, gifts["campaign"], school=school.pk).json()
    assert data["place"] == {"kind": "school", "id": school.pk, "name": school.name}
    for outside in ({"area": sondong.pk}, {"school": place["schools"]["sondong"].pk}):
        response = call(officer, gifts["campaign"], **outside)
        assert response.status_code == 404, outside
        assert response.json()["message"]
    staff = make_user(Role.SCHOOL_STAFF, school=school)
    assert call(staff, gifts["campaign"]).json()["place"]["kind"] == "school"


def test_another_province_gets_404_a_donor_403_and_no_token_401(call, gifts, place, make_user):
    from songmay.campaigns.demo import load_demo
    from songmay.donations.models import Donor

    response = call(make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]), gifts["campaign"])
    assert response.status_code == 404
    assert response.json() == {"message": "Không tìm thấy."}
    load_demo(students=False)
    donor = make_user(Role.DONOR, donor=Donor.objects.first())
    assert call(donor, gifts["campaign"]).status_code == 403
    assert call(None, gifts["campaign"]).status_code == 401
    missing = gifts["campaign"].__class__(pk=gifts["campaign"].pk + 999)
    assert call(gifts["officer"], missing).status_code == 404


def test_bad_query_is_422(call, gifts):
    response = call(gifts["officer"], gifts["campaign"], area="Lục Ngạn")
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Phải là số nguyên."
