"""The allocation engine: which device goes to which pupil. Plain Python over plain data.

No ORM here: `allocate()` takes pupils, devices and the policy's rules as dataclasses and
returns the assignment, each with its reasons, and every pupil left unserved with why.

The objectives, in strict order (lexicographic; a later one never trades away an earlier one):
1. the most pupils served in each priority tier, tier by tier (tier 0 first);
2. fairness between communes within a tier (each commune's share of what the tier receives
   follows its share of that tier's need), when `Rules.fair_shares`;
3. suitability: the sum of preference ranks of the device kinds given (0 = first choice);
4. least movement: the sum of distances (0 same school, 1 same commune, 2 same province).
Constraints: once per pupil and per device; a kind not in the pupil's level's preference
list is never given; distance at most `Rules.max_distance`; an earmarked device only to a
pupil inside its earmark. Deterministic: the same input gives the same output.

Definitions, exactly as `objective()` computes them:

- Tier of a pupil: the lexicographic key (second-or-later child of a household, if
  `one_per_household_first`, i.e. a non-empty `household_key` and `sibling > 0`; rank of
  `household` in `household_order`; not `online_area`, if `online_first`; not `special`, if
  `special_first`). Tiers are numbered 0, 1, ... in key order over the keys that occur. A
  household category missing from `household_order` has no tier (-1): never served.
- need_t: pupils of tier t; need_{t,c}: those of commune c; served_t, served_{t,c} likewise.
- Distance: 0 if device.school == pupil.school; 1 if device.commune is not None and equals
  pupil.commune; 2 if device.province == pupil.province; else 3. A device is eligible for a
  pupil when the distance is at most `max_distance`, its kind is in the preference list of the
  pupil's level, and its earmark (if any) holds: `earmark_school` equals pupil.school and
  pupil.area_path starts with `earmark_path`.
- The objective vector, compared as tuples, smaller is better:
  (-served_0, -served_1, ..., fairness shortfall, sum of preference ranks, sum of distances),
  where the fairness shortfall is, when `fair_shares`,
  sum over tiers t and communes c of max(0, floor(need_{t,c} * served_t / need_t) - served_{t,c}),
  i.e. how many pupils each commune lacks of the whole part of its share; 0 otherwise.
- Ties between optimal assignments: the solver's choice on a network built in sorted order
  of the data's values (never of the input order), then the lowest pupil ids of a class and
  the lowest device ids of a class first.

How it is solved, exactly and without a greedy step:
1. Pupils are grouped into classes (school, commune, province, area path, level, tier) and
   devices into classes (place, kind, earmark); members of a class are interchangeable.
2. A flow network: source -> device class -> hubs per (kind, earmark) at province, commune
   and school -> (school, level) -> (tier, commune) -> tier -> sink. Hubs keep the arcs linear
   in the number of classes; each earmark has its own hubs that reach only the schools inside
   it, so an earmarked device cannot leak.
3. The pupils that can be served together form a (transversal) matroid, so the greedy order
   of tiers is optimal for every prefix at once: a maximum flow of minimum cost, with cost t on
   tier t's arc to the sink, serves exactly the lexicographically largest counts F_t.
4. A second maximum flow of minimum cost with tier t capped at F_t, and unit costs
   W_fair * [beyond the commune's whole share] + W_rank * rank + distance, where
   W_rank = max_distance * F + 1 and W_fair = F * (max_rank * W_rank + max_distance) + 1
   (F = sum of F_t) make each objective dominate all later ones together.
5. The flow is cut into (device class, pupil class, count) pieces hub by hub, in sorted
   order, and each piece takes the lowest ids still free in its two classes.
6. When devices stay within their province, the network falls apart into provinces (parts
   that no device, commune or reach joins). Steps 3 and 4 run part by part: each part's
   lexicographically largest counts add up to the whole's (a direct sum of matroids), every
   later objective is a sum over parts, and the fair shares use the whole tier's counts.
   Smaller networks with smaller weights solve much faster than one national network.
7. Where every device of a part may go to every pupil of it (no earmark, and one province or
   no limit), steps 3 and 4 only see kinds, levels, tiers and communes: they run on a network
   of those alone. Its optimal node potentials, carried over to the whole network, fix every
   arc that all optima leave empty or fill (complementary slackness), and the whole network
   then only minimises the sum of distances, with unit costs 0 to 3.
"""

from __future__ import annotations

import bisect
import gc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

# Distances between a device and a pupil.
SAME_SCHOOL, SAME_COMMUNE, SAME_PROVINCE, ELSEWHERE = 0, 1, 2, 3


@dataclass(frozen=True)
class Pupil:
    id: int
    level: str  # SchoolLevel value: primary, lower_secondary, upper_secondary, continuing
    household: str  # Household value: poor, near_poor, hardship, none
    school: int
    commune: int
    province: int
    # Materialised area path of the pupil's school ("/24/07582/"), for earmarks.
    area_path: str = ""
    special: bool = False  # orphaned by COVID-19, disability, ethnic minority, remote
    online_area: bool = False  # the school's area is teaching online now
    # Pupils sharing a non-empty key live in one household; `sibling` orders them (0 first).
    household_key: str = ""
    sibling: int = 0


@dataclass(frozen=True)
class Device:
    id: int
    kind: str  # DeviceKind value
    # Where it is: a school (with its commune and province), or a store (commune or
    # province only).
    school: int | None
    commune: int | None
    province: int | None
    # A donor's earmark: only pupils whose area_path starts with this path (or at this
    # school) may get it; otherwise it stays unassigned.
    earmark_path: str = ""
    earmark_school: int | None = None


@dataclass(frozen=True)
class Rules:
    # Household categories in priority order; a category not listed is never served.
    household_order: tuple[str, ...] = ("poor", "near_poor", "hardship")
    special_first: bool = True
    online_first: bool = True
    one_per_household_first: bool = True
    # Level -> device kinds it may get, most preferred first.
    level_preferences: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_distance: int = SAME_PROVINCE
    fair_shares: bool = True


@dataclass(frozen=True)
class Assigned:
    pupil: int
    device: int
    tier: int
    preference: int  # 0 = the level's first choice
    distance: int
    why: str  # in Vietnamese, e.g. "Nhóm 1 (hộ nghèo); lựa chọn 1: máy tính bảng; cùng trường"


@dataclass(frozen=True)
class Left:
    pupil: int
    tier: int
    why: str  # in Vietnamese, e.g. "Không còn máy tính bảng phù hợp trong tỉnh; ..."


@dataclass(frozen=True)
class Tier:
    number: int
    label: str  # "Hộ nghèo, hoàn cảnh đặc biệt, vùng đang học trực tuyến"
    need: int
    served: int


@dataclass
class Result:
    assigned: list[Assigned]
    left: list[Left]
    idle_devices: list[int]
    tiers: list[Tier]


# ---------------------------------------------------------------------------
# The same as columns: how a national campaign's million pupils reach the engine and leave it
# without a million objects on the way. Strings are codes into a small table of names.

Array = np.ndarray[Any, Any]
NO_ID = -(2**62)  # no school, commune, province or earmark school


def coded(values: Sequence[str]) -> tuple[list[str], Array]:
    """(names in sorted order, code of each value)."""
    names = sorted(set(values))
    index = {name: code for code, name in enumerate(names)}
    return names, np.fromiter(map(index.__getitem__, values), np.int64, len(values))


def _ids(values: Iterable[int | None], n: int) -> Array:
    return np.fromiter((NO_ID if v is None else v for v in values), np.int64, n)


