"""Reads for data packages, exchange batches and broadband requests, always for a user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from songmay.accounts.scope import Role
from songmay.connectivity.exchange import ExportRow
from songmay.connectivity.models import (
    BroadbandRequest,
    ConnectivitySupport,
    DataPackage,
    ExchangeBatch,
    Operator,
    SupportStatus,
)

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.students.models import Need

ENDING_DAYS = 30


@dataclass(frozen=True)
class SupportFilters:
    operator: Operator | None = None
    status: str = ""
    ending_within: int | None = None  # days: active packages ending that soon


def package_list(*, active_only: bool = False) -> QuerySet[DataPackage]:
    """The catalogue: offers are public information, the same for every user."""
    packages = DataPackage.objects.select_related("operator")
    return packages.filter(active=True) if active_only else packages


def package_get(*, pk: int) -> DataPackage:
    return get_object_or_404(DataPackage.objects.select_related("operator"), pk=pk)


def operators_for(user: User) -> QuerySet[Operator]:
    """The operators the user works for: its own if an operator, else all of them."""
    if user.scope.role == Role.OPERATOR:
        return Operator.objects.filter(pk=user.operator_id or 0)
    return Operator.objects.all()


def support_list(
    *, user: User, filters: SupportFilters | None = None, today: dt.date | None = None
) -> QuerySet[ConnectivitySupport]:
    filters = filters or SupportFilters()
    supports = ConnectivitySupport.objects.visible_to(user).select_related(
        "package__operator", "operator", "need__student", "need__school", "batch"
    )
    if filters.operator is not None:
        supports = supports.filter(operator=filters.operator)
    if filters.status:
        supports = supports.filter(status=filters.status)
    if filters.ending_within is not None:
        today = today or timezone.localdate()
        supports = supports.filter(
            status=SupportStatus.ACTIVE,
            ends_on__lte=today + dt.timedelta(days=filters.ending_within),
        ).order_by("ends_on", "pk")
    return supports


def supports_ending(
    *, user: User, within: int = ENDING_DAYS, today: dt.date | None = None
) -> QuerySet[ConnectivitySupport]:
    """Active packages that end within `within` days (soonest first)."""
    return support_list(user=user, filters=SupportFilters(ending_within=within), today=today)


def support_get(*, user: User, pk: int) -> ConnectivitySupport:
    return get_object_or_404(support_list(user=user), pk=pk)


def need_supports(*, user: User, need: Need) -> list[ConnectivitySupport]:
    """The pupil's package requests, newest first (the pupil page)."""
    return list(support_list(user=user).filter(need=need))


def batch_list(*, user: User) -> QuerySet[ExchangeBatch]:
    batches = ExchangeBatch.objects.select_related("operator")
    if user.scope.role == Role.OPERATOR:
        return batches.filter(operator_id=user.operator_id or 0)
    if user.scope.may("connectivity.operate"):
        return batches
    return batches.none()


def batch_get(*, user: User, pk: int) -> ExchangeBatch:
    return get_object_or_404(batch_list(user=user), pk=pk)


def batch_rows(batch: ExchangeBatch) -> list[ExportRow]:
    """What the operator needs to activate: request number, phone, package; no pupil data."""
    supports = batch.supports.select_related("package").order_by("pk")
    return [
        ExportRow(s.pk, s.phone, s.package.name, s.package.months, s.consent_on) for s in supports
    ]


def broadband_list(*, user: User, status: str = "") -> QuerySet[BroadbandRequest]:
    requests = BroadbandRequest.objects.visible_to(user).select_related(
        "operator", "need__student", "need__school"
    )
    return requests.filter(status=status) if status else requests


def broadband_get(*, user: User, pk: int) -> BroadbandRequest:
    try:
        return broadband_list(user=user).get(pk=pk)
    except BroadbandRequest.DoesNotExist:
        raise Http404 from None
