"""Indicators: the campaign's figures, defined once (docs/indicators.md) and computed one way for
the dashboards, the exports, the API and the public page.

A campaign's figures are read in a fixed handful of aggregate queries, grouped by school (or by
area, for what has no school: stores and dead spots), and summed up the area tree in Python into
a `Cube`: one `Figures` per school and per area. Any dashboard — province, area, school — is then
a lookup, so each costs the same few queries whatever the data size, and the cube is cached until
the next write anywhere (see `audit.freshness`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from songmay.allocation.models import Assignment, AssignmentStatus, Handover
from songmay.areas.models import Area, School, SchoolLevel
from songmay.audit.freshness import data_version
from songmay.campaigns.models import Campaign, Phase
from songmay.connectivity.models import (
    ConnectivitySupport,
    DeadSpot,
    DeadSpotStatus,
    SupportStatus,
)
from songmay.donations.models import (
    DEVICE_KINDS,
    Donation,
    DonationItem,
    DonationKind,
    PurchaseLine,
    Spending,
)
from songmay.inventory.models import Device, DeviceKind, DeviceStatus
from songmay.students.models import Household, Lacking, Need, NeedStatus

# The seeds count pupils in three groups: primary, lower secondary, and upper secondary together
# with continuing education ("600 học sinh THPT và GDTX").
LEVEL_GROUPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("primary", "Tiểu học", (SchoolLevel.PRIMARY,)),
    ("lower_secondary", "Trung học cơ sở", (SchoolLevel.LOWER_SECONDARY,)),
    (
        "upper_secondary_continuing",
        "Trung học phổ thông và GDTX",
        (SchoolLevel.UPPER_SECONDARY, SchoolLevel.CONTINUING),
    ),
]
HOUSEHOLDS: list[tuple[str, str]] = [(value, str(label)) for value, label in Household.choices]
DEVICE_TYPES: list[tuple[str, str]] = [(value, str(label)) for value, label in DeviceKind.choices]

LACKS_DEVICE = (Lacking.DEVICE, Lacking.BOTH)
LACKS_CONNECTIVITY = (Lacking.CONNECTIVITY, Lacking.BOTH)
# A device is idle when it could go to a pupil but has not: in a store or a school, unassigned.
IDLE = (DeviceStatus.RECEIVED, DeviceStatus.INSPECTED, DeviceStatus.AVAILABLE)
COVERED = (DeadSpotStatus.COVERED, DeadSpotStatus.VERIFIED)
# How far back the pace of handovers is measured for the forecast.
PACE_DAYS = 28
CACHE_SECONDS = 600


@dataclass
class Figures:
    """Additive counts for one school, one area or the whole campaign."""

    # Pupils (needs that count: not withdrawn, each child once) by (level, household).
    pupils: Counter[tuple[str, str]] = field(default_factory=Counter)
    lacking_device: Counter[str] = field(default_factory=Counter)  # by level
    equipped: Counter[str] = field(default_factory=Counter)  # by level
    lacking_connectivity: int = 0
    connected: int = 0  # lacking connectivity, with a data package active
    ready: int = 0  # every lack met
    equipped_recently: int = 0  # handed over in the last PACE_DAYS days
    assigned_waiting: int = 0  # approved, not yet handed over
    devices: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, status)
    dead_spots: Counter[str] = field(default_factory=Counter)  # by status
    dead_spots_overdue: int = 0

    def add(self, other: Figures) -> None:
        self.pupils.update(other.pupils)
        self.lacking_device.update(other.lacking_device)
        self.equipped.update(other.equipped)
        self.devices.update(other.devices)
        self.dead_spots.update(other.dead_spots)
        self.lacking_connectivity += other.lacking_connectivity
        self.connected += other.connected
        self.ready += other.ready
        self.equipped_recently += other.equipped_recently
        self.assigned_waiting += other.assigned_waiting
        self.dead_spots_overdue += other.dead_spots_overdue

    # ---- Derived figures, each named as in docs/indicators.md ----

    @property
    def pupils_in_need(self) -> int:
        return sum(self.pupils.values())

    def pupils_by_level(self, levels: Iterable[str]) -> int:
        wanted = set(levels)
        return sum(n for (level, _household), n in self.pupils.items() if level in wanted)

    def pupils_by_household(self, household: str, levels: Iterable[str] | None = None) -> int:
        wanted = set(levels) if levels is not None else None
        return sum(
            n
            for (level, kind), n in self.pupils.items()
            if kind == household and (wanted is None or level in wanted)
        )

    @property
    def needing_device(self) -> int:
        return sum(self.lacking_device.values())

    @property
    def equipped_total(self) -> int:
        return sum(self.equipped.values())

    @property
    def still_lacking_device(self) -> int:
        return self.needing_device - self.equipped_total

    def equipped_percent(self) -> float | None:
        return 100 * self.equipped_total / self.needing_device if self.needing_device else None

    def devices_by_status(self, statuses: Iterable[str], kind: str | None = None) -> int:
        wanted = set(statuses)
        return sum(
            n for (k, status), n in self.devices.items() if status in wanted and kind in (None, k)
        )

    @property
    def devices_total(self) -> int:
        return sum(self.devices.values())

    def devices_of_kind(self, kind: str) -> int:
        return sum(n for (k, _status), n in self.devices.items() if k == kind)

    @property
    def dead_spots_total(self) -> int:
        return sum(self.dead_spots.values())

    @property
    def dead_spots_covered(self) -> int:
        return sum(self.dead_spots[status] for status in COVERED)


@dataclass(frozen=True)
class Node:
    """A place in the drill-down: the campaign's area, an area below it, or a school."""

    kind: str  # "area" or "school"
    pk: int
    name: str
    path: str  # the area's path; for a school, its area's path
    parent_path: str | None


