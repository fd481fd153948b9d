import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone

from songmay.allocation.models import (
    AllocationRun,
    Assignment,
    AssignmentStatus,
    Handover,
    Proposal,
    RunStatus,
    Unserved,
)
from songmay.allocation.selectors import (
    assignment_list,
    equipped_count,
    policy_for,
    run_get,
    run_list,
)
from songmay.allocation.services import (
    PolicyData,
    assignment_return,
    handover_record,
    policy_update,
    run_approve,
    run_create,
    run_discard,
    run_reproduce,
    run_rerun,
)
from songmay.audit.models import AuditEntry
from songmay.inventory.models import Device, DeviceEvent
from songmay.inventory.selectors import device_timeline
from songmay.lib.errors import DomainError
from songmay.students.models import Need

pytestmark = pytest.mark.django_db

TODAY = dt.date.today


def _pairs(run):
    return set(Proposal.objects.filter(run=run).values_list("need_id", "device_id"))


def _statuses(devices):
    return [Device.objects.get(pk=device.pk).status for device in devices]


def test_a_draft_proposes_without_reserving_anything(alloc_world):
    w = alloc_world
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    assert (run.number, run.status) == (1, RunStatus.DRAFT)
    assert Proposal.objects.filter(run=run).count() == 3
    # The pupil of no listed household category is never served.
    left = set(Unserved.objects.filter(run=run).values_list("need_id", flat=True))
    assert {w["needs"][3].pk, w["needs"][4].pk} == left
    assert _statuses(w["devices"]) == ["available"] * 3
    assert not Assignment.objects.exists()
    assert AuditEntry.objects.filter(action="allocation_run.created", target_id=str(run.pk))


def test_the_summary_counts_by_tier_commune_kind_and_level(alloc_world, place):
    run = run_create(actor=alloc_world["officer"], campaign=alloc_world["campaign"])
    summary = run.summary
    assert {k: summary[k] for k in ("served", "left", "idle", "pupils", "devices")} == {
        "served": 3, "left": 2, "idle": 0, "pupils": 5, "devices": 3,
    }  # fmt: skip
    assert sum(tier["served"] for tier in summary["by_tier"]) == 3
    assert all(set(tier) == {"tier", "label", "need", "served"} for tier in summary["by_tier"])
    areas = {row["area_id"]: (row["area"], row["need"]) for row in summary["by_area"]}
    lucngan, sondong = place["communes"]["lucngan"], place["communes"]["sondong"]
    assert areas == {lucngan.pk: (lucngan.name, 3), sondong.pk: (sondong.name, 2)}
    kinds = {row["kind"]: (row["available"], row["given"]) for row in summary["by_kind"]}
    assert kinds == {"tablet": (2, 2), "laptop": (1, 1)}
    assert summary["by_level"] == [
        {"level": "primary", "label": "Tiểu học", "need": 5, "served": 3}
    ]
    assert summary["changes"] == {"previous": None, "added": 3, "removed": 0, "kept": 0}


def test_only_confirmed_pupils_lacking_a_device_and_fit_available_devices_are_read(
    alloc_world,
):
    from songmay.students.services import need_withdraw

    w = alloc_world
    need_withdraw(actor=None, need=w["needs"][0], reason="Gia đình đã tự mua máy")
    Need.objects.filter(pk=w["needs"][1].pk).update(lacking="connectivity")
    Device.objects.filter(pk=w["devices"][0].pk).update(meets_minimum=False)
    Device.objects.filter(pk=w["devices"][1].pk).update(status="in_repair")
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    assert (run.summary["pupils"], run.summary["devices"]) == (3, 1)


