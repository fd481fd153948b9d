"""Counts that reconcile (đối chiếu): for every school and store, the devices it holds, has lent
out, has on the way to it, and has in repair, by kind; the rows add up to the inventory.

Every device not written off is counted exactly once:
- at its school or store: held, lent out (on loan) or in repair, by its status;
- travelling: in transit, on the row of the place it is going to;
- neither: on the row "Thất lạc" (not confirmed on arrival) or "Chưa xếp vị trí".
The inventory total is counted by a separate query, so a device counted twice or not at all
shows as a mismatch instead of hiding in the sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from songmay.areas.models import School
from songmay.inventory.models import Device, DeviceKind, DeviceStatus, Warehouse
from songmay.pool.models import TransferItem

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.campaigns.models import Campaign

COLUMNS = ("held", "lent", "transit", "repair")
MISSING_ROW = ("missing", 0)
UNPLACED_ROW = ("unplaced", 0)
WRITTEN_OFF = Q(status=DeviceStatus.WRITTEN_OFF)


@dataclass
class CountRow:
    key: tuple[str, int]  # ("school", pk), ("warehouse", pk), ("missing", 0), ("unplaced", 0)
    label: str
    area: str = ""
    held: int = 0
    lent: int = 0
    transit: int = 0
    repair: int = 0

    @property
    def total(self) -> int:
        return self.held + self.lent + self.transit + self.repair


@dataclass
class Counts:
    rows: list[CountRow]
    by_kind: list[CountRow]
    totals: CountRow
    inventory: int  # devices not written off, counted on their own
    written_off: int

    @property
    def reconciles(self) -> bool:
        return self.totals.total == self.inventory


def _column(status: str, placed: bool) -> str:
    if not placed:
        return "transit"
    if status == DeviceStatus.ON_LOAN:
        return "lent"
    if status == DeviceStatus.IN_REPAIR:
        return "repair"
    return "held"


def pool_counts(*, user: User, campaign: Campaign, kind: str = "") -> Counts:
    """Per school and store in the user's scope: held, lent out, in transit, in repair."""
    devices = Device.objects.visible_to(user).filter(campaign=campaign)
    if kind:
        devices = devices.filter(kind=kind)
    live = devices.exclude(status=DeviceStatus.WRITTEN_OFF)
    going = TransferItem.objects.filter(device_id=OuterRef("pk"), open=True)
    lost = TransferItem.objects.filter(device_id=OuterRef("pk"), missing=True)
    grouped = (
        live.order_by()
        .annotate(
            to_school=Subquery(going.values("transfer__to_school_id")[:1]),
            to_warehouse=Subquery(going.values("transfer__to_warehouse_id")[:1]),
            lost=Exists(lost),
        )
        .values_list(
            "school_id", "warehouse_id", "to_school", "to_warehouse", "lost", "status", "kind"
        )
        .annotate(n=Count("pk"))
    )
    rows: dict[tuple[str, int], CountRow] = {}
    by_kind: dict[str, CountRow] = {}
    for school, warehouse, to_school, to_warehouse, is_lost, status, device_kind, n in grouped:
        placed = school is not None or warehouse is not None
        if school is not None or (not placed and to_school is not None):
            key = ("school", school or to_school)
        elif warehouse is not None or (not placed and to_warehouse is not None):
            key = ("warehouse", warehouse or to_warehouse)
        else:
            key = MISSING_ROW if is_lost else UNPLACED_ROW
        column = _column(status, placed or key in (MISSING_ROW, UNPLACED_ROW))
        row = rows.setdefault(key, CountRow(key, ""))
        setattr(row, column, getattr(row, column) + n)
        kind_row = by_kind.setdefault(device_kind, CountRow(("kind", 0), ""))
        setattr(kind_row, column, getattr(kind_row, column) + n)
    _label(rows)
    totals = CountRow(("total", 0), "Tổng cộng")
    for row in rows.values():
        for column in COLUMNS:
            setattr(totals, column, getattr(totals, column) + getattr(row, column))
    labels = dict(DeviceKind.choices)
    kinds = [
        CountRow(
            ("kind", 0), str(labels[value]), "", *(getattr(by_kind[value], c) for c in COLUMNS)
        )
        for value in DeviceKind.values
        if value in by_kind
    ]
    place_order = {"warehouse": 0, "school": 1, "missing": 2, "unplaced": 3}
    counted = devices.order_by().aggregate(
        inventory=Count("pk", filter=~WRITTEN_OFF), written_off=Count("pk", filter=WRITTEN_OFF)
    )
    return Counts(
        rows=sorted(rows.values(), key=lambda r: (place_order[r.key[0]], r.area, r.label)),
        by_kind=kinds,
        totals=totals,
        inventory=counted["inventory"],
        written_off=counted["written_off"],
    )


def _label(rows: dict[tuple[str, int], CountRow]) -> None:
    school_ids = [pk for kind, pk in rows if kind == "school"]
    store_ids = [pk for kind, pk in rows if kind == "warehouse"]
    schools = {
        pk: (name, area)
        for pk, name, area in School.objects.filter(pk__in=school_ids).values_list(
            "pk", "name", "area__name"
        )
    }
    stores = {
        pk: (name, area)
        for pk, name, area in Warehouse.objects.filter(pk__in=store_ids).values_list(
            "pk", "name", "area__name"
        )
    }
    for (kind, pk), row in rows.items():
        if kind == "school":
            row.label, row.area = schools.get(pk, ("", ""))
        elif kind == "warehouse":
            name, row.area = stores.get(pk, ("", ""))
            row.label = f"Kho: {name}"
        elif kind == "missing":
            row.label = "Thất lạc khi vận chuyển"
        else:
            row.label = "Chưa xếp vị trí"
