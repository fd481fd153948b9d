"""Reads for campaigns, through the acting user's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from songmay.campaigns.models import Campaign, CampaignQuerySet

if TYPE_CHECKING:
    from songmay.accounts.models import User


def campaign_list(*, user: User) -> CampaignQuerySet:
    return Campaign.objects.visible_to(user).select_related("area")


def campaign_get(*, user: User, pk: int) -> Campaign:
    campaigns = Campaign.objects.visible_to(user).select_related("area")
    campaigns = campaigns.prefetch_related("phases", "intake_windows", "contacts")
    return get_object_or_404(campaigns, pk=pk)
