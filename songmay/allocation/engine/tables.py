"""The engine's data as NumPy columns, for a national campaign."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np

from songmay.allocation.engine.definitions import Assigned, Device, Left, Pupil, Result, Tier

# The same as columns: how a national campaign's million pupils reach the engine and leave it
# without a million objects on the way. Strings are codes into a small table of names.

Array = np.ndarray[Any, Any]
NO_ID = -(2**62)  # no school, commune, province or earmark school


def coded(values: Sequence[str]) -> tuple[list[str], Array]:
    """(names in sorted order, code of each value)."""
    names = sorted(set(values))
    index = {name: code for code, name in enumerate(names)}
    return names, np.fromiter(map(index.__getitem__, values), np.int64, len(values))


def ids(values: Iterable[int | None], n: int) -> Array:
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
            school=ids(map(attrgetter("school"), devices), m),
            commune=ids(map(attrgetter("commune"), devices), m),
            province=ids(map(attrgetter("province"), devices), m),
            earmark_path=path,
            earmark_school=ids(map(attrgetter("earmark_school"), devices), m),
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