def test_excluding_a_pupil_and_a_device_then_rerunning(alloc_world):
    w = alloc_world
    first = run_create(actor=w["officer"], campaign=w["campaign"])
    an, laptop = w["needs"][0], w["devices"][2]
    second = run_rerun(
        actor=w["officer"], run=first, exclude_needs=[an.pk], exclude_devices=[laptop.pk]
    )
    assert second.number == 2 and second.status == RunStatus.DRAFT
    assert (second.excluded_needs, second.excluded_devices) == ([an.pk], [laptop.pk])
    pairs = _pairs(second)
    assert an.pk not in {need for need, _ in pairs}
    assert laptop.pk not in {device for _, device in pairs}
    assert len(pairs) == 2
    changes = second.summary["changes"]
    assert changes["previous"] == 1
    assert changes["kept"] + changes["added"] == 2
    assert changes["kept"] + changes["removed"] == 3
    # A third run keeps both exclusions.
    third = run_rerun(actor=w["officer"], run=second, exclude_needs=[w["needs"][2].pk])
    assert third.excluded_needs == sorted([an.pk, w["needs"][2].pk])
    assert third.excluded_devices == [laptop.pk]


@pytest.mark.parametrize(
    "table", ["allocation_proposal", "inventory_device", "students_need", "students_student"]
)
def test_the_database_keeps_what_an_assignment_names_through_its_proposal(alloc_world, table):
    w = alloc_world
    run = run_approve(
        actor=w["officer"], run=run_create(actor=w["officer"], campaign=w["campaign"])
    )
    assignment = Assignment.objects.filter(run=run).select_related("proposal", "need").first()
    proposal = assignment.proposal
    assert (assignment.run_id, assignment.need_id, assignment.device_id) == (
        proposal.run_id, proposal.need_id, proposal.device_id,
    )  # fmt: skip
    assert (assignment.student_id, assignment.campaign_id) == (
        assignment.need.student_id, run.campaign_id,
    )  # fmt: skip
    row = {
        "allocation_proposal": proposal.pk,
        "inventory_device": assignment.device_id,
        "students_need": assignment.need_id,
        "students_student": assignment.student_id,
    }[table]
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row])  # noqa: S608 - ours
        connection.check_constraints()


def test_events_of_earlier_approvals_go_so_the_history_shows_each_allocation_once(alloc_world):
    w = alloc_world
    run = run_approve(
        actor=w["officer"], run=run_create(actor=w["officer"], campaign=w["campaign"])
    )
    assignment = Assignment.objects.filter(run=run).order_by("pk").first()
    device = assignment.device
    # What an approval wrote before its assignments were the history's entries.
    DeviceEvent.objects.create(
        device=device, at=assignment.created_at, kind="status", from_status="available",
        to_status="assigned", actor=w["officer"], note=f"Phân bổ theo lượt số {run.number}",
    )  # fmt: skip
    typed = DeviceEvent.objects.create(
        device=device, at=timezone.now(), kind="status", from_status="available",
        to_status="assigned", actor=w["officer"], note="Phân bổ theo lượt số 1 (ghi tay)",
    )  # fmt: skip
    assert [e.to_status for e in device_timeline(device)].count("assigned") == 3

    migration = importlib.import_module(
        "songmay.allocation.migrations.0005_approval_events_read_from_assignments"
    )
    migration.drop_approval_events(django_apps, None)

    assert list(DeviceEvent.objects.filter(to_status="assigned")) == [typed]
    assert [e.to_status for e in device_timeline(device)].count("assigned") == 2


def test_approval_reserves_the_devices_creates_the_assignments_and_audits(alloc_world):
    w = alloc_world
    older = run_create(actor=w["officer"], campaign=w["campaign"])
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    run = run_approve(actor=w["officer"], run=run)
    assert run.status == RunStatus.APPROVED and run.approved_by == w["officer"]
    assignments = Assignment.objects.filter(run=run)
    assert set(assignments.values_list("need_id", "device_id")) == _pairs(run)
    policy = policy_for(w["campaign"])
    due = timezone.localdate() + dt.timedelta(days=policy.handover_days)
    for assignment in assignments:
        assert assignment.status == AssignmentStatus.ACTIVE
        assert assignment.student_id == assignment.need.student_id
        assert assignment.due_on == due
    assert _statuses(w["devices"]) == ["assigned"] * 3
    # Each device's history shows the approval, from the assignment itself.
    for device in w["devices"]:
        latest = device_timeline(device)[0]
        assert (latest.from_status, latest.to_status) == ("available", "assigned")
        assert latest.actor == w["officer"]
        assert latest.note == f"Phân bổ theo lượt số {run.number}"
    assert not DeviceEvent.objects.filter(to_status="assigned").exists()
    entry = AuditEntry.objects.get(action="allocation_run.approved")
    assert entry.changes["assignments"] == 3 and entry.actor == w["officer"]
    older.refresh_from_db()
    assert older.status == RunStatus.DISCARDED


