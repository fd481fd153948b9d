"""What an allocation run sees: the eligible pupils and devices of a campaign, read from the
database into the engine's dataclasses, and stored with the run so it can be computed again.

Read with `values_list` over a handful of queries whatever the size (no N+1): a national
campaign has a million pupils in need.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q

from songmay.allocation.engine import Device, Pupil, Rules
from songmay.allocation.models import LIVE, Assignment, Policy
from songmay.areas.models import Area, AreaLevel, School
from songmay.campaigns.models import Campaign
from songmay.inventory.models import Device as DeviceRow
from songmay.inventory.models import DeviceQuerySet, DeviceStatus, Warehouse
from songmay.pool.models import TransferItem
from songmay.students.models import Lacking, NeedQuerySet, NeedStatus
from songmay.students.models import Need as NeedRow

# Bumped when the stored shape changes, so an old run is decoded the way it was written.
INPUTS_VERSION = 1


@dataclass
class Inputs:
    pupils: list[Pupil]
    devices: list[Device]
    rules: Rules


def eligible_needs(campaign: Campaign) -> NeedQuerySet:
    """Confirmed needs for a device, of children not merged away and not already served."""
    live = Assignment.objects.filter(student_id=OuterRef("student_id"), status__in=LIVE)
    return NeedRow.objects.filter(
        campaign=campaign,
        status=NeedStatus.CONFIRMED,
        lacking__in=[Lacking.DEVICE, Lacking.BOTH],
        student__merged_into__isnull=True,
    ).filter(~Exists(live))


def eligible_devices(campaign: Campaign) -> DeviceQuerySet:
    """The campaign's available devices that are fit for online learning, not given and not
    travelling on a transfer (their place is not known until they arrive)."""
    live = Assignment.objects.filter(device_id=OuterRef("pk"), status__in=LIVE)
    moving = TransferItem.objects.filter(device_id=OuterRef("pk"), open=True)
    return DeviceRow.objects.filter(campaign=campaign, status=DeviceStatus.AVAILABLE).filter(
        Q(meets_minimum=True) | Q(meets_minimum__isnull=True), ~Exists(live), ~Exists(moving)
    )


def rules_of(policy: Policy) -> Rules:
    return Rules(
        household_order=tuple(policy.household_order),
        special_first=policy.special_first,
        online_first=policy.online_first,
        one_per_household_first=policy.one_per_household_first,
        level_preferences={
            level: tuple(kinds) for level, kinds in sorted(policy.level_preferences.items())
        },
        max_distance=int(policy.reach),
        fair_shares=policy.fair_shares,
    )


class _Places:
    """Each school's and store's commune, province and path, from two small tables."""

    def __init__(self) -> None:
        areas = list(Area.objects.values_list("pk", "path", "level"))
        self.id_of = {path: pk for pk, path, _level in areas}
        self.path_of = {pk: path for pk, path, _level in areas}
        self.level_of = {pk: level for pk, _path, level in areas}
        self.schools = dict(School.objects.values_list("pk", "area_id"))
        self.warehouses = dict(Warehouse.objects.values_list("pk", "area_id"))

    def province(self, area_id: int) -> int:
        path = self.path_of[area_id]
        return self.id_of[path[: path.index("/", 1) + 1]]


def read_inputs(
    *,
    campaign: Campaign,
    policy: Policy,
    excluded_needs: Collection[int] = (),
    excluded_devices: Collection[int] = (),
) -> Inputs:
    """The engine's inputs for `campaign` now, without the excluded needs and devices."""
    places = _Places()
    online_paths = tuple(area.path for area in policy.online_areas.all())
    school_place: dict[int, tuple[int, int, str, bool]] = {}
    for school_id, area_id in places.schools.items():
        path = places.path_of[area_id]
        school_place[school_id] = (
            area_id,
            places.province(area_id),
            path,
            bool(online_paths) and path.startswith(online_paths),
        )
    skip_needs = set(excluded_needs)
    rows = (
        eligible_needs(campaign)
        .order_by("pk")
        .values_list(
            "pk", "level", "household", "school_id", "student__guardian_phone",
            "student__orphaned_by_covid", "student__disability",
            "student__ethnic_minority", "student__remote_area",
        )
    )  # fmt: skip
    table = [row for row in rows.iterator(chunk_size=20_000) if row[0] not in skip_needs]
    # Siblings share a guardian's phone; the key stored is a number, never the phone itself.
    shared = Counter(row[4] for row in table if row[4])
    keys: dict[str, str] = {}
    seen: Counter[str] = Counter()
    pupils: list[Pupil] = []
    for pk, level, household, school_id, phone, *flags in table:
        commune, province, path, online = school_place[school_id]
        key, sibling = "", 0
        if phone and shared[phone] > 1:
            key = keys.setdefault(phone, f"h{len(keys) + 1}")
            sibling = seen[phone]
            seen[phone] += 1
        pupils.append(
            Pupil(
                id=pk,
                level=level,
                household=household,
                school=school_id,
                commune=commune,
                province=province,
                area_path=path,
                special=any(flags),
                online_area=online,
                household_key=key,
                sibling=sibling,
            )
        )
    return Inputs(
        pupils=pupils,
        devices=_read_devices(campaign, places, set(excluded_devices)),
        rules=rules_of(policy),
    )


