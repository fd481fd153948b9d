"""When each place reaches its target at the recent pace, and what it still needs.

Plain Python over figures already read (no ORM), so the dashboard, the exports and the tests
share one calculation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Used when the campaign has bought nothing of a kind yet (VND, retail prices of 2021 for a
# device meeting the minimum configuration); the dashboard lets the officer change them.
DEFAULT_UNIT_PRICES = {
    "desktop": 8_000_000,
    "laptop": 10_000_000,
    "tablet": 3_500_000,
    "smartphone": 2_500_000,
    "router_4g": 1_000_000,
}


@dataclass(frozen=True)
class Pace:
    target_count: int  # pupils to equip to reach the target
    equipped: int
    per_day: float  # handovers per day over the recent window
    reached_on: dt.date | None  # None: not at this pace (nothing handed over recently)

    @property
    def remaining(self) -> int:
        return max(0, self.target_count - self.equipped)

    @property
    def reached(self) -> bool:
        return self.remaining == 0


def pace(
    *,
    needing: int,
    equipped: int,
    equipped_recently: int,
    window_days: int,
    target_percent: int,
    today: dt.date,
) -> Pace:
    """At `equipped_recently` handovers in the last `window_days`, when the target is met."""
    target_count = math.ceil(needing * target_percent / 100)
    per_day = equipped_recently / window_days if window_days else 0.0
    remaining = max(0, target_count - equipped)
    if remaining == 0:
        reached_on: dt.date | None = today
    elif per_day > 0:
        reached_on = today + dt.timedelta(days=math.ceil(remaining / per_day))
    else:
        reached_on = None
    return Pace(target_count, equipped, per_day, reached_on)


@dataclass(frozen=True)
class Shortfall:
    devices: dict[str, int]  # device kind -> how many still to find
    unit_prices: dict[str, int]

    @property
    def cost(self) -> int:
        return sum(count * self.unit_prices.get(kind, 0) for kind, count in self.devices.items())

    def cost_of(self, kind: str) -> int:
        return self.devices.get(kind, 0) * self.unit_prices.get(kind, 0)


def shortfall(
    *,
    unserved_by_level: Mapping[str, int],
    preferences: Mapping[str, Sequence[str]],
    idle_by_kind: Mapping[str, int],
    unit_prices: Mapping[str, int],
) -> Shortfall:
    """Devices still to find: each unserved pupil wants its level's first-choice kind, less the
    idle devices of that kind already in hand; then at what cost."""
    wanted: Counter[str] = Counter()
    for level, count in unserved_by_level.items():
        kinds = preferences.get(level) or ["tablet"]
        wanted[kinds[0]] += max(0, count)
    devices = {
        kind: max(0, count - idle_by_kind.get(kind, 0)) for kind, count in sorted(wanted.items())
    }
    prices = {**DEFAULT_UNIT_PRICES, **unit_prices}
    return Shortfall({k: v for k, v in devices.items() if v}, prices)