@dataclass(frozen=True)
class PupilTable:
    """Pupils as NumPy columns, one row per pupil; fields as in `Pupil`."""

    id: Array
    level: Array  # codes into `levels`
    household: Array  # codes into `households`
    school: Array
    commune: Array
    province: Array
    area_path: Array  # codes into `paths`
    special: Array  # bool
    online_area: Array  # bool
    household_key: Array  # codes into `household_keys` ("" for none)
    sibling: Array
    levels: Sequence[str]
    households: Sequence[str]
    paths: Sequence[str]
    household_keys: Sequence[str]

    @classmethod
    def of(cls, pupils: Sequence[Pupil]) -> PupilTable:
        n = len(pupils)
        numbers: Array = np.fromiter(
            map(
                attrgetter(
                    "id", "school", "commune", "province", "sibling", "special", "online_area"
                ),
                pupils,
            ),
            np.dtype((np.int64, 7)),
            n,
        ).reshape(n, 7)
        levels, level = coded([p.level for p in pupils])
        households, household = coded([p.household for p in pupils])
        paths, path = coded([p.area_path for p in pupils])
        keys, key = coded([p.household_key for p in pupils])
        return cls(
            id=numbers[:, 0], level=level, household=household, school=numbers[:, 1],
            commune=numbers[:, 2], province=numbers[:, 3], area_path=path,
            special=numbers[:, 5] != 0, online_area=numbers[:, 6] != 0, household_key=key,
            sibling=numbers[:, 4], levels=levels, households=households, paths=paths,
            household_keys=keys,
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.id)

    def __iter__(self) -> Iterator[Pupil]:
        columns = (
            self.id, self.level, self.household, self.school, self.commune, self.province,
            self.area_path, self.special, self.online_area, self.household_key, self.sibling,
        )  # fmt: skip
        for i, lv, h, s, c, p, a, sp, o, k, sib in zip(
            *(column.tolist() for column in columns), strict=True
        ):
            yield Pupil(
                i, self.levels[lv], self.households[h], s, c, p, self.paths[a], sp, o,
                self.household_keys[k], sib,
            )  # fmt: skip


@dataclass(frozen=True)
class DeviceTable:
    """Devices as NumPy columns, one row per device; fields as in `Device`, NO_ID for None."""

    id: Array
    kind: Array  # codes into `kinds`
    school: Array
    commune: Array
    province: Array
    earmark_path: Array  # codes into `earmark_paths`
    earmark_school: Array
    kinds: Sequence[str]
    earmark_paths: Sequence[str]

    @classmethod
    def of(cls, devices: Sequence[Device]) -> DeviceTable:
        m = len(devices)
        kinds, kind = coded([d.kind for d in devices])
        paths, path = coded([d.earmark_path for d in devices])
        return cls(
            id=np.fromiter(map(attrgetter("id"), devices), np.int64, m),
            kind=kind,
            school=_ids(map(attrgetter("school"), devices), m),
            commune=_ids(map(attrgetter("commune"), devices), m),
            province=_ids(map(attrgetter("province"), devices), m),
            earmark_path=path,
            earmark_school=_ids(map(attrgetter("earmark_school"), devices), m),
            kinds=kinds,
            earmark_paths=paths,
        )

    def __len__(self) -> int:
        return len(self.id)

    def __iter__(self) -> Iterator[Device]:
        def some(value: int) -> int | None:
            return None if value == NO_ID else value

        columns = (
            self.id, self.kind, self.school, self.commune, self.province, self.earmark_path,
            self.earmark_school,
        )  # fmt: skip
        for i, k, s, c, p, e, es in zip(*(column.tolist() for column in columns), strict=True):
            yield Device(
                i, self.kinds[k], some(s), some(c), some(p), self.earmark_paths[e], some(es)
            )


@dataclass
class ResultTable:
    """`Result` as columns: reasons are codes into `whys` and `left_whys`."""

    pupil: Array  # the assignments, by pupil id
    device: Array
    tier: Array
    preference: Array
    distance: Array
    why: Array
    whys: list[str]
    left_pupil: Array  # the pupils left unserved, by id
    left_tier: Array
    left_why: Array
    left_whys: list[str]
    idle_devices: Array
    tiers: list[Tier]

    def result(self) -> Result:
        whys, left_whys = self.whys, self.left_whys
        return Result(
            assigned=[
                Assigned(p, d, t, r, s, whys[w])
                for p, d, t, r, s, w in zip(
                    self.pupil.tolist(), self.device.tolist(), self.tier.tolist(),
                    self.preference.tolist(), self.distance.tolist(), self.why.tolist(),
                    strict=True,
                )
            ],
            left=[
                Left(p, t, left_whys[w])
                for p, t, w in zip(
                    self.left_pupil.tolist(), self.left_tier.tolist(), self.left_why.tolist(),
                    strict=True,
                )
            ],
            idle_devices=self.idle_devices.tolist(),
            tiers=self.tiers,
        )  # fmt: skip


# Kinds, households, levels and distances as the reasons say them.
KIND_LABELS = {
    "desktop": "máy tính để bàn",
    "laptop": "máy tính xách tay",
    "tablet": "máy tính bảng",
    "smartphone": "điện thoại thông minh",
    "router_4g": "bộ phát wifi 4G",
}
HOUSEHOLD_LABELS = {
    "poor": "hộ nghèo",
    "near_poor": "hộ cận nghèo",
    "hardship": "khó khăn khác",
    "none": "không thuộc diện",
}
LEVEL_LABELS = {
    "primary": "tiểu học",
    "lower_secondary": "THCS",
    "upper_secondary": "THPT",
    "continuing": "GDTX",
}
DISTANCE_LABELS = ("cùng trường", "cùng xã", "cùng tỉnh", "khác tỉnh")
REACH_LABELS = ("trong trường", "trong xã", "trong tỉnh", "ở bất cứ đâu")


# ---------------------------------------------------------------------------
# The definitions, pupil by pupil: the reference that `allocate()` must agree with.

TierKey = tuple[int, int, int, int]


def tier_key(pupil: Pupil, rules: Rules) -> TierKey | None:
    """The pupil's priority key (smaller first), or None when its household is not served."""
    if pupil.household not in rules.household_order:
        return None
    return (
        int(rules.one_per_household_first and bool(pupil.household_key) and pupil.sibling > 0),
        rules.household_order.index(pupil.household),
        int(rules.online_first and not pupil.online_area),
        int(rules.special_first and not pupil.special),
    )


def tier_numbers(pupils: Sequence[Pupil], rules: Rules) -> tuple[dict[int, int], list[TierKey]]:
    """Each pupil's tier (-1: not served by the rules) and the tiers' keys in order."""
    keys = {p.id: tier_key(p, rules) for p in pupils}
    ordered = sorted({k for k in keys.values() if k is not None})
    number = {k: i for i, k in enumerate(ordered)}
    return {pid: (-1 if k is None else number[k]) for pid, k in keys.items()}, ordered


def tier_label(key: TierKey, rules: Rules) -> str:
    """'Hộ nghèo, hoàn cảnh đặc biệt, vùng đang học trực tuyến' and the like."""
    later, rank, not_online, not_special = key
    household = rules.household_order[rank]
    parts = [HOUSEHOLD_LABELS.get(household, household)]
    if rules.special_first and not not_special:
        parts.append("hoàn cảnh đặc biệt")
    if rules.online_first and not not_online:
        parts.append("vùng đang học trực tuyến")
    if later:
        parts.append("con thứ hai trở đi trong hộ")
    label = ", ".join(parts)
    return label[:1].upper() + label[1:]


def distance(pupil: Pupil, device: Device) -> int:
    """0 same school, 1 same commune, 2 same province, 3 elsewhere."""
    if device.school is not None and device.school == pupil.school:
        return SAME_SCHOOL
    if device.commune is not None and device.commune == pupil.commune:
        return SAME_COMMUNE
    if device.province is not None and device.province == pupil.province:
        return SAME_PROVINCE
    return ELSEWHERE


def preference(pupil: Pupil, device: Device, rules: Rules) -> int | None:
    """The rank of the device's kind for the pupil's level (0 first), None if not allowed."""
    kinds = rules.level_preferences.get(pupil.level, ())
    return kinds.index(device.kind) if device.kind in kinds else None


def within_earmark(pupil: Pupil, device: Device) -> bool:
    if device.earmark_school is not None and device.earmark_school != pupil.school:
        return False
    return pupil.area_path.startswith(device.earmark_path)


def eligible(pupil: Pupil, device: Device, rules: Rules) -> bool:
    """Whether the rules allow giving this device to this pupil at all."""
    return (
        pupil.household in rules.household_order
        and preference(pupil, device, rules) is not None
        and distance(pupil, device) <= rules.max_distance
        and within_earmark(pupil, device)
    )


def objective(
    assigned: Sequence[tuple[int, int]],
    pupils: Sequence[Pupil],
    devices: Sequence[Device],
    rules: Rules,
) -> tuple[int, ...]:
    """The objective vector of (pupil id, device id) pairs: smaller is better (see above)."""
    tier_of, keys = tier_numbers(pupils, rules)
    pupil_by_id = {p.id: p for p in pupils}
    device_by_id = {d.id: d for d in devices}
    served = [0] * len(keys)
    served_in: Counter[tuple[int, int]] = Counter()
    ranks = distances = 0
    for pupil_id, device_id in assigned:
        pupil, device = pupil_by_id[pupil_id], device_by_id[device_id]
        tier = tier_of[pupil_id]
        if tier >= 0:
            served[tier] += 1
            served_in[tier, pupil.commune] += 1
        ranks += preference(pupil, device, rules) or 0
        distances += distance(pupil, device)
    shortfall = 0
    if rules.fair_shares:
        need = Counter(t for t in tier_of.values() if t >= 0)
        need_in = Counter((tier_of[p.id], p.commune) for p in pupils if tier_of[p.id] >= 0)
        for (tier, commune), n in need_in.items():
            share = n * served[tier] // need[tier]
            shortfall += max(0, share - served_in[tier, commune])
    return (*(-s for s in served), shortfall, ranks, distances)


