import pytest

from songmay.accounts.services import api_token_create
from songmay.pool.tests import conftest as pool_fixtures
from songmay.pool.transfer_services import transfer_approve, transfer_request, transfer_send

pytestmark = pytest.mark.django_db

transfer_world = pool_fixtures.transfer_world  # the pool tests' world, shared

API = "/api/v1/pool"


def bearer(user):
    _token, key = api_token_create(actor=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def sent(transfer_world):
    w = transfer_world
    transfer = transfer_request(
        actor=w["officer"], campaign=w["campaign"], devices=w["tablets"][:2],
        to_school=w["schools"]["sondong"],
    )  # fmt: skip
    transfer_approve(actor=w["officer"], transfer=transfer)
    return transfer_send(actor=w["officer"], transfer=transfer)


def test_a_scanner_confirms_arrivals_one_label_at_a_time(client, transfer_world, sent):
    w = transfer_world
    staff = bearer(w["staff_sd"])
    url = f"{API}/transfers/{sent.pk}/receive"
    qr = f"https://songmay.vn/inventory/devices/{w['tablets'][0].pk}/"
    response = client.post(url, {"tags": [qr]}, content_type="application/json", **staff)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_transit"
    assert [item["received_at"] is not None for item in body["items"]] == [True, False]
    response = client.post(
        url, {"tags": [w["tablets"][1].asset_tag]}, content_type="application/json", **staff
    )
    assert response.json()["status"] == "received"


def test_a_tag_not_on_the_transfer_is_a_400_with_the_reason(client, transfer_world, sent):
    w = transfer_world
    response = client.post(
        f"{API}/transfers/{sent.pk}/receive", {"tags": [w["tablets"][3].asset_tag]},
        content_type="application/json", **bearer(w["staff_sd"]),
    )  # fmt: skip
    assert response.status_code == 400
    assert w["tablets"][3].asset_tag in response.json()["message"]


def test_counts_reconcile_through_the_api(client, transfer_world, sent):
    w = transfer_world
    response = client.get(
        f"{API}/pool-counts", {"campaign": w["campaign"].pk}, **bearer(w["officer"])
    )
    body = response.json()
    assert body["reconciles"] and body["inventory"] == 5
    sondong = next(row for row in body["rows"] if "Sơn Động" in row["place"])
    assert sondong["transit"] == 2


def test_another_schools_staff_cannot_see_the_transfer(client, transfer_world, sent):
    response = client.get(f"{API}/transfers/{sent.pk}", **bearer(transfer_world["staff_ln"]))
    assert response.status_code == 404


def test_an_officer_requests_approves_sends_and_closes_a_transfer(client, transfer_world):
    w = transfer_world
    officer = bearer(w["officer"])
    tags = [tablet.asset_tag for tablet in w["tablets"][:2]]
    response = client.post(
        f"{API}/transfers",
        {"campaign": w["campaign"].pk, "tags": tags, "to_school": w["schools"]["sondong"].code},
        content_type="application/json", **officer,
    )  # fmt: skip
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    for step, status in (("approve", "approved"), ("send", "in_transit")):
        response = client.post(f"{API}/transfers/{pk}/{step}", **officer)
        assert response.json()["status"] == status, response.content
    client.post(
        f"{API}/transfers/{pk}/receive", {"tags": tags[:1]},
        content_type="application/json", **officer,
    )  # fmt: skip
    body = client.post(f"{API}/transfers/{pk}/close", **officer).json()
    assert [item["missing"] for item in body["items"]] == [False, True]
    # A step out of order is a 400 with the reason, and a device nobody can see a 404.
    refused = client.post(f"{API}/transfers/{pk}/cancel", **officer)
    assert refused.status_code == 400 and refused.json()["message"]
    unknown = client.post(
        f"{API}/transfers",
        {"campaign": w["campaign"].pk, "tags": ["TB999-000001"], "to_warehouse": w["store"].pk},
        content_type="application/json", **officer,
    )  # fmt: skip
    assert unknown.status_code == 404 and "TB999-000001" in unknown.json()["message"]
