"""Reads for dead spots, always through the acting user's scope (an operator sees its own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from songmay.connectivity.models import (
    DeadSpot,
    DeadSpotEvent,
    DeadSpotQuerySet,
    DeadSpotStatus,
    Operator,
)
from songmay.connectivity.services import DONE
from songmay.lib.vietnamese import fold
from songmay.students.models import Student

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import Area


@dataclass(frozen=True)
class DeadSpotFilters:
    area: Area | None = None  # the area or any area inside it
    operator: Operator | None = None
    status: str = ""
    overdue: bool = False
    query: str = ""


def overdue_q(today: dt.date | None = None) -> Q:
    """Past the target date and neither covered nor verified."""
    return Q(target_on__lt=today or timezone.localdate()) & ~Q(status__in=DONE)


def dead_spot_list(*, user: User, filters: DeadSpotFilters | None = None) -> DeadSpotQuerySet:
    """Dead spots in scope, by commune and village."""
    filters = filters or DeadSpotFilters()
    spots = DeadSpot.objects.visible_to(user)
    if filters.area is not None:
        spots = spots.filter(area__path__startswith=filters.area.path)
    if filters.operator is not None:
        spots = spots.filter(operator=filters.operator)
    if filters.status:
        spots = spots.filter(status=filters.status)
    if filters.overdue:
        spots = spots.filter(overdue_q())
    if filters.query.strip():
        spots = spots.filter(village__icontains=filters.query.strip())
    return spots.select_related("area", "operator").order_by("area__name", "village", "pk")


def dead_spot_get(*, user: User, pk: int) -> DeadSpot:
    """One dead spot inside the user's scope; 404 otherwise (also another operator's)."""
    spots = DeadSpot.objects.visible_to(user).select_related("area", "operator")
    return get_object_or_404(spots, pk=pk)


def dead_spot_history(dead_spot: DeadSpot) -> QuerySet[DeadSpotEvent]:
    return dead_spot.events.select_related("actor").order_by("-at", "-pk")


def affected_pupils(dead_spot: DeadSpot) -> list[Student]:
    """Pupils in the registry whose address is this village (compared without diacritics)."""
    key = fold(dead_spot.village)
    candidates = (
        Student.objects.active()
        .filter(commune_id=dead_spot.area_id)
        .exclude(village="")
        .only("pk", "full_name", "village", "date_of_birth", "sort_key")
    )
    return [student for student in candidates if fold(student.village) == key]


def dead_spot_of(student: Student) -> DeadSpot | None:
    """The uncovered dead spot where the pupil lives, if any: no package can reach it yet."""
    if not student.village or student.commune_id is None:
        return None
    key = fold(student.village)
    for spot in DeadSpot.objects.filter(area_id=student.commune_id).exclude(
        status__in=[DeadSpotStatus.COVERED, DeadSpotStatus.VERIFIED]
    ):
        if fold(spot.village) == key:
            return spot
    return None


def visible_pupils(*, user: User, pupils: list[Student]) -> list[Student]:
    """Those of `pupils` the user may see by name: none for operators and donors."""
    if not pupils or not user.scope.may("students.view"):
        return []
    visible = set(
        Student.objects.visible_to(user)
        .filter(pk__in=[pupil.pk for pupil in pupils])
        .values_list("pk", flat=True)
    )
    return [pupil for pupil in pupils if pupil.pk in visible]


@dataclass(frozen=True)
class CountRow:
    label: str
    total: int
    covered: int
    overdue: int


def _counts(spots: QuerySet[DeadSpot], group: str, label: str, empty: str) -> list[CountRow]:
    rows = (
        spots.order_by()
        .values(group, label)
        .annotate(
            total=Count("pk"),
            covered=Count("pk", filter=Q(status__in=DONE)),
            overdue=Count("pk", filter=overdue_q()),
        )
        .order_by(label)
    )
    return [
        CountRow(row[label] or empty, row["total"], row["covered"], row["overdue"]) for row in rows
    ]


def dead_spot_counts(*, user: User, spots: QuerySet[DeadSpot] | None = None) -> dict[str, Any]:
    """Total, covered and overdue dead spots by area and by operator, and overall."""
    spots = DeadSpot.objects.visible_to(user) if spots is None else spots
    totals = spots.order_by().aggregate(
        total=Count("pk"),
        covered=Count("pk", filter=Q(status__in=DONE)),
        overdue=Count("pk", filter=overdue_q()),
    )
    return {
        "total": CountRow("Tổng", totals["total"], totals["covered"], totals["overdue"]),
        "by_area": _counts(spots, "area_id", "area__name", "—"),
        "by_operator": _counts(spots, "operator_id", "operator__name", "Chưa giao doanh nghiệp"),
    }


def map_points(spots: QuerySet[DeadSpot]) -> list[dict[str, Any]]:
    """The dead spots with coordinates, as plain data for the map page."""
    today = timezone.localdate()
    points = []
    for spot in spots.exclude(latitude=None).exclude(longitude=None):
        points.append(
            {
                "id": spot.pk,
                "lat": float(spot.latitude or 0),
                "lng": float(spot.longitude or 0),
                "village": spot.village,
                "commune": spot.area.name,
                "operator": spot.operator.name if spot.operator else "",
                "status": spot.status,
                "status_label": spot.get_status_display(),
                "overdue": bool(
                    spot.target_on and spot.target_on < today and spot.status not in DONE
                ),
                "households": spot.households,
                "url": reverse("connectivity:dead_spot_detail", args=[spot.pk]),
            }
        )
    return points
