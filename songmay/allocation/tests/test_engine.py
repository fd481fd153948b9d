"""The allocation engine against an exhaustive oracle, the seeds' Bắc Giang figures and each
policy knob. Plain data: no database."""

from __future__ import annotations

import random
from collections import Counter
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from songmay.allocation.engine import (
    Device,
    Pupil,
    Result,
    Rules,
    allocate,
    check,
    eligible,
    objective,
    solver,
    workers,
)
from songmay.allocation.engine.network import by_group_then_id, group_rows, merged_distinct

KINDS = ("tablet", "laptop", "smartphone")
DEFAULT_PREFERENCES = {
    "primary": ("tablet", "laptop", "smartphone"),
    "lower_secondary": ("laptop", "tablet", "smartphone", "desktop"),
    "upper_secondary": ("laptop", "desktop", "tablet"),
    "continuing": ("laptop", "desktop", "smartphone"),
}


def pairs(result: Result) -> list[tuple[int, int]]:
    return [(a.pupil, a.device) for a in result.assigned]


def best_objective(pupils, devices, rules) -> tuple[int, ...]:
    """The oracle: every partial matching, scored by `objective`."""
    best = None

    def extend(i: int, used: frozenset[int], chosen: list[tuple[int, int]]) -> None:
        nonlocal best
        if i == len(pupils):
            score = objective(chosen, pupils, devices, rules)
            if best is None or score < best:
                best = score
            return
        extend(i + 1, used, chosen)
        for device in devices:
            if device.id not in used and eligible(pupils[i], device, rules):
                extend(i + 1, used | {device.id}, [*chosen, (pupils[i].id, device.id)])

    extend(0, frozenset(), [])
    assert best is not None
    return best


@st.composite
def instances(draw):
    """Up to 6 pupils and 5 devices over 3 schools, 3 communes and 2-3 provinces."""
    commune_of_school = [draw(st.integers(0, 2)) for _ in range(3)]
    province_of_commune = [draw(st.integers(0, 1)) for _ in range(3)]

    def where(school):
        commune = commune_of_school[school]
        return school, commune, province_of_commune[commune]

    ids = draw(st.permutations(range(1, 13)))[: draw(st.integers(0, 6))]
    pupils = []
    for pupil_id in ids:
        school, commune, province = where(draw(st.integers(0, 2)))
        pupils.append(
            Pupil(
                id=pupil_id,
                level=draw(st.sampled_from(["primary", "lower_secondary"])),
                household=draw(st.sampled_from(["poor", "near_poor", "hardship", "none"])),
                school=school,
                commune=commune,
                province=province,
                area_path=f"/{province}/{commune}/{school}/",
                special=draw(st.booleans()),
                online_area=draw(st.booleans()),
                household_key=draw(st.sampled_from(["", "a", "b"])),
                sibling=draw(st.integers(0, 1)),
            )
        )
    devices = []
    for j in range(draw(st.integers(0, 5))):
        school, commune, province = where(draw(st.integers(0, 2)))
        place = draw(st.sampled_from(["school", "commune", "province", "elsewhere"]))
        location = {
            "school": (school, commune, province),
            "commune": (None, commune, province),
            "province": (None, None, province),
            "elsewhere": (None, None, 2),
        }[place]
        earmark = draw(st.sampled_from(["none", "school", "path"]))
        devices.append(
            Device(
                id=100 + j,
                kind=draw(st.sampled_from(KINDS)),
                school=location[0],
                commune=location[1],
                province=location[2],
                earmark_school=draw(st.integers(0, 2)) if earmark == "school" else None,
                earmark_path=f"/{draw(st.integers(0, 1))}/" if earmark == "path" else "",
            )
        )
    rules = Rules(
        household_order=tuple(
            draw(st.permutations(["poor", "near_poor", "hardship"]))[: draw(st.integers(1, 3))]
        ),
        special_first=draw(st.booleans()),
        online_first=draw(st.booleans()),
        one_per_household_first=draw(st.booleans()),
        level_preferences={
            "primary": tuple(draw(st.permutations(KINDS))[: draw(st.integers(0, 3))]),
            "lower_secondary": tuple(draw(st.permutations(KINDS))[: draw(st.integers(1, 3))]),
        },
        max_distance=draw(st.integers(0, 3)),
        fair_shares=draw(st.booleans()),
    )
    return pupils, devices, rules


