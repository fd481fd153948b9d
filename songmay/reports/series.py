"""Daily series: each indicator as it grew, day by day, for drawing progress over time.

A series is cumulative, read from the date each thing happened (a need registered, a device
handed over, a package activated, a gift received, money spent, a dead spot covered), in one
grouped query per series. A series counts what stands today: a need withdrawn later, or a
device returned, is not counted on the days before either (see docs/indicators.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from songmay.allocation.models import AssignmentStatus, Handover
from songmay.areas.models import School
from songmay.audit.freshness import data_version
from songmay.campaigns.models import Campaign
from songmay.connectivity.models import ConnectivitySupport, DeadSpot, SupportStatus
from songmay.donations.models import DEVICE_KINDS, Donation, DonationItem, DonationKind, Spending
from songmay.reports.indicators import CACHE_SECONDS, COVERED, Node
from songmay.students.models import Need

Points = list[tuple[dt.date, int]]

SERIES_LABELS = {
    "pupils_in_need": "Học sinh có nhu cầu",
    "equipped": "Học sinh đã nhận thiết bị",
    "connected": "Học sinh đã có gói cước",
    "devices_received": "Thiết bị tiếp nhận",
    "money_received": "Tiền ủng hộ đã nhận (đồng)",
    "money_spent": "Tiền đã chi (đồng)",
    "dead_spots_covered": "Điểm lõm sóng đã phủ",
}


@dataclass(frozen=True)
class Series:
    name: str
    points: Points  # (day, running total) on each day it changed

    @property
    def label(self) -> str:
        return SERIES_LABELS[self.name]

    def daily(self, start: dt.date, end: dt.date) -> Points:
        """One point per day from start to end, carrying the last total forward."""
        by_day = dict(self.points)
        total = self.value_on(start - dt.timedelta(days=1))
        days = []
        day = start
        while day <= end:
            total = by_day.get(day, total)
            days.append((day, total))
            day += dt.timedelta(days=1)
        return days

    def value_on(self, day: dt.date) -> int:
        total = 0
        for point_day, running in self.points:
            if point_day > day:
                break
            total = running
        return total


def _running(rows: Iterable[tuple[dt.date | None, int | None]]) -> Points:
    total = 0
    points = []
    for day, n in sorted((d, n or 0) for d, n in rows if d is not None):
        total += n
        points.append((day, total))
    return points


def _school_filter(node: Node, field: str, school_ids: list[int] | None) -> Q:
    if node.kind == "school":
        return Q(**{f"{field}_id": node.pk})
    return Q(**{f"{field}_id__in": school_ids})


def _schools_under(node: Node) -> list[int] | None:
    """The area's schools as a list of ids, read once. Filtering the big tables by
    `school__area__path__startswith` instead leaves PostgreSQL to guess how many schools match
    the LIKE (it guessed 30 of 1,000 for a province), and the nested loop it then picks takes
    ~20 s per series over a million pupils; with the ids it knows."""
    if node.kind == "school":
        return None
    return list(
        School.objects.filter(area__path__startswith=node.path).values_list("pk", flat=True)
    )


def _grouped(qs: QuerySet[Any], day_field: str, amount: str | None = None) -> Points:
    measure = Sum(amount) if amount else Count("pk")
    return _running(qs.values_list(day_field).annotate(n=measure).order_by())


def campaign_series(campaign: Campaign, node: Node, *, campaign_wide: bool) -> list[Series]:
    """The node's series; money and gifts only for the whole campaign (`campaign_wide`)."""
    key = f"songmay:series:{campaign.pk}:{node.kind}:{node.pk}:{node.path}:{data_version()}"
    key += f":{timezone.localdate().isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    schools = _schools_under(node)
    needs = (
        Need.objects.filter(campaign=campaign)
        .counted()
        .filter(_school_filter(node, "school", schools))
    )
    handovers = Handover.objects.filter(
        _school_filter(node, "assignment__need__school", schools),
        assignment__campaign=campaign,
        assignment__status=AssignmentStatus.HANDED_OVER,
        assignment__need__student__merged_into__isnull=True,
    )
    packages = ConnectivitySupport.objects.filter(
        _school_filter(node, "need__school", schools),
        need__campaign=campaign,
        status=SupportStatus.ACTIVE,
        need__student__merged_into__isnull=True,
    )
    series = [
        Series("pupils_in_need", _grouped(needs.annotate(day=TruncDate("created_at")), "day")),
        Series("equipped", _grouped(handovers, "handed_over_on")),
        Series("connected", _grouped(packages, "activated_on")),
    ]
    if node.kind == "area":
        spots = DeadSpot.objects.filter(area__path__startswith=node.path, status__in=COVERED)
        series.append(Series("dead_spots_covered", _grouped(spots, "covered_on")))
    if campaign_wide:
        items = DonationItem.objects.filter(donation__campaign=campaign, kind__in=DEVICE_KINDS)
        money = Donation.objects.filter(campaign=campaign, kind=DonationKind.MONEY)
        spent = Spending.objects.filter(campaign=campaign)
        series += [
            Series("devices_received", _grouped(items, "donation__received_on", "quantity")),
            Series("money_received", _grouped(money, "received_on", "amount")),
            Series("money_spent", _grouped(spent, "spent_on", "amount")),
        ]
    cache.set(key, series, CACHE_SECONDS)
    return series
