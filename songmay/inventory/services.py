"""Writes for the inventory: register devices (one by one or many), change status or place,
set the minimum configuration. Every change lands on the device's timeline."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Max
from django.utils import timezone
from stdnum import imei as stdnum_imei

from songmay.accounts.scope import authorize
from songmay.audit.services import audit_record, audited, diff, snapshot
from songmay.campaigns.models import Campaign
from songmay.donations.models import Donation, DonationKind, PurchaseLine
from songmay.inventory.models import (
    IMEI_KINDS,
    Condition,
    Device,
    DeviceEvent,
    DeviceEventKind,
    DeviceKind,
    DeviceStatus,
    MinimumSpec,
    Warehouse,
)
from songmay.lib.errors import DomainError
from songmay.lib.vietnamese import normalize_spaces
from songmay.pool.models import TransferItem

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import Area, School

DEVICE_FIELDS = [
    "kind", "make", "model", "serial", "imei", "ram_gb", "storage_gb", "os", "screen_inches",
    "condition", "meets_minimum", "warehouse", "school", "status", "note",
]  # fmt: skip

# Where a device may go from each status; the allocation and pool issues add their own steps.
TRANSITIONS: dict[str, frozenset[str]] = {
    DeviceStatus.RECEIVED: frozenset(
        {DeviceStatus.INSPECTED, DeviceStatus.IN_REPAIR, DeviceStatus.WRITTEN_OFF}
    ),
    DeviceStatus.INSPECTED: frozenset(
        {DeviceStatus.AVAILABLE, DeviceStatus.IN_REPAIR, DeviceStatus.WRITTEN_OFF}
    ),
    DeviceStatus.AVAILABLE: frozenset(
        {
            DeviceStatus.RESERVED,
            DeviceStatus.ASSIGNED,
            DeviceStatus.ON_LOAN,
            DeviceStatus.IN_REPAIR,
            DeviceStatus.WRITTEN_OFF,
        }
    ),
    DeviceStatus.RESERVED: frozenset({DeviceStatus.AVAILABLE, DeviceStatus.ASSIGNED}),
    DeviceStatus.ASSIGNED: frozenset({DeviceStatus.AVAILABLE, DeviceStatus.HANDED_OVER}),
    DeviceStatus.HANDED_OVER: frozenset({DeviceStatus.AVAILABLE, DeviceStatus.IN_REPAIR}),
    DeviceStatus.ON_LOAN: frozenset({DeviceStatus.AVAILABLE, DeviceStatus.IN_REPAIR}),
    DeviceStatus.IN_REPAIR: frozenset(
        {DeviceStatus.INSPECTED, DeviceStatus.AVAILABLE, DeviceStatus.WRITTEN_OFF}
    ),
    DeviceStatus.WRITTEN_OFF: frozenset(),
}


@dataclass(frozen=True)
class DeviceData:
    """One device as typed in the form, a spreadsheet row or an API call."""

    kind: str
    make: str = ""
    model: str = ""
    serial: str = ""
    imei: str = ""
    ram_gb: Decimal | None = None
    storage_gb: int | None = None
    os: str = ""
    screen_inches: Decimal | None = None
    condition: str = Condition.NEW
    note: str = ""


def asset_tag(campaign_id: int, seq: int) -> str:
    """The label's code: campaign and sequence, short enough to read aloud."""
    return f"TB{campaign_id:03d}-{seq:06d}"


_SERIAL_JUNK = re.compile(r"\s+")
# `TextChoices.values` builds a new list on each call: too slow for a file of 100,000 rows.
_KINDS = frozenset(DeviceKind.values)
_CONDITIONS = frozenset(Condition.values)


