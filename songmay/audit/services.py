"""Recording the audit trail. Every write service is `@audited`: it runs in one
transaction that must record at least one entry, or it is rolled back."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.db import models, transaction

from songmay.audit.context import current_origin
from songmay.audit.freshness import bump_data_version
from songmay.audit.models import AuditEntry

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import Area

P = ParamSpec("P")
R = TypeVar("R")

# Values of these fields never reach the trail: only the fact that they changed.
SENSITIVE_FIELDS = frozenset(
    {
        "password",
        "key",
        "key_hash",
        "token",
        "secret",
        "otp_secret",
        "personal_id",
        "date_of_birth",
        "guardian_phone",
        "guardian_name",
        "phone_number",
    }
)
REDACTED = "***"


class AuditMissingError(RuntimeError):
    """A service wrote without recording who did it; the write is rolled back."""


class AuditOutsideServiceError(RuntimeError):
    """`audit_record` was called outside an `@audited` service."""


# One counter per `@audited` call in progress, innermost last.
_open_services: ContextVar[tuple[list[int], ...]] = ContextVar("audited_services", default=())


def audited(service: Callable[P, R]) -> Callable[P, R]:
    """Run `service` atomically and refuse to commit unless it recorded an audit entry."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        counter = [0]
        token = _open_services.set((*_open_services.get(), counter))
        try:
            with transaction.atomic():
                result = service(*args, **kwargs)
                if counter[0] == 0:
                    raise AuditMissingError(
                        f"{service.__module__}.{service.__qualname__}: "
                        "ghi dữ liệu mà không ghi nhật ký"
                    )
        finally:
            _open_services.reset(token)
        return result

    wrapper.audited = True  # type: ignore[attr-defined]
    return wrapper


def _json_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-safe values of `fields` (foreign keys by id), to diff before and after."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = _json_value(getattr(instance, attname))
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for every field whose value changed; on creation, the filled ones."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value and (name in before or value not in ("", None, []))
    }


def redact(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        name: ([REDACTED, REDACTED] if isinstance(value, list) else REDACTED)
        if name in SENSITIVE_FIELDS
        else value
        for name, value in changes.items()
    }


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    area: Area | None = None,
    changes: dict[str, Any] | None = None,
    target_repr: str = "",
) -> AuditEntry:
    """Record one write in the trail, inside the service's own transaction."""
    open_services = _open_services.get()
    if not open_services:
        raise AuditOutsideServiceError(action)
    origin = current_origin()
    entry = AuditEntry.objects.create(
        actor=actor,
        actor_name=(str(actor) if actor else "Hệ thống")[:150],
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=(target_repr or (str(target) if target is not None else ""))[:255],
        area=area,
        changes=redact(changes or {}),
        ip=origin.ip,
        via=origin.via,
    )
    for counter in open_services:
        counter[0] += 1
    bump_data_version()
    return entry


@audited
def export_record(
    *, actor: User, what: str, rows: int, filters: dict[str, Any], area: Area | None = None
) -> AuditEntry:
    """Record that `actor` downloaded `rows` rows of `what` (e.g. "audit", "student")."""
    return audit_record(
        actor=actor,
        action=f"{what}.exported",
        area=area,
        target_repr=f"Xuất {rows} dòng",
        changes={
            "filters": {key: _json_value(value) for key, value in filters.items()},
            "rows": rows,
        },
    )