def test_a_second_overlapping_approval_is_refused_and_writes_nothing(alloc_world):
    w = alloc_world
    first = run_create(actor=w["officer"], campaign=w["campaign"])
    second = run_create(actor=w["officer"], campaign=w["campaign"])
    run_approve(actor=w["officer"], run=first)
    with pytest.raises(DomainError) as refused:
        run_approve(actor=w["officer"], run=second)
    message = refused.value.message
    assert message.startswith("Lượt phân bổ này trùng với lượt số 1 đã được phê duyệt lúc")
    assert message.endswith("đã được phân bổ. Hãy chạy lại.")
    assert Assignment.objects.count() == 3
    second.refresh_from_db()
    assert second.status == RunStatus.DRAFT
    # Approving the same run twice is refused too.
    with pytest.raises(DomainError, match="đã được phê duyệt"):
        run_approve(actor=w["officer"], run=first)


def test_a_draft_made_stale_by_a_withdrawal_is_refused(alloc_world):
    from songmay.students.services import need_withdraw

    w = alloc_world
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    need_withdraw(actor=None, need=w["needs"][0], reason="Chuyển trường")
    with pytest.raises(DomainError, match="Nguyễn Văn An không còn chờ phân bổ"):
        run_approve(actor=w["officer"], run=run)
    assert not Assignment.objects.exists()
    assert _statuses(w["devices"]) == ["available"] * 3


def test_a_discarded_run_cannot_be_approved(alloc_world):
    w = alloc_world
    run = run_discard(
        actor=w["officer"], run=run_create(actor=w["officer"], campaign=w["campaign"])
    )
    assert run.status == RunStatus.DISCARDED
    with pytest.raises(DomainError, match="đã bị bỏ"):
        run_approve(actor=w["officer"], run=run)


def test_only_officers_of_the_campaign_province_run_allocations(alloc_world):
    w = alloc_world
    with pytest.raises(DomainError, match="ngoài phạm vi"):
        run_create(actor=w["officer_pt"], campaign=w["campaign"])
    with pytest.raises(PermissionDenied):
        run_create(actor=w["staff_ln"], campaign=w["campaign"])
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    with pytest.raises(Http404):
        run_get(user=w["officer_pt"], pk=run.pk)
    assert run_get(user=w["officer"], pk=run.pk) == run
    assert not run_list(user=w["officer_pt"]).exists()
    assert list(run_list(user=w["officer"], campaign=w["campaign"])) == [run]


def test_a_run_is_reproducible_from_its_stored_inputs(alloc_world):
    w = alloc_world
    run = run_create(actor=w["officer"], campaign=w["campaign"], excluded_devices=[])
    # The world changes after the run: its stored inputs do not.
    Need.objects.filter(pk=w["needs"][3].pk).update(household="poor")
    Device.objects.filter(pk=w["devices"][0].pk).update(status="in_repair")
    result = run_reproduce(run)
    assert {(a.pupil, a.device) for a in result.assigned} == _pairs(run)
    stored = {
        (p.need_id, p.device_id): (p.tier, p.preference, p.distance, p.why)
        for p in Proposal.objects.filter(run=run)
    }
    assert {
        (a.pupil, a.device): (a.tier, a.preference, a.distance, a.why) for a in result.assigned
    } == stored
    assert {left.pupil for left in result.left} == set(
        Unserved.objects.filter(run=run).values_list("need_id", flat=True)
    )


