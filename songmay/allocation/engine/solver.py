"""The solver: classes of pupils and devices, the flow network part by part, and back to
ids with reasons (see the package's docstring for how and why)."""

from __future__ import annotations

import bisect
import gc
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from songmay.allocation.engine import workers
from songmay.allocation.engine.climb import Climb
from songmay.allocation.engine.definitions import (
    DISTANCE_LABELS,
    ELSEWHERE,
    HOUSEHOLD_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    REACH_LABELS,
    SAME_COMMUNE,
    SAME_PROVINCE,
    SAME_SCHOOL,
    Device,
    Pupil,
    Result,
    Rules,
    Tier,
    TierKey,
    tier_label,
)
from songmay.allocation.engine.network import (
    Network,
    by_group_then_id,
    distinct_codes,
    group_rows,
    join_equal,
    lookup_sorted,
    merged_distinct,
    number_text,
    ranks_within,
    starts_of,
)
from songmay.allocation.engine.tables import NO_ID, Array, DeviceTable, PupilTable, ResultTable


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
        named_key = np.fromiter(map(bool, pupils.household_keys), bool, len(pupils.household_keys))
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
        self.tier_codes = distinct_codes(code[code >= 0])[0]
        self.tiers = len(self.tier_codes)
        self.tier = np.where(code >= 0, np.searchsorted(self.tier_codes, code), -1)
        self.tier_keys: list[TierKey] = [
            (c // (4 * h), (c // 4) % h, (c // 2) % 2, c % 2) for c in self.tier_codes.tolist()
        ]

        # Places: a school with its commune, province and area path, as pupils give them.
        self.schools, school_code = distinct_codes(school)
        self.communes, commune_code = distinct_codes(commune)
        self.provinces, province_code = distinct_codes(province)
        place, first = group_rows(school_code, commune_code, province_code, path)
        self.place_school = school_code.reshape(-1)[first]
        self.place_commune = commune_code.reshape(-1)[first]
        self.place_province = province_code.reshape(-1)[first]
        self.place_path = path[first]
        self.places = len(first)
        self.pair_of_place, pair_first = group_rows(self.place_commune, self.place_province)
        self.pair_commune = self.place_commune[pair_first]
        self.pair_province = self.place_province[pair_first]

        # Classes of interchangeable pupils: (place, level, tier), for the tiers only.
        served = np.flatnonzero(self.tier >= 0)
        cls, first = group_rows(place[served], self.level[served], self.tier[served])
        first = served[first]
        self.cls_place, self.cls_level, self.cls_tier = (
            place[first],
            self.level[first],
            self.tier[first],
        )
        self.cls_size = np.bincount(cls, minlength=len(first))
        self.cls_start = starts_of(self.cls_size)
        self.served_rows, self.served_cls = served, cls
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
        group, first = group_rows(earmark_path, np.unique(earmark_school, return_inverse=True)[1])
        self.group_path = [earmark_paths[i] for i in earmark_path[first].tolist()]
        self.group_school = earmark_school[first].tolist()
        # -1 where a device is somewhere no pupil is.
        school_code = lookup_sorted(self.schools, school)
        commune_code = lookup_sorted(self.communes, commune)
        province_code = lookup_sorted(self.provinces, province)
        dc, first = group_rows(group, kind, school_code + 1, commune_code + 1, province_code + 1)
        self.dc_group, self.dc_kind = group[first], kind[first]
        self.dc_school, self.dc_commune = school_code[first], commune_code[first]
        self.dc_province = province_code[first]
        self.dc_size = np.bincount(dc, minlength=len(first))
        self.dc_start = starts_of(self.dc_size)
        self.device_dc = dc

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
        i, j = join_equal(self.dc_school[dc_ok], self.place_school)
        touch_dc.append(dc_ok[i])
        touch_province.append(self.place_province[j])
        if self.reach >= SAME_COMMUNE:
            dc_ok = np.flatnonzero(self.dc_commune >= 0)
            i, j = join_equal(self.dc_commune[dc_ok], self.pair_commune)
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

        # Each link once, as one integer (a 2-D unique sorts far more slowly).
        width = n_provinces + 1
        links = np.unique(link_a * width + link_b)
        for a, b in zip((links // width).tolist(), (links % width).tolist(), strict=True):
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

    def count(self) -> list[_Component]:
        """The parts, each with its lexicographically largest counts (stage 1), and their sum."""
        self.served = np.zeros(self.tiers, np.int64)
        parts = self.parts() if len(self.cls_size) and len(self.dc_size) else []
        for part in parts:
            self.served += part.count()
        return parts

    def solve(self, parts: list[_Component]) -> tuple[Array, Array, Array]:
        """The flow, part by part, cut into (device class, pupil class, count) pieces."""
        self.cls_reached = np.zeros(len(self.cls_size), bool)
        need = np.bincount(self.tier[self.tier >= 0], minlength=self.tiers)
        pieces = [(np.zeros(0, np.int64),) * 3]
        finished = workers.finish_parts(parts, self.served, need)
        for part, (dc, cls, amount, reached) in zip(parts, finished, strict=True):
            pieces.append((part.dc_idx[dc], part.cls_idx[cls], amount))
            self.cls_reached[part.cls_idx] = reached
        dc, cls, amount = (np.concatenate(column) for column in zip(*pieces, strict=True))
        return dc, cls, amount

    # -- the answer ----------------------------------------------------------------------
    def run(self) -> ResultTable:
        self.read_pupils()
        # Pupils and devices in the order of their classes are needed only at the end. NumPy's
        # sorts let go of the GIL, so a thread sorts them on another core meanwhile; it is gone
        # before the solver forks its processes.
        with ThreadPoolExecutor(max_workers=1) as beside:
            pupil_order = beside.submit(
                by_group_then_id, self.served_cls, self.pid[self.served_rows]
            )
            self.read_devices()
            device_order = beside.submit(np.lexsort, (self.did, self.device_dc))
            parts = self.count()
            self.pupil_order = self.served_rows[pupil_order.result()]
            self.device_order = device_order.result()
        dc, cls, amount = self.solve(parts)

        # Each piece takes the lowest free ids of its device class and of its pupil class.
        by_device = np.lexsort((cls, dc))
        device_at = np.empty(len(dc), np.int64)
        device_at[by_device] = self.dc_start[dc[by_device]] + ranks_within(
            dc[by_device], amount[by_device]
        )
        by_pupil = np.lexsort((dc, cls))
        pupil_at = np.empty(len(cls), np.int64)
        pupil_at[by_pupil] = self.cls_start[cls[by_pupil]] + ranks_within(
            cls[by_pupil], amount[by_pupil]
        )
        piece = np.repeat(np.arange(len(dc)), amount)
        within = np.arange(len(piece)) - np.repeat(starts_of(amount), amount)
        device = self.device_order[device_at[piece] + within]
        pupil = self.pupil_order[pupil_at[piece] + within]
        pair_dc, pair_cls = dc[piece], cls[piece]
        with ThreadPoolExecutor(max_workers=1) as beside:  # the two share nothing they change
            assigned = beside.submit(self.assigned, pupil, device, pair_dc, pair_cls)
            left_pupil, left_tier, left_why, left_whys = self.left(pupil, pair_cls)
            assigned_columns = assigned.result()
        return ResultTable(
            *assigned_columns,
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
        reason, first = group_rows(tier, rank, kind, dist)
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

        reason, first = group_rows(
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
            f"{number_text(same)} em cùng nhóm ưu tiên đã được cấp"
        )
        if higher:
            why += f", {number_text(higher)} em nhóm ưu tiên cao hơn đã được cấp"
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
        net = self.net = Network()
        self.source, self.sink = net.add_nodes(1), net.add_nodes(1)
        n_dc = len(self.dc_size)
        self.dc_node = net.add_nodes(n_dc)
        big = max(1, self.m)

        # (place, level) nodes, then (tier, commune) and tier nodes.
        pl, pl_first = group_rows(self.cls_place, self.cls_level)
        self.pl_place, self.pl_level = self.cls_place[pl_first], self.cls_level[pl_first]
        self.cls_pl = pl
        self.pl_node = net.add_nodes(len(pl_first))
        commune = self.place_commune[self.cls_place]
        tc, tc_first = group_rows(self.cls_tier, commune)
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
        if school != NO_ID:
            at = lookup_sorted(self.schools, np.array([school]))[0]
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
        d0, d0_first = group_rows(want_place[sel], want_kind[sel])
        d0_place, d0_kind = want_place[sel][d0_first], want_kind[sel][d0_first]
        d0_node = self.net.add_nodes(len(d0_first))
        self.layer_of[d0_node] = (0, len(d0_first))
        parts["d0_pl_tail"].append(d0_node + d0)
        parts["d0_pl_head"].append(self.pl_node + want_pl[sel])
        parts["d0_pl_rank"].append(want_rank[sel])
        parts["d0_pl_kind"].append(want_kind[sel])
        # Commune level: one node per ((commune, province), kind).
        pair = self.pair_of_place[d0_place]
        d1, d1_first = group_rows(pair, d0_kind)
        d1_pair, d1_kind = pair[d1_first], d0_kind[d1_first]
        d1_node = self.net.add_nodes(len(d1_first))
        self.layer_of[d1_node] = (1, len(d1_first))
        parts["down_tail"].append(d1_node + d1)
        parts["down_head"].append(d0_node + np.arange(len(d0_first)))
        # Province level.
        d1_province = self.pair_province[d1_pair]
        d2, d2_first = group_rows(d1_province, d1_kind)
        d2_province, d2_kind = d1_province[d2_first], d1_kind[d2_first]
        d2_node = self.net.add_nodes(len(d2_first))
        self.layer_of[d2_node] = (2, len(d2_first))
        parts["down_tail"].append(d2_node + d2)
        parts["down_head"].append(d1_node + np.arange(len(d1_first)))
        # Anywhere.
        if self.reach >= ELSEWHERE:
            d3, d3_first = group_rows(d2_kind)
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
            i, j = join_equal(where[ok] * nk + kinds[ok], hub_where * nk + hub_kind)
            parts["dc_tail"].append(self.dc_node + classes[ok][i])
            parts["dc_head"].append(hub_node + j)
            parts["dc_reach"].append(np.full(len(i), reach))

    def count(self) -> Array:
        """Stage 1: the lexicographically largest numbers of pupils served, tier by tier."""
        if self.everywhere:  # no need of the whole network yet: `finish` builds it
            return self._count_by_kind()
        self.build()
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
        flows = self._solve_climbing(
            np.concatenate([[self.source, self.sink], self.pl_node + demand]),
            np.concatenate([[total, -int(t_served.sum())], -pl_demand[demand]]),
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
        net = Network()
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
        flows = self._solve_climbing(nodes, supplies[nodes])
        flows[arcs] += amounts
        cls_flows = flows[self.cls_arcs]
        cls_flows[fixed_cls] = self.cls_size[fixed_cls]
        flows[self.cls_arcs] = cls_flows
        return flows

    def _solve_climbing(self, nodes: Array, supplies: Array) -> Array:
        """`net.solve` of stage 2 with the device classes climbing the tree of hubs
        (`climb.py`): the same optimum on a smaller network. The flow on the network's arcs."""
        net = self.net
        climb = Climb(
            net.nodes,
            down_tail=self.down_tail,
            down_head=self.down_head,
            arc_dc=self.dc_arc_dc,
            arc_head=self.dc_arc_head,
            arc_reach=self.dc_arc_reach,
            reach=self.reach,
            classes=len(self.dc_size),
        )
        block = len(net.tails)
        net.capacities[1] = np.where(climb.dropped, 0, net.capacities[1])
        up = net.add_arcs(climb.up_tail, climb.up_head, max(1, self.m), 1)
        flows = net.solve(nodes, supplies, maximum=False)
        for blocks in (net.tails, net.heads, net.capacities, net.costs):
            del blocks[block:]
        net.arcs = up.start
        climb.back(flows[self.dc_arcs], flows[self.down_arcs], flows[up])
        return flows[: up.start]

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
        small = Network()
        source, sink, kind, level, tc, tier = (
            small.add_nodes(n) for n in (1, 1, nk, nl, n_tc, tiers)
        )
        supply = np.bincount(self.dc_kind, weights=self.dc_size, minlength=nk).astype(np.int64)
        small.add_arcs(np.full(nk, source), kind + np.arange(nk), supply, 0)
        li, ki = np.nonzero(self.rank >= 0)
        max_rank = int(self.rank.max()) if self.rank.size else 0
        w_fair = total * max_rank + 1
        small.add_arcs(kind + ki, level + li, big + 1, self.rank[li, ki])
        lc, lc_first = group_rows(self.cls_level[open_cls], self.cls_tc[open_cls])
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

    def finish(self, served: Array, need: Array) -> workers.Finished:
        """Stage 2 and its pieces, with the pupil classes reached; the network is let go."""
        if self.everywhere:
            self.build()
        dc, cls, amount = self.pieces(self.choose(served, need))
        reached = self.reached()
        del self.net
        return dc, cls, amount, reached

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
            cuts = merged_distinct(cum_in, cum_out)
            size = np.diff(cuts, prepend=0)
            at_in = order_in[np.searchsorted(cum_in, cuts)]
            at_out = order_out[np.searchsorted(cum_out, cuts)]
            arriving = (in_dc[at_in], head[at_out], size)
        return arriving
