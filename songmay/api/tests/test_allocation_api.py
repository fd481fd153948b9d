import datetime as dt

import pytest
from django.utils import timezone

from songmay.accounts.services import api_token_create
from songmay.allocation.models import AllocationRun, Assignment, Handover, RunStatus
from songmay.allocation.tests import conftest as allocation_fixtures
from songmay.audit.models import AuditEntry
from songmay.students.models import Need

pytestmark = pytest.mark.django_db

alloc_world = allocation_fixtures.alloc_world  # the allocation tests' world, shared

API = "/api/v1"


def bearer(user):
    _token, key = api_token_create(actor=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def post(client, url, user, body=None):
    return client.post(url, body or {}, content_type="application/json", **bearer(user))


def test_start_read_and_approve_a_run(client, alloc_world):
    w = alloc_world
    url = f"{API}/campaigns/{w['campaign'].pk}/allocation-runs"
    response = post(client, url, w["officer"], {"excluded_devices": [w["devices"][0].pk]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["status"], body["excluded_devices"]) == (
        1,
        "draft",
        [w["devices"][0].pk],
    )
    assert body["summary"]["served"] == 2 and body["summary"]["left"] == 3
    run_id = body["id"]

    read = client.get(f"{API}/allocation-runs/{run_id}", **bearer(w["officer"]))
    assert read.status_code == 200 and read.json()["summary"] == body["summary"]

    proposals = client.get(f"{API}/allocation-runs/{run_id}/proposals", **bearer(w["officer"]))
    page = proposals.json()
    assert page["count"] == 2
    assert {row["device"]["id"] for row in page["items"]} == {
        w["devices"][1].pk,
        w["devices"][2].pk,
    }
    assert all(row["student"] and row["why"] for row in page["items"])

    approved = post(client, f"{API}/allocation-runs/{run_id}/approve", w["officer"])
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert Assignment.objects.filter(run_id=run_id).count() == 2


def test_an_overlapping_approval_is_a_400_with_the_message(client, alloc_world):
    from songmay.allocation.services import run_approve, run_create

    w = alloc_world
    first = run_create(actor=w["officer"], campaign=w["campaign"])
    second = run_create(actor=w["officer"], campaign=w["campaign"])
    run_approve(actor=w["officer"], run=first)
    response = post(client, f"{API}/allocation-runs/{second.pk}/approve", w["officer"])
    assert response.status_code == 400
    assert "trùng với lượt số 1" in response.json()["message"]
    second.refresh_from_db()
    assert second.status == RunStatus.DRAFT


def test_runs_are_404_outside_the_province_and_403_for_school_staff(client, alloc_world):
    w = alloc_world
    url = f"{API}/campaigns/{w['campaign'].pk}/allocation-runs"
    assert post(client, url, w["officer_pt"]).status_code == 404
    assert post(client, url, w["staff_ln"]).status_code == 403
    run = AllocationRun.objects.get(pk=post(client, url, w["officer"]).json()["id"])
    assert (
        client.get(f"{API}/allocation-runs/{run.pk}", **bearer(w["officer_pt"])).status_code == 404
    )
    approve = f"{API}/allocation-runs/{run.pk}/approve"
    assert post(client, approve, w["officer_pt"]).status_code == 404
    assert post(client, approve, w["staff_ln"]).status_code == 403
    assert not Assignment.objects.exists()


def test_school_staff_list_their_assignments_and_record_the_handover(client, alloc_world):
    from songmay.allocation.services import run_approve, run_create

    w = alloc_world
    run_approve(actor=w["officer"], run=run_create(actor=w["officer"], campaign=w["campaign"]))
    listed = client.get(f"{API}/assignments", **bearer(w["staff_ln"])).json()
    assert listed["count"] == 2
    assert {row["school"]["code"] for row in listed["items"]} == {w["schools"]["lucngan"].code}
    row = listed["items"][0]
    assert row["status"] == "active" and row["overdue"] is False
    other = client.get(f"{API}/assignments", **bearer(w["staff_sd"])).json()
    assert row["id"] not in {item["id"] for item in other["items"]}

    url = f"{API}/assignments/{row['id']}/handover"
    body = {
        "handed_over_on": timezone.localdate().isoformat(),
        "received_by": "Nguyễn Văn Bố",
        "relation": "father",
    }
    assert post(client, url, w["staff_sd"], body).status_code == 404
    response = post(client, url, w["staff_ln"], body)
    assert response.status_code == 201, response.content
    assert response.json()["relation"] == "father"
    assert Handover.objects.get().assignment_id == row["id"]
    assert Need.objects.get(pk=row["need"]).status == "equipped"
    assert AuditEntry.objects.filter(action="assignment.handed_over", via="api").exists()
    again = post(client, url, w["staff_ln"], body)
    assert again.status_code == 400 and again.json()["message"]


def test_a_handover_in_the_future_is_a_400_naming_the_field(client, alloc_world):
    from songmay.allocation.services import run_approve, run_create

    w = alloc_world
    run_approve(actor=w["officer"], run=run_create(actor=w["officer"], campaign=w["campaign"]))
    assignment = Assignment.objects.filter(need__school=w["schools"]["lucngan"]).first()
    body = {
        "handed_over_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        "received_by": "Nguyễn Văn Bố",
        "relation": "father",
    }
    response = post(client, f"{API}/assignments/{assignment.pk}/handover", w["staff_ln"], body)
    assert response.status_code == 400
    assert response.json()["field"] == "handed_over_on"


def test_overdue_assignments_are_listed_on_request(client, alloc_world):
    from songmay.allocation.services import run_approve, run_create

    w = alloc_world
    run_approve(actor=w["officer"], run=run_create(actor=w["officer"], campaign=w["campaign"]))
    late = Assignment.objects.order_by("pk").first()
    Assignment.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - dt.timedelta(1))
    listed = client.get(f"{API}/assignments?overdue=true", **bearer(w["officer"])).json()
    assert [(row["id"], row["overdue"]) for row in listed["items"]] == [(late.pk, True)]