@dataclass
class Cube:
    """A campaign's figures at every school and area, and its campaign-wide money and gifts."""

    campaign_id: int
    root_path: str
    computed_at: dt.datetime
    by_area: dict[str, Figures]  # area path -> figures of everything under it
    by_school: dict[int, Figures]
    areas: dict[str, Node]  # path -> node, for areas that hold something
    schools: dict[int, Node]
    money_received: int
    money_spent: int
    gifts_received: dict[str, int]  # support kind -> quantity (donation items)
    devices_bought: dict[str, int]  # device kind -> quantity (purchase lines)
    unit_prices: dict[str, int]  # device kind -> average price paid, where anything was bought

    @property
    def total(self) -> Figures:
        return self.by_area.get(self.root_path) or Figures()

    def figures(self, node: Node) -> Figures:
        if node.kind == "school":
            return self.by_school.get(node.pk) or Figures()
        return self.by_area.get(node.path) or Figures()

    def children(self, node: Node) -> list[Node]:
        """The areas just below an area that hold something, then its own schools."""
        if node.kind == "school":
            return []
        areas = [a for a in self.areas.values() if a.parent_path == node.path]
        schools = [s for s in self.schools.values() if s.path == node.path]
        return sorted(areas, key=lambda n: n.name) + sorted(schools, key=lambda n: n.name)


# ---- Reading ----


# Each process keeps the last cube it read of each campaign, unpickled: reading a province's cube
# from the cache costs ~0.1 ms per school (LocMemCache and Redis both pickle), more than the rest
# of the dashboard's figures. It is used only while the cache holds the same cube (same key, same
# `computed_at` stamp), so it is dropped exactly when the cached cube is.
_last_cube: dict[int, tuple[str, Cube]] = {}