def device_clean(data: DeviceData) -> DeviceData:
    """The device with its text normalised, or a DomainError naming the field to fix."""
    if data.kind not in _KINDS:
        kinds = ", ".join(str(label) for label in DeviceKind.labels)
        raise DomainError(f"Loại thiết bị không hợp lệ; chọn một trong: {kinds}.", field="kind")
    if data.condition not in _CONDITIONS:
        raise DomainError("Tình trạng thiết bị không hợp lệ.", field="condition")
    serial = _SERIAL_JUNK.sub("", data.serial).upper()
    imei = ""
    if data.imei.strip():
        if data.kind not in IMEI_KINDS:
            raise DomainError(
                "Chỉ điện thoại, máy tính bảng và bộ phát 4G có IMEI; hãy để trống ô IMEI"
                " hoặc sửa loại thiết bị.",
                field="imei",
            )
        imei = stdnum_imei.compact(data.imei)
        # A 16-digit IMEISV has no check digit: the box and *#06# show the 15-digit IMEI.
        if len(imei) != 15 or not stdnum_imei.is_valid(imei):
            raise DomainError(
                f"IMEI “{data.imei.strip()}” không hợp lệ: cần đúng 15 chữ số và chữ số cuối"
                " (số kiểm tra) phải khớp. Hãy đọc lại IMEI trên hộp máy hoặc bấm *#06#.",
                field="imei",
            )
    for name, label in (("ram_gb", "RAM"), ("screen_inches", "Màn hình")):
        value = getattr(data, name)
        if value is not None and value <= 0:
            raise DomainError(f"{label} phải lớn hơn 0.", field=name)
    if data.storage_gb is not None and data.storage_gb <= 0:
        raise DomainError("Bộ nhớ phải lớn hơn 0.", field="storage_gb")
    cleaned = replace(
        data,
        make=normalize_spaces(data.make),
        model=normalize_spaces(data.model),
        serial=serial,
        imei=imei,
        os=normalize_spaces(data.os),
        note=normalize_spaces(data.note),
    )
    for name, label, limit in _TEXT_LIMITS:
        if len(getattr(cleaned, name)) > limit:
            raise DomainError(f"{label} dài quá {limit} ký tự; hãy viết gọn lại.", field=name)
    for name, label, ceiling in _NUMBER_LIMITS:
        value = getattr(cleaned, name)
        if value is not None and value >= ceiling:
            raise DomainError(f"{label} phải nhỏ hơn {ceiling}; hãy kiểm tra đơn vị.", field=name)
    return cleaned


# The columns' sizes, so a long value gets a message instead of a database error.
_TEXT_LIMITS = [
    ("make", "Hãng", 64), ("model", "Model", 120), ("serial", "Số serial", 64),
    ("os", "Hệ điều hành", 64), ("note", "Ghi chú", 255),
]  # fmt: skip
_NUMBER_LIMITS = [
    ("ram_gb", "RAM (GB)", 10_000), ("screen_inches", "Màn hình (inch)", 1_000),
    ("storage_gb", "Bộ nhớ (GB)", 2_000_000_000),
]  # fmt: skip


def meets_minimum(spec: MinimumSpec | None, data: DeviceData | Device) -> bool | None:
    """Whether the device reaches the campaign's minimum for its kind; None if none is set."""
    if spec is None:
        return None
    if data.condition in (Condition.NEEDS_REPAIR, Condition.UNUSABLE):
        return False
    if data.ram_gb is None or data.storage_gb is None:
        return False
    if data.ram_gb < spec.ram_gb or data.storage_gb < spec.storage_gb:
        return False
    return not (
        spec.screen_inches is not None
        and (data.screen_inches is None or data.screen_inches < spec.screen_inches)
    )


def duplicates_in_database(rows: Sequence[DeviceData]) -> tuple[set[str], set[str]]:
    """The serials and IMEIs among `rows` that another device already carries."""
    serials = {row.serial for row in rows if row.serial}
    imeis = {row.imei for row in rows if row.imei}
    taken_serials: set[str] = set()
    taken_imeis: set[str] = set()
    chunk = 5000  # keeps each IN (...) list within every database's parameter limit
    serial_list, imei_list = sorted(serials), sorted(imeis)
    for start in range(0, len(serial_list), chunk):
        taken_serials.update(
            Device.objects.filter(serial__in=serial_list[start : start + chunk]).values_list(
                "serial", flat=True
            )
        )
    for start in range(0, len(imei_list), chunk):
        taken_imeis.update(
            Device.objects.filter(imei__in=imei_list[start : start + chunk]).values_list(
                "imei", flat=True
            )
        )
    return taken_serials, taken_imeis


