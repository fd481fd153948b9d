"""Reads for campaigns, through the acting user's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from songmay.campaigns.models import Campaign, CampaignQuerySet
from songmay.connectivity.models import (
    ConnectivitySupport,
    DeadSpot,
    DeadSpotStatus,
    SupportStatus,
)

if TYPE_CHECKING:
    from songmay.accounts.models import User


def campaign_list(*, user: User) -> CampaignQuerySet:
    return Campaign.objects.visible_to(user).select_related("area")


def campaign_get(*, user: User, pk: int) -> Campaign:
    campaigns = Campaign.objects.visible_to(user).select_related("area")
    campaigns = campaigns.prefetch_related("phases", "intake_windows", "contacts")
    return get_object_or_404(campaigns, pk=pk)


def connectivity_indicators(campaign: Campaign) -> dict[str, int]:
    """Dead spots of the campaign's province (total, covered) and its pupils' active packages.

    Aggregates only: the campaign page shows them to everyone who may see the campaign.
    """
    spots = DeadSpot.objects.all()
    if campaign.area is not None:
        spots = spots.filter(area__path__startswith=campaign.area.path)
    totals = spots.aggregate(
        total=Count("pk"),
        covered=Count("pk", filter=Q(status__in=[DeadSpotStatus.COVERED, DeadSpotStatus.VERIFIED])),
    )
    active = ConnectivitySupport.objects.filter(
        need__campaign=campaign, status=SupportStatus.ACTIVE
    ).count()
    return {"dead_spots": totals["total"], "covered": totals["covered"], "packages": active}
