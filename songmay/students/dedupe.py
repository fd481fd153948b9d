"""Is this the same child? Plain rules over plain data, no database.

- The same 12-digit personal ID: the same child, merged at once.
- Two different personal IDs: two children, whatever else they share.
- Otherwise a pair goes to an officer's review when the birth dates agree (or agree with day
  and month swapped, a common typing slip) and either the names are alike (a typo, a transfer)
  or the guardian is the same (twins share both; they must be reviewed, never merged).
- Siblings share a guardian but not a birth date: not a match.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from songmay.lib.vietnamese import fold


@dataclass(frozen=True)
class Person:
    id: int
    full_name: str
    date_of_birth: dt.date | None
    guardian_name: str = ""
    guardian_phone: str = ""
    personal_id: str = ""


@dataclass(frozen=True)
class Match:
    other_id: int
    same: bool  # True: merge at once; False: an officer decides
    reason: str


def swapped(day: dt.date) -> dt.date | None:
    """The date with day and month exchanged, when that is a date (03/04 <-> 04/03)."""
    if day.day > 12 or day.day == day.month:
        return None
    return dt.date(day.year, day.day, day.month)


@functools.lru_cache(maxsize=1 << 16)
def birth_dates(day: dt.date | None) -> frozenset[dt.date]:
    """The birth dates a record may really mean."""
    if day is None:
        return frozenset()
    other = swapped(day)
    return frozenset((day, other) if other else (day,))


def _distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance, enough for short names; above `limit`, any number above it."""
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if limit is not None and min(current) > limit:
            return limit + 1  # a row's minimum never decreases further down
        previous = current
    return previous[-1]


@functools.lru_cache(maxsize=1 << 17)
def _folded(name: str) -> tuple[str, tuple[str, ...], int]:
    """A name folded, its words in order, and the set of its letters as bits: asked again
    for every pair an import compares."""
    folded = fold(name)
    letters = 0
    for char in set(folded):
        letters |= 1 << ord(char)
    return folded, tuple(sorted(folded.split())), letters


def names_alike(a: str, b: str) -> bool:
    """Same name give or take diacritics, word order, or a slip of two letters."""
    (folded_a, words_a, letters_a), (folded_b, words_b, letters_b) = _folded(a), _folded(b)
    if not folded_a or not folded_b:
        return False
    if folded_a == folded_b or words_a == words_b:
        return True
    # Each slip adds or drops at most one letter on each side, so two slips change at most
    # four of the letters used: most pairs of names differ in more, and need no distance.
    if abs(len(folded_a) - len(folded_b)) > 2 or (letters_a ^ letters_b).bit_count() > 4:
        return False
    # Only ever asked for records with the same birth date, so a loose test costs at most
    # an officer's glance at two classmates born the same day.
    return _distance(folded_a, folded_b, limit=2) <= 2


def same_guardian(a: Person, b: Person) -> bool:
    if a.guardian_phone and a.guardian_phone == b.guardian_phone:
        return True
    return bool(a.guardian_name) and _folded(a.guardian_name)[0] == _folded(b.guardian_name)[0]


def compare(new: Person, other: Person) -> Match | None:
    if new.personal_id and other.personal_id:
        if new.personal_id == other.personal_id:
            return Match(other.id, same=True, reason="Trùng số định danh cá nhân")
        return None
    if not birth_dates(new.date_of_birth) & birth_dates(other.date_of_birth):
        return None
    flipped = new.date_of_birth != other.date_of_birth
    date_note = " (ngày và tháng sinh bị đảo)" if flipped else ""
    if names_alike(new.full_name, other.full_name):
        return Match(other.id, same=False, reason=f"Họ tên giống nhau, cùng ngày sinh{date_note}")
    if same_guardian(new, other):
        return Match(
            other.id,
            same=False,
            reason=f"Cùng ngày sinh{date_note} và cùng người giám hộ (có thể là anh chị em "
            "sinh đôi)",
        )
    return None


def find_matches(new: Person, others: Iterable[Person]) -> list[Match]:
    """Every record among `others` that may be the same child as `new`, surest first."""
    matches = [match for other in others if other.id != new.id and (match := compare(new, other))]
    return sorted(matches, key=lambda match: (not match.same, match.other_id))


def review_matches(
    new: Sequence[Person], pool: Sequence[Person]
) -> Iterator[tuple[Person, list[Match]]]:
    """`find_matches` of each new person against the pool, for many at once: only the pairs
    that can be alike (a name within two slips, the same words, the same guardian) are
    compared, instead of every pair born the same day."""
    folded = [_folded(other.full_name)[0] for other in pool]
    by_words: dict[tuple[str, ...], list[int]] = {}
    by_phone: dict[str, list[int]] = {}
    by_guardian: dict[str, list[int]] = {}
    by_id: dict[str, list[int]] = {}
    for index, other in enumerate(pool):
        if other.personal_id:
            by_id.setdefault(other.personal_id, []).append(index)
        by_words.setdefault(_folded(other.full_name)[1], []).append(index)
        if other.guardian_phone:
            by_phone.setdefault(other.guardian_phone, []).append(index)
        by_guardian.setdefault(_folded(other.guardian_name)[0], []).append(index)
    for person in new:
        name, words, _letters = _folded(person.full_name)
        near = {
            index
            for _, _, index in process.extract(
                name, folded, scorer=Levenshtein.distance, score_cutoff=2, limit=None
            )
        }
        near.update(by_words.get(words, ()))
        if person.personal_id:
            near.update(by_id.get(person.personal_id, ()))
        if person.guardian_phone:
            near.update(by_phone.get(person.guardian_phone, ()))
        if person.guardian_name:
            near.update(by_guardian.get(_folded(person.guardian_name)[0], ()))
        others = {pool[index].id: pool[index] for index in near}
        yield person, find_matches(person, others.values())
