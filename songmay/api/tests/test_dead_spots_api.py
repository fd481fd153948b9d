"""The dead spot API as an operator's own system uses it with its token: it sees and moves
only its own dead spots (another operator's is a 404), up to "covered"."""

import pytest

from songmay.accounts.services import api_token_create
from songmay.connectivity.models import DeadSpot
from songmay.connectivity.tests import conftest as connectivity_fixtures

pytestmark = pytest.mark.django_db

spot_world = connectivity_fixtures.spot_world  # the connectivity tests' world, shared

API = "/api/v1/dead-spots"


def bearer(user):
    _token, key = api_token_create(actor=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def post(client, url, user, body):
    return client.post(url, body, content_type="application/json", **bearer(user))


def test_an_operator_lists_only_its_own_dead_spots(client, spot_world):
    response = client.get(API, **bearer(spot_world["users"]["viettel"]))
    assert response.status_code == 200
    body = response.json()
    assert [item["village"] for item in body["items"]] == ["Thôn Khe Nghè"]
    assert body["items"][0]["operator"]["code"] == "viettel"
    assert body["items"][0]["overdue"] is True


def test_another_operators_dead_spot_is_404_to_read_and_to_change(client, spot_world):
    viettel, other = spot_world["users"]["viettel"], spot_world["spot_sd"]
    assert client.get(f"{API}/{other.pk}", **bearer(viettel)).status_code == 404
    response = post(client, f"{API}/{other.pk}/status", viettel, {"status": "surveyed"})
    assert response.status_code == 404
    assert DeadSpot.objects.get(pk=other.pk).status == "reported"


def test_an_operator_moves_its_dead_spot_up_to_covered(client, spot_world):
    viettel, spot = spot_world["users"]["viettel"], spot_world["spot_ln"]
    url = f"{API}/{spot.pk}/status"
    response = post(client, url, viettel, {"status": "building", "comment": "Đang dựng trạm"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "building"
    assert post(client, url, viettel, {"status": "surveyed"}).status_code == 400
    response = post(client, url, viettel, {"status": "covered", "comment": "Đo được 4G 20 Mb/s"})
    assert response.json()["covered_on"] is not None
    assert response.json()["overdue"] is False
    refused = post(client, url, viettel, {"status": "verified", "comment": "ok"})
    assert refused.status_code == 400
    assert "cán bộ" in refused.json()["message"]


def test_officers_report_operators_may_not(client, spot_world):
    body = {
        "area": spot_world["communes"]["lucngan"].code, "village": "Thôn Qua API",
        "reported_on": "2021-10-01", "operator": "viettel", "latitude": "21.4",
        "longitude": "106.5",
    }  # fmt: skip
    assert post(client, API, spot_world["users"]["viettel"], body).status_code == 403
    response = post(client, API, spot_world["users"]["area_ln"], body)
    assert response.status_code == 201, response.content
    assert response.json()["operator"]["name"] == "Viettel"
    outside = post(client, API, spot_world["users"]["area_sd"], {**body, "village": "Khác"})
    assert outside.status_code == 404
