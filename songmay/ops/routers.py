"""An optional read replica (DATABASE_REPLICA_URL) for the heavy reads of dashboards.

Nothing reads from the replica unless asked: a replica lags behind the primary, and a page
shown right after a write must see it. Dashboards and reports opt in:

    with read_replica():
        indicators = ...       # every query inside goes to the replica

or decorate a view with `@use_replica`. Without a replica configured both do nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.db import connections

REPLICA = "replica"
P = ParamSpec("P")
R = TypeVar("R")

_reading_replica: ContextVar[bool] = ContextVar("songmay_read_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.databases


@contextmanager
def read_replica() -> Iterator[None]:
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def use_replica(view: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with read_replica():
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Reads inside `read_replica()` go to the replica; everything else to the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return REPLICA if _reading_replica.get() and replica_configured() else None

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data on both sides

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA  # replication brings the schema