def check(
    assigned: Sequence[tuple[int, int]],
    pupils: Sequence[Pupil],
    devices: Sequence[Device],
    rules: Rules,
) -> list[str]:
    """Every way the (pupil id, device id) pairs break the rules; empty when they keep them."""
    pupil_by_id = {p.id: p for p in pupils}
    device_by_id = {d.id: d for d in devices}
    problems = []
    for pupil_id, n in Counter(p for p, _ in assigned).items():
        if n > 1:
            problems.append(f"pupil {pupil_id} gets {n} devices")
    for device_id, n in Counter(d for _, d in assigned).items():
        if n > 1:
            problems.append(f"device {device_id} goes to {n} pupils")
    for pupil_id, device_id in assigned:
        pupil, device = pupil_by_id.get(pupil_id), device_by_id.get(device_id)
        if pupil is None or device is None:
            problems.append(f"unknown pupil {pupil_id} or device {device_id}")
            continue
        if pupil.household not in rules.household_order:
            problems.append(f"pupil {pupil_id}: household {pupil.household} is not served")
        if preference(pupil, device, rules) is None:
            problems.append(f"pupil {pupil_id}: kind {device.kind} not allowed for {pupil.level}")
        if distance(pupil, device) > rules.max_distance:
            problems.append(f"pupil {pupil_id}: device {device_id} is too far")
        if not within_earmark(pupil, device):
            problems.append(f"pupil {pupil_id}: device {device_id} is earmarked elsewhere")
    return problems


# ---------------------------------------------------------------------------
# The solver: classes, a flow network, two min-cost max-flows, and back to ids.

_NONE = NO_ID
_INT64_LIMIT = 2**62  # headroom under 2**63 for the solver's cost scaling


def _codes(values: Array) -> tuple[Array, Array]:
    """(the distinct values in order, the index of each value among them): `np.unique`, but
    without sorting when the values span a range not much wider than their number."""
    if len(values) == 0:
        return values.astype(np.int64), np.zeros(0, np.int64)
    low, high = int(values.min()), int(values.max())
    if high - low > 4 * len(values) + 1024:
        distinct, inverse = np.unique(values, return_inverse=True)
        return distinct, inverse.astype(np.int64).reshape(-1)
    present = np.zeros(high - low + 1, bool)
    present[values - low] = True
    code = np.cumsum(present) - 1
    return np.flatnonzero(present) + low, code[values - low]


def _group(*columns: Array) -> tuple[Array, Array]:
    """Rows grouped by equal values: (group of each row, first row of each group).

    Groups are numbered in the sorted order of their values; the columns are small codes
    (>= 0), combined into one int64 key, renumbered as it grows.
    """
    n = len(columns[0]) if columns else 0
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = _codes(columns[0].astype(np.int64))[1]
    for column in columns[1:]:
        radix = int(column.max()) + 1
        if (int(key.max()) + 1) * radix >= _INT64_LIMIT:
            raise ValueError("grouping columns too wide to combine")
        key = _codes(key * radix + column)[1]
    first = np.full(int(key.max()) + 1, n, np.int64)
    np.minimum.at(first, key, np.arange(n))
    return key, first


def _lookup(values: Array, queries: Array) -> Array:
    """The index of each query in the sorted `values`, or -1 when absent."""
    if len(values) == 0:
        return np.full(len(queries), -1, np.int64)
    at = np.minimum(np.searchsorted(values, queries), len(values) - 1)
    return np.where(values[at] == queries, at, -1).astype(np.int64)


def _join(left: Array, right: Array) -> tuple[Array, Array]:
    """All index pairs (i, j) with left[i] == right[j], in order of i then j."""
    order = np.argsort(right, kind="stable")
    ordered = right[order]
    lo = np.searchsorted(ordered, left, "left")
    count = np.searchsorted(ordered, left, "right") - lo
    i = np.repeat(np.arange(len(left)), count)
    within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return i, order[np.repeat(lo, count) + within]


def _starts(sizes: Array) -> Array:
    return np.cumsum(sizes) - sizes


def _ranks_within(groups: Array, amounts: Array) -> Array:
    """For rows sorted by group: how much of its group comes before each row."""
    before = np.cumsum(amounts) - amounts
    if len(groups) == 0:
        return before
    new = np.ones(len(groups), bool)
    new[1:] = groups[1:] != groups[:-1]
    group_start = np.maximum.accumulate(np.where(new, np.arange(len(groups)), 0))
    return before - before[group_start]


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


class _Network:
    """Arcs added in blocks of NumPy arrays; node ids handed out in blocks."""

    def __init__(self) -> None:
        self.nodes = 0
        self.tails: list[Array] = []
        self.heads: list[Array] = []
        self.capacities: list[Array] = []
        self.costs: list[Array] = []
        self.arcs = 0

    def add_nodes(self, n: int) -> int:
        first = self.nodes
        self.nodes += n
        return first

    def add_arcs(
        self, tails: Array, heads: Array, capacities: Array | int, costs: Array | int
    ) -> slice:
        n = len(tails)
        self.tails.append(np.asarray(tails, np.int32))
        self.heads.append(np.asarray(heads, np.int32))
        self.capacities.append(np.broadcast_to(np.asarray(capacities, np.int64), (n,)))
        self.costs.append(np.broadcast_to(np.asarray(costs, np.int64), (n,)))
        block = slice(self.arcs, self.arcs + n)
        self.arcs += n
        return block

    def reduced_costs(self, flows: Array) -> Array:
        """Each arc's cost reduced by optimal node potentials for `flows` (an optimal flow):
        shortest distances in the residual network (Bellman-Ford), so that no residual arc
        has a negative reduced cost. Meant for small networks."""
        tails, heads = np.concatenate(self.tails), np.concatenate(self.heads)
        capacities, costs = np.concatenate(self.capacities), np.concatenate(self.costs)
        forward, backward = flows < capacities, flows > 0
        u = np.concatenate([tails[forward], heads[backward]])
        v = np.concatenate([heads[forward], tails[backward]])
        c = np.concatenate([costs[forward], -costs[backward]])
        distance = np.zeros(self.nodes, np.int64)
        for _ in range(self.nodes + 1):
            shorter = distance.copy()
            np.minimum.at(shorter, v, distance[u] + c)
            if np.array_equal(shorter, distance):
                return costs + distance[tails] - distance[heads]
            distance = shorter
        raise RuntimeError("a negative cycle: the flow is not optimal")

    def solve(self, nodes: Array, supplies: Array, *, maximum: bool) -> Array:
        """A minimum-cost flow (of maximum value if `maximum`); the flow on every arc."""
        costs = np.concatenate(self.costs) if self.costs else np.zeros(0, np.int64)
        largest = int(np.abs(costs).max()) if len(costs) else 0
        if largest * (self.nodes + 1) >= _INT64_LIMIT:
            raise ValueError("allocation too large for exact integer costs; split by province")
        # Arcs that can carry nothing only slow the solver down: it sees the others alone.
        capacities = np.concatenate(self.capacities)
        used = np.flatnonzero(capacities > 0).astype(np.int32)
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(self.tails)[used],
            np.concatenate(self.heads)[used],
            capacities[used],
            costs[used],
        )
        solver.set_nodes_supplies(np.asarray(nodes, np.int32), np.asarray(supplies, np.int64))
        status = solver.solve_max_flow_with_min_cost() if maximum else solver.solve()
        if status != solver.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed: {status}")
        flows = np.zeros(self.arcs, np.int64)
        flows[used] = solver.flows(np.arange(len(used), dtype=np.int32))
        return flows


def allocate(pupils: Sequence[Pupil], devices: Sequence[Device], rules: Rules) -> Result:
    """The optimal assignment of devices to pupils under the rules, with reasons."""
    # Many small objects and no cycles: the cycle collector would only slow this down.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return allocate_table(PupilTable.of(pupils), DeviceTable.of(devices), rules).result()
    finally:
        if collecting:
            gc.enable()


