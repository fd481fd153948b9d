"""Rebalancing for an outbreak (điều chuyển khi dạy học trực tuyến): idle pool devices go to
pupils without a device in the closed schools and areas, decided by the allocation engine.

The engine sees only the closed places' pupils (all marked `online_area`, so the policy's
priority tiers apply as in any run) and every idle device of the campaign: available, fit for
online learning, not given, not travelling. Its distance rule is the policy's. The result is
cut into one move per (origin, destination school), each with its devices, the pupils they
are for, its kinds and tiers; a device already at the pupil's school needs no move and is
lent on the spot (`local`). Plain functions below the reading part: testable without Django.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from songmay.accounts.scope import authorize
from songmay.allocation.engine import Device, Pupil, Result, Rules, allocate, tier_label
from songmay.allocation.engine import tier_numbers as _tier_numbers
from songmay.allocation.inputs import eligible_devices, eligible_needs, rules_of
from songmay.allocation.selectors import policy_for
from songmay.areas.models import Area, AreaLevel, School
from songmay.inventory.models import Warehouse
from songmay.pool.models import Outbreak, TransferItem

if TYPE_CHECKING:
    from songmay.accounts.models import User


def closed_schools_q(outbreak: Outbreak) -> Q:
    """Schools that teach online in this outbreak: listed, or inside a listed area."""
    q = Q(pk__in=[school.pk for school in outbreak.schools.all()])
    for area in outbreak.areas.all():
        q |= Q(area__path__startswith=area.path)
    return q


@dataclasses.dataclass
class Inputs:
    pupils: list[Pupil]
    devices: list[Device]
    rules: Rules
    school_names: dict[int, str]
    warehouse_names: dict[int, str]
    warehouse_of: dict[int, int]  # device -> the store that holds it


def read_inputs(outbreak: Outbreak) -> Inputs:
    """The closed places' pupils in need and the campaign's idle devices, as engine data."""
    campaign = outbreak.campaign
    provinces = dict(
        Area.objects.filter(level=AreaLevel.PROVINCE).values_list("path", "pk")
    )  # a few dozen rows

    def province_of(path: str) -> int | None:
        return provinces.get(path[: path.index("/", 1) + 1])

    closed = (
        School.objects.filter(closed_schools_q(outbreak))
        .values_list("pk", "area_id", "area__path")
        .order_by("pk")
    )
    place: dict[int, tuple[int, int | None, str]] = {
        pk: (area_id, province_of(path), path) for pk, area_id, path in closed
    }
    rows = (
        eligible_needs(campaign)
        .filter(school_id__in=School.objects.filter(closed_schools_q(outbreak)).values("pk"))
        .order_by("pk")
        .values_list(
            "pk", "level", "household", "school_id", "student__guardian_phone",
            "student__orphaned_by_covid", "student__disability",
            "student__ethnic_minority", "student__remote_area",
        )
    )  # fmt: skip
    table = list(rows.iterator(chunk_size=20_000))
    # Siblings share a guardian's phone; the key kept is a number, never the phone itself.
    shared = Counter(row[4] for row in table if row[4])
    keys: dict[str, str] = {}
    seen: Counter[str] = Counter()
    pupils = []
    for pk, level, household, school_id, phone, *flags in table:
        commune, province, path = place[school_id]
        key, sibling = "", 0
        if phone and shared[phone] > 1:
            key = keys.setdefault(phone, f"h{len(keys) + 1}")
            sibling = seen[phone]
            seen[phone] += 1
        pupils.append(
            Pupil(
                id=pk, level=level, household=household, school=school_id, commune=commune,
                province=province or 0, area_path=path, special=any(flags), online_area=True,
                household_key=key, sibling=sibling,
            )
        )  # fmt: skip
    travelling = TransferItem.objects.filter(device_id=OuterRef("pk"), open=True)
    device_rows = (
        eligible_devices(campaign)
        .filter(~Exists(travelling))
        .filter(Q(school__isnull=False) | Q(warehouse__isnull=False))
        .order_by("pk")
        .values_list(
            "pk", "kind", "school_id", "school__area_id", "school__area__path",
            "warehouse_id", "warehouse__area_id", "warehouse__area__path",
            "warehouse__area__level", "origin_donation__earmark_area__path",
            "origin_donation__earmark_school_id",
        )
    )  # fmt: skip
    devices = []
    warehouse_of: dict[int, int] = {}
    for (
        pk, kind, school_id, school_area, school_path, warehouse_id, store_area, store_path,
        store_level, earmark_path, earmark_school,
    ) in device_rows.iterator(chunk_size=20_000):  # fmt: skip
        if school_id is not None:
            commune, province = school_area, province_of(school_path)
        else:
            warehouse_of[pk] = warehouse_id
            province = province_of(store_path)
            commune = None if store_level == AreaLevel.PROVINCE else store_area
        devices.append(
            Device(
                id=pk, kind=kind, school=school_id, commune=commune, province=province,
                earmark_path=earmark_path or "", earmark_school=earmark_school,
            )
        )  # fmt: skip
    rules = dataclasses.replace(rules_of(policy_for(campaign)), online_first=True)
    schools = {pupil.school for pupil in pupils} | {d.school for d in devices if d.school}
    return Inputs(
        pupils=pupils,
        devices=devices,
        rules=rules,
        school_names=dict(School.objects.filter(pk__in=schools).values_list("pk", "name")),
        warehouse_names=dict(
            Warehouse.objects.filter(pk__in=set(warehouse_of.values())).values_list("pk", "name")
        ),
        warehouse_of=warehouse_of,
    )


# ---- From the engine's result to moves: plain data only ----


def plan(
    result: Result,
    pupils: Sequence[Pupil],
    devices: Sequence[Device],
    warehouse_of: dict[int, int],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(moves, local): the assignment grouped by (origin, destination school).

    `warehouse_of` gives a store-held device's store. A move lists its devices and, in the
    same order, the pupils (needs) they are for, best tier first; moves are ordered by their
    best tier, then by size.
    """
    pupil_by_id = {p.id: p for p in pupils}
    device_by_id = {d.id: d for d in devices}
    groups: dict[tuple[int | None, int | None, int], list[tuple[int, int, int, str]]] = defaultdict(
        list
    )
    for a in result.assigned:
        device, pupil = device_by_id[a.device], pupil_by_id[a.pupil]
        origin = (device.school, None if device.school else warehouse_of.get(device.id))
        groups[(*origin, pupil.school)].append((a.tier, a.device, a.pupil, device.kind))
    moves: list[dict[str, Any]] = []
    local: list[dict[str, Any]] = []
    for (from_school, from_warehouse, to_school), members in groups.items():
        members.sort()
        entry = {
            "from_school": from_school,
            "from_warehouse": from_warehouse,
            "to_school": to_school,
            "devices": [m[1] for m in members],
            "needs": [m[2] for m in members],
            "kinds": dict(sorted(Counter(m[3] for m in members).items())),
            "tiers": {str(t): n for t, n in sorted(Counter(m[0] for m in members).items())},
            "best_tier": members[0][0],
        }
        (local if from_school == to_school else moves).append(entry)
    return sorted(moves, key=_order), sorted(local, key=_order)


