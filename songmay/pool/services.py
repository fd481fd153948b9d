"""Writes for the shared pool's loans: lend, take back, repair, write off, remind and recall.

Where a returned device goes: it stays at the borrowing school (a pupil's loan: the pupil's
school) unless the person recording the return names a store (`warehouse`); only someone who
manages the pool may name one. The school then holds it as an available pool device that the
department can lend again or move with a transfer.

Every device change lands on the device's timeline (`DeviceEvent`) and in the audit trail, in
the same transaction; e-mails leave only after the transaction commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from songmay.accounts.models import User
from songmay.accounts.scope import Role, authorize
from songmay.areas.models import School
from songmay.audit.services import audit_record, audited
from songmay.inventory.models import (
    Condition,
    Device,
    DeviceEvent,
    DeviceEventKind,
    DeviceStatus,
    MinimumSpec,
    Warehouse,
)
from songmay.inventory.services import TRANSITIONS, meets_minimum
from songmay.lib.errors import DomainError
from songmay.lib.uploads import PHOTOS, upload_extension
from songmay.lib.vietnamese import normalize_spaces
from songmay.pool import tasks
from songmay.pool.models import (
    Loan,
    LoanStatus,
    Outbreak,
    Recall,
    RecallAnswer,
    RecallItem,
    TransferItem,
    WriteOff,
    WriteOffStatus,
)
from songmay.students.models import Need, NeedStatus

if TYPE_CHECKING:
    from songmay.areas.models import Area
    from songmay.campaigns.models import Campaign

# A loan is for a term or a school year, not for ever.
MAX_LOAN_DAYS = 366
# Conditions in which a returned or repaired device can be lent again.
USABLE = frozenset({Condition.NEW, Condition.GOOD, Condition.FAIR})
# What a borrower may answer to a recall; "returned" is recorded by the return itself.
ANSWERS = frozenset({RecallAnswer.WILL_RETURN, RecallAnswer.NEEDS_TIME, RecallAnswer.LOST})


# ---- Helpers ----


def _d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _borrower_school(loan: Loan) -> School:
    school = loan.school if loan.school_id else loan.need.school  # type: ignore[union-attr]
    assert school is not None  # noqa: S101 - the check constraint: one borrower
    return school


def _visible_loans(actor: User) -> QuerySet[Loan]:
    if actor.scope.is_national:
        return Loan.objects.all()
    schools = School.objects.visible_to(actor).values("pk")
    return Loan.objects.filter(Q(school__in=schools) | Q(need__school__in=schools))


def _check_loan_in_scope(actor: User | None, loan: Loan) -> None:
    # School staff share their commune's area path: the school itself must be theirs.
    if actor is not None and not _visible_loans(actor).filter(pk=loan.pk).exists():
        raise DomainError("Lượt cho mượn này nằm ngoài phạm vi quản lý của bạn.", field="loan")


def _check_device_in_scope(actor: User | None, device: Device) -> None:
    if actor is not None and not Device.objects.visible_to(actor).filter(pk=device.pk).exists():
        raise DomainError(
            f"Thiết bị {device.asset_tag} nằm ngoài phạm vi quản lý của bạn.", field="devices"
        )


def _locked_devices(ids: Iterable[int]) -> list[Device]:
    # Locked in id order, so two people lending overlapping devices cannot deadlock.
    return list(
        Device.objects.select_for_update(of=("self",))
        .select_related("school__area", "warehouse__area", "campaign__area")
        .filter(pk__in=sorted(set(ids)))
        .order_by("pk")
    )


def _area_of(device: Device) -> Area | None:
    if device.school is not None:
        return device.school.area
    if device.warehouse is not None:
        return device.warehouse.area
    return device.campaign.area


def _set_status(
    device: Device, status: str, *, actor: User | None, at: dt.datetime, note: str = ""
) -> None:
    """Move the device one step along `TRANSITIONS` and put the step on its timeline."""
    if status not in TRANSITIONS[device.status]:  # the callers check first; a guard
        raise DomainError(
            f"Thiết bị {device.asset_tag} đang “{device.get_status_display()}”, không chuyển"
            f" sang “{DeviceStatus(status).label}” được.",
            field="status",
        )
    DeviceEvent.objects.create(
        device=device, at=at, kind=DeviceEventKind.STATUS, from_status=device.status,
        to_status=status, actor=actor, note=note[:255],
    )  # fmt: skip
    device.status = status


def _set_place(
    device: Device,
    *,
    school: School | None = None,
    warehouse: Warehouse | None = None,
    actor: User | None,
    at: dt.datetime,
    note: str = "",
) -> None:
    before = str(device.school or device.warehouse or "")
    after = str(school or warehouse or "")
    if (device.school_id, device.warehouse_id) == (
        school.pk if school else None,
        warehouse.pk if warehouse else None,
    ):
        return
    DeviceEvent.objects.create(
        device=device, at=at, kind=DeviceEventKind.MOVED, from_location=before,
        to_location=after, actor=actor, note=note[:255],
    )  # fmt: skip
    device.school, device.warehouse = school, warehouse


def _recheck_minimum(device: Device) -> None:
    spec = MinimumSpec.objects.filter(campaign_id=device.campaign_id, kind=device.kind).first()
    device.meets_minimum = meets_minimum(spec, device)


def _lendable_problem(device: Device) -> str | None:
    tag = device.asset_tag
    if device.status == DeviceStatus.WRITTEN_OFF:
        return f"Thiết bị {tag} đã thanh lý, không cho mượn được."
    if device.status == DeviceStatus.ON_LOAN:
        return f"Thiết bị {tag} đang được cho mượn; hãy ghi nhận trả trước khi cho mượn lại."
    if device.status == DeviceStatus.IN_REPAIR:
        return f"Thiết bị {tag} đang sửa chữa; hãy đưa lại vào kho sau khi sửa xong rồi cho mượn."
    if device.status != DeviceStatus.AVAILABLE:
        return (
            f"Thiết bị {tag} đang “{device.get_status_display()}”, chưa sẵn sàng cấp phát"
            " nên không cho mượn được."
        )
    if device.meets_minimum is False:
        return f"Thiết bị {tag} chưa đạt cấu hình tối thiểu để học trực tuyến; không cho mượn được."
    return None


def _school_emails(school: School) -> list[str]:
    """Where a school's mail goes: its own address and those of its active staff accounts."""
    staff = User.objects.filter(school=school, role=Role.SCHOOL_STAFF, is_active=True).exclude(
        email=""
    )
    addresses = [school.email, *staff.values_list("email", flat=True)]
    return sorted({address.strip().lower() for address in addresses if address and address.strip()})