def test_siblings_share_a_household_key_that_is_not_their_phone(alloc_world):
    from songmay.allocation.inputs import decode

    w = alloc_world
    Need.objects.get(pk=w["needs"][1].pk).student.__class__.objects.filter(
        pk=w["needs"][1].student_id
    ).update(guardian_phone="+84981000001")
    Need.objects.get(pk=w["needs"][0].pk).student.__class__.objects.filter(
        pk=w["needs"][0].student_id
    ).update(guardian_phone="+84981000001")
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    blob = AllocationRun.objects.values_list("inputs", flat=True).get(pk=run.pk)
    assert b"0981000001" not in bytes(blob)
    pupils = {pupil.id: pupil for pupil in decode(blob).pupils}
    an, binh = pupils[w["needs"][0].pk], pupils[w["needs"][1].pk]
    assert an.household_key == binh.household_key != ""
    assert {an.sibling, binh.sibling} == {0, 1}
    assert pupils[w["needs"][2].pk].household_key == ""


def _approved(w):
    run = run_approve(
        actor=w["officer"], run=run_create(actor=w["officer"], campaign=w["campaign"])
    )
    at_lucngan = Assignment.objects.filter(run=run, need__school=w["schools"]["lucngan"])
    return run, at_lucngan.order_by("pk").first()


def test_a_handover_equips_the_pupil(alloc_world):
    w = alloc_world
    _run, assignment = _approved(w)
    staff = w["staff_ln"]
    assert equipped_count(user=staff) == 0
    handover = handover_record(
        actor=staff,
        assignment=assignment,
        handed_over_on=timezone.localdate(),
        received_by="  Nguyễn  Văn Bố ",
        relation="father",
        scan=ContentFile(b"%PDF-1.4", name="bien-ban.pdf"),
    )
    assert Handover.objects.get() == handover and handover.received_by == "Nguyễn Văn Bố"
    assert handover.scan.name.endswith(".pdf")
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.HANDED_OVER
    assert Device.objects.get(pk=assignment.device_id).status == "handed_over"
    assert Need.objects.get(pk=assignment.need_id).status == "equipped"
    assert equipped_count(user=staff) == 1
    assert equipped_count(user=w["staff_sd"]) == 0
    assert AuditEntry.objects.filter(action="assignment.handed_over").count() == 1
    with pytest.raises(DomainError, match="chỉ ghi bàn giao"):
        handover_record(
            actor=staff,
            assignment=assignment,
            handed_over_on=timezone.localdate(),
            received_by="Mẹ",
            relation="mother",
        )


def test_a_handover_dated_before_approval_or_in_the_future_is_refused(alloc_world):
    w = alloc_world
    _run, assignment = _approved(w)
    today = timezone.localdate()
    for day in (today - dt.timedelta(days=1), today + dt.timedelta(days=1)):
        with pytest.raises(DomainError) as refused:
            handover_record(
                actor=w["staff_ln"],
                assignment=assignment,
                handed_over_on=day,
                received_by="Trần Văn Bố",
                relation="father",
            )
        assert refused.value.field == "handed_over_on"
    assert not Handover.objects.exists()


def test_a_scan_that_is_not_a_pdf_or_picture_is_refused_by_the_service(alloc_world):
    w = alloc_world
    _run, assignment = _approved(w)
    with pytest.raises(DomainError, match="phải là tệp PDF, JPEG hoặc PNG") as refused:
        handover_record(
            actor=w["staff_ln"],
            assignment=assignment,
            handed_over_on=timezone.localdate(),
            received_by="Trần Văn Bố",
            relation="father",
            scan=ContentFile(b"<html>not a scan</html>", name="bien-ban.pdf"),
        )
    assert refused.value.field == "scan"
    assert not Handover.objects.exists()


def test_staff_of_another_school_cannot_record_the_handover(alloc_world):
    w = alloc_world
    _run, assignment = _approved(w)
    with pytest.raises((DomainError, PermissionDenied)):
        handover_record(
            actor=w["staff_sd"],
            assignment=assignment,
            handed_over_on=timezone.localdate(),
            received_by="Trần Văn Bố",
            relation="father",
        )
    assert not assignment_list(user=w["staff_sd"]).filter(pk=assignment.pk).exists()


