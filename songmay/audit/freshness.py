"""How fresh derived figures are: a version that changes with every committed write.

Every write goes through a service that records an audit entry, so the newest entry's id moves
with the data, in every process — a write made by a worker or another web process included. The
newest id alone can miss a transaction that commits after a later-numbered one; a counter in the
cache, bumped after each commit (`bump_data_version`), covers that where the cache is shared
(Redis in production, see docs/deployment.md). Caches of derived figures (the indicators, the
dashboards) put the version in their keys.
"""

from django.core.cache import cache
from django.db import connection, transaction

from songmay.audit.models import AuditEntry

COUNTER_KEY = "songmay:data-version"


def data_version() -> str:
    newest = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return f"{newest}.{cache.get(COUNTER_KEY) or 0}"


def _bump() -> None:
    try:
        cache.incr(COUNTER_KEY)
    except ValueError:  # not set yet, or evicted
        cache.set(COUNTER_KEY, 1, None)


def bump_data_version() -> None:
    # Now, so that this transaction's own reads see fresh figures; and again after the commit,
    # so that figures another request cached meanwhile, from before the commit, are dropped.
    _bump()
    # Once per transaction, however many entries a service records.
    if not any(entry[1] is _bump for entry in connection.run_on_commit):
        transaction.on_commit(_bump)
