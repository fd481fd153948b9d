"""Writes for dead spots (điểm lõm sóng): report one, correct it, move its status forward with
a comment and evidence, and import a whole list. Every step lands on the dead spot's history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from songmay.accounts.scope import authorize
from songmay.audit.services import audit_record, audited, diff, snapshot
from songmay.connectivity.models import (
    DeadSpot,
    DeadSpotEvent,
    DeadSpotStatus,
    Operator,
    Technology,
)
from songmay.lib.errors import DomainError
from songmay.lib.uploads import SCANS, upload_extension
from songmay.lib.vietnamese import fold, normalize_spaces

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import Area

# Statuses in the order the work goes; a dead spot only moves forward.
STATUS_ORDER: list[str] = [
    DeadSpotStatus.REPORTED,
    DeadSpotStatus.SURVEYED,
    DeadSpotStatus.PLANNED,
    DeadSpotStatus.UNDER_CONSTRUCTION,
    DeadSpotStatus.COVERED,
    DeadSpotStatus.VERIFIED,
]
RANK = {status: index for index, status in enumerate(STATUS_ORDER)}
DONE = frozenset({DeadSpotStatus.COVERED, DeadSpotStatus.VERIFIED})
# The operator reports its own work up to "covered"; an officer checks and verifies.
OPERATOR_CEILING = DeadSpotStatus.COVERED

DEAD_SPOT_FIELDS = [
    "area", "village", "latitude", "longitude", "households", "pupils", "operator",
    "technology", "reported_on", "target_on", "notes",
]  # fmt: skip


@dataclass(frozen=True)
class DeadSpotData:
    """One dead spot as typed in the form, a spreadsheet row or an API call."""

    area: Area
    village: str
    reported_on: dt.date
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    households: int = 0
    pupils: int = 0
    operator: Operator | None = None
    technology: str = Technology.MOBILE_4G
    target_on: dt.date | None = None
    notes: str = ""


def is_overdue(dead_spot: DeadSpot, today: dt.date | None = None) -> bool:
    """Past its target date and not yet covered."""
    today = today or timezone.localdate()
    return (
        dead_spot.target_on is not None
        and dead_spot.target_on < today
        and dead_spot.status not in DONE
    )


def dead_spot_clean(data: DeadSpotData) -> DeadSpotData:
    """The dead spot with its text normalised, or a DomainError naming the field to fix."""
    village = normalize_spaces(data.village)
    if not village:
        raise DomainError("Thiếu tên thôn/xóm.", field="village")
    if len(village) > 120:
        raise DomainError("Tên thôn/xóm dài quá 120 ký tự.", field="village")
    if data.technology not in Technology.values:
        labels = ", ".join(str(label) for label in Technology.labels)
        raise DomainError(f"Giải pháp ghi một trong: {labels}.", field="technology")
    if (data.latitude is None) != (data.longitude is None):
        raise DomainError("Toạ độ cần cả vĩ độ và kinh độ, hoặc để trống cả hai.", field="latitude")
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        raise DomainError("Vĩ độ phải từ -90 đến 90 (Việt Nam khoảng 8 đến 24).", field="latitude")
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        raise DomainError(
            "Kinh độ phải từ -180 đến 180 (Việt Nam khoảng 102 đến 110).", field="longitude"
        )
    if data.households < 0 or data.pupils < 0:
        raise DomainError("Số hộ và số học sinh không được âm.", field="households")
    if data.target_on is not None and data.target_on < data.reported_on:
        raise DomainError("Hạn phủ sóng không được trước ngày báo cáo.", field="target_on")
    return replace(data, village=village, notes=data.notes.strip())


def _taken(area: Area, village: str, exclude: int | None = None) -> DeadSpot | None:
    """The dead spot already registered for this village (compared without diacritics)."""
    key = fold(village)
    others = DeadSpot.objects.filter(area=area)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    return next((spot for spot in others.only("village") if fold(spot.village) == key), None)


def existing_villages(area_ids: set[int]) -> set[tuple[int, str]]:
    """(area id, folded village) of the dead spots already registered in these areas."""
    pairs = DeadSpot.objects.filter(area_id__in=area_ids).values_list("area_id", "village")
    return {(area_id, fold(village)) for area_id, village in pairs}


@audited
def dead_spot_report(*, actor: User | None, data: DeadSpotData) -> DeadSpot:
    """Report a village without usable 3G/4G."""
    authorize(actor, "connectivity.change", data.area)
    data = dead_spot_clean(data)
    if (existing := _taken(data.area, data.village)) is not None:
        raise DomainError(
            f"Thôn “{existing.village}” của {data.area} đã có trong danh sách điểm lõm sóng.",
            field="village",
        )
    dead_spot = DeadSpot.objects.create(
        area=data.area,
        village=data.village,
        latitude=data.latitude,
        longitude=data.longitude,
        households=data.households,
        pupils=data.pupils,
        operator=data.operator,
        technology=data.technology,
        status=DeadSpotStatus.REPORTED,
        reported_on=data.reported_on,
        target_on=data.target_on,
        notes=data.notes,
    )
    DeadSpotEvent.objects.create(
        dead_spot=dead_spot,
        at=timezone.now(),
        actor=actor,
        to_status=DeadSpotStatus.REPORTED,
        comment="Báo cáo điểm lõm sóng.",
    )
    audit_record(
        actor=actor,
        action="dead_spot.reported",
        target=dead_spot,
        area=data.area,
        changes=diff({}, snapshot(dead_spot, DEAD_SPOT_FIELDS)),
    )
    return dead_spot


@audited
def dead_spot_update(*, actor: User | None, dead_spot: DeadSpot, data: DeadSpotData) -> DeadSpot:
    """Correct a dead spot's description (place, figures, operator, target date)."""
    dead_spot = DeadSpot.objects.select_for_update().select_related("area").get(pk=dead_spot.pk)
    authorize(actor, "connectivity.change", dead_spot.area)
    authorize(actor, "connectivity.change", data.area)
    data = dead_spot_clean(data)
    if (existing := _taken(data.area, data.village, exclude=dead_spot.pk)) is not None:
        raise DomainError(
            f"Thôn “{existing.village}” của {data.area} đã có trong danh sách điểm lõm sóng.",
            field="village",
        )
    before = snapshot(dead_spot, DEAD_SPOT_FIELDS)
    for name in DEAD_SPOT_FIELDS:
        setattr(dead_spot, name, getattr(data, name))
    dead_spot.save()
    changes = diff(before, snapshot(dead_spot, DEAD_SPOT_FIELDS))
    if changes:
        DeadSpotEvent.objects.create(
            dead_spot=dead_spot,
            at=timezone.now(),
            actor=actor,
            comment="Sửa thông tin: " + ", ".join(sorted(changes)),
        )
    audit_record(
        actor=actor, action="dead_spot.updated", target=dead_spot, area=dead_spot.area,
        changes=changes,
    )  # fmt: skip
    return dead_spot