def _send_after_commit(subject: str, body: str, recipients: list[str]) -> None:
    transaction.on_commit(
        lambda: tasks.send_pool_mail.enqueue(subject=subject, body=body, recipients=recipients)
    )


def _borrower(
    actor: User | None, school: School | None, need: Need | None
) -> tuple[Need | None, School]:
    """The need (locked) and the school that borrows; a pupil borrows through its school."""
    if (school is None) == (need is None):
        raise DomainError(
            "Hãy chọn người mượn: một trường, hoặc một học sinh (không chọn cả hai).",
            field="school",
        )
    if need is not None:
        need = (
            Need.objects.select_for_update(of=("self",))
            .select_related("school__area", "student")
            .get(pk=need.pk)
        )
        if need.status != NeedStatus.CONFIRMED:
            raise DomainError(
                f"Nhu cầu của em {need.student.full_name} đang “{need.get_status_display()}”;"
                " chỉ học sinh có nhu cầu đã xác nhận mới được mượn thiết bị.",
                field="need",
            )
        borrower = need.school
    else:
        assert school is not None  # noqa: S101 - checked above
        borrower = School.objects.select_related("area").get(pk=school.pk)
    authorize(actor, "pool.manage", borrower.area)
    if actor is not None and not School.objects.visible_to(actor).filter(pk=borrower.pk).exists():
        raise DomainError(f"{borrower} nằm ngoài phạm vi quản lý của bạn.", field="school")
    return need, borrower


