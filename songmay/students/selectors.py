"""Reads for the needs registry, always through the acting user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from songmay.lib.vietnamese import fold
from songmay.students.models import DuplicateCandidate, Need, NeedQuerySet, ReviewStatus

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import Area, School
    from songmay.campaigns.models import Campaign


@dataclass(frozen=True)
class NeedFilters:
    campaign: Campaign | None = None
    school: School | None = None
    area: Area | None = None
    level: str = ""
    household: str = ""
    lacking: str = ""
    status: str = ""
    query: str = ""


def need_list(*, user: User, filters: NeedFilters | None = None) -> NeedQuerySet:
    """Registered pupils in scope, in class-list order (given name first); merged records out."""
    filters = filters or NeedFilters()
    needs = Need.objects.visible_to(user).filter(student__merged_into__isnull=True)
    if filters.campaign is not None:
        needs = needs.filter(campaign=filters.campaign)
    if filters.school is not None:
        needs = needs.filter(school=filters.school)
    if filters.area is not None:
        needs = needs.filter(school__area__path__startswith=filters.area.path)
    for name in ("level", "household", "lacking", "status"):
        if getattr(filters, name):
            needs = needs.filter(**{name: getattr(filters, name)})
    if filters.query.strip():
        needs = needs.filter(student__name_folded__contains=fold(filters.query))
    return needs.select_related("student", "school", "campaign").order_by(
        "student__sort_key", "student__date_of_birth", "pk"
    )


def need_counts(needs: NeedQuerySet) -> dict[str, int]:
    """The figures at the top of a list: total, then by status, in one query."""
    return needs.order_by().aggregate(
        total=Count("pk"),
        registered=Count("pk", filter=Q(status="registered")),
        confirmed=Count("pk", filter=Q(status="confirmed")),
        equipped=Count("pk", filter=Q(status="equipped")),
        withdrawn=Count("pk", filter=Q(status="withdrawn")),
    )


def need_get(*, user: User, pk: int) -> Need:
    needs = Need.objects.visible_to(user).select_related(
        "student", "student__commune", "school", "school__area", "campaign", "confirmed_by"
    )
    return get_object_or_404(needs, pk=pk)


def duplicate_list(*, user: User, status: str = ReviewStatus.PENDING) -> list[DuplicateCandidate]:
    """Pairs to review where the user sees at least one of the two children."""
    visible = Need.objects.visible_to(user).values("student_id")
    pairs = DuplicateCandidate.objects.filter(status=status).filter(
        Q(first__in=visible) | Q(second__in=visible)
    )
    return list(pairs.select_related("first", "second").order_by("-created_at")[:500])


def duplicate_get(*, user: User, pk: int) -> DuplicateCandidate:
    visible = Need.objects.visible_to(user).values("student_id")
    pairs = DuplicateCandidate.objects.filter(Q(first__in=visible) | Q(second__in=visible))
    return get_object_or_404(pairs.select_related("first", "second"), pk=pk)