def _check_unique(rows: Sequence[DeviceData]) -> None:
    taken_serials, taken_imeis = duplicates_in_database(rows)
    seen_serials: set[str] = set()
    seen_imeis: set[str] = set()
    for row in rows:
        if row.serial and (row.serial in taken_serials or row.serial in seen_serials):
            raise DomainError(
                f"Số serial {row.serial} đã có trong kho; mỗi thiết bị chỉ nhập một lần.",
                field="serial",
            )
        if row.imei and (row.imei in taken_imeis or row.imei in seen_imeis):
            raise DomainError(
                f"IMEI {row.imei} đã có trong kho; mỗi thiết bị chỉ nhập một lần.", field="imei"
            )
        seen_serials.add(row.serial)
        seen_imeis.add(row.imei)


def _check_origin(
    campaign: Campaign, donation: Donation | None, rows: Sequence[DeviceData]
) -> None:
    if donation is None:
        return
    if donation.campaign_id != campaign.pk:
        raise DomainError("Đợt tiếp nhận thuộc chương trình khác.", field="origin_donation")
    if donation.kind != DonationKind.GOODS:
        raise DomainError(f"{donation} không phải đợt tiếp nhận thiết bị.", field="origin_donation")
    listed = Counter[str]()
    for item in donation.items.all():
        listed[item.kind] += item.quantity
    already = Counter[str](
        Device.objects.filter(origin_donation=donation).values_list("kind", flat=True)
    )
    for kind, count in Counter(row.kind for row in rows).items():
        if already[kind] + count > listed[kind]:
            label = DeviceKind(kind).label
            raise DomainError(
                f"{donation} chỉ ghi nhận {listed[kind]} {label.lower()}, đã nhập"
                f" {already[kind]}; không thể nhập thêm {count}. Hãy sửa biên nhận trước.",
                field="origin_donation",
            )


def _location_text(warehouse: Warehouse | None, school: School | None) -> str:
    return str(school or warehouse or "")


def _check_place(
    actor: User | None, campaign: Campaign, warehouse: Warehouse | None, school: School | None
) -> Area | None:
    if warehouse is not None and school is not None:
        raise DomainError("Thiết bị chỉ ở một nơi: kho hoặc trường.", field="warehouse")
    area = school.area if school else warehouse.area if warehouse else campaign.area
    authorize(actor, "inventory.change", area)
    return area


@audited
def devices_register(
    *,
    actor: User | None,
    campaign: Campaign,
    rows: Sequence[DeviceData],
    origin_donation: Donation | None = None,
    origin_purchase: PurchaseLine | None = None,
    warehouse: Warehouse | None = None,
    school: School | None = None,
    source: str = "",
) -> list[Device]:
    """Add devices to the inventory in one go (a form, a purchase or an Excel file)."""
    area = _check_place(actor, campaign, warehouse, school)
    if not rows:
        raise DomainError("Không có thiết bị nào để nhập.", field="rows")
    cleaned = [device_clean(row) for row in rows]
    _check_unique(cleaned)
    _check_origin(campaign, origin_donation, cleaned)
    # Lock the campaign so two registrations cannot take the same sequence numbers.
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    start = (Device.objects.filter(campaign=campaign).aggregate(m=Max("seq"))["m"] or 0) + 1
    specs = {spec.kind: spec for spec in MinimumSpec.objects.filter(campaign=campaign)}
    devices = [
        Device(
            campaign=campaign,
            seq=start + offset,
            asset_tag=asset_tag(campaign.pk, start + offset),
            kind=row.kind,
            make=row.make,
            model=row.model,
            serial=row.serial,
            imei=row.imei,
            ram_gb=row.ram_gb,
            storage_gb=row.storage_gb,
            os=row.os,
            screen_inches=row.screen_inches,
            condition=row.condition,
            meets_minimum=meets_minimum(specs.get(row.kind), row),
            warehouse=warehouse,
            school=school,
            origin_donation=origin_donation,
            origin_purchase=origin_purchase,
            note=row.note,
        )
        for offset, row in enumerate(cleaned)
    ]
    Device.objects.bulk_create(devices, batch_size=2000)
    if not all(device.pk for device in devices):  # SQLite before 3.35 returns no ids
        by_seq = dict(
            Device.objects.filter(campaign=campaign, seq__gte=start).values_list("seq", "pk")
        )
        for device in devices:
            device.pk = by_seq[device.seq]
    now = timezone.now()
    place = _location_text(warehouse, school)
    origin = str(origin_donation or (origin_purchase.spending if origin_purchase else ""))
    DeviceEvent.objects.bulk_create(
        [
            DeviceEvent(
                device=device,
                at=now,
                kind=DeviceEventKind.REGISTERED,
                to_status=DeviceStatus.RECEIVED,
                to_location=place,
                actor=actor,
                note=(source or origin)[:255],
            )
            for device in devices
        ],
        batch_size=2000,
    )
    by_kind = Counter(device.kind for device in devices)
    audit_record(
        actor=actor,
        action="device.registered",
        target=devices[0] if len(devices) == 1 else None,
        area=area,
        target_repr=(
            str(devices[0])
            if len(devices) == 1
            else f"{len(devices)} thiết bị ({devices[0].asset_tag}–{devices[-1].asset_tag})"
        ),
        changes={
            "count": len(devices),
            "kinds": dict(by_kind),
            "origin": origin,
            "location": place,
            "source": source,
        },
    )
    return devices