def _check_due(due_on: dt.date) -> None:
    today = timezone.localdate()
    if due_on < today:
        raise DomainError(f"Hạn trả phải từ hôm nay ({_d(today)}) trở đi.", field="due_on")
    if (due_on - today).days > MAX_LOAN_DAYS:
        raise DomainError(
            f"Hạn trả không quá {MAX_LOAN_DAYS} ngày kể từ hôm nay; khi cần, hãy cho mượn lại.",
            field="due_on",
        )


def _check_pupil(need: Need, devices: Sequence[Device]) -> None:
    if len({device.pk for device in devices}) > 1:
        raise DomainError("Mỗi học sinh chỉ mượn một thiết bị.", field="devices")
    if Loan.objects.filter(need__student_id=need.student_id, status=LoanStatus.OUT).exists():
        raise DomainError(
            f"Em {need.student.full_name} đang mượn một thiết bị chưa trả; mỗi em chỉ mượn"
            " một thiết bị.",
            field="need",
        )


def _check_lendable(actor: User | None, locked: list[Device]) -> None:
    for device in locked:
        _check_device_in_scope(actor, device)
        problem = _lendable_problem(device)
        if problem:
            raise DomainError(problem, field="devices")
    moving = list(
        TransferItem.objects.filter(device__in=locked, open=True)
        .select_related("transfer")
        .order_by("device_id")
    )
    if moving:
        item = moving[0]
        tag = next(device.asset_tag for device in locked if device.pk == item.device_id)
        raise DomainError(
            f"Thiết bị {tag} đang nằm trong {item.transfer} chưa hoàn tất; hãy nhận hoặc huỷ"
            " phiếu điều chuyển trước khi cho mượn.",
            field="devices",
        )


def _keep_photo(loan: Loan, photo: UploadedFile, tag: str) -> None:
    extension = upload_extension(
        photo, accept=PHOTOS, max_bytes=settings.SONGMAY_MAX_UPLOAD_BYTES, what="Ảnh",
        field="photo",
    )  # fmt: skip
    loan.photo.save(f"{loan.pk}-{tag}.{extension}", photo, save=False)


# ---- Loans ----


@audited
def loan_out(
    *,
    actor: User | None,
    devices: Sequence[Device],
    due_on: dt.date,
    school: School | None = None,
    need: Need | None = None,
    note: str = "",
) -> list[Loan]:
    """Lend pool devices to a school (several at once) or one device to a pupil."""
    need, borrower = _borrower(actor, school, need)
    if not devices:
        raise DomainError("Hãy chọn ít nhất một thiết bị để cho mượn.", field="devices")
    _check_due(due_on)
    if need is not None:
        _check_pupil(need, devices)
    locked = _locked_devices(device.pk for device in devices)
    _check_lendable(actor, locked)
    note = normalize_spaces(note)[:255]
    today, now = timezone.localdate(), timezone.now()
    whom = f"em {need.student.full_name}" if need is not None else str(borrower)
    loans: list[Loan] = []
    try:
        with transaction.atomic():
            for device in locked:
                loans.append(
                    Loan.objects.create(
                        device=device,
                        school=None if need else borrower,
                        need=need,
                        batch=loans[0].batch if loans else 0,
                        lent_on=today,
                        due_on=due_on,
                        condition_out=device.condition,
                        note=note,
                        lent_by=actor,
                    )
                )
                if len(loans) == 1:
                    # The batch number is the first loan's id: unique without a counter to lock.
                    loans[0].batch = loans[0].pk
                    loans[0].save(update_fields=["batch"])
    except IntegrityError:  # the partial unique index: another loan of the device is open
        raise DomainError(
            "Một trong các thiết bị vừa được người khác cho mượn; hãy tải lại trang.",
            field="devices",
        ) from None
    for device in locked:
        _set_status(
            device, DeviceStatus.ON_LOAN, actor=actor, at=now,
            note=f"Cho mượn đợt {loans[0].batch}, hạn trả {_d(due_on)}",
        )  # fmt: skip
        _set_place(device, school=borrower, actor=actor, at=now, note=f"Cho {whom} mượn")
        device.save(update_fields=["status", "school", "warehouse", "updated_at"])
    audit_record(
        actor=actor,
        action="loan.created",
        target=loans[0] if len(loans) == 1 else None,
        area=borrower.area,
        target_repr=f"Cho mượn {len(loans)} thiết bị, đợt {loans[0].batch}",
        changes={
            "batch": loans[0].batch,
            "devices": [device.asset_tag for device in locked],
            "school": borrower.code,
            "need": need.pk if need else None,
            "due_on": due_on.isoformat(),
        },
    )
    return loans