@settings(max_examples=300, deadline=None)
@given(instances())
def test_allocation_is_as_good_as_the_best_of_all_matchings(instance):
    pupils, devices, rules = instance
    result = allocate(pupils, devices, rules)
    assert objective(pairs(result), pupils, devices, rules) == best_objective(
        pupils, devices, rules
    )


@st.composite
def scarce_instances(draw):
    """One tier spread over communes, short of devices: where fair shares bind."""
    pupils, devices, rules = draw(instances())
    assume(1 <= len(devices) < len(pupils))
    pupils = [
        Pupil(
            id=p.id,
            level=p.level,
            household="poor",
            school=p.school,
            commune=p.commune,
            province=0,
            area_path=p.area_path,
        )
        for p in pupils
    ]
    devices = [
        Device(
            id=d.id, kind=d.kind, school=None, commune=d.commune if d.school else None, province=0
        )
        for d in devices
    ]
    rules = Rules(
        level_preferences=rules.level_preferences,
        max_distance=draw(st.integers(1, 2)),
        fair_shares=True,
    )
    return pupils, devices, rules


@settings(max_examples=300, deadline=None)
@given(scarce_instances())
def test_fair_shares_are_as_good_as_the_best_of_all_matchings(instance):
    pupils, devices, rules = instance
    result = allocate(pupils, devices, rules)
    assert objective(pairs(result), pupils, devices, rules) == best_objective(
        pupils, devices, rules
    )


@settings(max_examples=200, deadline=None)
@given(instances())
def test_allocation_keeps_every_rule_and_accounts_for_everyone(instance):
    pupils, devices, rules = instance
    result = allocate(pupils, devices, rules)
    assert check(pairs(result), pupils, devices, rules) == []
    served = {a.pupil for a in result.assigned}
    assert served | {left.pupil for left in result.left} == {p.id for p in pupils}
    assert not served & {left.pupil for left in result.left}
    given_out = {a.device for a in result.assigned}
    assert given_out | set(result.idle_devices) == {d.id for d in devices}
    assert sum(t.served for t in result.tiers) == len(result.assigned)
    assert all(left.why for left in result.left)