@audited
def device_register(
    *,
    actor: User | None,
    campaign: Campaign,
    data: DeviceData,
    origin_donation: Donation | None = None,
    warehouse: Warehouse | None = None,
    school: School | None = None,
) -> Device:
    """Add one device (the scanner-friendly form)."""
    return devices_register(
        actor=actor,
        campaign=campaign,
        rows=[data],
        origin_donation=origin_donation,
        warehouse=warehouse,
        school=school,
    )[0]


def _locked(device: Device) -> Device:
    return (
        Device.objects.select_for_update(of=("self",))
        .select_related("school__area", "warehouse__area", "campaign__area")
        .get(pk=device.pk)
    )


def _area_of(device: Device) -> Area | None:
    if device.school is not None:
        return device.school.area
    if device.warehouse is not None:
        return device.warehouse.area
    return device.campaign.area


@audited
def device_update(*, actor: User | None, device: Device, data: DeviceData) -> Device:
    """Correct a device's description (serial, IMEI, specifications, condition)."""
    device = _locked(device)
    authorize(actor, "inventory.change", _area_of(device))
    cleaned = device_clean(data)
    others = Device.objects.exclude(pk=device.pk)
    if cleaned.serial and others.filter(serial=cleaned.serial).exists():
        raise DomainError(f"Số serial {cleaned.serial} đã có trong kho.", field="serial")
    if cleaned.imei and others.filter(imei=cleaned.imei).exists():
        raise DomainError(f"IMEI {cleaned.imei} đã có trong kho.", field="imei")
    before = snapshot(device, DEVICE_FIELDS)
    for name in (
        "kind", "make", "model", "serial", "imei", "ram_gb", "storage_gb", "os",
        "screen_inches", "condition", "note",
    ):  # fmt: skip
        setattr(device, name, getattr(cleaned, name))
    spec = MinimumSpec.objects.filter(campaign_id=device.campaign_id, kind=device.kind).first()
    device.meets_minimum = meets_minimum(spec, device)
    device.save()
    changes = diff(before, snapshot(device, DEVICE_FIELDS))
    if changes:
        DeviceEvent.objects.create(
            device=device,
            at=timezone.now(),
            kind=DeviceEventKind.EDITED,
            actor=actor,
            note=", ".join(sorted(changes))[:255],
        )
    audit_record(actor=actor, action="device.updated", target=device, changes=changes)
    return device


@audited
def device_status_change(
    *, actor: User | None, device: Device, status: str, note: str = ""
) -> Device:
    """Move a device along its life: inspected, available, in repair, written off..."""
    device = _locked(device)
    authorize(actor, "inventory.change", _area_of(device))
    if status not in DeviceStatus.values:
        raise DomainError("Trạng thái không hợp lệ.", field="status")
    if status not in TRANSITIONS[device.status]:
        allowed = ", ".join(str(DeviceStatus(s).label) for s in sorted(TRANSITIONS[device.status]))
        raise DomainError(
            f"Thiết bị {device.asset_tag} đang “{device.get_status_display()}”, không chuyển"
            f" sang “{DeviceStatus(status).label}” được."
            + (f" Có thể chuyển sang: {allowed}." if allowed else ""),
            field="status",
        )
    if status == DeviceStatus.AVAILABLE and device.meets_minimum is False:
        raise DomainError(
            f"Thiết bị {device.asset_tag} chưa đạt cấu hình tối thiểu để học trực tuyến;"
            " hãy sửa chữa, nâng cấp hoặc thanh lý.",
            field="status",
        )
    DeviceEvent.objects.create(
        device=device,
        at=timezone.now(),
        kind=DeviceEventKind.STATUS,
        from_status=device.status,
        to_status=status,
        actor=actor,
        note=normalize_spaces(note)[:255],
    )
    before = device.status
    device.status = status
    device.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="device.status_changed",
        target=device,
        changes={"status": [before, status], "note": note},
    )
    return device


