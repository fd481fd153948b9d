"""Reading the audit trail: auditors and admins, within their scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from songmay.audit.models import AuditEntry, AuditEntryQuerySet

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import Area


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    area: Area | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_list(*, user: User, filters: AuditFilters | None = None) -> AuditEntryQuerySet:
    filters = filters or AuditFilters()
    entries = AuditEntry.objects.visible_to(user)
    if filters.actor:
        entries = entries.filter(actor_name__icontains=filters.actor) | entries.filter(
            actor__username__iexact=filters.actor
        )
    if filters.action:
        entries = entries.filter(action__startswith=filters.action)
    if filters.area is not None:
        entries = entries.filter(area__path__startswith=filters.area.path)
    if filters.date_from:
        entries = entries.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        entries = entries.filter(created_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    return entries.select_related("area")