@audited
def loan_return(
    *,
    actor: User | None,
    loan: Loan,
    returned_on: dt.date,
    condition: str,
    photo: UploadedFile | None = None,
    note: str = "",
    warehouse: Warehouse | None = None,
) -> Loan:
    """Take a lent device back: usable → available; damaged → repair; unusable → write-off."""
    loan = (
        Loan.objects.select_for_update(of=("self",))
        .select_related("school__area", "need__school__area", "device")
        .get(pk=loan.pk)
    )
    school = _borrower_school(loan)
    authorize(actor, "pool.receive", school.area)
    _check_loan_in_scope(actor, loan)
    tag = loan.device.asset_tag
    if loan.status != LoanStatus.OUT:
        when = f" ngày {_d(loan.returned_on)}" if loan.returned_on else ""
        raise DomainError(
            f"Thiết bị {tag} đã được trả{when}; lượt mượn này không còn mở.", field="loan"
        )
    if condition not in Condition.values:
        raise DomainError("Tình trạng khi trả không hợp lệ.", field="condition")
    today = timezone.localdate()
    if returned_on > today:
        raise DomainError("Ngày trả không được sau hôm nay.", field="returned_on")
    if returned_on < loan.lent_on:
        raise DomainError(
            f"Ngày trả không được trước ngày cho mượn ({_d(loan.lent_on)}).", field="returned_on"
        )
    note = normalize_spaces(note)[:255]
    if condition == Condition.UNUSABLE and not note:
        raise DomainError(
            "Thiết bị không sử dụng được sẽ được đề nghị thanh lý: hãy ghi lý do (hỏng gì).",
            field="note",
        )
    if warehouse is not None:
        authorize(actor, "pool.manage", warehouse.area)
    device = _locked_devices([loan.device_id])[0]
    if device.status != DeviceStatus.ON_LOAN:
        raise DomainError(
            f"Thiết bị {tag} đang “{device.get_status_display()}”, không phải đang cho mượn.",
            field="loan",
        )
    now = timezone.now()
    device.condition = condition
    _recheck_minimum(device)
    usable = condition in USABLE and device.meets_minimum is not False
    label = Condition(condition).label.lower()
    _set_status(
        device, DeviceStatus.AVAILABLE if usable else DeviceStatus.IN_REPAIR, actor=actor,
        at=now, note=f"Trả ngày {_d(returned_on)}, tình trạng {label}",
    )  # fmt: skip
    if warehouse is not None:
        _set_place(device, warehouse=warehouse, actor=actor, at=now, note="Nhập lại kho khi trả")
    device.save(
        update_fields=["status", "condition", "meets_minimum", "school", "warehouse", "updated_at"]
    )
    loan.device = device  # the caller sees where the device went
    loan.status = LoanStatus.RETURNED
    loan.returned_on = returned_on
    loan.condition_back = condition
    loan.received_by = actor
    if note:
        loan.note = note
    if photo is not None:
        _keep_photo(loan, photo, tag)
    loan.save()
    write_off = None
    if condition == Condition.UNUSABLE:
        write_off = WriteOff.objects.create(device=device, reason=note, requested_by=actor)
    RecallItem.objects.filter(loan=loan).exclude(answer=RecallAnswer.RETURNED).update(
        answer=RecallAnswer.RETURNED, answered_at=now
    )
    audit_record(
        actor=actor,
        action="loan.returned",
        target=loan,
        area=school.area,
        changes={
            "device": tag,
            "returned_on": returned_on.isoformat(),
            "condition": condition,
            "status": device.status,
            "warehouse": warehouse.pk if warehouse else None,
            "write_off": write_off.pk if write_off else None,
            "photo": bool(photo),
        },
    )
    return loan


