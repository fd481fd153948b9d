"""Reads for transfers and outbreaks, always through the acting user's scope.

A transfer is seen by whoever answers for its origin or its destination (school staff: their
own school at either end; the province: every transfer of its campaigns). An outbreak is seen
by whoever sees its campaign.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from songmay.accounts.scope import Role
from songmay.campaigns.models import Campaign
from songmay.inventory.models import Device
from songmay.pool.models import Outbreak, Transfer, TransferItem

if TYPE_CHECKING:
    from songmay.accounts.models import User


def _transfers_in_scope(user: User) -> QuerySet[Transfer]:
    scope = user.scope
    transfers = Transfer.objects.all()
    if scope.is_national:
        return transfers
    if scope.role == Role.SCHOOL_STAFF:
        return transfers.filter(Q(from_school_id=scope.school_id) | Q(to_school_id=scope.school_id))
    if scope.area_path is None or not scope.may("pool.view"):
        return transfers.none()
    path = scope.area_path
    within = (
        Q(from_school__area__path__startswith=path)
        | Q(to_school__area__path__startswith=path)
        | Q(from_warehouse__area__path__startswith=path)
        | Q(to_warehouse__area__path__startswith=path)
    )
    if scope.role in (Role.PROVINCE_OFFICER, Role.AUDITOR):
        within |= Q(campaign__area__path__startswith=path)
    return transfers.filter(within)


def transfer_list(*, user: User, status: str = "", missing: bool = False) -> QuerySet[Transfer]:
    """Transfers in scope, newest first, with how many devices each carries and has arrived."""
    transfers = _transfers_in_scope(user)
    if status:
        transfers = transfers.filter(status=status)
    if missing:
        transfers = transfers.filter(items__missing=True).distinct()
    return (
        transfers.select_related(
            "campaign", "from_school", "from_warehouse", "to_school", "to_warehouse"
        )
        .annotate(
            device_count=Count("items"),
            received_count=Count("items", filter=Q(items__received_at__isnull=False)),
            missing_count=Count("items", filter=Q(items__missing=True)),
        )
        .order_by("-requested_at", "-pk")
    )


def transfer_get(*, user: User, pk: int) -> Transfer:
    transfers = _transfers_in_scope(user).select_related(
        "campaign__area", "from_school__area", "from_warehouse__area", "to_school__area",
        "to_warehouse__area", "outbreak", "requested_by", "approved_by",
    )  # fmt: skip
    return get_object_or_404(transfers, pk=pk)


def transfer_items(transfer: Transfer) -> QuerySet[TransferItem]:
    """The devices on a transfer, in label order; never the pupils they are meant for."""
    return transfer.items.select_related("device").order_by("device__seq")


def missing_items(*, user: User) -> QuerySet[TransferItem]:
    """Devices that never arrived, on transfers in scope."""
    return (
        TransferItem.objects.filter(missing=True, transfer__in=_transfers_in_scope(user))
        .select_related("device", "transfer__to_school", "transfer__to_warehouse")
        .order_by("-transfer__sent_at", "device__seq")
    )


def outbreak_list(*, user: User) -> QuerySet[Outbreak]:
    campaigns = Campaign.objects.visible_to(user)
    return (
        Outbreak.objects.filter(campaign__in=campaigns)
        .select_related("campaign", "declared_by")
        .prefetch_related("areas", "schools")
        .annotate(transfer_count=Count("transfers", distinct=True))
        .order_by("-starts_on", "-pk")
    )


def outbreak_get(*, user: User, pk: int) -> Outbreak:
    campaigns = Campaign.objects.visible_to(user)
    outbreaks = Outbreak.objects.filter(campaign__in=campaigns).select_related(
        "campaign__area", "declared_by"
    )
    return get_object_or_404(outbreaks, pk=pk)


_DEVICE_URL = re.compile(r"/inventory/devices/(\d+)/?(?:[?#].*)?$")


def read_tag(text: str) -> tuple[int | None, str]:
    """What a scan or a typed code names: (device pk, "") for the device page address a QR
    label encodes, (None, asset tag) otherwise."""
    text = text.strip()
    match = _DEVICE_URL.search(text)
    if match:
        return int(match.group(1)), ""
    return None, "".join(text.split()).upper()


def devices_by_tags(*, user: User, tags: list[str]) -> tuple[list[Device], list[str]]:
    """The devices in scope that the scanned or typed codes name, and the codes not found."""
    found, unknown = [], []
    visible = Device.objects.visible_to(user)
    for raw in tags:
        if not raw.strip():
            continue
        pk, tag = read_tag(raw)
        named = visible.filter(pk=pk) if pk is not None else visible.filter(asset_tag=tag)
        device = named.first()
        if device is None:
            unknown.append(raw.strip())
        elif device not in found:
            found.append(device)
    return found, unknown
