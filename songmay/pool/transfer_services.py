"""Writes for transfers (điều chuyển) and outbreaks (dạy học trực tuyến).

A transfer moves devices from one store or school to another: requested, approved, sent (the
devices leave their place and are "in transit"), received device by device as the receiver
scans each QR label or types its tag. A device is never in two places: while it travels it has
neither school nor store, and exactly one open `TransferItem` says where it is going. Closing a
transfer marks what did not arrive as missing (thất lạc).

An outbreak closes schools or areas; its rebalancing (see `rebalance.py`) becomes transfers,
approved at once, whose devices are lent on arrival to the pupils the engine matched.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from songmay.accounts.scope import Role, authorize
from songmay.allocation.selectors import policy_for
from songmay.areas.models import School
from songmay.audit.services import audit_record, audited
from songmay.campaigns.models import Campaign
from songmay.inventory.models import Device, DeviceEvent, DeviceEventKind, DeviceStatus, Warehouse
from songmay.lib.errors import DomainError
from songmay.lib.vietnamese import normalize_spaces
from songmay.pool.models import (
    Loan,
    LoanStatus,
    Outbreak,
    Recall,
    Transfer,
    TransferItem,
    TransferStatus,
)
from songmay.pool.transfer_selectors import read_tag
from songmay.students.models import Need

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import Area

IN_TRANSIT = "Đang vận chuyển"
MISSING = "Thất lạc"
# Devices lent to pupils of a closed area are due back this long after arrival; ending the
# outbreak recalls them earlier.
OUTBREAK_LOAN_DAYS = 90
# Borrowers get this long after an outbreak ends to bring devices back.
RECALL_DAYS = 14

# A device may travel when it is ready to be given; a store may also send devices that are
# still being checked or repaired (to a repair shop, another store).
MOVABLE = frozenset({DeviceStatus.AVAILABLE})
MOVABLE_FROM_STORE = frozenset(
    {DeviceStatus.RECEIVED, DeviceStatus.INSPECTED, DeviceStatus.AVAILABLE, DeviceStatus.IN_REPAIR}
)
_WHY_NOT: dict[str, str] = {
    DeviceStatus.ON_LOAN: "đang cho mượn; hãy nhận lại máy trước khi điều chuyển",
    DeviceStatus.RESERVED: "đã giữ chỗ cho một lượt phân bổ",
    DeviceStatus.ASSIGNED: "đã phân bổ cho học sinh",
    DeviceStatus.HANDED_OVER: "đã bàn giao cho học sinh",
    DeviceStatus.WRITTEN_OFF: "đã thanh lý",
}


def _place(school: School | None, warehouse: Warehouse | None) -> str:
    return str(school or warehouse or "")


def _area(school: School | None, warehouse: Warehouse | None) -> Area | None:
    if school is not None:
        return school.area
    return warehouse.area if warehouse is not None else None


def _origin_text(transfer: Transfer) -> str:
    return _place(transfer.from_school, transfer.from_warehouse)


def _destination_text(transfer: Transfer) -> str:
    return _place(transfer.to_school, transfer.to_warehouse)


def _locked_transfer(transfer: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related(
            "campaign__area",
            "from_school__area",
            "from_warehouse__area",
            "to_school__area",
            "to_warehouse__area",
            "outbreak",
        )
        .get(pk=transfer.pk)
    )


def _refuse_unless(transfer: Transfer, allowed: Iterable[str], doing: str) -> None:
    allowed = tuple(allowed)
    if transfer.status not in allowed:
        wanted = ", ".join(f"“{TransferStatus(s).label}”" for s in allowed)
        raise DomainError(
            f"{transfer} đang “{transfer.get_status_display()}”: chỉ {doing} phiếu {wanted}.",
            field="status",
        )


def _check_movable(devices: Sequence[Device], campaign: Campaign) -> None:
    """Refuse, naming the first device that cannot travel and why."""
    for device in devices:
        if device.campaign_id != campaign.pk:
            raise DomainError(
                f"Thiết bị {device.asset_tag} thuộc chương trình khác.", field="devices"
            )
        if device.status in _WHY_NOT:
            raise DomainError(
                f"Thiết bị {device.asset_tag} {_WHY_NOT[device.status]}: không điều chuyển được.",
                field="devices",
            )
        allowed = MOVABLE_FROM_STORE if device.warehouse_id else MOVABLE
        if device.status not in allowed:
            raise DomainError(
                f"Thiết bị {device.asset_tag} đang “{device.get_status_display()}” ở trường;"
                " chỉ điều chuyển được thiết bị đã sẵn sàng cấp phát.",
                field="devices",
            )
    open_items = (
        TransferItem.objects.filter(device__in=devices, open=True)
        .select_related("device", "transfer")
        .order_by("device__seq")
        .first()
    )
    if open_items is not None:
        raise DomainError(
            f"Thiết bị {open_items.device.asset_tag} đang nằm trong {open_items.transfer}"
            f" (“{open_items.transfer.get_status_display()}”); một thiết bị chỉ ở một phiếu.",
            field="devices",
        )
    lent = Loan.objects.filter(device__in=devices, status=LoanStatus.OUT).first()
    if lent is not None:
        raise DomainError(
            f"Thiết bị {lent.device.asset_tag} đang cho mượn; hãy nhận lại máy trước.",
            field="devices",
        )


@audited
def transfer_request(
    *,
    actor: User | None,
    campaign: Campaign,
    devices: Sequence[Device],
    to_school: School | None = None,
    to_warehouse: Warehouse | None = None,
    reason: str = "",
    outbreak: Outbreak | None = None,
) -> Transfer:
    """Ask to move devices that sit together in one place to a school or a store."""
    if (to_school is None) == (to_warehouse is None):
        raise DomainError("Chọn một nơi nhận: một trường hoặc một kho.", field="to_school")
    ids = sorted({device.pk for device in devices})
    if not ids:
        raise DomainError("Chưa chọn thiết bị nào để điều chuyển.", field="devices")
    locked = list(
        Device.objects.select_for_update(of=("self",))
        .select_related("school__area", "warehouse__area")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise DomainError("Có thiết bị không còn trong kho dữ liệu.", field="devices")
    for device in locked:
        if device.school_id is None and device.warehouse_id is None:
            moving = TransferItem.objects.filter(device=device, open=True).exists()
            raise DomainError(
                f"Thiết bị {device.asset_tag} "
                + ("đang vận chuyển" if moving else "chưa xếp vị trí (hoặc thất lạc)")
                + ": không điều chuyển được.",
                field="devices",
            )
    origins = {(device.school_id, device.warehouse_id) for device in locked}
    if len(origins) > 1:
        places = sorted({device.location for device in locked})
        raise DomainError(
            "Mỗi phiếu điều chuyển đi từ một nơi; các thiết bị đang ở: " + ", ".join(places) + ".",
            field="devices",
        )
    from_school, from_warehouse = locked[0].school, locked[0].warehouse
    if (from_school is not None and from_school == to_school) or (
        from_warehouse is not None and from_warehouse == to_warehouse
    ):
        raise DomainError("Nơi nhận trùng với nơi gửi.", field="to_school")
    origin_area = _area(from_school, from_warehouse)
    authorize(actor, "pool.manage", origin_area)
    authorize(actor, "pool.manage", _area(to_school, to_warehouse))
    _check_movable(locked, campaign)
    if outbreak is not None and outbreak.campaign_id != campaign.pk:
        raise DomainError("Đợt dạy học trực tuyến thuộc chương trình khác.", field="outbreak")
    # The campaign's row serialises numbering: two requests never take the same number.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    number = (Transfer.objects.filter(campaign=campaign).aggregate(m=Max("number"))["m"] or 0) + 1
    transfer = Transfer.objects.create(
        campaign=campaign,
        number=number,
        from_school=from_school,
        from_warehouse=from_warehouse,
        to_school=to_school,
        to_warehouse=to_warehouse,
        reason=normalize_spaces(reason)[:255],
        outbreak=outbreak,
        requested_by=actor,
    )
    TransferItem.objects.bulk_create(
        [TransferItem(transfer=transfer, device=device) for device in locked], batch_size=2000
    )
    audit_record(
        actor=actor,
        action="transfer.requested",
        target=transfer,
        area=origin_area,
        changes={
            "from": _place(from_school, from_warehouse),
            "to": _place(to_school, to_warehouse),
            "devices": [device.asset_tag for device in locked],
            "kinds": dict(Counter(device.kind for device in locked)),
            "reason": transfer.reason,
        },
    )
    return transfer


@audited
def transfer_approve(*, actor: User | None, transfer: Transfer) -> Transfer:
    """Approve a requested transfer, so the devices can be sent."""
    transfer = _locked_transfer(transfer)
    authorize(actor, "pool.manage", _area(transfer.from_school, transfer.from_warehouse))
    _refuse_unless(transfer, [TransferStatus.REQUESTED], "duyệt được")
    transfer.status = TransferStatus.APPROVED
    transfer.approved_by, transfer.approved_at = actor, timezone.now()
    transfer.save(update_fields=["status", "approved_by", "approved_at"])
    audit_record(actor=actor, action="transfer.approved", target=transfer)
    return transfer


def _events(
    devices: Iterable[Device], *, actor: User | None, at: dt.datetime, src: str, dst: str, note: str
) -> None:
    DeviceEvent.objects.bulk_create(
        [
            DeviceEvent(
                device=device,
                at=at,
                kind=DeviceEventKind.MOVED,
                from_location=src[:255],
                to_location=dst[:255],
                actor=actor,
                note=note[:255],
            )
            for device in devices
        ],
        batch_size=2000,
    )


@audited
def transfer_send(*, actor: User | None, transfer: Transfer) -> Transfer:
    """The devices leave their place: in transit until the receiver confirms each one."""
    transfer = _locked_transfer(transfer)
    origin = _origin_text(transfer)
    authorize(actor, "pool.manage", _area(transfer.from_school, transfer.from_warehouse))
    _refuse_unless(transfer, [TransferStatus.APPROVED], "gửi đi được")
    devices = list(
        Device.objects.select_for_update(of=("self",))
        .filter(transfer_items__transfer=transfer, transfer_items__open=True)
        .order_by("pk")
    )
    for device in devices:
        # Something may have happened to a device since the request (a loan, a repair).
        if (device.school_id, device.warehouse_id) != (
            transfer.from_school_id,
            transfer.from_warehouse_id,
        ):
            raise DomainError(
                f"Thiết bị {device.asset_tag} không còn ở {origin} (đang ở {device.location});"
                " hãy huỷ phiếu và lập phiếu mới.",
                field="devices",
            )
        if device.status in _WHY_NOT:
            raise DomainError(
                f"Thiết bị {device.asset_tag} {_WHY_NOT[device.status]}; hãy huỷ phiếu"
                " và lập phiếu mới.",
                field="devices",
            )
    now = timezone.now()
    Device.objects.filter(pk__in=[d.pk for d in devices]).update(
        school=None, warehouse=None, updated_at=now
    )
    _events(
        devices, actor=actor, at=now, src=origin, dst=IN_TRANSIT,
        note=f"{transfer}: {origin} → {_destination_text(transfer)}",
    )  # fmt: skip
    transfer.status, transfer.sent_at = TransferStatus.IN_TRANSIT, now
    transfer.save(update_fields=["status", "sent_at"])
    audit_record(
        actor=actor, action="transfer.sent", target=transfer, changes={"devices": len(devices)}
    )
    return transfer


def _check_receiver(actor: User | None, transfer: Transfer) -> None:
    authorize(actor, "pool.receive", _area(transfer.to_school, transfer.to_warehouse))
    if (
        actor is not None
        and actor.role == Role.SCHOOL_STAFF
        and (transfer.to_school_id is None or transfer.to_school_id != actor.school_id)
    ):
        raise DomainError(
            f"{transfer} gửi đến {_destination_text(transfer)}, không phải trường của bạn.",
            field="tags",
        )


@audited
def transfer_receive(*, actor: User | None, transfer: Transfer, tags: Sequence[str]) -> Transfer:
    """Confirm arrivals: each tag (asset tag or the QR label's address) is one device."""
    transfer = _locked_transfer(transfer)
    _check_receiver(actor, transfer)
    if transfer.status not in (TransferStatus.IN_TRANSIT, TransferStatus.RECEIVED):
        _refuse_unless(transfer, [TransferStatus.IN_TRANSIT], "nhận được")
    items = list(
        TransferItem.objects.select_for_update(of=("self",))
        .select_related("device", "for_need")
        .filter(transfer=transfer)
    )
    by_pk = {item.device_id: item for item in items}
    by_tag = {item.device.asset_tag: item for item in items}
    arriving: dict[int, TransferItem] = {}
    for raw in tags:
        if not raw.strip():
            continue
        pk, tag = read_tag(raw)
        item = by_pk.get(pk) if pk is not None else by_tag.get(tag)
        if item is None:
            raise DomainError(
                f"Mã “{raw.strip()}” không có trong {transfer}: thiết bị này không được gửi"
                " theo phiếu. Hãy để riêng và báo cho người gửi.",
                field="tags",
            )
        if item.received_at is not None:
            when = timezone.localtime(item.received_at)
            raise DomainError(
                f"Thiết bị {item.device.asset_tag} đã được xác nhận nhận lúc"
                f" {when:%H:%M %d/%m/%Y}.",
                field="tags",
            )
        if transfer.status == TransferStatus.RECEIVED and not item.missing:
            raise DomainError(f"Thiết bị {item.device.asset_tag} không còn chờ nhận.", field="tags")
        arriving[item.device_id] = item
    if not arriving:
        raise DomainError("Hãy quét mã QR hoặc gõ mã tài sản của thiết bị.", field="tags")
    now = timezone.now()
    arrived = list(arriving.values())
    late = [item for item in arrived if item.missing]
    for item in arrived:
        item.open, item.received_at, item.missing = False, now, False
    TransferItem.objects.bulk_update(arrived, ["open", "received_at", "missing"])
    devices = [item.device for item in arrived]
    Device.objects.filter(pk__in=list(arriving)).update(
        school=transfer.to_school, warehouse=transfer.to_warehouse, updated_at=now
    )
    destination = _destination_text(transfer)
    _events(
        devices, actor=actor, at=now, src=MISSING if late else IN_TRANSIT, dst=destination,
        note=f"Nhận theo {transfer}",
    )  # fmt: skip
    if transfer.status == TransferStatus.IN_TRANSIT and not any(
        item.received_at is None for item in items
    ):
        transfer.status, transfer.received_at = TransferStatus.RECEIVED, now
        transfer.save(update_fields=["status", "received_at"])
    audit_record(
        actor=actor,
        action="transfer.received",
        target=transfer,
        area=_area(transfer.to_school, transfer.to_warehouse),
        changes={"devices": [device.asset_tag for device in devices], "late": len(late)},
    )
    if transfer.outbreak_id is not None and transfer.to_school_id is not None:
        _lend_on_arrival(transfer, [item for item in arrived if item.for_need_id])
    return transfer


def _lend_on_arrival(transfer: Transfer, items: list[TransferItem]) -> None:
    """Lend each arrived device to the pupil the rebalancing matched it with.

    The loan was decided when the rebalancing was approved: it is recorded in the name of the
    officer who approved it (the receiver, often school staff, may not lend pool devices).
    A pupil whose need changed meanwhile (withdrawn, already lent a device) is skipped; the
    device simply stays at the school for the officers to lend.
    """
    # The loans' module, imported when needed so the two modules can load in any order.
    from songmay.pool.services import loan_out  # noqa: PLC0415

    outbreak = transfer.outbreak
    if outbreak is None:
        return
    due_on = timezone.localdate() + dt.timedelta(days=OUTBREAK_LOAN_DAYS)
    for item in items:
        try:
            with transaction.atomic():
                loan_out(
                    actor=transfer.approved_by,
                    devices=[Device.objects.get(pk=item.device_id)],
                    due_on=due_on,
                    need=item.for_need,
                    note=f"Dạy học trực tuyến: {outbreak.decision}"[:255],
                )
        except DomainError:
            continue


@audited
def transfer_close(*, actor: User | None, transfer: Transfer) -> list[Device]:
    """Close a transfer that will not arrive whole: what was not confirmed becomes missing."""
    transfer = _locked_transfer(transfer)
    authorize(actor, "pool.manage", _area(transfer.from_school, transfer.from_warehouse))
    _refuse_unless(transfer, [TransferStatus.IN_TRANSIT], "đóng được")
    items = list(
        TransferItem.objects.select_for_update(of=("self",))
        .select_related("device")
        .filter(transfer=transfer, open=True)
    )
    for item in items:
        item.open, item.missing = False, True
    TransferItem.objects.bulk_update(items, ["open", "missing"])
    now = timezone.now()
    missing = [item.device for item in items]
    _events(
        missing, actor=actor, at=now, src=IN_TRANSIT, dst=MISSING,
        note=f"Không đến nơi theo {transfer}",
    )  # fmt: skip
    transfer.status, transfer.received_at = TransferStatus.RECEIVED, now
    transfer.save(update_fields=["status", "received_at"])
    audit_record(
        actor=actor,
        action="transfer.closed",
        target=transfer,
        changes={"missing": [device.asset_tag for device in missing]},
    )
    return missing


@audited
def transfer_cancel(*, actor: User | None, transfer: Transfer) -> Transfer:
    """Cancel a transfer before it is sent; its devices stay where they are."""
    transfer = _locked_transfer(transfer)
    authorize(actor, "pool.manage", _area(transfer.from_school, transfer.from_warehouse))
    _refuse_unless(transfer, [TransferStatus.REQUESTED, TransferStatus.APPROVED], "huỷ được")
    TransferItem.objects.filter(transfer=transfer, open=True).update(open=False)
    transfer.status = TransferStatus.CANCELLED
    transfer.save(update_fields=["status"])
    audit_record(actor=actor, action="transfer.cancelled", target=transfer)
    return transfer


# ---- Outbreaks ----


def _inside(campaign: Campaign, path: str) -> bool:
    return campaign.area is None or path.startswith(campaign.area.path)


@audited
def outbreak_declare(
    *,
    actor: User | None,
    campaign: Campaign,
    areas: Sequence[Area] = (),
    schools: Sequence[School] = (),
    starts_on: dt.date,
    decision: str,
) -> Outbreak:
    """Declare that areas or schools teach online from a date; allocation ranks them first."""
    authorize(actor, "pool.manage", campaign.area)
    decision = normalize_spaces(decision)
    if not decision:
        raise DomainError(
            "Hãy ghi số, ngày của quyết định cho học trực tuyến (ví dụ 123/QĐ-UBND ngày"
            " 05/09/2021).",
            field="decision",
        )
    if not areas and not schools:
        raise DomainError("Chọn ít nhất một xã/phường hoặc một trường.", field="areas")
    for area in areas:
        authorize(actor, "pool.manage", area)
        if not _inside(campaign, area.path):
            raise DomainError(f"{area} nằm ngoài địa bàn của chương trình.", field="areas")
    for school in schools:
        authorize(actor, "pool.manage", school.area)
        if not _inside(campaign, school.area.path):
            raise DomainError(f"{school} nằm ngoài địa bàn của chương trình.", field="schools")
    outbreak = Outbreak.objects.create(
        campaign=campaign, starts_on=starts_on, decision=decision[:255], declared_by=actor
    )
    outbreak.areas.set(areas)
    outbreak.schools.set(schools)
    # The allocation policy's online areas: every run ranks these pupils first.
    policy_for(campaign).online_areas.add(*areas)
    audit_record(
        actor=actor,
        action="outbreak.declared",
        target=outbreak,
        area=campaign.area,
        changes={
            "areas": [str(area) for area in areas],
            "schools": [str(school) for school in schools],
            "starts_on": starts_on.isoformat(),
            "decision": decision,
        },
    )
    return outbreak


@audited
def outbreak_end(*, actor: User | None, outbreak: Outbreak, ends_on: dt.date) -> Recall | None:
    """End online teaching: the areas lose their priority and lent devices are recalled.

    The recall (None when nothing of the campaign is on loan) is due `RECALL_DAYS` after the end.
    """
    outbreak = (
        Outbreak.objects.select_for_update(of=("self",))
        .select_related("campaign__area")
        .get(pk=outbreak.pk)
    )
    campaign = outbreak.campaign
    authorize(actor, "pool.manage", campaign.area)
    if outbreak.ends_on is not None:
        raise DomainError(f"Đợt này đã kết thúc ngày {outbreak.ends_on:%d/%m/%Y}.", field="ends_on")
    if ends_on < outbreak.starts_on:
        raise DomainError(
            f"Ngày kết thúc phải từ {outbreak.starts_on:%d/%m/%Y} trở đi.", field="ends_on"
        )
    outbreak.ends_on = ends_on
    outbreak.save(update_fields=["ends_on"])
    still_closed = set(
        Outbreak.areas.through.objects.filter(
            outbreak__campaign=campaign, outbreak__ends_on__isnull=True
        ).values_list("area_id", flat=True)
    )
    ending = [area for area in outbreak.areas.all() if area.pk not in still_closed]
    policy_for(campaign).online_areas.remove(*ending)
    from songmay.pool.services import recall_start  # noqa: PLC0415

    recall = None
    if Loan.objects.filter(status=LoanStatus.OUT, device__campaign=campaign).exists():
        recall = recall_start(
            actor=actor,
            campaign=campaign,
            due_on=max(ends_on, timezone.localdate()) + dt.timedelta(days=RECALL_DAYS),
            reason=f"Kết thúc dạy học trực tuyến ({outbreak.decision})"[:255],
            outbreak=outbreak,
        )
    audit_record(
        actor=actor,
        action="outbreak.ended",
        target=outbreak,
        area=campaign.area,
        changes={"ends_on": ends_on.isoformat(), "recall": recall.pk if recall else None},
    )
    return recall


@audited
def rebalance_approve(
    *, actor: User | None, outbreak: Outbreak, proposal: dict[str, Any]
) -> list[Transfer]:
    """Turn a rebalancing proposal into approved transfers (and loans where no move is needed).

    Each transfer's devices are lent on arrival to the pupils the engine matched them with;
    devices already at the pupil's school are lent at once.
    """
    outbreak = Outbreak.objects.select_related("campaign__area").get(pk=outbreak.pk)
    authorize(actor, "pool.manage", outbreak.campaign.area)
    if outbreak.ends_on is not None:
        raise DomainError("Đợt dạy học trực tuyến đã kết thúc.", field="outbreak")
    if proposal.get("outbreak") != outbreak.pk:
        raise DomainError("Đề xuất này thuộc đợt khác.", field="proposal")
    if not proposal.get("moves") and not proposal.get("local"):
        raise DomainError("Đề xuất không có thiết bị nào để điều chuyển.", field="proposal")
    reason = f"Dạy học trực tuyến: {outbreak.decision}"
    transfers = []
    for move in proposal.get("moves", []):
        devices = list(Device.objects.filter(pk__in=move["devices"]))
        to_school = School.objects.select_related("area").get(pk=move["to_school"])
        transfer = transfer_request(
            actor=actor,
            campaign=outbreak.campaign,
            devices=devices,
            to_school=to_school,
            reason=reason,
            outbreak=outbreak,
        )
        plan = dict(zip(move["devices"], move["needs"], strict=True))
        items = list(TransferItem.objects.filter(transfer=transfer))
        for item in items:
            item.for_need_id = plan.get(item.device_id)
        TransferItem.objects.bulk_update(items, ["for_need"])
        transfers.append(transfer_approve(actor=actor, transfer=transfer))
    local = [
        (d, n)
        for move in proposal.get("local", [])
        for d, n in zip(move["devices"], move["needs"], strict=True)
    ]
    if local:
        from songmay.pool.services import loan_out  # noqa: PLC0415

        due_on = timezone.localdate() + dt.timedelta(days=OUTBREAK_LOAN_DAYS)
        needs = Need.objects.in_bulk([n for _d, n in local])
        devices_by_pk = Device.objects.in_bulk([d for d, _n in local])
        for device_pk, need_pk in local:
            loan_out(
                actor=actor,
                devices=[devices_by_pk[device_pk]],
                due_on=due_on,
                need=needs[need_pk],
                note=reason[:255],
            )
    audit_record(
        actor=actor,
        action="outbreak.rebalanced",
        target=outbreak,
        area=outbreak.campaign.area,
        changes={
            "transfers": [transfer.number for transfer in transfers],
            "devices": sum(len(move["devices"]) for move in proposal.get("moves", [])),
            "lent_on_the_spot": len(local),
            "digest": proposal.get("digest", ""),
        },
    )
    return transfers