# ---- Repairs and write-offs ----


@audited
def repair_finish(*, actor: User | None, device: Device, condition: str, note: str = "") -> Device:
    """Put a repaired device back in the pool, available to lend again."""
    device = _locked_devices([device.pk])[0]
    authorize(actor, "pool.manage", _area_of(device))
    _check_device_in_scope(actor, device)
    tag = device.asset_tag
    if device.status != DeviceStatus.IN_REPAIR:
        raise DomainError(
            f"Thiết bị {tag} đang “{device.get_status_display()}”, không nằm trong hàng chờ"
            " sửa chữa.",
            field="device",
        )
    if condition == Condition.UNUSABLE:
        raise DomainError(
            f"Thiết bị {tag} không sử dụng được thì không đưa lại vào kho; hãy đề nghị thanh lý.",
            field="condition",
        )
    if condition not in USABLE:
        raise DomainError(
            "Hãy chọn tình trạng sau khi sửa: mới, tốt hoặc trung bình.", field="condition"
        )
    if WriteOff.objects.filter(device=device, status=WriteOffStatus.PENDING).exists():
        raise DomainError(
            f"Thiết bị {tag} đang chờ duyệt thanh lý; hãy từ chối đề nghị thanh lý trước khi"
            " đưa lại vào kho.",
            field="device",
        )
    before = device.condition
    device.condition = condition
    _recheck_minimum(device)
    if device.meets_minimum is False:
        raise DomainError(
            f"Thiết bị {tag} chưa đạt cấu hình tối thiểu để học trực tuyến; hãy nâng cấp hoặc"
            " đề nghị thanh lý.",
            field="device",
        )
    note = normalize_spaces(note)[:255]
    _set_status(
        device, DeviceStatus.AVAILABLE, actor=actor, at=timezone.now(),
        note=note or "Sửa xong, đưa lại vào kho",
    )  # fmt: skip
    device.save(update_fields=["status", "condition", "meets_minimum", "updated_at"])
    audit_record(
        actor=actor,
        action="device.repaired",
        target=device,
        area=_area_of(device),
        changes={"condition": [before, condition], "note": note},
    )
    return device


@audited
def write_off_request(*, actor: User | None, device: Device, reason: str) -> WriteOff:
    """Ask to write off a device in repair; a second person decides."""
    device = _locked_devices([device.pk])[0]
    authorize(actor, "pool.manage", _area_of(device))
    _check_device_in_scope(actor, device)
    reason = normalize_spaces(reason)[:255]
    if not reason:
        raise DomainError("Hãy ghi lý do thanh lý.", field="reason")
    if device.status != DeviceStatus.IN_REPAIR:
        raise DomainError(
            f"Thiết bị {device.asset_tag} đang “{device.get_status_display()}”; chỉ thiết bị"
            " đang sửa chữa mới đề nghị thanh lý được.",
            field="device",
        )
    if WriteOff.objects.filter(device=device, status=WriteOffStatus.PENDING).exists():
        raise DomainError(
            f"Thiết bị {device.asset_tag} đã có đề nghị thanh lý đang chờ duyệt.", field="device"
        )
    write_off = WriteOff.objects.create(device=device, reason=reason, requested_by=actor)
    audit_record(
        actor=actor,
        action="write_off.requested",
        target=write_off,
        area=_area_of(device),
        changes={"device": device.asset_tag, "reason": reason},
    )
    return write_off