def campaign_cube(campaign: Campaign) -> Cube:
    """The campaign's cube, from the cache unless something was written since."""
    key = f"songmay:cube:{campaign.pk}:{data_version()}:{timezone.localdate().isoformat()}"
    stamp = cache.get(f"{key}:at")
    last = _last_cube.get(campaign.pk)
    if last is not None and last[0] == key and last[1].computed_at.isoformat() == stamp:
        return last[1]
    cube = cache.get(key) if stamp is not None else None
    if cube is None:
        cube = build_cube(campaign)
        cache.set_many({key: cube, f"{key}:at": cube.computed_at.isoformat()}, CACHE_SECONDS)
    _last_cube[campaign.pk] = (key, cube)
    return cube


def _prefixes(path: str, root: str) -> list[str]:
    """'/24/072/07210/' under root '/24/' -> ['/24/', '/24/072/', '/24/072/07210/']."""
    codes = path[len(root) :].strip("/").split("/") if path != root else []
    found = [root]
    for code in codes:
        found.append(found[-1] + code + "/")
    return found


@dataclass
class _Leaves:
    """Figures where they were read: by school, or by area for what has no school."""

    root: str
    schools: dict[int, Figures] = field(default_factory=dict)
    areas: dict[str, Figures] = field(default_factory=dict)

    def school(self, pk: int) -> Figures:
        return self.schools.setdefault(pk, Figures())

    def area(self, path: str | None) -> Figures:
        # Anything recorded outside the campaign's area is counted at its root.
        inside = path if path and path.startswith(self.root) else self.root
        return self.areas.setdefault(inside, Figures())


