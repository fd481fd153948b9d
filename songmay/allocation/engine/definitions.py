"""The rules of allocation pupil by pupil: the data, the definitions of tiers, distance,
eligibility and the objective, and the check of an answer. The reference the solver
must agree with (see the package's docstring)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