def _read_devices(campaign: Campaign, places: _Places, skip: set[int]) -> list[Device]:
    rows = (
        eligible_devices(campaign)
        .order_by("pk")
        .values_list(
            "pk", "kind", "school_id", "warehouse_id",
            "origin_donation__earmark_area__path", "origin_donation__earmark_school_id",
        )
    )  # fmt: skip
    fallback = campaign.area_id
    devices = []
    for pk, kind, school_id, warehouse_id, earmark_path, earmark_school in rows.iterator(
        chunk_size=20_000
    ):
        if pk in skip:
            continue
        commune: int | None
        province: int | None
        if school_id is not None:
            commune = places.schools[school_id]
            province = places.province(commune)
        else:
            area_id = places.warehouses[warehouse_id] if warehouse_id else fallback
            if area_id is None:
                commune = province = None
            else:
                province = places.province(area_id)
                commune = None if places.level_of[area_id] == AreaLevel.PROVINCE else area_id
        devices.append(
            Device(
                id=pk,
                kind=kind,
                school=school_id,
                commune=commune,
                province=province,
                earmark_path=earmark_path or "",
                earmark_school=earmark_school,
            )
        )
    return devices


# ---- Stored with the run: columns of plain values, zlib-compressed JSON ----


def _columns(items: list[Any], names: list[str]) -> dict[str, list[Any]]:
    return {name: [getattr(item, name) for item in items] for name in names}


_PUPIL_FIELDS = [f.name for f in dataclasses.fields(Pupil)]
_DEVICE_FIELDS = [f.name for f in dataclasses.fields(Device)]


def encode(inputs: Inputs) -> tuple[bytes, str]:
    """The inputs as stored on the run, and the SHA-256 of their JSON."""
    rules = dataclasses.asdict(inputs.rules)
    rules["level_preferences"] = {k: list(v) for k, v in inputs.rules.level_preferences.items()}
    document = {
        "version": INPUTS_VERSION,
        "rules": rules,
        "pupils": _columns(inputs.pupils, _PUPIL_FIELDS),
        "devices": _columns(inputs.devices, _DEVICE_FIELDS),
    }
    raw = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return zlib.compress(raw, 1), hashlib.sha256(raw).hexdigest()


def decode(blob: bytes | memoryview) -> Inputs:
    """The inputs a run stored, as the engine's dataclasses again."""
    document = json.loads(zlib.decompress(bytes(blob)))
    rules = document["rules"]
    rules["household_order"] = tuple(rules["household_order"])
    rules["level_preferences"] = {k: tuple(v) for k, v in rules["level_preferences"].items()}

    def rows(columns: dict[str, list[Any]], kind: type[Any]) -> list[Any]:
        names = list(columns)
        return [
            kind(**dict(zip(names, values, strict=True)))
            for values in zip(*columns.values(), strict=True)
        ]

    return Inputs(
        pupils=rows(document["pupils"], Pupil),
        devices=rows(document["devices"], Device),
        rules=Rules(**rules),
    )
