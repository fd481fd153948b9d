"""Loans from the shared pool: lending, returns, reminders, recalls and the command."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from songmay.audit.models import AuditEntry
from songmay.inventory.models import Device, DeviceEvent
from songmay.lib.errors import DomainError
from songmay.pool.models import Loan, RecallItem, WriteOff
from songmay.pool.services import (
    loan_out,
    loan_return,
    recall_answer,
    recall_start,
    remind_overdue,
)

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def today():
    return timezone.localdate()


def lend_to_school(w, devices, school="lucngan", days=14):
    return loan_out(
        actor=w["officer"], devices=devices, due_on=today() + dt.timedelta(days=days),
        school=w["schools"][school],
    )  # fmt: skip


def test_devices_lent_together_share_a_batch_and_move_to_the_school(pool_world):
    w = pool_world
    loans = lend_to_school(w, w["tablets"][:3])
    assert len({loan.batch for loan in loans}) == 1
    assert loans[0].batch == loans[0].pk
    for device in Device.objects.filter(pk__in=[t.pk for t in w["tablets"][:3]]):
        assert (device.status, device.school, device.warehouse) == (
            "on_loan",
            w["schools"]["lucngan"],
            None,
        )
        moved = DeviceEvent.objects.get(device=device, kind="moved")
        assert (moved.from_location, moved.to_location) == (str(w["store"]), str(device.school))
    entry = AuditEntry.objects.get(action="loan.created")
    assert entry.actor == w["officer"] and entry.changes["batch"] == loans[0].batch
    # A second batch gets another number.
    assert lend_to_school(w, [w["tablets"][3]])[0].batch != loans[0].batch


def test_a_pupil_borrows_one_device_which_goes_to_the_pupils_school(pool_world):
    w = pool_world
    [loan] = loan_out(
        actor=w["officer"], devices=[w["tablets"][0]], need=w["need"],
        due_on=today() + dt.timedelta(days=60),
    )  # fmt: skip
    assert loan.school is None and loan.need == w["need"]
    assert Device.objects.get(pk=w["tablets"][0].pk).school == w["need"].school
    with pytest.raises(DomainError, match="chỉ mượn một thiết bị"):
        loan_out(
            actor=w["officer"], devices=[w["tablets"][1]], need=w["need"],
            due_on=today() + dt.timedelta(days=60),
        )  # fmt: skip


def test_school_staff_may_not_lend_and_another_province_may_not_lend_these(pool_world, place):
    w = pool_world
    with pytest.raises(PermissionDenied):
        lend_to_school({**w, "officer": w["staff_ln"]}, [w["tablets"][0]])
    with pytest.raises(DomainError, match="ngoài phạm vi"):
        loan_out(
            actor=w["officer_pt"], devices=[w["tablets"][0]], school=place["schools"]["phutho"],
            due_on=today() + dt.timedelta(days=7),
        )  # fmt: skip
    assert not Loan.objects.exists()


def test_a_return_keeps_the_photo_and_may_bring_the_device_back_to_a_store(pool_world):
    w = pool_world
    [loan] = lend_to_school(w, [w["tablets"][0]])
    loan = loan_return(
        actor=w["officer"], loan=loan, returned_on=today(), condition="fair",
        photo=SimpleUploadedFile("may.png", PNG, content_type="image/png"),
        warehouse=w["store"],
    )  # fmt: skip
    device = Device.objects.get(pk=w["tablets"][0].pk)
    assert (device.status, device.condition, device.warehouse, device.school) == (
        "available",
        "fair",
        w["store"],
        None,
    )
    assert loan.photo.name.endswith(f"{loan.pk}-{device.asset_tag}.png")
    assert loan.photo.read() == PNG
    assert (loan.received_by, loan.condition_back) == (w["officer"], "fair")


def test_school_staff_record_the_return_of_their_own_loans_only(pool_world):
    w = pool_world
    [loan] = lend_to_school(w, [w["tablets"][0]])
    with pytest.raises(DomainError, match="ngoài phạm vi"):
        loan_return(actor=w["staff_sd"], loan=loan, returned_on=today(), condition="good")
    loan = loan_return(actor=w["staff_ln"], loan=loan, returned_on=today(), condition="good")
    assert loan.status == "returned"
    device = Device.objects.get(pk=w["tablets"][0].pk)
    assert device.school == w["schools"]["lucngan"]  # no store named: it stays at the school
    with pytest.raises(PermissionDenied):
        [again] = lend_to_school(w, [w["tablets"][0]])
        loan_return(
            actor=w["staff_ln"], loan=again, returned_on=today(), condition="good",
            warehouse=w["store"],
        )  # fmt: skip


def test_an_unusable_return_asks_for_a_write_off_with_its_reason(pool_world):
    w = pool_world
    [loan] = lend_to_school(w, [w["tablets"][0]])
    loan_return(
        actor=w["staff_ln"], loan=loan, returned_on=today(), condition="unusable",
        note="Vào nước, không lên nguồn",
    )  # fmt: skip
    request = WriteOff.objects.get()
    assert (request.status, request.reason, request.requested_by) == (
        "pending",
        "Vào nước, không lên nguồn",
        w["staff_ln"],
    )


# ---- Reminders ----


def test_overdue_schools_are_reminded_once_per_interval(
    pool_world, settings, django_capture_on_commit_callbacks
):
    settings.SONGMAY_LOAN_REMINDER_DAYS = 7
    w = pool_world
    lend_to_school(w, w["tablets"][:2], days=3)
    lend_to_school(w, [w["tablets"][2]], school="sondong", days=3)  # its staff have no e-mail
    late = today() + dt.timedelta(days=4)

    with django_capture_on_commit_callbacks(execute=True):
        assert remind_overdue(today=late) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["thlucngan@example.vn"]
    assert "2 thiết bị" in message.subject
    for device in w["tablets"][:2]:
        assert device.asset_tag in message.body
    assert late.strftime("%d/%m/%Y") in message.body
    entry = AuditEntry.objects.filter(action="loan.overdue_reminded").latest("pk")
    assert entry.changes["without_email"] == [w["schools"]["sondong"].code]

    for days in (1, 6):  # within the interval: no second message
        with django_capture_on_commit_callbacks(execute=True):
            assert remind_overdue(today=late + dt.timedelta(days=days)) == 0
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_overdue(today=late + dt.timedelta(days=7)) == 1
    assert len(mail.outbox) == 2


def test_returned_and_not_yet_due_loans_are_not_reminded(
    pool_world, django_capture_on_commit_callbacks
):
    w = pool_world
    [loan] = lend_to_school(w, [w["tablets"][0]], days=3)
    lend_to_school(w, [w["tablets"][1]], days=30)
    loan_return(actor=w["officer"], loan=loan, returned_on=today(), condition="good")
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_overdue(today=today() + dt.timedelta(days=10)) == 0
    assert mail.outbox == []


def test_the_reminder_task_runs_the_service(pool_world, django_capture_on_commit_callbacks):
    from songmay.pool.tasks import remind_overdue_loans

    w = pool_world
    Loan.objects.filter(pk=lend_to_school(w, [w["tablets"][0]])[0].pk).update(
        lent_on=today() - dt.timedelta(days=30), due_on=today() - dt.timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = remind_overdue_loans.enqueue()
    assert result.return_value == 1
    assert len(mail.outbox) == 1


# ---- Recalls ----


def test_a_recall_lists_every_open_loan_mails_the_schools_and_tracks_answers(
    pool_world, django_capture_on_commit_callbacks
):
    w = pool_world
    lend_to_school(w, w["tablets"][:2])
    [pupil_loan] = loan_out(
        actor=w["officer"], devices=[w["tablets"][2]], need=w["need"],
        due_on=today() + dt.timedelta(days=90),
    )  # fmt: skip
    [returned] = lend_to_school(w, [w["tablets"][3]], school="sondong")
    loan_return(actor=w["officer"], loan=returned, returned_on=today(), condition="good")

    with django_capture_on_commit_callbacks(execute=True):
        recall = recall_start(
            actor=w["officer"], campaign=w["campaign"], due_on=today() + dt.timedelta(days=10),
            reason="Kết thúc học kỳ II",
        )  # fmt: skip
    assert recall.items.count() == 3
    assert [message.to for message in mail.outbox] == [["thlucngan@example.vn"]]
    assert "Kết thúc học kỳ II" in mail.outbox[0].body
    assert "Vi Thị Mượn" not in mail.outbox[0].body  # no pupil's name in an e-mail

    item = recall.items.get(loan=pupil_loan)
    with pytest.raises(DomainError, match="ngoài phạm vi"):
        recall_answer(actor=w["staff_sd"], item=item, answer="will_return")
    with pytest.raises(DomainError, match="ghi rõ"):
        recall_answer(actor=w["staff_ln"], item=item, answer="needs_time")
    recall_answer(actor=w["staff_ln"], item=item, answer="needs_time", note="Đến 15/6")
    item.refresh_from_db()
    assert (item.answer, item.note) == ("needs_time", "Đến 15/6")

    loan_return(actor=w["staff_ln"], loan=pupil_loan, returned_on=today(), condition="good")
    item.refresh_from_db()
    assert item.answer == "returned" and item.answered_at is not None
    with pytest.raises(DomainError, match="đã được trả"):
        recall_answer(actor=w["staff_ln"], item=item, answer="will_return")


def test_a_recall_with_nothing_on_loan_is_refused(pool_world):
    w = pool_world
    with pytest.raises(DomainError, match="Không có thiết bị nào"):
        recall_start(actor=w["officer"], campaign=w["campaign"], due_on=today(), reason="Cuối năm")
    assert not RecallItem.objects.exists()


# ---- The command ----


def run(*args):
    out = io.StringIO()
    call_command("pool", *args, stdout=out)
    return out.getvalue()


def test_the_command_lends_returns_lists_and_reminds(
    pool_world, django_capture_on_commit_callbacks
):
    w = pool_world
    tags = [device.asset_tag for device in w["tablets"][:2]]
    due = (today() + dt.timedelta(days=5)).strftime("%d/%m/%Y")
    out = run("lend", *tags, "--school", w["schools"]["lucngan"].code, "--due", due)
    assert "Đã cho mượn 2 thiết bị" in out
    assert Loan.objects.filter(status="out").count() == 2

    assert tags[0] in run("overdue", "--all")
    out = run("return", tags[0], "--condition", "needs_repair", "--note", "Hỏng loa")
    assert "hàng chờ sửa chữa" in out
    assert Device.objects.get(asset_tag=tags[0]).status == "in_repair"
    with django_capture_on_commit_callbacks(execute=True):
        out = run("remind")
    assert "0 trường" in out

    with pytest.raises(CommandError, match="không có lượt mượn nào đang mở"):
        run("return", tags[0], "--condition", "good")
    with pytest.raises(CommandError, match="đang được cho mượn"):
        run("lend", tags[1], "--school", w["schools"]["sondong"].code, "--due", due)
    with pytest.raises(CommandError, match="dd/mm/yyyy"):
        run("lend", tags[1], "--school", w["schools"]["sondong"].code, "--due", "2021-13-01")


def test_the_command_starts_a_recall(pool_world, django_capture_on_commit_callbacks):
    w = pool_world
    lend_to_school(w, w["tablets"][:1])
    due = (today() + dt.timedelta(days=5)).strftime("%d/%m/%Y")
    with django_capture_on_commit_callbacks(execute=True):
        out = run("recall", str(w["campaign"].pk), "--due", due, "--reason", "Cuối học kỳ")
    assert "1 thiết bị" in out and len(mail.outbox) == 1