@audited
def write_off_decide(
    *, actor: User | None, write_off: WriteOff, approve: bool, note: str = ""
) -> WriteOff:
    """Approve (the device leaves the pool) or reject (it stays in repair) a write-off."""
    write_off = WriteOff.objects.select_for_update().get(pk=write_off.pk)
    device = _locked_devices([write_off.device_id])[0]
    authorize(actor, "pool.manage", _area_of(device))
    _check_device_in_scope(actor, device)
    if write_off.status != WriteOffStatus.PENDING:
        raise DomainError(
            f"Đề nghị thanh lý thiết bị {device.asset_tag} đã được quyết định"
            f" (“{write_off.get_status_display()}”).",
            field="write_off",
        )
    if actor is None:
        raise DomainError("Việc duyệt thanh lý cần một người duyệt có tên.", field="write_off")
    if actor.pk == write_off.requested_by_id:
        raise DomainError(
            "Người duyệt phải là người thứ hai, khác người đã đề nghị thanh lý.",
            field="write_off",
        )
    note = normalize_spaces(note)[:255]
    now = timezone.now()
    if approve:
        if device.status != DeviceStatus.IN_REPAIR:
            raise DomainError(
                f"Thiết bị {device.asset_tag} đang “{device.get_status_display()}”, không còn"
                " chờ thanh lý.",
                field="write_off",
            )
        _set_status(
            device, DeviceStatus.WRITTEN_OFF, actor=actor, at=now,
            note=f"Thanh lý: {write_off.reason}",
        )  # fmt: skip
        device.save(update_fields=["status", "updated_at"])
    write_off.status = WriteOffStatus.APPROVED if approve else WriteOffStatus.REJECTED
    write_off.decided_by = actor
    write_off.decided_at = now
    write_off.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="write_off.approved" if approve else "write_off.rejected",
        target=write_off,
        area=_area_of(device),
        changes={"device": device.asset_tag, "reason": write_off.reason, "note": note},
    )
    return write_off


# ---- Overdue reminders ----


@audited
def remind_overdue(*, today: dt.date | None = None) -> int:
    """E-mail each school with overdue loans, at most once per reminder interval."""
    today = today or timezone.localdate()
    interval = dt.timedelta(days=settings.SONGMAY_LOAN_REMINDER_DAYS)
    overdue = (
        Loan.objects.select_for_update(of=("self",))
        .filter(status=LoanStatus.OUT, due_on__lt=today)
        .select_related("device", "school", "need__school", "need__student")
        .order_by("due_on", "pk")
    )
    by_school: dict[int, list[Loan]] = defaultdict(list)
    schools: dict[int, School] = {}
    for loan in overdue:
        school = _borrower_school(loan)
        schools[school.pk] = school
        by_school[school.pk].append(loan)
    reminded: list[str] = []
    without_email: list[str] = []
    for pk, loans in by_school.items():
        school = schools[pk]
        last = max((loan.last_reminded_on for loan in loans if loan.last_reminded_on), default=None)
        if last is not None and today - last < interval:
            continue
        recipients = _school_emails(school)
        if not recipients:
            without_email.append(school.code)
            continue
        body = render_to_string(
            "emails/loan_overdue.txt",
            {"school": school, "loans": loans, "today": today,
             "interval": settings.SONGMAY_LOAN_REMINDER_DAYS},
        )  # fmt: skip
        subject = f"Nhắc trả {len(loans)} thiết bị mượn quá hạn – {school.name}"
        _send_after_commit(subject, body, recipients)
        Loan.objects.filter(pk__in=[loan.pk for loan in loans]).update(last_reminded_on=today)
        reminded.append(school.code)
    # One entry per run, even an empty one: the trail shows the reminders ran.
    audit_record(
        actor=None,
        action="loan.overdue_reminded",
        target_repr=f"Nhắc trả thiết bị quá hạn: {len(reminded)} trường",
        changes={
            "today": today.isoformat(),
            "schools": reminded,
            "without_email": without_email,
            "loans": sum(len(by_school[pk]) for pk in by_school),
        },
    )
    return len(reminded)


# ---- Recalls ----


