"""What an allocation run sees: the eligible pupils and devices of a campaign, read from the
database into the engine's dataclasses, and stored with the run so it can be computed again.

Read with `values_list` over a handful of queries whatever the size (no N+1), straight into
the engine's columns: a national campaign has a million pupils in need.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from songmay.allocation.engine import (
    NO_ID,
    Array,
    Device,
    DeviceTable,
    Pupil,
    PupilTable,
    Rules,
    coded,
)
from songmay.allocation.models import LIVE, Assignment, Policy
from songmay.areas.models import Area, AreaLevel, School
from songmay.campaigns.models import Campaign
from songmay.inventory.models import Device as DeviceRow
from songmay.inventory.models import DeviceQuerySet, DeviceStatus, Warehouse
from songmay.pool.models import TransferItem
from songmay.students.models import Lacking, NeedQuerySet, NeedStatus
from songmay.students.models import Need as NeedRow

# Bumped when the stored shape changes, so an old run is decoded the way it was written.
INPUTS_VERSION = 2


@dataclass
class Inputs:
    pupils: PupilTable
    devices: DeviceTable
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


def _fetch(rows: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """All rows of a `values_list` query at once, through the database cursor: a million rows
    arrive as plain tuples without the queryset's row-by-row machinery."""
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _columns_of(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


def _households(phones: Sequence[str | None], pk: Array) -> tuple[list[str], Array, Array]:
    """Siblings share a guardian's phone: (keys, each pupil's key code, its place among its
    siblings by need id). Key 0 is "" (no sibling); the others are "h1", "h2"... in order of
    the households' first need id, so the key stored is a number, never the phone itself."""
    seen: dict[str, int] = {"": 0}  # no phone: code 0, never a household to share
    code = np.fromiter(
        (seen.setdefault(phone or "", len(seen)) for phone in phones), np.int64, len(phones)
    )
    n = len(code)
    by_phone = np.lexsort((pk, code))
    start = _first_of_groups(code[by_phone])
    sibling = np.empty(n, np.int64)
    sibling[by_phone] = np.arange(n) - start
    leader = by_phone[start == np.arange(n)]  # each phone's first need, in order of phone
    count = np.bincount(code, minlength=len(seen))
    shared = count > 1
    shared[0] = False
    households = leader[shared[count > 0]]
    number = np.zeros(len(seen), np.int64)
    number[code[households[np.argsort(pk[households])]]] = np.arange(1, len(households) + 1)
    sibling[~shared[code]] = 0
    keys = ["", *(f"h{k}" for k in range(1, len(households) + 1))]
    return keys, number[code], sibling


def _first_of_groups(values: Array) -> Array:
    """For sorted values: the position where each row's run of equal values starts."""
    new = np.ones(len(values), bool)
    new[1:] = values[1:] != values[:-1]
    return np.maximum.accumulate(np.where(new, np.arange(len(values)), 0))


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
    # Each school's commune, province, path and whether it teaches online, as columns.
    school_ids = np.array(sorted(places.schools), np.int64)
    school_commune = np.array([places.schools[s] for s in school_ids.tolist()], np.int64)
    paths = [places.path_of[a] for a in school_commune.tolist()]
    school_province = np.array([places.province(a) for a in school_commune.tolist()], np.int64)
    school_online = np.array(
        [bool(online_paths) and path.startswith(online_paths) for path in paths], bool
    )
    # In no order: sorting a million rows is quicker here than in the database.
    rows = _fetch(
        eligible_needs(campaign)
        .order_by()
        .values_list(
            "pk", "level", "household", "school_id", "student__guardian_phone",
            "student__orphaned_by_covid", "student__disability",
            "student__ethnic_minority", "student__remote_area",
        )
    )  # fmt: skip
    if excluded_needs:
        skip = set(excluded_needs)
        rows = [row for row in rows if row[0] not in skip]
    n = len(rows)
    pk_list, level, household, school, phone, *flags = _columns_of(rows, 9)
    del rows
    pk = np.array(pk_list, np.int64)
    order = np.argsort(pk, kind="stable")
    levels, level_code = coded(level)
    households, household_code = coded(household)
    at = np.searchsorted(school_ids, np.array(school, np.int64)) if n else np.zeros(0, np.int64)
    keys, key, sibling = _households(phone, pk)
    special = np.zeros(n, bool)
    for flag in flags:
        special |= np.array(flag, bool)
    at = at[order]
    pupils = PupilTable(
        id=pk[order],
        level=level_code[order],
        household=household_code[order],
        school=school_ids[at],
        commune=school_commune[at],
        province=school_province[at],
        area_path=at,
        special=special[order],
        online_area=school_online[at],
        household_key=key[order],
        sibling=sibling[order],
        levels=levels,
        households=households,
        paths=paths,
        household_keys=keys,
    )
    return Inputs(
        pupils=pupils,
        devices=_read_devices(campaign, places, set(excluded_devices)),
        rules=rules_of(policy),
    )


def _read_devices(campaign: Campaign, places: _Places, skip: set[int]) -> DeviceTable:
    rows = _fetch(
        eligible_devices(campaign)
        .order_by("pk")
        .values_list(
            "pk", "kind", "school_id", "warehouse_id",
            "origin_donation__earmark_area__path", "origin_donation__earmark_school_id",
        )
    )  # fmt: skip
    fallback = campaign.area_id
    where: dict[tuple[int | None, int | None], tuple[int, int]] = {}

    def place(school_id: int | None, warehouse_id: int | None) -> tuple[int, int]:
        """(commune, province) of a school or store; NO_ID where there is none."""
        if school_id is not None:
            commune = places.schools[school_id]
            return commune, places.province(commune)
        area_id = places.warehouses[warehouse_id] if warehouse_id else fallback
        if area_id is None:
            return NO_ID, NO_ID
        province = places.province(area_id)
        if places.level_of[area_id] == AreaLevel.PROVINCE:
            return NO_ID, province
        return area_id, province

    table = [row for row in rows if row[0] not in skip] if skip else rows
    m = len(table)
    pk, kind, school, warehouse, earmark_path, earmark_school = _columns_of(table, 6)
    located = [
        where[s, w] if (s, w) in where else where.setdefault((s, w), place(s, w))
        for s, w in zip(school, warehouse, strict=True)
    ]
    kinds, kind_code = coded(kind)
    earmark_paths, earmark_code = coded([path or "" for path in earmark_path])
    return DeviceTable(
        id=np.array(pk, np.int64),
        kind=kind_code,
        school=np.array([NO_ID if s is None else s for s in school], np.int64),
        commune=np.fromiter((c for c, _ in located), np.int64, m),
        province=np.fromiter((p for _, p in located), np.int64, m),
        earmark_path=earmark_code,
        earmark_school=np.array([NO_ID if s is None else s for s in earmark_school], np.int64),
        kinds=kinds,
        earmark_paths=earmark_paths,
    )


# ---- Stored with the run: columns of plain values, zlib-compressed JSON ----
# Version 1 kept a list of values per field; version 2 keeps the names of a text field once
# and a code per row, so a national run stores and loads in a fraction of the time.

_NAMED = {
    "level": "levels", "household": "households", "area_path": "paths",
    "household_key": "household_keys", "kind": "kinds", "earmark_path": "earmark_paths",
}  # fmt: skip
_OPTIONAL = {"school", "commune", "province", "earmark_school"}


def _table_columns(table: PupilTable | DeviceTable) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for item in dataclasses.fields(table):
        name = item.name
        if name in _NAMED.values():
            continue
        values = getattr(table, name)
        if name in _NAMED:
            columns[name] = {"names": list(getattr(table, _NAMED[name])), "codes": values.tolist()}
        elif name in _OPTIONAL and isinstance(table, DeviceTable):
            columns[name] = [None if v == NO_ID else v for v in values.tolist()]
        else:
            columns[name] = values.tolist()
    return columns


def encode(inputs: Inputs) -> tuple[bytes, str]:
    """The inputs as stored on the run, and the SHA-256 of their JSON."""
    rules = dataclasses.asdict(inputs.rules)
    rules["level_preferences"] = {k: list(v) for k, v in inputs.rules.level_preferences.items()}
    document = {
        "version": INPUTS_VERSION,
        "rules": rules,
        "pupils": _table_columns(inputs.pupils),
        "devices": _table_columns(inputs.devices),
    }
    raw = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return zlib.compress(raw, 1), hashlib.sha256(raw).hexdigest()


def _table(columns: dict[str, Any], kind: type[PupilTable] | type[DeviceTable]) -> Any:
    values: dict[str, Any] = {}
    for name, column in columns.items():
        if name in _NAMED:
            values[_NAMED[name]] = column["names"]
            values[name] = np.array(column["codes"], np.int64)
        elif name in _OPTIONAL and kind is DeviceTable:
            values[name] = np.array([NO_ID if v is None else v for v in column], np.int64)
        elif name in ("special", "online_area"):
            values[name] = np.array(column, bool)
        else:
            values[name] = np.array(column, np.int64)
    return kind(**values)


def decode(blob: bytes | memoryview) -> Inputs:
    """The inputs a run stored, as the engine's tables again."""
    document = json.loads(zlib.decompress(bytes(blob)))
    rules = document["rules"]
    rules["household_order"] = tuple(rules["household_order"])
    rules["level_preferences"] = {k: tuple(v) for k, v in rules["level_preferences"].items()}
    if document["version"] == 1:

        def rows(columns: dict[str, list[Any]], kind: type[Any]) -> list[Any]:
            names = list(columns)
            return [
                kind(**dict(zip(names, values, strict=True)))
                for values in zip(*columns.values(), strict=True)
            ]

        return Inputs(
            pupils=PupilTable.of(rows(document["pupils"], Pupil)),
            devices=DeviceTable.of(rows(document["devices"], Device)),
            rules=Rules(**rules),
        )
    return Inputs(
        pupils=_table(document["pupils"], PupilTable),
        devices=_table(document["devices"], DeviceTable),
        rules=Rules(**rules),
    )