def allowed_statuses(actor: User | None, dead_spot: DeadSpot) -> list[str]:
    """The statuses `actor` may move the dead spot to, in order."""
    ceiling = len(STATUS_ORDER) - 1
    if actor is not None and not actor.scope.may("connectivity.change"):
        ceiling = RANK[OPERATOR_CEILING]
    return [s for s in STATUS_ORDER if RANK[dead_spot.status] < RANK[s] <= ceiling]


def _authorize_status(actor: User | None, dead_spot: DeadSpot) -> None:
    if actor is None:
        return
    scope = actor.scope
    if scope.may("connectivity.change"):
        authorize(actor, "connectivity.change", dead_spot.area)
    elif scope.may("connectivity.operate"):
        if scope.operator_id is None or dead_spot.operator_id != scope.operator_id:
            raise DomainError("Điểm lõm sóng này không giao cho doanh nghiệp của bạn.")
    else:
        raise PermissionDenied


@audited
def dead_spot_status_change(
    *,
    actor: User | None,
    dead_spot: DeadSpot,
    status: str,
    comment: str = "",
    evidence: UploadedFile | None = None,
    on: dt.date | None = None,
) -> DeadSpot:
    """Move a dead spot forward (surveyed, planned, building, covered, verified) with a note."""
    dead_spot = DeadSpot.objects.select_for_update().select_related("area").get(pk=dead_spot.pk)
    _authorize_status(actor, dead_spot)
    if status not in RANK:
        raise DomainError("Trạng thái không hợp lệ.", field="status")
    label = DeadSpotStatus(status).label
    if RANK[status] <= RANK[dead_spot.status]:
        raise DomainError(
            f"Điểm lõm sóng đang “{dead_spot.get_status_display()}”; chỉ chuyển tiếp được sang"
            f" bước sau, không về “{label}”.",
            field="status",
        )
    if status not in allowed_statuses(actor, dead_spot):
        raise DomainError(
            "Doanh nghiệp cập nhật đến bước “Đã phủ sóng”; cán bộ địa phương kiểm tra và xác nhận.",
            field="status",
        )
    comment = comment.strip()
    if status in DONE and not comment and evidence is None:
        raise DomainError(
            f"Chuyển sang “{label}” cần nhận xét hoặc minh chứng (kết quả đo sóng, ảnh trạm).",
            field="comment",
        )
    event = DeadSpotEvent(
        dead_spot=dead_spot,
        at=timezone.now(),
        actor=actor,
        from_status=dead_spot.status,
        to_status=status,
        comment=comment,
    )
    if evidence is not None:
        extension = upload_extension(
            evidence, accept=SCANS, max_bytes=settings.SONGMAY_MAX_UPLOAD_BYTES,
            what="Tệp minh chứng", field="evidence",
        )  # fmt: skip
        event.evidence.save(f"minh-chung-{dead_spot.pk}.{extension}", evidence, save=False)
    event.save()
    before = dead_spot.status
    dead_spot.status = status
    fields = ["status", "updated_at"]
    if status == DeadSpotStatus.COVERED or (status in DONE and dead_spot.covered_on is None):
        dead_spot.covered_on = on or timezone.localdate()
        fields.append("covered_on")
    dead_spot.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="dead_spot.status_changed",
        target=dead_spot,
        area=dead_spot.area,
        changes={"status": [before, status], "comment": comment, "evidence": bool(evidence)},
    )
    return dead_spot


