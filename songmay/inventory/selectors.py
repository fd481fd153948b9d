"""Reads for the inventory, always through the acting user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from songmay.campaigns.models import Campaign
from songmay.inventory.models import (
    Device,
    DeviceEvent,
    DeviceEventKind,
    DeviceKind,
    DeviceQuerySet,
    DeviceStatus,
    MinimumSpec,
    Warehouse,
)

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import School


@dataclass(frozen=True)
class DeviceFilters:
    campaign: Campaign | None = None
    kind: str = ""
    status: str = ""
    condition: str = ""
    meets: str = ""  # "yes", "no", "unset" or "" for all
    location: str = ""  # "warehouse", "school", "none" or "" for all
    warehouse: Warehouse | None = None
    school: School | None = None
    query: str = ""


MEETS = {"yes": Q(meets_minimum=True), "no": Q(meets_minimum=False), "unset": Q(meets_minimum=None)}
LOCATIONS = {
    "warehouse": Q(warehouse__isnull=False),
    "school": Q(school__isnull=False),
    "none": Q(warehouse__isnull=True, school__isnull=True),
}


def device_list(*, user: User, filters: DeviceFilters | None = None) -> DeviceQuerySet:
    """Devices in scope, in the order their labels were printed (campaign, sequence)."""
    filters = filters or DeviceFilters()
    devices = Device.objects.visible_to(user)
    if filters.campaign is not None:
        devices = devices.filter(campaign=filters.campaign)
    for name in ("kind", "status", "condition"):
        if getattr(filters, name):
            devices = devices.filter(**{name: getattr(filters, name)})
    if filters.meets in MEETS:
        devices = devices.filter(MEETS[filters.meets])
    if filters.location in LOCATIONS:
        devices = devices.filter(LOCATIONS[filters.location])
    if filters.warehouse is not None:
        devices = devices.filter(warehouse=filters.warehouse)
    if filters.school is not None:
        devices = devices.filter(school=filters.school)
    query = filters.query.strip()
    if query:
        # A scanned code is matched whole; a typed model name may be part of one.
        code = "".join(query.split()).upper()
        devices = devices.filter(
            Q(asset_tag=code) | Q(serial=code) | Q(imei=code) | Q(model__icontains=query)
        )
    return devices.select_related("campaign", "warehouse", "school").order_by("campaign_id", "seq")


def device_counts(devices: QuerySet[Device]) -> dict[str, int]:
    """Total and one figure per status, in one query."""
    return devices.order_by().aggregate(
        total=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in DeviceStatus.values},
    )


def device_get(*, user: User, pk: int) -> Device:
    devices = Device.objects.visible_to(user).select_related(
        "campaign__area",
        "warehouse__area",
        "school__area",
        "origin_donation__donor",
        "origin_purchase__spending",
    )
    return get_object_or_404(devices, pk=pk)


def device_timeline(device: Device) -> list[DeviceEvent]:
    """The device's history, newest first: its events, and its allocations as "available →
    assigned" entries. An approval records those as assignments only, not as events too (a
    national run gives 285,000 devices at once)."""
    events = list(device.events.select_related("actor").order_by("-at", "-pk"))
    allocated = [
        DeviceEvent(
            device=device,
            at=assignment.created_at,
            kind=DeviceEventKind.STATUS,
            from_status=DeviceStatus.AVAILABLE,
            to_status=DeviceStatus.ASSIGNED,
            actor=assignment.run.approved_by,
            note=f"Phân bổ theo lượt số {assignment.run.number}",
        )
        for assignment in device.assignments.select_related("run__approved_by")
    ]
    return sorted([*events, *allocated], key=lambda event: event.at, reverse=True)


def warehouse_list(*, user: User) -> QuerySet[Warehouse]:
    """Stores in the user's area, with how many devices each holds."""
    warehouses = user.scope.filter_areas(Warehouse.objects.all(), "area")
    return warehouses.select_related("area").annotate(device_count=Count("devices"))


def campaign_get(*, user: User, pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.visible_to(user).select_related("area"), pk=pk)


@dataclass(frozen=True)
class MinimumRow:
    kind: str
    label: str
    spec: MinimumSpec | None
    devices: int
    meeting: int
    failing: int


def minimum_table(*, user: User, campaign: Campaign) -> list[MinimumRow]:
    """One row per kind: the campaign's minimum and how many devices in scope reach it."""
    specs = {spec.kind: spec for spec in MinimumSpec.objects.filter(campaign=campaign)}
    counts = {
        row["kind"]: row
        for row in Device.objects.visible_to(user)
        .filter(campaign=campaign)
        .order_by()
        .values("kind")
        .annotate(
            devices=Count("pk"),
            meeting=Count("pk", filter=Q(meets_minimum=True)),
            failing=Count("pk", filter=Q(meets_minimum=False)),
        )
    }
    empty = {"devices": 0, "meeting": 0, "failing": 0}
    return [
        MinimumRow(
            kind=kind,
            label=str(label),
            spec=specs.get(kind),
            devices=counts.get(kind, empty)["devices"],
            meeting=counts.get(kind, empty)["meeting"],
            failing=counts.get(kind, empty)["failing"],
        )
        for kind, label in DeviceKind.choices
    ]
