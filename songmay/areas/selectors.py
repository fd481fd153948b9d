"""Reads for areas and schools, always through the acting user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from songmay.areas.models import Area, AreaQuerySet, School, SchoolQuerySet

if TYPE_CHECKING:
    from songmay.accounts.models import User


def area_list(*, user: User, query: str = "", parent: Area | None = None) -> AreaQuerySet:
    areas = Area.objects.visible_to(user).search(query)
    if parent is not None:
        areas = areas.filter(parent=parent)
    elif not query:
        # Browsing starts at the top of what the user may see.
        scope = user.scope
        areas = (
            areas.filter(parent__isnull=True)
            if scope.is_national
            else areas.filter(path=scope.area_path)
        )
    return areas.select_related("parent")


def area_get(*, user: User, code: str) -> Area:
    return get_object_or_404(Area.objects.visible_to(user).select_related("parent"), code=code)


@dataclass(frozen=True)
class SchoolFilters:
    query: str = ""
    area: Area | None = None
    level: str = ""
    active: bool | None = None


def school_list(*, user: User, filters: SchoolFilters | None = None) -> SchoolQuerySet:
    filters = filters or SchoolFilters()
    schools = School.objects.visible_to(user).search(filters.query)
    if filters.area is not None:
        schools = schools.filter(area__path__startswith=filters.area.path)
    if filters.level:
        schools = schools.teaching(filters.level)
    if filters.active is not None:
        schools = schools.filter(is_active=filters.active)
    return schools.select_related("area")


def school_get(*, user: User, pk: int) -> School:
    return get_object_or_404(School.objects.visible_to(user).select_related("area"), pk=pk)