@audited
def dead_spots_import(
    *, actor: User | None, rows: Sequence[DeadSpotData], source: str = ""
) -> list[DeadSpot]:
    """Add a whole list of dead spots in one go, or none of them."""
    if not rows:
        raise DomainError("Không có điểm lõm sóng nào để nhập.")
    cleaned = []
    seen = existing_villages({row.area.pk for row in rows})
    for row in rows:
        authorize(actor, "connectivity.change", row.area)
        data = dead_spot_clean(row)
        key = (data.area.pk, fold(data.village))
        if key in seen:
            raise DomainError(
                f"Thôn “{data.village}” của {data.area} đã có trong danh sách.", field="village"
            )
        seen.add(key)
        cleaned.append(data)
    spots = [
        DeadSpot(
            **{name: getattr(data, name) for name in DEAD_SPOT_FIELDS},
            status=DeadSpotStatus.REPORTED,
        )
        for data in cleaned
    ]
    DeadSpot.objects.bulk_create(spots, batch_size=1000)
    if not all(spot.pk for spot in spots):  # SQLite before 3.35 returns no ids
        ids = {
            (area, fold(village)): pk
            for pk, area, village in DeadSpot.objects.values_list("pk", "area_id", "village")
        }
        for spot in spots:
            spot.pk = ids[(spot.area_id, fold(spot.village))]
    now = timezone.now()
    note = source or "Nhập từ tệp"
    DeadSpotEvent.objects.bulk_create(
        [
            DeadSpotEvent(
                dead_spot=spot, at=now, actor=actor, to_status=DeadSpotStatus.REPORTED,
                comment=note,
            )
            for spot in spots
        ],
        batch_size=1000,
    )  # fmt: skip
    audit_record(
        actor=actor,
        action="dead_spot.imported",
        target=spots[0] if len(spots) == 1 else None,
        target_repr=f"{len(spots)} điểm lõm sóng",
        changes={"count": len(spots), "source": source},
    )
    return spots
