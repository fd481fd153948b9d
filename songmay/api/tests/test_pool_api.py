import datetime as dt

import pytest
from django.utils import timezone

from songmay.accounts.services import api_token_create
from songmay.inventory.models import Device
from songmay.pool.models import Loan, WriteOff
from songmay.pool.tests import conftest as pool_fixtures

pytestmark = pytest.mark.django_db

pool_world = pool_fixtures.pool_world  # the pool tests' world, shared

API = "/api/v1/pool"


def bearer(user):
    _token, key = api_token_create(actor=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def post(client, url, user, body=None):
    return client.post(url, body or {}, content_type="application/json", **bearer(user))


def in_days(days):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_lend_return_repair_through_the_api(client, pool_world):
    w = pool_world
    tags = [w["tablets"][0].asset_tag, w["tablets"][1].serial]
    response = post(
        client, f"{API}/loans", w["officer"],
        {"devices": tags, "school": w["schools"]["lucngan"].code, "due_on": in_days(30)},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    loans = response.json()
    assert len(loans) == 2 and len({loan["batch"] for loan in loans}) == 1
    assert loans[0]["school"]["code"] == w["schools"]["lucngan"].code

    again = post(
        client, f"{API}/loans", w["officer"],
        {"devices": tags[:1], "school": w["schools"]["sondong"].code, "due_on": in_days(30)},
    )  # fmt: skip
    assert again.status_code == 400
    assert "đang được cho mượn" in again.json()["message"]

    loan_id = loans[0]["id"]
    back = post(
        client, f"{API}/loans/{loan_id}/return", w["staff_ln"],
        {"returned_on": in_days(0), "condition": "needs_repair"},
    )  # fmt: skip
    assert back.status_code == 200, back.content
    assert (back.json()["status"], back.json()["device"]["status"]) == ("returned", "in_repair")
    twice = post(
        client, f"{API}/loans/{loan_id}/return", w["staff_ln"],
        {"returned_on": in_days(0), "condition": "good"},
    )  # fmt: skip
    assert twice.status_code == 400 and "đã được trả" in twice.json()["message"]

    device_id = back.json()["device"]["id"]
    fixed = post(
        client, f"{API}/devices/{device_id}/repair-finish", w["officer"], {"condition": "good"}
    )
    assert fixed.status_code == 200 and fixed.json()["status"] == "available"


def test_write_off_needs_a_second_person_through_the_api(client, pool_world):
    w = pool_world
    [loan] = pool_fixtures_loans(w, 1)
    post(
        client, f"{API}/loans/{loan.pk}/return", w["officer"],
        {"returned_on": in_days(0), "condition": "unusable", "note": "Cháy nguồn"},
    )  # fmt: skip
    request = WriteOff.objects.get()
    same = post(client, f"{API}/write-offs/{request.pk}/decide", w["staff_ln"], {"approve": True})
    assert same.status_code == 403  # school staff do not decide
    own = post(client, f"{API}/write-offs/{request.pk}/decide", w["officer"], {"approve": True})
    assert own.status_code == 400 and "người thứ hai" in own.json()["message"]
    ok = post(client, f"{API}/write-offs/{request.pk}/decide", w["officer2"], {"approve": True})
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert Device.objects.get(pk=loan.device_id).status == "written_off"


def pool_fixtures_loans(w, count):
    from songmay.pool.services import loan_out

    return loan_out(
        actor=w["officer"], devices=w["tablets"][:count], school=w["schools"]["lucngan"],
        due_on=timezone.localdate() + dt.timedelta(days=14),
    )  # fmt: skip


def test_recall_through_the_api_is_scoped(client, pool_world, django_capture_on_commit_callbacks):
    w = pool_world
    pool_fixtures_loans(w, 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, f"{API}/recalls", w["officer"],
            {"campaign": w["campaign"].pk, "due_on": in_days(10), "reason": "Cuối năm học"},
        )  # fmt: skip
    assert response.status_code == 201, response.content
    recall = response.json()
    assert (recall["total"], recall["waiting"]) == (2, 2)

    detail = client.get(f"{API}/recalls/{recall['id']}", **bearer(w["staff_ln"]))
    items = detail.json()["items"]
    assert len(items) == 2
    answer = post(
        client, f"{API}/recall-items/{items[0]['id']}/answer", w["staff_ln"],
        {"answer": "will_return"},
    )  # fmt: skip
    assert answer.status_code == 200 and answer.json()["answer"] == "will_return"

    outsider = client.get(f"{API}/recalls/{recall['id']}", **bearer(w["staff_sd"]))
    assert outsider.status_code == 404
    assert client.get(f"{API}/recalls", **bearer(w["officer_pt"])).json()["count"] == 0
    assert client.get(f"{API}/loans", **bearer(w["staff_sd"])).json()["count"] == 0
    assert client.get(f"{API}/loans", **bearer(w["area_ln"])).json()["count"] == 2
    forbidden = post(
        client, f"{API}/recall-items/{items[0]['id']}/answer", w["auditor"], {"answer": "lost"}
    )
    assert forbidden.status_code == 403


def test_overdue_filter_and_school_filter(client, pool_world):
    w = pool_world
    loans = pool_fixtures_loans(w, 2)
    Loan.objects.filter(pk=loans[0].pk).update(
        lent_on=timezone.localdate() - dt.timedelta(days=20),
        due_on=timezone.localdate() - dt.timedelta(days=1),
    )
    body = client.get(f"{API}/loans?overdue=true", **bearer(w["officer"])).json()
    assert [row["id"] for row in body["items"]] == [loans[0].pk]
    assert body["items"][0]["overdue"] is True
    unknown = client.get(f"{API}/loans?school=KHONG", **bearer(w["officer"]))
    assert unknown.status_code == 404
