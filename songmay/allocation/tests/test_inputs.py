"""Stored run inputs: what a run keeps must give back the same pupils and devices, in the
current shape and in the first one (runs approved before it changed). Plain data."""

from __future__ import annotations

import json
import zlib

from songmay.allocation.engine import Device, DeviceTable, Pupil, PupilTable, Rules, allocate
from songmay.allocation.inputs import Inputs, decode, encode

PUPILS = [
    Pupil(
        id=7, level="primary", household="poor", school=1, commune=10, province=100,
        area_path="/100/10/", special=True, online_area=False, household_key="h1", sibling=0,
    ),
    Pupil(
        id=3, level="lower_secondary", household="near_poor", school=2, commune=10,
        province=100, area_path="/100/10/", household_key="h1", sibling=1,
    ),
    Pupil(id=5, level="primary", household="none", school=2, commune=10, province=100),
]  # fmt: skip
DEVICES = [
    Device(id=40, kind="tablet", school=1, commune=10, province=100),
    Device(id=41, kind="laptop", school=None, commune=None, province=100, earmark_school=2),
    Device(id=42, kind="tablet", school=None, commune=None, province=None, earmark_path="/100/"),
]
RULES = Rules(level_preferences={"primary": ("tablet", "laptop"), "lower_secondary": ("laptop",)})


def test_stored_inputs_give_back_the_same_pupils_devices_and_rules():
    inputs = Inputs(PupilTable.of(PUPILS), DeviceTable.of(DEVICES), RULES)
    blob, digest = encode(inputs)
    again = decode(blob)
    assert list(again.pupils) == PUPILS
    assert list(again.devices) == DEVICES
    assert again.rules == RULES
    assert encode(again) == (blob, digest)


def test_a_run_stored_in_the_first_shape_is_still_reproduced():
    def columns(rows, names):
        return {name: [getattr(row, name) for row in rows] for name in names}

    document = {
        "version": 1,
        "rules": {
            "household_order": list(RULES.household_order),
            "special_first": True,
            "online_first": True,
            "one_per_household_first": True,
            "level_preferences": {k: list(v) for k, v in RULES.level_preferences.items()},
            "max_distance": 2,
            "fair_shares": True,
        },
        "pupils": columns(PUPILS, Pupil.__dataclass_fields__),
        "devices": columns(DEVICES, Device.__dataclass_fields__),
    }
    blob = zlib.compress(json.dumps(document).encode())
    inputs = decode(blob)
    assert list(inputs.pupils) == PUPILS
    assert list(inputs.devices) == DEVICES
    assert allocate(list(inputs.pupils), list(inputs.devices), inputs.rules) == allocate(
        PUPILS, DEVICES, RULES
    )
