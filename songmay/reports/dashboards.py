"""Reads for the dashboards, the exports and the API: the report of a place, for the acting user.

The place must lie inside the user's scope (an area below theirs, or their school) and inside the
campaign's area; anything else is a 404, as everywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from songmay.accounts.models import User
from songmay.accounts.scope import Role
from songmay.areas.models import Area, School
from songmay.campaigns.models import Campaign
from songmay.reports.indicators import Cube, Node, campaign_cube
from songmay.reports.report import Report, build_report
from songmay.reports.series import campaign_series


def dashboard_campaigns(*, user: User) -> QuerySet[Campaign]:
    return user.scope.filter_campaigns(
        Campaign.objects.select_related("area", "area__parent")
    ).order_by("-launched_on", "name")


def area_node(area: Area) -> Node:
    return Node("area", area.pk, area.name, area.path, area.parent.path if area.parent else None)


def campaign_root(campaign: Campaign) -> Node:
    """The campaign's own area, or the whole country for a national campaign."""
    if campaign.area is None:
        return Node("area", 0, "Toàn quốc", "/", None)
    return area_node(campaign.area)


def dashboard_node(
    *, user: User, root: Node, area_pk: int | None = None, school_pk: int | None = None
) -> Node:
    """The place asked for, or the user's own starting place; 404 outside the scope or outside
    the campaign's area (`root`)."""
    scope = user.scope
    if scope.role == Role.SCHOOL_STAFF and area_pk is not None:
        raise Http404  # school staff see their school only
    if school_pk is not None or scope.role == Role.SCHOOL_STAFF:
        pk = school_pk if school_pk is not None else scope.school_id
        school = get_object_or_404(
            scope.filter_schools(School.objects.select_related("area"), ""), pk=pk
        )
        if not school.area.path.startswith(root.path):
            raise Http404
        return Node("school", school.pk, school.name, school.area.path, school.area.path)
    if area_pk is not None:
        area = get_object_or_404(scope.filter_areas(Area.objects.select_related("parent"), ""),
                                 pk=area_pk)  # fmt: skip
        if not area.path.startswith(root.path):
            raise Http404
        return area_node(area)
    # The user's own area when it lies below the campaign's, else the campaign's area.
    if scope.area_path and scope.area_path.startswith(root.path) and scope.area_path != root.path:
        own = Area.objects.select_related("parent").filter(path=scope.area_path).first()
        if own is not None:
            return area_node(own)
    if not scope.is_national and not (scope.area_path and root.path.startswith(scope.area_path)):
        raise Http404
    return root


@dataclass
class Place:
    """A campaign and one place of it, as the user may see it; its figures read when needed
    (a cached dashboard page needs none)."""

    campaign: Campaign
    node: Node

    @cached_property
    def cube(self) -> Cube:
        return campaign_cube(self.campaign)

    @property
    def campaign_wide(self) -> bool:
        return self.node.kind == "area" and self.node.path == campaign_root(self.campaign).path

    def report(self, unit_prices: Mapping[str, int] | None = None) -> Report:
        return build_report(
            campaign=self.campaign,
            cube=self.cube,
            node=self.node,
            series=campaign_series(self.campaign, self.node, campaign_wide=self.campaign_wide),
            unit_prices=unit_prices,
        )


def dashboard_place(
    *, user: User, campaign_pk: int, area_pk: int | None = None, school_pk: int | None = None
) -> Place:
    campaign = get_object_or_404(dashboard_campaigns(user=user), pk=campaign_pk)
    root = campaign_root(campaign)
    node = dashboard_node(user=user, root=root, area_pk=area_pk, school_pk=school_pk)
    return Place(campaign, node)


def dashboard_report(
    *,
    user: User,
    campaign_pk: int,
    area_pk: int | None = None,
    school_pk: int | None = None,
    unit_prices: Mapping[str, int] | None = None,
) -> Report:
    place = dashboard_place(
        user=user, campaign_pk=campaign_pk, area_pk=area_pk, school_pk=school_pk
    )
    return place.report(unit_prices)