@settings(max_examples=200, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_allocation_is_deterministic_and_ignores_input_order(instance, rng):
    pupils, devices, rules = instance
    first = allocate(pupils, devices, rules)
    assert allocate(pupils, devices, rules) == first
    shuffled_pupils, shuffled_devices = list(pupils), list(devices)
    rng.shuffle(shuffled_pupils)
    rng.shuffle(shuffled_devices)
    again = allocate(shuffled_pupils, shuffled_devices, rules)
    assert set(pairs(again)) == set(pairs(first))
    assert again == first


def bac_giang() -> tuple[list[Pupil], list[Device]]:
    """The seeds' figures: 17,049 pupils in need, 1,006 devices in the provincial store."""
    rng = random.Random(2021)  # noqa: S311 (reproducible test data)
    levels = (
        ["primary"] * 11_967
        + ["lower_secondary"] * 4_482
        + ["upper_secondary"] * 400
        + ["continuing"] * 200
    )
    households = ["poor"] * 4_700 + ["near_poor"] * 3_800 + ["hardship"] * 8_400 + ["none"] * 149
    rng.shuffle(levels)
    rng.shuffle(households)
    pupils = []
    for i, (level, household) in enumerate(zip(levels, households, strict=True)):
        school = rng.randrange(200)
        commune = school // 10
        pupils.append(
            Pupil(
                id=i + 1,
                level=level,
                household=household,
                school=school,
                commune=commune,
                province=24,
                area_path=f"/24/{commune}/",
                special=rng.random() < 0.1,
                online_area=commune % 3 == 0,
            )
        )
    kinds = ["desktop"] * 114 + ["laptop"] * 122 + ["tablet"] * 119 + ["smartphone"] * 651
    devices = [
        Device(id=j + 1, kind=kind, school=None, commune=None, province=24)
        for j, kind in enumerate(kinds)
    ]
    return pupils, devices


def test_bac_giang_devices_all_go_to_poor_households_first():
    pupils, devices = bac_giang()
    result = allocate(pupils, devices, Rules(level_preferences=DEFAULT_PREFERENCES))
    by_id = {p.id: p for p in pupils}

    assert len(result.assigned) == 1_006
    assert result.idle_devices == []
    assert {by_id[a.pupil].household for a in result.assigned} == {"poor"}
    assert check(pairs(result), pupils, devices, Rules(level_preferences=DEFAULT_PREFERENCES)) == []
    # Within the poor: special circumstances in online areas first.
    first = result.tiers[0]
    assert first.label == "Hộ nghèo, hoàn cảnh đặc biệt, vùng đang học trực tuyến"
    assert first.served == first.need
    assert all(t.served == 0 for t in result.tiers if not t.label.startswith("Hộ nghèo"))

    # The shortfall, by level and by area, adds up to the need not met.
    short_by_level = Counter(by_id[left.pupil].level for left in result.left)
    need_by_level = Counter(p.level for p in pupils)
    served_by_level = Counter(by_id[a.pupil].level for a in result.assigned)
    assert short_by_level == need_by_level - served_by_level
    short_by_commune = Counter(by_id[left.pupil].commune for left in result.left)
    assert sum(short_by_commune.values()) == 17_049 - 1_006
    assert len(short_by_commune) == 20

    near_poor = next(left for left in result.left if by_id[left.pupil].household == "near_poor")
    assert near_poor.why.startswith("Không còn thiết bị phù hợp (")
    assert "trong tỉnh; " in near_poor.why
    outside = next(left for left in result.left if by_id[left.pupil].household == "none")
    assert outside.tier == -1
    assert outside.why == "Hoàn cảnh “Không thuộc diện” không nằm trong thứ tự ưu tiên"


def pupil(id, **fields):
    values = {
        "level": "primary",
        "household": "poor",
        "school": 1,
        "commune": 10,
        "province": 100,
        "area_path": "/100/10/",
    }
    values.update(fields)
    return Pupil(id=id, **values)


def tablet(id, **fields):
    values = {"kind": "tablet", "school": None, "commune": None, "province": 100}
    values.update(fields)
    return Device(id=id, **values)


TABLETS_ONLY = {"primary": ("tablet",)}


def test_a_household_gets_one_device_before_any_gets_a_second():
    pupils = [
        pupil(1, household_key="h", sibling=0),
        pupil(2, household_key="h", sibling=1),
        pupil(3, household="near_poor"),
    ]
    devices = [tablet(11), tablet(12)]
    result = allocate(pupils, devices, Rules(level_preferences=TABLETS_ONLY))
    assert {a.pupil for a in result.assigned} == {1, 3}
    (left,) = result.left
    assert left.pupil == 2
    assert "con thứ hai" in result.tiers[left.tier].label

    siblings_together = Rules(level_preferences=TABLETS_ONLY, one_per_household_first=False)
    result = allocate(pupils, devices, siblings_together)
    assert {a.pupil for a in result.assigned} == {1, 2}


def test_areas_teaching_online_come_first():
    pupils = [pupil(1), pupil(2, online_area=True)]
    result = allocate(pupils, [tablet(11)], Rules(level_preferences=TABLETS_ONLY))
    assert pairs(result) == [(2, 11)]
    assert result.left[0].why.endswith(
        "0 em cùng nhóm ưu tiên đã được cấp, 1 em nhóm ưu tiên cao hơn đã được cấp"
    )


def test_special_circumstances_come_first_within_a_household_category():
    pupils = [pupil(1), pupil(2, special=True), pupil(3, household="near_poor", special=True)]
    result = allocate(pupils, [tablet(11)], Rules(level_preferences=TABLETS_ONLY))
    assert pairs(result) == [(2, 11)]
    assert result.assigned[0].why == (
        "Nhóm 1 (hộ nghèo, hoàn cảnh đặc biệt); lựa chọn 1: máy tính bảng; cùng tỉnh"
    )


def test_a_device_travels_no_further_than_the_rules_allow():
    pupils = [pupil(1, school=1)]
    devices = [tablet(11, school=2, commune=10)]
    same_school = Rules(level_preferences=TABLETS_ONLY, max_distance=0)
    result = allocate(pupils, devices, same_school)
    assert result.assigned == []
    assert result.idle_devices == [11]
    assert result.left[0].why == "Không có thiết bị phù hợp (máy tính bảng) trong trường"

    result = allocate(pupils, devices, Rules(level_preferences=TABLETS_ONLY, max_distance=1))
    assert pairs(result) == [(1, 11)]
    assert result.assigned[0].distance == 1
    assert result.assigned[0].why.endswith("; cùng xã")


def test_nearest_device_is_given_when_all_else_is_equal():
    pupils = [pupil(1, school=1)]
    devices = [tablet(11), tablet(12, commune=10), tablet(13, school=1, commune=10)]
    result = allocate(pupils, devices, Rules(level_preferences=TABLETS_ONLY))
    assert pairs(result) == [(1, 13)]
    assert result.idle_devices == [11, 12]


def test_an_earmarked_gift_goes_to_its_school_or_stays_unassigned():
    pupils = [pupil(1, school=1), pupil(2, school=2, special=True)]
    devices = [tablet(11, earmark_school=1)]
    result = allocate(pupils, devices, Rules(level_preferences=TABLETS_ONLY))
    assert pairs(result) == [(1, 11)]

    devices = [tablet(11, earmark_school=3), tablet(12, earmark_path="/100/99/")]
    result = allocate(pupils, devices, Rules(level_preferences=TABLETS_ONLY))
    assert result.assigned == []
    assert result.idle_devices == [11, 12]


def test_short_supply_is_shared_between_communes_by_their_need():
    # Primary pupils in commune 10 would rather have tablets than the secondary pupils of
    # commune 20; fair shares still give each commune one of the two.
    preferences = {"primary": ("tablet",), "lower_secondary": ("laptop", "tablet")}
    pupils = [
        pupil(1),
        pupil(2),
        pupil(3, level="lower_secondary", school=2, commune=20, area_path="/100/20/"),
        pupil(4, level="lower_secondary", school=2, commune=20, area_path="/100/20/"),
    ]
    devices = [tablet(11), tablet(12)]
    fair = allocate(pupils, devices, Rules(level_preferences=preferences))
    assert {p for p, _ in pairs(fair)} in ({1, 3}, {1, 4}, {2, 3}, {2, 4})

    unfair = allocate(pupils, devices, Rules(level_preferences=preferences, fair_shares=False))
    assert {p for p, _ in pairs(unfair)} == {1, 2}


def test_objective_and_check_see_what_is_wrong():
    pupils = [pupil(1), pupil(2, household="none")]
    devices = [tablet(11, province=200), Device(12, "laptop", None, None, 100)]
    rules = Rules(level_preferences=TABLETS_ONLY)
    problems = check([(1, 11), (1, 12), (2, 12)], pupils, devices, rules)
    assert problems == [
        "pupil 1 gets 2 devices",
        "device 12 goes to 2 pupils",
        "pupil 1: device 11 is too far",
        "pupil 1: kind laptop not allowed for primary",
        "pupil 2: household none is not served",
        "pupil 2: kind laptop not allowed for primary",
    ]
    assert objective([], pupils, devices, rules) == (0, 0, 0, 0)
    assert objective([(1, 11)], pupils, devices, rules) == (-1, 0, 0, 3)


def provinces(count: int, rng: random.Random) -> tuple[list[Pupil], list[Device]]:
    """`count` provinces of 10 schools, each with 300 pupils and about 90 devices."""
    pupils, devices = [], []
    for province in range(count):
        for n in range(300):
            school = province * 10 + rng.randrange(10)
            commune = school // 5
            pupils.append(
                Pupil(
                    id=len(pupils) + 1,
                    level=rng.choice(["primary", "lower_secondary", "upper_secondary"]),
                    household=rng.choice(["poor", "near_poor", "hardship"]),
                    school=school,
                    commune=commune,
                    province=province,
                    area_path=f"/{province}/{commune}/",
                    special=rng.random() < 0.1,
                    household_key=f"h{len(pupils) // 2}" if n % 7 == 0 else "",
                    sibling=n % 2,
                )
            )
        for _ in range(90):
            school = province * 10 + rng.randrange(10)
            at_school = rng.random() < 0.8
            devices.append(
                Device(
                    id=len(devices) + 1,
                    kind=rng.choice(["tablet", "laptop", "smartphone", "desktop"]),
                    school=school if at_school else None,
                    commune=school // 5 if at_school else None,
                    province=province,
                )
            )
    return pupils, devices


def test_parts_finished_in_parallel_give_the_same_result(monkeypatch):
    if workers.cores() < 2:
        pytest.skip("one core: the parts are always finished in this process")
    pupils, devices = provinces(6, random.Random(7))  # noqa: S311 (reproducible test data)
    rules = Rules(level_preferences=DEFAULT_PREFERENCES, max_distance=2)
    monkeypatch.setattr(workers, "PARALLEL_CLASSES", 10**12)
    alone = allocate(pupils, devices, rules)
    contexts = []
    get_context = workers.multiprocessing.get_context
    monkeypatch.setattr(
        workers.multiprocessing,
        "get_context",
        lambda method: contexts.append(method) or get_context(method),
    )
    monkeypatch.setattr(workers, "PARALLEL_CLASSES", 0)
    side_by_side = allocate(pupils, devices, rules)
    assert contexts == ["fork"]
    assert side_by_side == alone
    assert len(alone.assigned) == 6 * 90
    assert check(pairs(alone), pupils, devices, rules) == []


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(-(2**62), 2**62)),
        unique_by=lambda row: row[1],
        max_size=30,
    )
)
def test_rows_ordered_by_group_then_id_with_one_key_or_two(rows):
    groups = np.array([group for group, _ in rows], np.int64)
    ids = np.array([pupil for _, pupil in rows], np.int64)
    assert by_group_then_id(groups, ids).tolist() == np.lexsort((ids, groups)).tolist()
    near = ids % 1000 if len(set((ids % 1000).tolist())) == len(ids) else np.arange(len(ids))
    assert by_group_then_id(groups, near).tolist() == np.lexsort((near, groups)).tolist()