@audited
def recall_start(
    *,
    actor: User | None,
    campaign: Campaign,
    due_on: dt.date,
    reason: str,
    outbreak: Outbreak | None = None,
) -> Recall:
    """Ask every borrower of the campaign's devices (in the actor's scope) to return them."""
    authorize(actor, "pool.manage", campaign.area)
    reason = normalize_spaces(reason)[:255]
    if not reason:
        raise DomainError("Hãy ghi lý do thu hồi, ví dụ: kết thúc học kỳ I.", field="reason")
    today = timezone.localdate()
    if due_on < today:
        raise DomainError(f"Hạn trả phải từ hôm nay ({_d(today)}) trở đi.", field="due_on")
    if outbreak is not None and outbreak.campaign_id != campaign.pk:
        raise DomainError("Đợt dạy học trực tuyến thuộc chương trình khác.", field="outbreak")
    loans = Loan.objects.filter(status=LoanStatus.OUT, device__campaign=campaign)
    if actor is not None:
        loans = loans.filter(pk__in=_visible_loans(actor).values("pk"))
    open_loans = list(
        loans.select_related("device", "school", "need__school", "need__student").order_by(
            "due_on", "pk"
        )
    )
    if not open_loans:
        raise DomainError(
            f"Không có thiết bị nào của “{campaign}” đang cho mượn trong phạm vi của bạn.",
            field="campaign",
        )
    recall = Recall.objects.create(
        campaign=campaign, due_on=due_on, reason=reason, outbreak=outbreak, created_by=actor
    )
    RecallItem.objects.bulk_create([RecallItem(recall=recall, loan=loan) for loan in open_loans])
    by_school: dict[int, list[Loan]] = defaultdict(list)
    schools: dict[int, School] = {}
    for loan in open_loans:
        school = _borrower_school(loan)
        schools[school.pk] = school
        by_school[school.pk].append(loan)
    mailed = []
    for pk, school_loans in by_school.items():
        recipients = _school_emails(schools[pk])
        if not recipients:
            continue
        body = render_to_string(
            "pool/recall_email.txt",
            {"school": schools[pk], "loans": school_loans, "recall": recall},
        )
        _send_after_commit(
            f"Thu hồi thiết bị mượn trước ngày {_d(due_on)} – {schools[pk].name}", body, recipients
        )
        mailed.append(schools[pk].code)
    audit_record(
        actor=actor,
        action="recall.started",
        target=recall,
        area=campaign.area,
        changes={
            "campaign": campaign.pk,
            "due_on": due_on.isoformat(),
            "reason": reason,
            "loans": len(open_loans),
            "schools": sorted(schools[pk].code for pk in by_school),
            "mailed": mailed,
        },
    )
    return recall


@audited
def recall_answer(
    *, actor: User | None, item: RecallItem, answer: str, note: str = ""
) -> RecallItem:
    """Record a borrower's answer to a recall: will return, needs more time, or lost."""
    item = (
        RecallItem.objects.select_for_update(of=("self",))
        .select_related("loan__device", "loan__school__area", "loan__need__school__area")
        .get(pk=item.pk)
    )
    school = _borrower_school(item.loan)
    authorize(actor, "pool.receive", school.area)
    _check_loan_in_scope(actor, item.loan)
    if item.loan.status != LoanStatus.OUT:
        raise DomainError(
            f"Thiết bị {item.loan.device.asset_tag} đã được trả; không cần trả lời nữa.",
            field="answer",
        )
    if answer not in ANSWERS:
        raise DomainError(
            "Hãy chọn: sẽ trả đúng hạn, xin gia hạn, hoặc báo mất, hỏng. Việc trả thiết bị"
            " được ghi ở trang lượt mượn.",
            field="answer",
        )
    note = normalize_spaces(note)[:255]
    if answer in (RecallAnswer.NEEDS_TIME, RecallAnswer.LOST) and not note:
        raise DomainError(
            "Hãy ghi rõ: xin gia hạn đến ngày nào, hoặc thiết bị mất, hỏng thế nào.", field="note"
        )
    before = item.answer
    item.answer, item.note, item.answered_at = answer, note, timezone.now()
    item.save(update_fields=["answer", "note", "answered_at"])
    audit_record(
        actor=actor,
        action="recall.answered",
        target=item,
        area=school.area,
        target_repr=f"Trả lời thu hồi: {item.loan.device.asset_tag}",
        changes={"answer": [before, answer], "note": note},
    )
    return item
