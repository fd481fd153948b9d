"""Package requests and broadband through the API, as an operator's own system uses them."""

import datetime as dt

import pytest
from django.utils import timezone

from songmay.accounts.services import api_token_create
from songmay.connectivity.models import ConnectivitySupport, SupportStatus
from songmay.connectivity.package_services import broadband_request, support_request
from songmay.connectivity.tests.conftest import package_world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/connectivity"


@pytest.fixture
def api(package_world, client):  # noqa: F811
    keys = {
        name: api_token_create(actor=user, name="hệ thống nhà mạng")[1]
        for name, user in package_world["users"].items()
    }

    def call(who, method, path, body=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {keys[who]}"}
        if method == "get":
            return client.get(BASE + path, **headers)
        return client.post(BASE + path, data=body or {}, content_type="application/json", **headers)

    for need, code in (("need_ln", "viettel"), ("need_ln2", "viettel"), ("need_sd", "mobifone")):
        support_request(
            actor=None, need=package_world[need], package=package_world["packages"][code],
            phone="0983934091", consent_given=True, consent_on=dt.date(2021, 9, 20),
        )  # fmt: skip
    return call


def test_an_operator_lists_only_its_own_requests(package_world, api):  # noqa: F811
    viettel = api("viettel", "get", "/supports").json()
    assert viettel["count"] == 2
    assert {item["operator"] for item in viettel["items"]} == {"viettel"}
    assert api("mobifone", "get", "/supports?status=requested").json()["count"] == 1
    assert api("mobifone", "get", "/supports?status=active").json()["count"] == 0


def test_batch_then_results_round_trip(package_world, api):  # noqa: F811
    response = api("viettel", "post", "/batches", {})
    assert response.status_code == 201
    batch = response.json()
    assert batch["number"] == 1
    ids = sorted(row["request_id"] for row in batch["rows"])
    assert len(ids) == 2
    today = timezone.localdate().isoformat()
    response = api(
        "viettel", "post", "/results",
        {"results": [
            {"request_id": ids[0], "result": "activated", "activated_on": today},
            {"request_id": ids[1], "result": "failed", "reason": "Thuê bao không liên lạc được"},
        ]},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["activated"] == 1
    assert ConnectivitySupport.objects.get(pk=ids[0]).status == SupportStatus.ACTIVE


def test_results_with_one_bad_line_change_nothing_and_name_the_line(package_world, api):  # noqa: F811
    ids = sorted(row["request_id"] for row in api("viettel", "post", "/batches", {}).json()["rows"])
    other = ConnectivitySupport.objects.get(operator__code="mobifone").pk
    response = api(
        "viettel", "post", "/results",
        {"results": [
            {"request_id": ids[0], "result": "activated", "activated_on": "2021-10-01"},
            {"request_id": other, "result": "activated", "activated_on": "2021-10-01"},
        ]},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] == 2
    assert "dòng 2" in response.json()["message"]
    assert not ConnectivitySupport.objects.filter(status=SupportStatus.ACTIVE).exists()


def test_an_operator_cannot_name_another_operator(package_world, api):  # noqa: F811
    response = api("mobifone", "post", "/batches", {"operator": "viettel"})
    assert response.status_code == 404
    assert not ConnectivitySupport.objects.filter(status=SupportStatus.SENT).exists()
    assert api("school_ln", "post", "/batches", {}).status_code == 403


def test_broadband_is_moved_on_only_by_its_operator(package_world, api):  # noqa: F811
    request = broadband_request(
        actor=None, need=package_world["need_ln"], operator=package_world["operators"]["viettel"],
        kind="free_installation", address="Thôn Đồng Mới", phone="0983934091",
    )  # fmt: skip
    path = f"/broadband/{request.pk}"
    assert api("mobifone", "post", path, {"status": "accepted"}).status_code == 404
    assert api("mobifone", "get", "/broadband").json()["count"] == 0
    assert api("viettel", "get", "/broadband").json()["count"] == 1
    today = timezone.localdate().isoformat()
    response = api("viettel", "post", path, {"status": "installed", "installed_on": today})
    assert response.status_code == 200
    assert response.json()["status"] == "installed"
