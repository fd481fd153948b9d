"""What an import remembers about every row it has read, kept small: a file of a million rows
must be checked and written in well under a gigabyte (issue 3's benchmark), and Python's dicts
and sets cost 60 to 170 bytes an entry where these cost 1 to 12."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from typing import TypeGuard

import numpy as np

_INT64 = range(-(1 << 63), 1 << 63)


def _fits(key: object) -> TypeGuard[int]:
    """Whether a key can be kept in the arrays."""
    return isinstance(key, int) and key in _INT64


class FirstRows:
    """The row that first brought each key. Integer keys are kept in sorted NumPy arrays
    (12 bytes each); any other key, or one too large for 64 bits, stays in a dict."""

    # New keys wait in a dict, merged into the arrays this many at a time.
    MERGE_EVERY = 1 << 16

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.rows = np.empty(0, dtype=np.int32)  # an Excel row number fits: 1,048,576 at most
        self.recent: dict[Hashable, int] = {}
        self.pending = 0  # recent keys that fit the arrays

    def first(self, key: Hashable, row: int) -> int:
        """The row that brought `key` first; `row` (now remembered) when none did."""
        found = self.recent.get(key)
        if found is not None:
            return found
        if not _fits(key):
            self.recent[key] = row
            return row
        if len(self.keys):
            index = int(self.keys.searchsorted(key))
            if index < len(self.keys) and self.keys[index] == key:
                return int(self.rows[index])
        self.recent[key] = row
        self.pending += 1
        if self.pending >= self.MERGE_EVERY:
            self._merge()
        return row

    def get(self, key: Hashable) -> int | None:
        """The row that brought `key` first, or None; remembers nothing."""
        found = self.recent.get(key)
        if found is not None or not _fits(key) or not len(self.keys):
            return found
        index = int(self.keys.searchsorted(key))
        if index < len(self.keys) and self.keys[index] == key:
            return int(self.rows[index])
        return None

    def _merge(self) -> None:
        packed = {k: r for k, r in self.recent.items() if _fits(k)}
        keys = np.concatenate([self.keys, np.fromiter(packed, np.int64, len(packed))])
        rows = np.concatenate([self.rows, np.fromiter(packed.values(), np.int32, len(packed))])
        order = np.argsort(keys, kind="stable")
        self.keys, self.rows = keys[order], rows[order]
        self.recent = {k: r for k, r in self.recent.items() if k not in packed}
        self.pending = 0


class IdSet:
    """A set of database ids as a bitmap over the range they span: the ids an import creates
    come from one sequence, so the range is about as long as the set (a bit an id)."""

    def __init__(self) -> None:
        self.base = 0
        self.bits = bytearray()

    def add(self, value: int) -> None:
        if not self.bits:
            self.base = value - value % 8
        if value < self.base:
            shift = (self.base - value + 7) // 8
            self.bits[:0] = bytes(shift)
            self.base -= 8 * shift
        offset = value - self.base
        if offset // 8 >= len(self.bits):
            # Grown by half again each time, as a list is: adding n ids costs O(n).
            self.bits.extend(bytes(max(offset // 8 + 1 - len(self.bits), len(self.bits) // 2)))
        self.bits[offset // 8] |= 1 << offset % 8

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int) or value < self.base:
            return False
        offset = value - self.base
        return offset // 8 < len(self.bits) and bool(self.bits[offset // 8] >> offset % 8 & 1)


def id_key(personal_id: str) -> Hashable:
    """A key for a personal ID: a number when it is digits ("1" first keeps its zeros)."""
    return (
        int("1" + personal_id) if personal_id.isascii() and personal_id.isdigit() else personal_id
    )


def name_key(numbers: dict[str, int], school_id: int, name: str, born: dt.date | None) -> Hashable:
    """A key for a folded name and birth date in one school: one number when each part fits
    its bits (`numbers` gives each name its own), otherwise the parts themselves."""
    number = numbers.setdefault(name, len(numbers))
    day = born.toordinal() if born is not None else 0
    if school_id < 1 << 20 and day < 1 << 20 and number < 1 << 23:
        return number << 40 | school_id << 20 | day
    return (school_id, name, born)