@audited
def device_move(
    *,
    actor: User | None,
    device: Device,
    warehouse: Warehouse | None = None,
    school: School | None = None,
    note: str = "",
) -> Device:
    """Record that a device now sits in a store or at a school."""
    device = _locked(device)
    authorize(actor, "inventory.change", _area_of(device))
    _check_place(actor, device.campaign, warehouse, school)
    if TransferItem.objects.filter(device=device, open=True).exists():
        raise DomainError(
            f"Thiết bị {device.asset_tag} đang nằm trên một phiếu điều chuyển; hãy nhận hoặc huỷ"
            " phiếu đó thay vì chuyển vị trí trực tiếp.",
            field="school",
        )
    if device.status == DeviceStatus.ON_LOAN:
        raise DomainError(
            f"Thiết bị {device.asset_tag} đang được cho mượn; hãy ghi nhận trả trước khi chuyển.",
            field="school",
        )
    before = _location_text(device.warehouse, device.school)
    after = _location_text(warehouse, school)
    if before == after:
        raise DomainError(f"Thiết bị đã ở {after or 'đó'}.", field="school")
    DeviceEvent.objects.create(
        device=device,
        at=timezone.now(),
        kind=DeviceEventKind.MOVED,
        from_location=before,
        to_location=after,
        actor=actor,
        note=normalize_spaces(note)[:255],
    )
    device.warehouse, device.school = warehouse, school
    device.save(update_fields=["warehouse", "school", "updated_at"])
    audit_record(
        actor=actor, action="device.moved", target=device, changes={"location": [before, after]}
    )
    return device


@audited
def warehouse_create(*, actor: User | None, name: str, area: Area, address: str = "") -> Warehouse:
    """Open a store where devices wait before they go to schools."""
    authorize(actor, "inventory.change", area)
    if not normalize_spaces(name):
        raise DomainError("Thiếu tên kho.", field="name")
    warehouse = Warehouse.objects.create(
        name=normalize_spaces(name), area=area, address=normalize_spaces(address)
    )
    audit_record(actor=actor, action="warehouse.created", target=warehouse, area=area)
    return warehouse


@audited
def minimum_spec_set(
    *,
    actor: User | None,
    campaign: Campaign,
    kind: str,
    ram_gb: Decimal,
    storage_gb: int,
    screen_inches: Decimal | None = None,
    note: str = "",
) -> MinimumSpec:
    """Set the minimum configuration for one kind of device, and re-check that kind."""
    authorize(actor, "inventory.change", campaign.area)
    if kind not in DeviceKind.values:
        raise DomainError("Loại thiết bị không hợp lệ.", field="kind")
    if ram_gb <= 0 or storage_gb <= 0 or (screen_inches is not None and screen_inches <= 0):
        raise DomainError("Các thông số tối thiểu phải lớn hơn 0.", field="ram_gb")
    spec, _created = MinimumSpec.objects.update_or_create(
        campaign=campaign,
        kind=kind,
        defaults={
            "ram_gb": ram_gb,
            "storage_gb": storage_gb,
            "screen_inches": screen_inches,
            "note": normalize_spaces(note),
        },
    )
    changed = []
    for device in Device.objects.filter(campaign=campaign, kind=kind).only(
        "ram_gb", "storage_gb", "screen_inches", "condition", "meets_minimum"
    ):
        verdict = meets_minimum(spec, device)
        if verdict != device.meets_minimum:
            device.meets_minimum = verdict
            changed.append(device)
    Device.objects.bulk_update(changed, ["meets_minimum"], batch_size=2000)
    audit_record(
        actor=actor,
        action="minimum_spec.set",
        target=spec,
        area=campaign.area,
        target_repr=f"Cấu hình tối thiểu: {DeviceKind(kind).label}",
        changes={
            "ram_gb": str(ram_gb),
            "storage_gb": storage_gb,
            "screen_inches": str(screen_inches) if screen_inches is not None else None,
            "devices_rechecked": len(changed),
        },
    )
    return spec
