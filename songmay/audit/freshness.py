"""How fresh derived figures are: a version that changes with every committed write.

Every write goes through a service that records an audit entry, and `audit_record` bumps a
generation in the cache (songmay.lib.generations) for each such transaction. Where the cache is
shared by every process (Redis, SONGMAY_CACHE_URL: production, see docs/deployment.md) that
generation alone is the version, read without a database query. Where each process has its own
cache it misses other processes' writes, so the newest audit entry's id, which moves with every
write in every process, is part of the version too. Caches of derived figures (the indicators,
the dashboards) put the version in their keys, or store it with their values (`fresh_read`).
"""

from typing import Any

from django.conf import settings
from django.core.cache import cache

from songmay.audit.models import AuditEntry
from songmay.lib.generations import Generation

DATA = Generation("songmay:data-version")


def data_version() -> str:
    if settings.SONGMAY_SHARED_CACHE:
        return str(DATA.current())
    newest = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return f"{newest}.{DATA.current()}"


def fresh_read(key: str) -> tuple[str, Any]:
    """The current version, and what `fresh_write` stored under `key` at that version (or
    None): with a shared cache, one round trip to it and no query."""
    if settings.SONGMAY_SHARED_CACHE:
        generation, value = DATA.read(key)
        return str(generation), value
    version = data_version()
    stored = cache.get(key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == version:
        return version, stored[1]
    return version, None


def fresh_write(key: str, version: str, value: Any, timeout: int) -> None:
    cache.set(key, (int(version) if settings.SONGMAY_SHARED_CACHE else version, value), timeout)


def bump_data_version() -> None:
    DATA.bump()
