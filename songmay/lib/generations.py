"""Generations: a number in the cache that changes after every committed change of some data,
so that what was derived from that data can be cached under it and never served stale.

A value is stored with the generation read *before* the data it was derived from; it is served
only while the generation is still the same. A change bumps the generation at once and again
after its commit, so a value derived meanwhile from the uncommitted state, or from the state
just before the commit, is never served after it. Reading the generation and a value takes one
round trip to the cache (`read`).

The cache must be shared by every process that changes the data (Redis in production): with a
per-process cache another process's changes are not seen. Callers check
`settings.SONGMAY_SHARED_CACHE` before relying on a generation alone.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction


class Generation:
    def __init__(self, key: str) -> None:
        self.key = key

    def current(self) -> int:
        return self._valid(cache.get(self.key))

    def read(self, key: str) -> tuple[int, Any]:
        """The current generation, and the value stored under `key` at that generation (None if
        there is none, or if it was stored at an earlier one)."""
        generation, values = self.read_many([key])
        return generation, values[key]

    def read_many(self, keys: list[str]) -> tuple[int, dict[str, Any]]:
        """As `read`, for several keys in the same round trip: every key is in the dict."""
        found = cache.get_many([self.key, *keys])
        generation = self._valid(found.get(self.key))
        values = {}
        for key in keys:
            stored = found.get(key)
            if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == generation:
                values[key] = stored[1]
            else:
                values[key] = None
        return generation, values

    def write(self, key: str, generation: int, value: Any, timeout: int) -> None:
        cache.set(key, (generation, value), timeout)

    def bump(self) -> None:
        """Now, so that the changing transaction's own reads see fresh values; and once after
        its commit, whatever the number of changes in it."""
        self._increment()
        if connection.in_atomic_block and not any(
            getattr(entry[1], "__self__", None) is self for entry in connection.run_on_commit
        ):
            transaction.on_commit(self._increment)

    def _valid(self, value: Any) -> int:
        if value is None:
            # Lost with the cache (restart, eviction): start again above every value it had, so
            # that nothing stored under an old generation is taken for a fresh one.
            cache.add(self.key, time.time_ns(), None)
            value = cache.get(self.key) or 0
        return int(value)

    def _increment(self) -> None:
        try:
            cache.incr(self.key)
        except ValueError:  # not set yet, or evicted
            cache.add(self.key, time.time_ns(), None)