def test_parts_are_finished_here_when_no_process_can_be_started(monkeypatch):
    pupils, devices = provinces(3, random.Random(5))  # noqa: S311 (reproducible test data)
    rules = Rules(level_preferences=DEFAULT_PREFERENCES, max_distance=2)
    alone = allocate(pupils, devices, rules)

    def no_fork(method):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(workers, "PARALLEL_CLASSES", 0)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    monkeypatch.setattr(workers.multiprocessing, "get_context", no_fork)
    assert allocate(pupils, devices, rules) == alone


@st.composite
def tangled_instances(draw):
    """Larger instances whose devices need not give the commune or province of their school,
    nor pupils those of one another (data as it comes): where some device classes climb the
    tree of hubs and others may not."""
    size = draw(st.integers(5, 40))
    rng = random.Random(draw(st.integers(0, 2**32)))  # noqa: S311 (reproducible test data)
    levels = ["primary", "lower_secondary", "upper_secondary"]

    def where() -> tuple[int, int, int]:
        school = rng.randrange(6)
        if rng.random() < 0.15:
            return school, rng.randrange(4), rng.randrange(2)
        return school, school // 2, school // 4

    pupils = []
    for n in range(size):
        school, commune, province = where()
        pupils.append(
            Pupil(
                id=n + 1, level=rng.choice(levels),
                household=rng.choice(["poor", "near_poor", "hardship"]), school=school,
                commune=commune, province=province, area_path=f"/{province}/{commune}/{school}/",
                special=rng.random() < 0.2,
            )
        )  # fmt: skip
    devices = []
    for j in range(draw(st.integers(1, 30))):
        school, commune, province = where()
        place = rng.choice(["school", "school", "commune", "province"])
        devices.append(
            Device(
                id=1000 + j, kind=rng.choice(["tablet", "laptop", "smartphone", "desktop"]),
                school=school if place == "school" else None,
                commune=commune if place != "province" else None, province=province,
            )
        )  # fmt: skip
    rules = Rules(
        level_preferences=DEFAULT_PREFERENCES,
        max_distance=draw(st.integers(0, 3)),
        fair_shares=draw(st.booleans()),
    )
    return pupils, devices, rules