def _order(move: dict[str, Any]) -> tuple[int, ...]:
    return (
        move["best_tier"], -len(move["devices"]), move["to_school"],
        move["from_school"] or 0, move["from_warehouse"] or 0,
    )  # fmt: skip


def digest(proposal: dict[str, Any]) -> str:
    """A short fingerprint of what a proposal moves, to tell whether it changed since shown."""
    core = {"moves": proposal["moves"], "local": proposal["local"]}
    raw = json.dumps(core, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def rebalance_propose(*, actor: User | None, outbreak: Outbreak) -> dict[str, Any]:
    """The rebalancing the engine proposes for an outbreak now (nothing is written)."""
    authorize(actor, "pool.view", outbreak.campaign.area)
    inputs = read_inputs(outbreak)
    result = allocate(inputs.pupils, inputs.devices, inputs.rules)
    moves, local = plan(result, inputs.pupils, inputs.devices, inputs.warehouse_of)
    _tier_of, keys = _tier_numbers(inputs.pupils, inputs.rules)
    labels = {number: tier_label(key, inputs.rules) for number, key in enumerate(keys)}
    for entry in (*moves, *local):
        entry["from_label"] = (
            inputs.school_names.get(entry["from_school"], "")
            if entry["from_school"]
            else inputs.warehouse_names.get(entry["from_warehouse"], "")
        )
        entry["to_label"] = inputs.school_names.get(entry["to_school"], "")
        entry["tier_labels"] = {t: labels[int(t)] for t in entry["tiers"]}
    proposal: dict[str, Any] = {
        "outbreak": outbreak.pk,
        "made_at": timezone.now().isoformat(),
        "pupils": len(inputs.pupils),
        "devices": len(inputs.devices),
        "served": len(result.assigned),
        "left": len(result.left),
        "tiers": [
            {"number": t.number, "label": t.label, "need": t.need, "served": t.served}
            for t in result.tiers
        ],
        "moves": moves,
        "local": local,
    }
    proposal["digest"] = digest(proposal)
    return proposal