def _read_pupils(campaign: Campaign, leaves: _Leaves, today: dt.date) -> None:
    needs = (
        Need.objects.filter(campaign=campaign)
        .counted()
        .values_list("school_id", "level", "household", "lacking", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for school_id, level, household, lacking, status, n in needs:
        figures = leaves.school(school_id)
        figures.pupils[(level, household)] += n
        equipped = status == NeedStatus.EQUIPPED
        if lacking in LACKS_DEVICE:
            figures.lacking_device[level] += n
            figures.equipped[level] += n if equipped else 0
        if lacking in LACKS_CONNECTIVITY:
            figures.lacking_connectivity += n
        elif equipped:  # lacking only a device, now equipped: ready
            figures.ready += n
    # Pupils with a data package active (one live package per pupil: a database constraint),
    # counted apart: grouping the needs by whether a package exists costs PostgreSQL a sort
    # on disk at a million pupils.
    packages = (
        ConnectivitySupport.objects.filter(
            need__campaign=campaign,
            status=SupportStatus.ACTIVE,
            need__student__merged_into__isnull=True,
        )
        .exclude(need__status=NeedStatus.WITHDRAWN)
        .values_list("need__school_id", "need__lacking", "need__status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for school_id, lacking, status, n in packages:
        if lacking not in LACKS_CONNECTIVITY:
            continue
        figures = leaves.school(school_id)
        figures.connected += n
        if lacking not in LACKS_DEVICE or status == NeedStatus.EQUIPPED:
            figures.ready += n

    waiting = Assignment.objects.filter(
        campaign=campaign,
        status=AssignmentStatus.ACTIVE,
        need__student__merged_into__isnull=True,
    )
    for school_id, n in waiting.values_list("need__school_id").annotate(n=Count("pk")).order_by():
        leaves.school(school_id).assigned_waiting += n
    recent = Handover.objects.filter(
        assignment__campaign=campaign,
        assignment__status=AssignmentStatus.HANDED_OVER,
        assignment__need__student__merged_into__isnull=True,
        handed_over_on__gt=today - dt.timedelta(days=PACE_DAYS),
    )
    for school_id, n in (
        recent.values_list("assignment__need__school_id").annotate(n=Count("pk")).order_by()
    ):
        leaves.school(school_id).equipped_recently += n


def _read_devices_and_dead_spots(campaign: Campaign, leaves: _Leaves, today: dt.date) -> None:
    devices = (
        Device.objects.filter(campaign=campaign)
        .values_list("school_id", "warehouse__area__path", "kind", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for school_id, store_path, kind, status, n in devices:
        figures = leaves.school(school_id) if school_id is not None else leaves.area(store_path)
        figures.devices[(kind, status)] += n
    spots = (
        DeadSpot.objects.filter(area__path__startswith=leaves.root)
        .values_list("area__path", "status")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(target_on__lt=today) & ~Q(status__in=COVERED)),
        )
        .order_by()
    )
    for path, status, n, overdue in spots:
        figures = leaves.area(path)
        figures.dead_spots[status] += n
        figures.dead_spots_overdue += overdue


def _roll_up(leaves: _Leaves) -> tuple[dict[str, Figures], dict[int, Node], dict[str, Node]]:
    """Sum every leaf into each area above it, up to the campaign's area."""
    root = leaves.root
    schools = {
        pk: Node("school", pk, name, path, path)
        for pk, name, path in School.objects.filter(pk__in=list(leaves.schools)).values_list(
            "pk", "name", "area__path"
        )
    }
    by_area: dict[str, Figures] = {}
    located = [(schools[pk].path, f) for pk, f in leaves.schools.items() if pk in schools]
    for path, figures in [*located, *leaves.areas.items()]:
        for prefix in _prefixes(path, root) if path.startswith(root) else [root]:
            by_area.setdefault(prefix, Figures()).add(figures)
    areas = {
        path: Node("area", pk, name, path, parent_path)
        for pk, name, path, parent_path in Area.objects.filter(path__in=list(by_area)).values_list(
            "pk", "name", "path", "parent__path"
        )
    }
    if root not in areas:  # a national campaign: the root is the country
        areas[root] = Node("area", 0, "Toàn quốc", root, None)
    return by_area, schools, areas


def build_cube(campaign: Campaign) -> Cube:
    """Read the campaign's figures: a fixed number of queries, whatever the data size."""
    today = timezone.localdate()
    leaves = _Leaves(root=campaign.area.path if campaign.area is not None else "/")
    _read_pupils(campaign, leaves, today)
    _read_devices_and_dead_spots(campaign, leaves, today)
    by_area, schools, areas = _roll_up(leaves)

    money = (
        Donation.objects.filter(campaign=campaign, kind=DonationKind.MONEY)
        .aggregate(total=Sum("amount"))["total"]
    )  # fmt: skip
    spent = Spending.objects.filter(campaign=campaign).aggregate(total=Sum("amount"))["total"]
    gifts = (
        DonationItem.objects.filter(donation__campaign=campaign)
        .values_list("kind")
        .annotate(quantity=Sum("quantity"))
        .order_by()
    )
    bought = (
        PurchaseLine.objects.filter(spending__campaign=campaign, kind__in=DEVICE_KINDS)
        .values_list("kind")
        .annotate(count=Sum("quantity"), paid=Sum(F("quantity") * F("unit_price")))
        .order_by()
    )
    bought_rows = [(kind, quantity or 0, amount or 0) for kind, quantity, amount in bought]
    return Cube(
        campaign_id=campaign.pk,
        root_path=leaves.root,
        computed_at=timezone.now(),
        by_area=by_area,
        by_school={pk: f for pk, f in leaves.schools.items() if pk in schools},
        areas=areas,
        schools=schools,
        money_received=money or 0,
        money_spent=spent or 0,
        gifts_received={kind: quantity or 0 for kind, quantity in gifts},
        devices_bought={kind: quantity for kind, quantity, _amount in bought_rows},
        unit_prices={kind: paid // quantity for kind, quantity, paid in bought_rows if quantity},
    )


def current_phase(campaign: Campaign, today: dt.date | None = None) -> Phase | None:
    """The phase running today; after the last one ends, the last one; before, the first."""
    today = today or timezone.localdate()
    phases = list(campaign.phases.all())
    for phase in phases:
        if phase.starts_on <= today <= phase.ends_on:
            return phase
    started = [p for p in phases if p.starts_on <= today]
    if started:
        return started[-1]
    return phases[0] if phases else None