@settings(max_examples=300, deadline=None)
@given(tangled_instances())
def test_climbing_the_hubs_finds_the_same_optimum_as_direct_arcs(instance):
    pupils, devices, rules = instance
    climbing = allocate(pupils, devices, rules)
    with mock.patch.object(solver.Climb, "__init__", _no_climbing):
        direct = allocate(pupils, devices, rules)
    assert check(pairs(climbing), pupils, devices, rules) == []
    assert objective(pairs(climbing), pupils, devices, rules) == objective(
        pairs(direct), pupils, devices, rules
    )


def test_two_device_classes_that_enter_one_school_hub_share_its_flow_up():
    # The devices' records give one school and commune but two provinces: two classes, both
    # climbing from the same school's hub to the commune's. Found by the test above.
    pupils = [
        Pupil(id=9, level="primary", household="near_poor", school=3, commune=1, province=0,
              area_path="/0/1/3/"),
        Pupil(id=26, level="primary", household="hardship", school=2, commune=1, province=0,
              area_path="/0/1/2/"),
    ]  # fmt: skip
    devices = [
        Device(id=1005, kind="smartphone", school=2, commune=1, province=1),
        Device(id=1023, kind="smartphone", school=2, commune=1, province=0),
    ]
    rules = Rules(level_preferences=DEFAULT_PREFERENCES, max_distance=1, fair_shares=False)
    result = allocate(pupils, devices, rules)
    assert check(pairs(result), pupils, devices, rules) == []
    assert len(result.assigned) == 2
    assert objective(pairs(result), pupils, devices, rules) == best_objective(
        pupils, devices, rules
    )