def test_a_returned_device_goes_back_to_the_pool_and_the_pupil_back_in_line(alloc_world):
    w = alloc_world
    _run, assignment = _approved(w)
    handover_record(
        actor=w["staff_ln"],
        assignment=assignment,
        handed_over_on=timezone.localdate(),
        received_by="Trần Văn Bố",
        relation="father",
    )
    before = Device.objects.get(pk=assignment.device_id)
    returned = assignment_return(
        actor=w["staff_ln"], assignment=assignment, reason="Học sinh chuyển trường"
    )
    assert returned.status == AssignmentStatus.RETURNED and returned.ended_at is not None
    device = Device.objects.get(pk=assignment.device_id)
    assert device.status == "available" and device.school_id == before.school_id
    assert Need.objects.get(pk=assignment.need_id).status == "confirmed"
    # The pupil and the device are eligible again in the next run.
    again = run_create(actor=w["officer"], campaign=w["campaign"])
    assert again.summary["pupils"] == 3 and again.summary["devices"] == 1
    with pytest.raises(DomainError):
        assignment_return(actor=w["staff_ln"], assignment=assignment, reason="Lần nữa")


def test_a_pupil_who_left_is_withdrawn_when_the_device_comes_back(alloc_world):
    w = alloc_world
    _run, assignment = _approved(w)
    cancelled = assignment_return(
        actor=w["officer"], assignment=assignment, reason="Gia đình chuyển đi", pupil_left=True
    )
    assert cancelled.status == AssignmentStatus.CANCELLED
    assert Need.objects.get(pk=assignment.need_id).status == "withdrawn"
    assert Device.objects.get(pk=assignment.device_id).status == "available"


def test_assignments_not_handed_over_in_time_are_flagged(alloc_world, django_assert_num_queries):
    w = alloc_world
    run, late = _approved(w)
    Assignment.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - dt.timedelta(1))
    overdue = assignment_list(user=w["officer"], overdue=True)
    assert list(overdue) == [late]
    assert assignment_list(user=w["officer"]).count() == 3
    assert assignment_list(user=w["staff_sd"], status="active").count() == 1
    with django_assert_num_queries(1):
        for assignment in assignment_list(user=w["officer"]):
            _ = (assignment.need.student.full_name, assignment.device.asset_tag, run.number)


def test_the_policy_is_changed_with_checks_and_an_audit_entry(alloc_world, place):
    w = alloc_world
    data = PolicyData(
        household_order=["poor"],
        online_areas=[place["communes"]["lucngan"]],
        handover_days=7,
    )
    policy = policy_update(actor=w["officer"], campaign=w["campaign"], data=data)
    assert policy.household_order == ["poor"] and policy.handover_days == 7
    assert list(policy.online_areas.all()) == [place["communes"]["lucngan"]]
    entry = AuditEntry.objects.get(action="allocation_policy.updated")
    assert entry.changes["handover_days"] == [14, 7]
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    assert run.summary["served"] == 2  # only the poor households now
    assert run.policy["online_areas"] == [place["communes"]["lucngan"].code]
    for bad, field in (
        (PolicyData(household_order=["poor", "poor"]), "household_order"),
        (PolicyData(level_preferences={"primary": ["abacus"]}), "level_preferences"),
        (PolicyData(handover_days=0), "handover_days"),
        (PolicyData(online_areas=[place["communes"]["phutho"]]), "online_areas"),
    ):
        with pytest.raises(DomainError) as refused:
            policy_update(actor=w["officer"], campaign=w["campaign"], data=bad)
        assert refused.value.field == field


def test_past_the_checks_the_database_still_refuses_a_second_live_assignment(alloc_world):
    w = alloc_world
    first = run_create(actor=w["officer"], campaign=w["campaign"])
    second = run_create(actor=w["officer"], campaign=w["campaign"])
    run_approve(actor=w["officer"], run=first)
    # The devices look available again: only the unique constraints are left to refuse.
    Device.objects.filter(pk__in=[d.pk for d in w["devices"]]).update(status="available")
    with pytest.raises(DomainError, match="trùng với lượt số 1"):
        run_approve(actor=w["officer"], run=second)
    assert Assignment.objects.count() == 3
    assert set(Assignment.objects.values_list("run_id", flat=True)) == {first.pk}
