"""Reads for allocation: the policy, runs and assignments, always through the user's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404
from django.utils import timezone

from songmay.allocation.models import (
    DEFAULT_HOUSEHOLD_ORDER,
    DEFAULT_LEVEL_PREFERENCES,
    AllocationRun,
    Assignment,
    AssignmentQuerySet,
    AssignmentStatus,
    Policy,
    RunQuerySet,
)
from songmay.students.models import Need, NeedStatus

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import School
    from songmay.campaigns.models import Campaign


def policy_for(campaign: Campaign) -> Policy:
    """The campaign's allocation policy, created with the default rules on first use."""
    policy, _created = Policy.objects.get_or_create(
        campaign=campaign,
        defaults={
            "household_order": list(DEFAULT_HOUSEHOLD_ORDER),
            "level_preferences": {k: list(v) for k, v in DEFAULT_LEVEL_PREFERENCES.items()},
        },
    )
    return policy


def _runs(user: User) -> RunQuerySet:
    # The stored inputs run to megabytes on a national campaign: never loaded for a page.
    return (
        AllocationRun.objects.visible_to(user)
        .defer("inputs")
        .select_related("campaign", "created_by", "approved_by")
    )


def run_list(*, user: User, campaign: Campaign | None = None) -> RunQuerySet:
    """Runs in scope, newest first within each campaign."""
    runs = _runs(user)
    if campaign is not None:
        runs = runs.filter(campaign=campaign)
    return runs


def run_get(*, user: User, pk: int) -> AllocationRun:
    """One run in scope; a run outside it is a 404."""
    return get_object_or_404(_runs(user), pk=pk)


def assignment_list(
    *, user: User, school: School | None = None, status: str = "", overdue: bool = False
) -> AssignmentQuerySet:
    """Assignments in scope; `overdue`: still waiting for handover after the due date."""
    assignments = Assignment.objects.visible_to(user).select_related(
        "need__student", "need__school", "device", "run", "campaign"
    )
    if school is not None:
        assignments = assignments.filter(need__school=school)
    if status:
        assignments = assignments.filter(status=status)
    if overdue:
        assignments = assignments.filter(
            status=AssignmentStatus.ACTIVE, due_on__lt=timezone.localdate()
        )
    return assignments


def equipped_count(*, user: User, campaign: Campaign | None = None) -> int:
    """How many pupils in scope have received their device."""
    needs = Need.objects.visible_to(user).counted().filter(status=NeedStatus.EQUIPPED)
    if campaign is not None:
        needs = needs.filter(campaign=campaign)
    return needs.count()