def _no_climbing(self, nodes, *, arc_dc, classes, **network):
    """A `Climb` by which no class climbs: the network with its direct arcs only."""
    self.reach, self.parent = 0, np.full(nodes, -1, np.int64)
    self.down_of = np.full(nodes, -1, np.int64)
    self.chain, self.arc_at = [np.full(classes, -1, np.int64)], [np.full(classes, -1, np.int64)]
    self.dropped = np.zeros(len(arc_dc), bool)
    self.up_tail = self.up_head = np.zeros(0, np.int64)


@given(st.lists(st.tuples(*(st.integers(0, 4),) * 3), max_size=40))
def test_rows_grouped_in_the_sorted_order_of_their_values(rows):
    columns = [np.array(column, np.int64) for column in zip(*rows, strict=True)] or [
        np.zeros(0, np.int64)
    ]
    group, first = group_rows(*columns)
    distinct = sorted(set(rows))
    assert group.tolist() == [distinct.index(row) for row in rows]
    assert first.tolist() == [rows.index(row) for row in distinct]


@given(
    st.lists(st.integers(0, 50), max_size=20).map(sorted),
    st.lists(st.integers(0, 50), max_size=20).map(sorted),
)
def test_merged_distinct_is_the_union(a, b):
    merged = merged_distinct(np.array(a, np.int64), np.array(b, np.int64))
    assert merged.tolist() == sorted(set(a) | set(b))