def allocate_table(pupils: PupilTable, devices: DeviceTable, rules: Rules) -> ResultTable:
    """`allocate` over columns, for a national campaign."""
    return _Allocation(pupils, devices, rules).run()


def _sorted_codes(names: Sequence[str], codes: Array) -> tuple[list[str], Array]:
    """Names in sorted order and the codes renumbered to match: input order never matters."""
    order = sorted(range(len(names)), key=names.__getitem__)
    remap = np.empty(len(names), np.int64)
    remap[order] = np.arange(len(names))
    return [names[i] for i in order], remap[codes] if len(codes) else codes.astype(np.int64)


class _Allocation:
    def __init__(self, pupils: PupilTable, devices: DeviceTable, rules: Rules):
        self.pupils, self.devices, self.rules = pupils, devices, rules
        self.reach = max(SAME_SCHOOL, min(ELSEWHERE, rules.max_distance))

    # -- pupils --------------------------------------------------------------------------
    def read_pupils(self) -> None:
        pupils, rules = self.pupils, self.rules
        n = self.n = len(pupils)
        self.pid = np.asarray(pupils.id, np.int64)
        school = np.asarray(pupils.school, np.int64)
        commune = np.asarray(pupils.commune, np.int64)
        province = np.asarray(pupils.province, np.int64)
        sibling = np.asarray(pupils.sibling, np.int64)
        special = np.asarray(pupils.special, bool)
        online = np.asarray(pupils.online_area, bool)
        named_key = np.array([bool(key) for key in pupils.household_keys], bool)
        has_household = named_key[pupils.household_key] if n else np.zeros(0, bool)
        self.levels, self.level = _sorted_codes(pupils.levels, pupils.level)
        self.households, household = _sorted_codes(pupils.households, pupils.household)
        self.household = household
        self.paths, path = _sorted_codes(pupils.paths, pupils.area_path)

        # Tier codes sort like `tier_key`.
        order: dict[str, int] = {}
        for position, name in enumerate(rules.household_order):
            order.setdefault(name, position)
        rank_of = np.array([order.get(h, -1) for h in self.households], np.int64)
        rank = rank_of[household] if n else np.zeros(0, np.int64)
        h = max(1, len(rules.household_order))
        later = has_household & (sibling > 0) & rules.one_per_household_first
        not_online = ~online & rules.online_first
        not_special = ~special & rules.special_first
        code = ((np.asarray(later, np.int64) * h + rank) * 2 + not_online) * 2 + not_special
        code = np.where(rank >= 0, code, -1)
        self.tier_codes = _codes(code[code >= 0])[0]
        self.tiers = len(self.tier_codes)
        self.tier = np.where(code >= 0, np.searchsorted(self.tier_codes, code), -1)
        self.tier_keys: list[TierKey] = [
            (c // (4 * h), (c // 4) % h, (c // 2) % 2, c % 2) for c in self.tier_codes.tolist()
        ]

        # Places: a school with its commune, province and area path, as pupils give them.
        self.schools, school_code = _codes(school)
        self.communes, commune_code = _codes(commune)
        self.provinces, province_code = _codes(province)
        place, first = _group(school_code, commune_code, province_code, path)
        self.place_school = school_code.reshape(-1)[first]
        self.place_commune = commune_code.reshape(-1)[first]
        self.place_province = province_code.reshape(-1)[first]
        self.place_path = path[first]
        self.places = len(first)
        self.pair_of_place, pair_first = _group(self.place_commune, self.place_province)
        self.pair_commune = self.place_commune[pair_first]
        self.pair_province = self.place_province[pair_first]

        # Classes of interchangeable pupils: (place, level, tier), for the tiers only.
        served = np.flatnonzero(self.tier >= 0)
        cls, first = _group(place[served], self.level[served], self.tier[served])
        first = served[first]
        self.cls_place, self.cls_level, self.cls_tier = (
            place[first],
            self.level[first],
            self.tier[first],
        )
        self.cls_size = np.bincount(cls, minlength=len(first))
        self.cls_start = _starts(self.cls_size)
        self.pupil_order = served[np.lexsort((self.pid[served], cls))]
        self.place = place

    # -- devices -------------------------------------------------------------------------
    def read_devices(self) -> None:
        devices = self.devices
        self.m = len(devices)
        self.did = np.asarray(devices.id, np.int64)
        self.kinds, kind = _sorted_codes(devices.kinds, devices.kind)
        school = np.asarray(devices.school, np.int64)
        commune = np.asarray(devices.commune, np.int64)
        province = np.asarray(devices.province, np.int64)
        earmark_paths, earmark_path = _sorted_codes(devices.earmark_paths, devices.earmark_path)
        earmark_school = np.asarray(devices.earmark_school, np.int64)
        group, first = _group(earmark_path, np.unique(earmark_school, return_inverse=True)[1])
        self.group_path = [earmark_paths[i] for i in earmark_path[first].tolist()]
        self.group_school = earmark_school[first].tolist()
        # -1 where a device is somewhere no pupil is.
        school_code = _lookup(self.schools, school)
        commune_code = _lookup(self.communes, commune)
        province_code = _lookup(self.provinces, province)
        dc, first = _group(group, kind, school_code + 1, commune_code + 1, province_code + 1)
        self.dc_group, self.dc_kind = group[first], kind[first]
        self.dc_school, self.dc_commune = school_code[first], commune_code[first]
        self.dc_province = province_code[first]
        self.dc_size = np.bincount(dc, minlength=len(first))
        self.dc_start = _starts(self.dc_size)
        self.device_order = np.lexsort((self.did, dc))

        # Preference rank of each (level, kind); -1 not allowed.
        self.rank = np.full((len(self.levels), len(self.kinds)), -1, np.int64)
        for li, level in enumerate(self.levels):
            for r, name in enumerate(self.rules.level_preferences.get(level, ())):
                k = bisect.bisect_left(self.kinds, name)
                if k < len(self.kinds) and self.kinds[k] == name and self.rank[li, k] < 0:
                    self.rank[li, k] = r

    # -- the parts of the network -------------------------------------------------------
    def parts(self) -> list[_Component]:
        """The network cut where nothing joins it: when devices stay within their province,
        provinces share no device, no commune and no pupil's tier counts (each province's
        best counts add up to the best overall ones), so each is solved on its own, with the
        tier shares of the whole allocation. Provinces that a device or a commune joins stay
        together."""
        n_cls, n_dc, n_provinces = len(self.cls_size), len(self.dc_size), len(self.provinces)
        if self.reach >= ELSEWHERE or n_provinces <= 1:
            return [_Component(self, np.arange(n_cls), np.arange(n_dc))]
        # Which provinces each device class touches: its school's, its commune's, its own.
        touch_dc, touch_province = [], []
        dc_ok = np.flatnonzero(self.dc_school >= 0)
        i, j = _join(self.dc_school[dc_ok], self.place_school)
        touch_dc.append(dc_ok[i])
        touch_province.append(self.place_province[j])
        if self.reach >= SAME_COMMUNE:
            dc_ok = np.flatnonzero(self.dc_commune >= 0)
            i, j = _join(self.dc_commune[dc_ok], self.pair_commune)
            touch_dc.append(dc_ok[i])
            touch_province.append(self.pair_province[j])
        dc_ok = np.flatnonzero(self.dc_province >= 0)
        touch_dc.append(dc_ok)
        touch_province.append(self.dc_province[dc_ok])
        dc_all, province_all = np.concatenate(touch_dc), np.concatenate(touch_province)
        # Links between provinces: through a device class, and through a commune that pupils
        # give in two provinces; then each province's root, the smallest province joined.
        first_touch = np.full(n_dc, n_provinces, np.int64)
        np.minimum.at(first_touch, dc_all, province_all)
        by_commune = np.lexsort((self.pair_province, self.pair_commune))
        same = self.pair_commune[by_commune][1:] == self.pair_commune[by_commune][:-1]
        link_a = np.concatenate([first_touch[dc_all], self.pair_province[by_commune][:-1][same]])
        link_b = np.concatenate([province_all, self.pair_province[by_commune][1:][same]])
        root = list(range(n_provinces))

        def find(x: int) -> int:
            while root[x] != x:
                root[x] = root[root[x]]
                x = root[x]
            return x

        for a, b in np.unique(np.stack([link_a, link_b]), axis=1).T.tolist():
            ra, rb = find(a), find(b)
            if ra != rb:
                root[max(ra, rb)] = min(ra, rb)
        part_of = np.array([find(x) for x in range(n_provinces)] + [-1], np.int64)
        cls_part = part_of[self.place_province[self.cls_place]]
        dc_part = part_of[first_touch]
        cls_order = np.argsort(cls_part, kind="stable")
        dc_order = np.argsort(dc_part, kind="stable")
        cls_bounds = np.searchsorted(cls_part[cls_order], np.arange(n_provinces + 1))
        dc_bounds = np.searchsorted(dc_part[dc_order], np.arange(n_provinces + 1))
        return [
            _Component(
                self,
                cls_order[cls_bounds[p] : cls_bounds[p + 1]],
                dc_order[dc_bounds[p] : dc_bounds[p + 1]],
            )
            for p in range(n_provinces)
            if cls_bounds[p] < cls_bounds[p + 1] and dc_bounds[p] < dc_bounds[p + 1]
        ]

    def solve(self) -> tuple[Array, Array, Array]:
        """The flow, part by part, cut into (device class, pupil class, count) pieces."""
        self.cls_reached = np.zeros(len(self.cls_size), bool)
        self.served = np.zeros(self.tiers, np.int64)
        parts = self.parts() if len(self.cls_size) and len(self.dc_size) else []
        for part in parts:
            part.build()
            self.served += part.count()
        need = np.bincount(self.tier[self.tier >= 0], minlength=self.tiers)
        pieces = [(np.zeros(0, np.int64),) * 3]
        for part in parts:
            dc, cls, amount = part.pieces(part.choose(self.served, need))
            pieces.append((part.dc_idx[dc], part.cls_idx[cls], amount))
            self.cls_reached[part.cls_idx] = part.reached()
            del part.net  # the networks of all parts are never needed at once
        dc, cls, amount = (np.concatenate(column) for column in zip(*pieces, strict=True))
        return dc, cls, amount

    # -- the answer ----------------------------------------------------------------------
    def run(self) -> ResultTable:
        self.read_pupils()
        self.read_devices()
        dc, cls, amount = self.solve()

        # Each piece takes the lowest free ids of its device class and of its pupil class.
        by_device = np.lexsort((cls, dc))
        device_at = np.empty(len(dc), np.int64)
        device_at[by_device] = self.dc_start[dc[by_device]] + _ranks_within(
            dc[by_device], amount[by_device]
        )
        by_pupil = np.lexsort((dc, cls))
        pupil_at = np.empty(len(cls), np.int64)
        pupil_at[by_pupil] = self.cls_start[cls[by_pupil]] + _ranks_within(
            cls[by_pupil], amount[by_pupil]
        )
        piece = np.repeat(np.arange(len(dc)), amount)
        within = np.arange(len(piece)) - np.repeat(_starts(amount), amount)
        device = self.device_order[device_at[piece] + within]
        pupil = self.pupil_order[pupil_at[piece] + within]
        pair_dc, pair_cls = dc[piece], cls[piece]
        left_pupil, left_tier, left_why, left_whys = self.left(pupil, pair_cls)
        return ResultTable(
            *self.assigned(pupil, device, pair_dc, pair_cls),
            left_pupil=left_pupil,
            left_tier=left_tier,
            left_why=left_why,
            left_whys=left_whys,
            idle_devices=self.idle(device),
            tiers=[
                Tier(
                    number=t,
                    label=tier_label(key, self.rules),
                    need=int(need),
                    served=int(self.served[t]),
                )
                for t, (key, need) in enumerate(
                    zip(
                        self.tier_keys,
                        np.bincount(self.tier[self.tier >= 0], minlength=self.tiers),
                        strict=True,
                    )
                )
            ],
        )

    def assigned(
        self, pupil: Array, device: Array, dc: Array, cls: Array
    ) -> tuple[Array, Array, Array, Array, Array, Array, list[str]]:
        """(pupil id, device id, tier, preference, distance, reason) columns, by pupil id,
        and the reasons' texts."""
        place = self.cls_place[cls]
        dist = np.full(len(pupil), ELSEWHERE, np.int64)
        dist = np.where(self.dc_province[dc] == self.place_province[place], SAME_PROVINCE, dist)
        dist = np.where(self.dc_commune[dc] == self.place_commune[place], SAME_COMMUNE, dist)
        dist = np.where(self.dc_school[dc] == self.place_school[place], SAME_SCHOOL, dist)
        tier, kind = self.cls_tier[cls], self.dc_kind[dc]
        rank = self.rank[self.cls_level[cls], kind]
        reason, first = _group(tier, rank, kind, dist)
        whys = []
        for t, r, k, d in zip(
            tier[first].tolist(),
            rank[first].tolist(),
            kind[first].tolist(),
            dist[first].tolist(),
            strict=True,
        ):
            label = tier_label(self.tier_keys[t], self.rules)
            kind_name = self.kinds[k]
            whys.append(
                f"Nhóm {t + 1} ({label[:1].lower()}{label[1:]}); lựa chọn {r + 1}: "
                f"{KIND_LABELS.get(kind_name, kind_name)}; {DISTANCE_LABELS[d]}"
            )
        order = np.argsort(self.pid[pupil], kind="stable")
        return (
            self.pid[pupil][order],
            self.did[device][order],
            tier[order],
            rank[order],
            dist[order],
            reason[order],
            whys,
        )

    def left(self, pupil: Array, pair_cls: Array) -> tuple[Array, Array, Array, list[str]]:
        """(pupil id, tier, reason) columns of the pupils left, by id, and the reasons."""
        served = np.zeros(self.n, bool)
        served[pupil] = True
        cls_of = np.full(self.n, -1, np.int64)
        cls_of[self.pupil_order] = np.repeat(np.arange(len(self.cls_size)), self.cls_size)

        cls_reached = self.cls_reached

        # Pupils served around each pupil (its school, commune or province), by tier.
        area_of_place = (self.place_school, self.place_commune, self.place_province)
        cls_area = (
            area_of_place[self.reach][self.cls_place]
            if self.reach < ELSEWHERE
            else np.zeros(len(self.cls_size), np.int64)
        )
        tiers = max(1, self.tiers)
        served_key = np.sort(cls_area[pair_cls] * tiers + self.cls_tier[pair_cls])
        keys, counts = np.unique(served_key, return_counts=True)
        before = np.concatenate([[0], np.cumsum(counts)])

        def served_around(area: int, tier: int) -> tuple[int, int]:
            at = int(np.searchsorted(keys, area * tiers + tier))
            same = int(counts[at]) if at < len(keys) and keys[at] == area * tiers + tier else 0
            start = int(np.searchsorted(keys, area * tiers))
            return same, int(before[at] - before[start])

        unserved = np.flatnonzero(~served)
        unserved = unserved[np.argsort(self.pid[unserved], kind="stable")]
        cls = cls_of[unserved]
        in_tier = cls >= 0
        # One reason per (reason, level, tier, area); the household for pupils with no tier.
        c = np.where(in_tier, cls, len(self.cls_size))

        def of_class(values: Array) -> Array:
            return np.append(values, 0).astype(np.int64)[c]

        reason, first = _group(
            in_tier.astype(np.int64),
            of_class(cls_reached),
            of_class(self.cls_level),
            of_class(self.cls_tier),
            of_class(cls_area),
            np.where(in_tier, 0, self.household[unserved]),
        )
        whys = [
            self._left_why(i, int(cls_of[i]), cls_reached, cls_area, served_around)
            for i in unserved[first].tolist()
        ]
        return self.pid[unserved], self.tier[unserved], reason, whys

    def _left_why(
        self,
        i: int,
        k: int,
        cls_reached: Array,
        cls_area: Array,
        served_around: Callable[[int, int], tuple[int, int]],
    ) -> str:
        """Why pupil i (of class k, -1 when it has no tier) gets nothing."""
        if k < 0:
            household = self.households[int(self.household[i])]
            label = HOUSEHOLD_LABELS.get(household, household)
            return f"Hoàn cảnh “{label[:1].upper()}{label[1:]}” không nằm trong thứ tự ưu tiên"
        level = self.levels[int(self.cls_level[k])]
        kinds = self.rules.level_preferences.get(level, ())
        if not kinds:
            label = LEVEL_LABELS.get(level, level)
            return f"Cấp học “{label}” chưa có loại thiết bị nào trong chính sách"
        suitable = ", ".join(KIND_LABELS.get(kind, kind) for kind in kinds)
        reach = REACH_LABELS[self.reach]
        if not cls_reached[k]:
            return f"Không có thiết bị phù hợp ({suitable}) {reach}"
        same, higher = served_around(int(cls_area[k]), int(self.cls_tier[k]))
        why = (
            f"Không còn thiết bị phù hợp ({suitable}) {reach}; "
            f"{_number(same)} em cùng nhóm ưu tiên đã được cấp"
        )
        if higher:
            why += f", {_number(higher)} em nhóm ưu tiên cao hơn đã được cấp"
        return why

    def idle(self, device: Array) -> Array:
        used = np.zeros(self.m, bool)
        used[device] = True
        return np.sort(self.did[~used])


class _Component:
    """One part of the network that shares no device, commune or tier share with another:
    a province when devices travel no further (solved alone, with the same optimum)."""

    def __init__(self, alloc: _Allocation, cls_idx: Array, dc_idx: Array):
        self.cls_idx, self.dc_idx = cls_idx, dc_idx
        self.rules, self.reach, self.tiers = alloc.rules, alloc.reach, alloc.tiers
        self.levels, self.kinds, self.rank = alloc.levels, alloc.kinds, alloc.rank
        self.schools, self.paths, self.places = alloc.schools, alloc.paths, alloc.places
        self.place_school, self.place_commune = alloc.place_school, alloc.place_commune
        self.place_province, self.place_path = alloc.place_province, alloc.place_path
        self.pair_of_place = alloc.pair_of_place
        self.pair_commune, self.pair_province = alloc.pair_commune, alloc.pair_province
        self.group_path, self.group_school = alloc.group_path, alloc.group_school
        self.cls_place, self.cls_level = alloc.cls_place[cls_idx], alloc.cls_level[cls_idx]
        self.cls_tier, self.cls_size = alloc.cls_tier[cls_idx], alloc.cls_size[cls_idx]
        self.dc_group, self.dc_kind = alloc.dc_group[dc_idx], alloc.dc_kind[dc_idx]
        self.dc_school, self.dc_commune = alloc.dc_school[dc_idx], alloc.dc_commune[dc_idx]
        self.dc_province, self.dc_size = alloc.dc_province[dc_idx], alloc.dc_size[dc_idx]
        self.m = int(self.dc_size.sum())
        self.need = np.bincount(self.cls_tier, weights=self.cls_size, minlength=self.tiers)
        self.need = self.need.astype(np.int64)
        # Where every device may go to every pupil (no earmark, one province or no limit),
        # where a device is and where a pupil is matter for the distance alone.
        groups = np.unique(self.dc_group).tolist()
        free = all(self.group_path[g] == "" and self.group_school[g] == NO_ID for g in groups)
        provinces = np.union1d(self.place_province[self.cls_place], self.dc_province)
        self.everywhere = free and (
            self.reach >= ELSEWHERE
            or (self.reach == SAME_PROVINCE and len(provinces) == 1 and provinces[0] >= 0)
        )

    # -- the network ---------------------------------------------------------------------
    def build(self) -> None:
        net = self.net = _Network()
        self.source, self.sink = net.add_nodes(1), net.add_nodes(1)
        n_dc = len(self.dc_size)
        self.dc_node = net.add_nodes(n_dc)
        big = max(1, self.m)

        # (place, level) nodes, then (tier, commune) and tier nodes.
        pl, pl_first = _group(self.cls_place, self.cls_level)
        self.pl_place, self.pl_level = self.cls_place[pl_first], self.cls_level[pl_first]
        self.cls_pl = pl
        self.pl_node = net.add_nodes(len(pl_first))
        commune = self.place_commune[self.cls_place]
        tc, tc_first = _group(self.cls_tier, commune)
        self.tc_tier, self.tc_commune = self.cls_tier[tc_first], commune[tc_first]
        self.tc_need = np.bincount(tc, weights=self.cls_size, minlength=len(tc_first))
        self.tc_need = self.tc_need.astype(np.int64)
        self.tc_node = net.add_nodes(len(tc_first))
        self.t_node = net.add_nodes(self.tiers)

        # Wants: which (place, level) takes which kind, at which rank.
        wants = [
            (np.flatnonzero(self.pl_level == li), k, r)
            for li in range(len(self.levels))
            for k in range(len(self.kinds))
            if (r := int(self.rank[li, k])) >= 0
        ]
        want_pl = np.concatenate([w[0] for w in wants] or [np.zeros(0, np.int64)])
        want_kind = np.concatenate([np.full(len(w[0]), w[1]) for w in wants] or [want_pl])
        want_rank = np.concatenate([np.full(len(w[0]), w[2]) for w in wants] or [want_pl])
        want_place = self.pl_place[want_pl]

        self.src_arcs = net.add_arcs(
            np.full(n_dc, self.source), self.dc_node + np.arange(n_dc), self.dc_size, 0
        )
        # Hubs, earmark by earmark: each earmark's hubs reach only the places inside it.
        self.parts: defaultdict[str, list[Array]] = defaultdict(list)
        self.layer_of: dict[int, tuple[int, int]] = {}
        for g, (path, school) in enumerate(zip(self.group_path, self.group_school, strict=True)):
            self._earmark_hubs(g, path, school, (want_pl, want_kind, want_rank, want_place))
        parts = self.parts

        def cat(blocks: list[Array]) -> Array:
            return np.concatenate(blocks) if blocks else np.zeros(0, np.int64)

        self.layer = np.full(net.nodes, -1, np.int64)
        for start, (layer, count) in self.layer_of.items():
            self.layer[start : start + count] = layer
        self.dc_arc_dc = cat(parts["dc_tail"]) - self.dc_node
        self.dc_arc_head, self.dc_arc_reach = cat(parts["dc_head"]), cat(parts["dc_reach"])
        self.dc_arcs = net.add_arcs(self.dc_arc_dc + self.dc_node, self.dc_arc_head, big, 0)
        self.down_tail, self.down_head = cat(parts["down_tail"]), cat(parts["down_head"])
        self.down_arcs = net.add_arcs(self.down_tail, self.down_head, big, 0)
        self.d0_pl_tail, self.d0_pl_head = cat(parts["d0_pl_tail"]), cat(parts["d0_pl_head"])
        self.d0_pl_rank = cat(parts["d0_pl_rank"])
        self.d0_pl_kind = cat(parts["d0_pl_kind"])
        self.d0_pl_arcs = net.add_arcs(self.d0_pl_tail, self.d0_pl_head, big, 0)
        self.cls_arcs = net.add_arcs(
            self.pl_node + self.cls_pl, self.tc_node + tc, self.cls_size, 0
        )
        self.cls_tc = tc
        self.fixed_arcs, self.fixed_blocks = net.arcs, len(net.tails)

    def _inside(self, path: str, school: int) -> Array:
        """Which places an earmark (a path prefix, a school, both or neither) admits."""
        inside = np.ones(self.places, bool)
        if school != _NONE:
            at = _lookup(self.schools, np.array([school]))[0]
            inside &= self.place_school == at
        if path:
            # Paths with this prefix sit together in sorted order.
            lo = bisect.bisect_left(self.paths, path)
            hi = bisect.bisect_left(self.paths, path[:-1] + chr(ord(path[-1]) + 1))
            inside &= (self.place_path >= lo) & (self.place_path < hi)
        return inside

    def _earmark_hubs(
        self, g: int, path: str, school: int, want: tuple[Array, Array, Array, Array]
    ) -> None:
        """Hubs of one earmark (or of none), reaching only the places inside it."""
        want_pl, want_kind, want_rank, want_place = want
        parts, nk = self.parts, max(1, len(self.kinds))
        inside = self._inside(path, school)
        classes = np.flatnonzero(self.dc_group == g)
        has_kind = np.zeros(nk, bool)
        has_kind[self.dc_kind[classes]] = True
        sel = np.flatnonzero(inside[want_place] & has_kind[want_kind])
        if len(sel) == 0:
            return
        # School level: one node per (place, kind).
        d0, d0_first = _group(want_place[sel], want_kind[sel])
        d0_place, d0_kind = want_place[sel][d0_first], want_kind[sel][d0_first]
        d0_node = self.net.add_nodes(len(d0_first))
        self.layer_of[d0_node] = (0, len(d0_first))
        parts["d0_pl_tail"].append(d0_node + d0)
        parts["d0_pl_head"].append(self.pl_node + want_pl[sel])
        parts["d0_pl_rank"].append(want_rank[sel])
        parts["d0_pl_kind"].append(want_kind[sel])
        # Commune level: one node per ((commune, province), kind).
        pair = self.pair_of_place[d0_place]
        d1, d1_first = _group(pair, d0_kind)
        d1_pair, d1_kind = pair[d1_first], d0_kind[d1_first]
        d1_node = self.net.add_nodes(len(d1_first))
        self.layer_of[d1_node] = (1, len(d1_first))
        parts["down_tail"].append(d1_node + d1)
        parts["down_head"].append(d0_node + np.arange(len(d0_first)))
        # Province level.
        d1_province = self.pair_province[d1_pair]
        d2, d2_first = _group(d1_province, d1_kind)
        d2_province, d2_kind = d1_province[d2_first], d1_kind[d2_first]
        d2_node = self.net.add_nodes(len(d2_first))
        self.layer_of[d2_node] = (2, len(d2_first))
        parts["down_tail"].append(d2_node + d2)
        parts["down_head"].append(d1_node + np.arange(len(d1_first)))
        # Anywhere.
        if self.reach >= ELSEWHERE:
            d3, d3_first = _group(d2_kind)
            d3_kind = d2_kind[d3_first]
            d3_node = self.net.add_nodes(len(d3_first))
            self.layer_of[d3_node] = (3, len(d3_first))
            parts["down_tail"].append(d3_node + d3)
            parts["down_head"].append(d2_node + np.arange(len(d2_first)))
        # Device classes into the hubs they can reach.
        kinds = self.dc_kind[classes]
        targets = [
            (
                self.dc_school[classes],
                self.place_school[d0_place],
                d0_node,
                d0_kind,
                SAME_SCHOOL,
            ),
            (
                self.dc_commune[classes],
                self.pair_commune[d1_pair],
                d1_node,
                d1_kind,
                SAME_COMMUNE,
            ),
            (self.dc_province[classes], d2_province, d2_node, d2_kind, SAME_PROVINCE),
        ]
        if self.reach >= ELSEWHERE:
            targets.append(
                (
                    np.zeros(len(classes), np.int64),
                    np.zeros(len(d3_kind), np.int64),
                    d3_node,
                    d3_kind,
                    ELSEWHERE,
                )
            )
        for where, hub_where, hub_node, hub_kind, reach in targets:
            if reach > self.reach:
                continue
            ok = np.flatnonzero(where >= 0)
            i, j = _join(where[ok] * nk + kinds[ok], hub_where * nk + hub_kind)
            parts["dc_tail"].append(self.dc_node + classes[ok][i])
            parts["dc_head"].append(hub_node + j)
            parts["dc_reach"].append(np.full(len(i), reach))

    def count(self) -> Array:
        """Stage 1: the lexicographically largest numbers of pupils served, tier by tier."""
        if self.everywhere:
            return self._count_by_kind()
        net, tiers, big = self.net, self.tiers, max(1, self.m)
        n_tc = len(self.tc_tier)
        # Cost t per pupil of tier t; by the matroid argument every maximum flow of minimum
        # cost serves the lexicographically largest counts.
        net.add_arcs(self.tc_node + np.arange(n_tc), self.t_node + self.tc_tier, big, 0)
        t_arcs = net.add_arcs(
            self.t_node + np.arange(tiers), np.full(tiers, self.sink), big, np.arange(tiers)
        )
        flows = net.solve(np.array([self.source, self.sink]), np.array([big, -big]), maximum=True)
        self.served: Array = flows[t_arcs]
        return self.served

    def choose(self, served: Array, need: Array) -> Array:
        """Stage 2: with this part's counts per tier fixed, fairness, then rank, then distance,
        by dominating weights. `served` and `need` per tier are the whole allocation's: the
        shares are of what the tier receives everywhere."""
        if self.everywhere:
            return self._choose_by_kind(served, need)
        net, tiers, big = self.net, self.tiers, max(1, self.m)
        n_tc = len(self.tc_tier)
        for blocks in (net.tails, net.heads, net.capacities, net.costs):
            del blocks[-2:]
        net.arcs = self.fixed_arcs
        total = int(self.served.sum())
        if total == 0:
            return np.zeros(net.arcs, np.int64)
        max_rank = int(self.d0_pl_rank.max()) if len(self.d0_pl_rank) else 0
        w_rank = self.reach * total + 1
        w_fair = total * (max_rank * w_rank + self.reach) + 1
        net.costs[1] = np.asarray(self.dc_arc_reach, np.int64)
        net.costs[3] = self.d0_pl_rank * w_rank
        # Tiers served in full or not at all need no choosing: a full tier's pupils become
        # fixed demands of their (place, level) node, an empty tier's pupils drop out.
        full = self.served == self.need
        partial = (self.served > 0) & ~full
        fixed_cls = full[self.cls_tier]
        net.capacities[4] = np.where(partial[self.cls_tier], self.cls_size, 0)
        pl_demand = np.bincount(
            self.cls_pl[fixed_cls], weights=self.cls_size[fixed_cls], minlength=len(self.pl_place)
        ).astype(np.int64)
        tc_nodes = self.tc_node + np.arange(n_tc)
        tc_t = self.t_node + self.tc_tier
        if self.rules.fair_shares:
            share = self.tc_need * served[self.tc_tier] // np.maximum(need[self.tc_tier], 1)
            net.add_arcs(tc_nodes, tc_t, share, 0)
            net.add_arcs(tc_nodes, tc_t, big, w_fair)
        else:
            net.add_arcs(tc_nodes, tc_t, big, 0)
        t_served = np.where(partial, self.served, 0)
        net.add_arcs(self.t_node + np.arange(tiers), np.full(tiers, self.sink), t_served, 0)
        demand = np.flatnonzero(pl_demand)
        flows = net.solve(
            np.concatenate([[self.source, self.sink], self.pl_node + demand]),
            np.concatenate([[total, -int(t_served.sum())], -pl_demand[demand]]),
            maximum=False,
        )
        cls_flows = flows[self.cls_arcs]
        cls_flows[fixed_cls] = self.cls_size[fixed_cls]
        flows[self.cls_arcs] = cls_flows
        return flows

    # -- when every device may go to every pupil -------------------------------------------
    # Then the first three objectives see only kinds, levels, tiers and communes: they are
    # solved on a network of those alone (kind -> level -> (tier, commune) -> tier), tiny
    # whatever the number of schools. Its optimal node potentials, carried over to the whole
    # network (every node of a kind takes its kind's, every (school, level) its level's...),
    # say which arcs every optimum leaves empty or fills (complementary slackness); the whole
    # network, so restricted, then only minimises the distance, with costs 0 to 3.

    def _count_by_kind(self) -> Array:
        nk, nl, tiers, big = len(self.kinds), len(self.levels), self.tiers, max(1, self.m)
        supply = np.bincount(self.dc_kind, weights=self.dc_size, minlength=nk).astype(np.int64)
        need = np.bincount(
            self.cls_level * tiers + self.cls_tier, weights=self.cls_size, minlength=nl * tiers
        ).astype(np.int64)
        net = _Network()
        source, sink, kind, level, tier = (net.add_nodes(n) for n in (1, 1, nk, nl, tiers))
        net.add_arcs(np.full(nk, source), kind + np.arange(nk), supply, 0)
        li, ki = np.nonzero(self.rank >= 0)
        net.add_arcs(kind + ki, level + li, big + 1, 0)
        lt = np.flatnonzero(need)
        net.add_arcs(level + lt // tiers, tier + lt % tiers, need[lt], 0)
        t_arcs = net.add_arcs(tier + np.arange(tiers), np.full(tiers, sink), big, np.arange(tiers))
        flows = net.solve(np.array([source, sink]), np.array([big, -big]), maximum=True)
        self.served = flows[t_arcs]
        return self.served

    def _choose_by_kind(self, served: Array, need: Array) -> Array:
        net, big, tiers = self.net, max(1, self.m), self.tiers
        total = int(self.served.sum())
        if total == 0:
            return np.zeros(net.arcs, np.int64)
        full = self.served == self.need
        partial = (self.served > 0) & ~full
        fixed_cls = full[self.cls_tier]
        open_cls = np.flatnonzero(partial[self.cls_tier])
        open_tc = np.flatnonzero(partial[self.tc_tier])
        if self.rules.fair_shares:
            share = self.tc_need * served[self.tc_tier] // np.maximum(need[self.tc_tier], 1)
        else:
            share = np.zeros(len(self.tc_tier), np.int64)
        t_served = np.where(partial, self.served, 0)
        rc_supply, rank_rc, cls_rc, rc_within, rc_over = self._kind_reduced_costs(
            share, t_served, fixed_cls, open_cls, open_tc
        )

        # The whole network, restricted to what keeps the first three objectives optimal.
        for blocks in (net.tails, net.heads, net.capacities, net.costs):
            del blocks[self.fixed_blocks :]
        net.arcs = self.fixed_arcs
        fixed: list[tuple[Array, Array]] = []  # (arc, amount) carried in full by every optimum

        def restrict(block: int, capacity: Array, arc_rc: Array) -> None:
            net.capacities[block] = np.where(arc_rc == 0, capacity, 0)
            full_arcs = np.flatnonzero(arc_rc < 0)
            start = sum(len(b) for b in net.tails[:block])
            fixed.append((start + full_arcs, capacity[full_arcs]))

        net.costs = [np.zeros(len(b), np.int64) for b in net.tails]
        net.costs[1] = np.asarray(self.dc_arc_reach, np.int64)
        restrict(0, self.dc_size, rc_supply)
        d0_pl_level = self.pl_level[self.d0_pl_head - self.pl_node]
        restrict(3, np.full(len(self.d0_pl_kind), big), rank_rc[self.d0_pl_kind, d0_pl_level])
        restrict(4, self.cls_size, cls_rc)
        tc_nodes, tc_t = self.tc_node + open_tc, self.t_node + self.tc_tier[open_tc]
        net.add_arcs(tc_nodes, tc_t, share[open_tc], 0)
        restrict(len(net.tails) - 1, share[open_tc], rc_within)
        net.add_arcs(tc_nodes, tc_t, big, 0)
        restrict(len(net.tails) - 1, np.full(len(open_tc), big), rc_over)
        net.add_arcs(self.t_node + np.arange(tiers), np.full(tiers, self.sink), t_served, 0)

        supplies = np.zeros(net.nodes, np.int64)
        supplies[self.source], supplies[self.sink] = total, -int(t_served.sum())
        pl_demand = np.bincount(
            self.cls_pl[fixed_cls], weights=self.cls_size[fixed_cls], minlength=len(self.pl_place)
        ).astype(np.int64)
        supplies[self.pl_node : self.pl_node + len(pl_demand)] -= pl_demand
        tails, heads = np.concatenate(net.tails), np.concatenate(net.heads)
        arcs = np.concatenate([a for a, _ in fixed])
        amounts = np.concatenate([x for _, x in fixed])
        np.subtract.at(supplies, tails[arcs], amounts)
        np.add.at(supplies, heads[arcs], amounts)
        nodes = np.flatnonzero(supplies)
        flows = net.solve(nodes, supplies[nodes], maximum=False)
        flows[arcs] += amounts
        cls_flows = flows[self.cls_arcs]
        cls_flows[fixed_cls] = self.cls_size[fixed_cls]
        flows[self.cls_arcs] = cls_flows
        return flows

    def _kind_reduced_costs(
        self, share: Array, t_served: Array, fixed_cls: Array, open_cls: Array, open_tc: Array
    ) -> tuple[Array, Array, Array, Array, Array]:
        """Fairness then rank on the small network; the reduced costs of its arcs, as those of
        the whole network's arcs they stand for: (device class, (kind, level), pupil class,
        within share, beyond share)."""
        big, tiers, total = max(1, self.m), self.tiers, int(self.served.sum())
        nk, nl, n_tc = len(self.kinds), len(self.levels), len(self.tc_tier)
        # kind -> level -> (tier, commune) -> tier, full tiers as demands.
        # The small network: kind -> level -> (tier, commune) -> tier, full tiers as demands.
        small = _Network()
        source, sink, kind, level, tc, tier = (
            small.add_nodes(n) for n in (1, 1, nk, nl, n_tc, tiers)
        )
        supply = np.bincount(self.dc_kind, weights=self.dc_size, minlength=nk).astype(np.int64)
        small.add_arcs(np.full(nk, source), kind + np.arange(nk), supply, 0)
        li, ki = np.nonzero(self.rank >= 0)
        max_rank = int(self.rank.max()) if self.rank.size else 0
        w_fair = total * max_rank + 1
        small.add_arcs(kind + ki, level + li, big + 1, self.rank[li, ki])
        lc, lc_first = _group(self.cls_level[open_cls], self.cls_tc[open_cls])
        lc_size = np.bincount(lc, weights=self.cls_size[open_cls], minlength=len(lc_first))
        lc_level = self.cls_level[open_cls][lc_first]
        lc_tc = self.cls_tc[open_cls][lc_first]
        small.add_arcs(level + lc_level, tc + lc_tc, lc_size.astype(np.int64), 0)
        small.add_arcs(tc + open_tc, tier + self.tc_tier[open_tc], share[open_tc], 0)
        small.add_arcs(
            tc + open_tc, tier + self.tc_tier[open_tc], big + 1, w_fair * self.rules.fair_shares
        )
        small.add_arcs(tier + np.arange(tiers), np.full(tiers, sink), t_served, 0)
        level_demand = np.bincount(
            self.cls_level[fixed_cls], weights=self.cls_size[fixed_cls], minlength=nl
        ).astype(np.int64)
        flows = small.solve(
            np.concatenate([[source, sink], level + np.arange(nl)]),
            np.concatenate([[total, -int(t_served.sum())], -level_demand]),
            maximum=False,
        )
        rc = small.reduced_costs(flows)
        rc_supply, rc_rank, rc_lc, rc_within, rc_over, _ = np.split(
            rc, np.cumsum([len(b) for b in small.tails])[:-1]
        )
        rank_rc = np.zeros((nk, nl), np.int64)
        rank_rc[ki, li] = rc_rank
        lc_rc = np.zeros((nl, n_tc), np.int64)
        lc_rc[lc_level, lc_tc] = rc_lc
        cls_rc = np.ones(len(self.cls_size), np.int64)
        cls_rc[open_cls] = lc_rc[self.cls_level[open_cls], self.cls_tc[open_cls]]
        return rc_supply[self.dc_kind], rank_rc, cls_rc, rc_within, rc_over

    def reached(self) -> Array:
        """Which of this part's pupil classes any suitable device can reach at all."""
        reached = np.zeros(self.net.nodes, bool)
        reached[self.dc_arc_head] = True
        down_layer = self.layer[self.down_tail]
        for layer in (ELSEWHERE, SAME_PROVINCE, SAME_COMMUNE):
            sel = down_layer == layer
            reached[self.down_head[sel][reached[self.down_tail[sel]]]] = True
        reached[self.d0_pl_head[reached[self.d0_pl_tail]]] = True
        return reached[self.pl_node + self.cls_pl]

    def pieces(self, flows: Array) -> tuple[Array, Array, Array]:
        """The flow cut into (device class, pupil class, count), hub layer by hub layer."""
        dc_flow = flows[self.dc_arcs]
        used = np.flatnonzero(dc_flow)
        piece_dc, piece_node = self.dc_arc_dc[used], self.dc_arc_head[used]
        piece_amount = dc_flow[used]
        down_flow = flows[self.down_arcs]
        down_used = np.flatnonzero(down_flow)
        out_tail = self.down_tail[down_used]
        out_head = self.down_head[down_used]
        out_flow = down_flow[down_used]
        out_layer = self.layer[out_tail]
        arriving = (np.zeros(0, np.int64),) * 3
        for layer in (ELSEWHERE, SAME_PROVINCE, SAME_COMMUNE, SAME_SCHOOL, -1):
            if layer >= 0:
                direct = self.layer[piece_node] == layer
                in_dc = np.concatenate([piece_dc[direct], arriving[0]])
                in_node = np.concatenate([piece_node[direct], arriving[1]])
                in_amount = np.concatenate([piece_amount[direct], arriving[2]])
                if layer > 0:
                    sel = out_layer == layer
                    tail, head, amount = out_tail[sel], out_head[sel], out_flow[sel]
                else:
                    f = flows[self.d0_pl_arcs]
                    sel = np.flatnonzero(f)
                    tail, head, amount = self.d0_pl_tail[sel], self.d0_pl_head[sel], f[sel]
            else:
                in_dc, in_node, in_amount = arriving
                f = flows[self.cls_arcs]
                sel = np.flatnonzero(f)
                tail, head, amount = self.pl_node + self.cls_pl[sel], sel, f[sel]
            order_in = np.lexsort((in_dc, in_node))
            order_out = np.lexsort((head, tail))
            cum_in = np.cumsum(in_amount[order_in])
            cum_out = np.cumsum(amount[order_out])
            cuts = np.union1d(cum_in, cum_out)
            size = np.diff(cuts, prepend=0)
            at_in = order_in[np.searchsorted(cum_in, cuts)]
            at_out = order_out[np.searchsorted(cum_out, cuts)]
            arriving = (in_dc[at_in], head[at_out], size)
        return arriving
