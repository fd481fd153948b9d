"""Who is logged in, read from the shared cache: a page served from cached figures (a
dashboard) then costs no database query at all.

On every page Django loads the user from the session, django-otp the user's second-factor
device, and the scope the user's area or school. With a shared cache (SONGMAY_CACHE_URL) these
are kept there under the `AUTH` generation, which any saved or deleted user, device, area or
school bumps after its commit (songmay.lib.generations), so a deactivated user, a changed
password (the session hash), a removed device or a moved area is seen on the next request. With
a per-process cache another process's changes would not be seen, so nothing is cached then.

The cache holds what the database holds for a session: keep it as private as the database
(docs/deployment.md). The device is cached without its secret: the cached copy defers every
field but the ones the middleware reads, and loads the rest from the database if asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django_otp.models import Device

from songmay.lib.generations import Generation

AUTH = Generation("songmay:auth-generation")
TIMEOUT = 60 * 60
# What django-otp's middleware reads of a device.
DEVICE_FIELDS = ("id", "user_id", "name", "confirmed")

M = TypeVar("M", bound=Model)

# (generation, {key: value}) read ahead by `prefetched`, for the request being served.
_ahead: ContextVar[tuple[int, dict[str, Any]] | None] = ContextVar("songmay_auth", default=None)


@contextmanager
def prefetched(user_id: Any, persistent_id: str | None) -> Iterator[None]:
    """Reads the session's user and second-factor device in one round trip to the cache, for
    `cached_user` and `cached_device` within the block (one request's log-in check)."""
    if not settings.SONGMAY_SHARED_CACHE or user_id is None:
        yield
        return
    keys = [_key(f"user:{user_id}")]
    if persistent_id:
        keys.append(_key(f"device:{persistent_id}"))
    token = _ahead.set(AUTH.read_many(keys))
    try:
        yield
    finally:
        _ahead.reset(token)


def _key(name: str) -> str:
    return f"songmay:auth:{name}"


def _cached(name: str, load: Callable[[], M | None]) -> M | None:
    if not settings.SONGMAY_SHARED_CACHE:
        return load()
    key = _key(name)
    # The generation is read before the database, so what is loaded after a change began is
    # stored under a generation that the change's commit leaves behind.
    ahead = _ahead.get()
    if ahead is not None and key in ahead[1]:
        generation, found = ahead[0], ahead[1][key]
    else:
        generation, found = AUTH.read(key)
    if found is None:
        found = load() or False  # False: known not to exist
        AUTH.write(key, generation, found, TIMEOUT)
    return found or None


def cached_user(user_id: Any, load: Callable[[], M | None]) -> M | None:
    return _cached(f"user:{user_id}", load)


def cached_device(persistent_id: str, load: Callable[[], Device | None]) -> Device | None:
    def without_secret() -> Device | None:
        device = load()
        if device is None or not settings.SONGMAY_SHARED_CACHE:
            return device
        values = [getattr(device, field) for field in DEVICE_FIELDS]
        return type(device).from_db(device._state.db, list(DEVICE_FIELDS), values)

    return _cached(f"device:{persistent_id}", without_secret)


def _changed(**kwargs: Any) -> None:
    AUTH.bump()


def watch(*models: type[Model]) -> None:
    """Bump the generation whenever one of these is saved or deleted."""
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(_changed, sender=model, dispatch_uid=f"auth-cache-{model._meta.label}")
