"""Where a write comes from (address and channel), carried beside the request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    via: str  # web, api, cli, task
    ip: str | None = None


_origin: ContextVar[Origin] = ContextVar("audit_origin", default=Origin(via="cli"))  # noqa: B039 - frozen


def current_origin() -> Origin:
    return _origin.get()


@contextmanager
def origin(via: str, ip: str | None = None) -> Iterator[None]:
    token = _origin.set(Origin(via=via, ip=ip))
    try:
        yield
    finally:
        _origin.reset(token)
