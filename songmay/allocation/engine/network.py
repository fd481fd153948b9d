"""Grouping NumPy columns and a flow network built from blocks of arcs: the solver's tools."""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from songmay.allocation.engine.tables import Array

# ---------------------------------------------------------------------------
# The solver: classes, a flow network, two min-cost max-flows, and back to ids.

INT64_LIMIT = 2**62  # headroom under 2**63 for the solver's cost scaling


def distinct_codes(values: Array) -> tuple[Array, Array]:
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


def group_rows(*columns: Array) -> tuple[Array, Array]:
    """Rows grouped by equal values: (group of each row, first row of each group).

    Groups are numbered in the sorted order of their values; the columns are small codes
    (>= 0), combined into one int64 key, renumbered as it grows.
    """
    n = len(columns[0]) if columns else 0
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows = np.arange(n)
    radices = [int(column.max()) + 1 for column in columns]
    if np.prod(radices, dtype=float) <= 4 * n:
        # Few combinations of values (a level, a tier): one key, renumbered once.
        key = np.zeros(n, np.int64)
        for column, radix in zip(columns, radices, strict=True):
            key = key * radix + column
        columns = (key,)
    key = distinct_codes(columns[0].astype(np.int64))[1]
    for column in columns[1:]:
        # A column constant within each group so far (a school's commune) splits none, and
        # the groups keep their order: no sort needed.
        first = np.full(int(key.max()) + 1, n, np.int64)
        np.minimum.at(first, key, rows)
        if np.array_equal(column[first][key], column):
            continue
        radix = int(column.max()) + 1
        if (int(key.max()) + 1) * radix >= INT64_LIMIT:
            raise ValueError("grouping columns too wide to combine")
        key = distinct_codes(key * radix + column)[1]
    first = np.full(int(key.max()) + 1, n, np.int64)
    np.minimum.at(first, key, rows)
    return key, first


def by_group_then_id(groups: Array, ids: Array) -> Array:
    """The order of rows by group (small codes >= 0), then by id (unique): one integer key
    when both fit in one, as it sorts much faster than `lexsort`'s two."""
    if len(ids) == 0:
        return np.zeros(0, np.int64)
    offset = ids - ids.min()
    width = int(offset.max()) + 1
    if (int(groups.max()) + 1) * width < INT64_LIMIT:
        return np.argsort(groups * width + offset)
    return np.lexsort((ids, groups))


def lookup_sorted(values: Array, queries: Array) -> Array:
    """The index of each query in the sorted `values`, or -1 when absent."""
    if len(values) == 0:
        return np.full(len(queries), -1, np.int64)
    at = np.minimum(np.searchsorted(values, queries), len(values) - 1)
    return np.where(values[at] == queries, at, -1).astype(np.int64)


def join_equal(left: Array, right: Array) -> tuple[Array, Array]:
    """All index pairs (i, j) with left[i] == right[j], in order of i then j."""
    order = np.argsort(right, kind="stable")
    ordered = right[order]
    lo = np.searchsorted(ordered, left, "left")
    count = np.searchsorted(ordered, left, "right") - lo
    i = np.repeat(np.arange(len(left)), count)
    within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return i, order[np.repeat(lo, count) + within]


def merged_distinct(a: Array, b: Array) -> Array:
    """The distinct values of two sorted arrays, in order: `np.union1d` without its general
    sort (a stable sort merges the two runs in one pass)."""
    merged = np.sort(np.concatenate([a, b]), kind="stable")
    keep = np.ones(len(merged), bool)
    keep[1:] = merged[1:] != merged[:-1]
    return merged[keep]


def starts_of(sizes: Array) -> Array:
    return np.cumsum(sizes) - sizes


def ranks_within(groups: Array, amounts: Array) -> Array:
    """For rows sorted by group: how much of its group comes before each row."""
    before = np.cumsum(amounts) - amounts
    if len(groups) == 0:
        return before
    new = np.ones(len(groups), bool)
    new[1:] = groups[1:] != groups[:-1]
    group_start = np.maximum.accumulate(np.where(new, np.arange(len(groups)), 0))
    return before - before[group_start]


def number_text(n: int) -> str:
    return f"{n:,}".replace(",", ".")


class Network:
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

    def _tightened(
        self, tails: Array, heads: Array, capacities: Array, nodes: Array, supplies: Array
    ) -> Array:
        """Capacities no larger than any flow can use: an arc carries at most what can enter
        its tail and at most what can leave its head. The flows allowed stay the same, but the
        solver no longer pushes amounts that must come back (a third faster on a province)."""
        supply = np.zeros(self.nodes, np.int64)
        np.add.at(supply, np.asarray(nodes, np.int64), np.asarray(supplies, np.int64))
        enter, leave = np.maximum(supply, 0), np.maximum(-supply, 0)
        # The networks are layered, a few layers deep: each round carries a bound one layer on.
        for _ in range(16):
            # Float sums are exact here: capacities are counts of devices, far below 2**53.
            into = np.bincount(heads, capacities, self.nodes).astype(np.int64) + enter
            out = np.bincount(tails, capacities, self.nodes).astype(np.int64) + leave
            tighter = np.minimum(capacities, np.minimum(into[tails], out[heads]))
            if np.array_equal(tighter, capacities):
                break
            capacities = tighter
        return capacities

    def solve(self, nodes: Array, supplies: Array, *, maximum: bool) -> Array:
        """A minimum-cost flow (of maximum value if `maximum`); the flow on every arc."""
        costs = np.concatenate(self.costs) if self.costs else np.zeros(0, np.int64)
        largest = int(np.abs(costs).max()) if len(costs) else 0
        if largest * (self.nodes + 1) >= INT64_LIMIT:
            raise ValueError("allocation too large for exact integer costs; split by province")
        tails, heads = np.concatenate(self.tails), np.concatenate(self.heads)
        capacities = self._tightened(tails, heads, np.concatenate(self.capacities), nodes, supplies)
        # Arcs that can carry nothing only slow the solver down: it sees the others alone.
        used = np.flatnonzero(capacities > 0).astype(np.int32)
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(
            tails[used], heads[used], capacities[used], costs[used]
        )
        solver.set_nodes_supplies(np.asarray(nodes, np.int32), np.asarray(supplies, np.int64))
        status = solver.solve_max_flow_with_min_cost() if maximum else solver.solve()
        if status != solver.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed: {status}")
        flows = np.zeros(self.arcs, np.int64)
        flows[used] = solver.flows(np.arange(len(used), dtype=np.int32))
        return flows
