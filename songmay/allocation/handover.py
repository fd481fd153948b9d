"""The handover record (Biên bản bàn giao thiết bị) a school prints for its families.

Laid out as a Vietnamese administrative document: the school under its superior body beside
the national motto, the place and a date line left to fill in on the day, the two parties, a
table with one row per device and pupil (the family signs on its row), signature blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from songmay.allocation.models import Assignment
from songmay.areas.models import School
from songmay.donations.letters import programme
from songmay.lib.pdf import render_pdf

# "Xã Lục Ngạn" is dated "Lục Ngạn, ngày … tháng … năm …".
_AREA_PREFIXES = ("Thành phố ", "Thị trấn ", "Thị xã ", "Phường ", "Đặc khu ", "Xã ", "Tỉnh ")


@dataclass(frozen=True)
class Row:
    number: int
    pupil: str
    class_name: str
    kind: str
    model: str
    serial: str
    asset_tag: str


def place_name(name: str) -> str:
    """ "Xã Lục Ngạn" -> "Lục Ngạn": the place a document is dated in."""
    for prefix in _AREA_PREFIXES:
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def handover_rows(assignments: Iterable[Assignment]) -> list[Row]:
    rows = []
    for number, assignment in enumerate(assignments, start=1):
        device = assignment.device
        rows.append(
            Row(
                number=number,
                pupil=assignment.student.full_name,
                class_name=assignment.need.class_name,
                kind=device.get_kind_display(),
                model=" ".join(part for part in (device.make, device.model) if part),
                serial=" / ".join(part for part in (device.serial, device.imei) if part),
                asset_tag=device.asset_tag,
            )
        )
    return rows


def handover_context(assignments: Iterable[Assignment], school: School) -> dict[str, object]:
    assignments = list(assignments)
    names = list(dict.fromkeys(assignment.campaign.name for assignment in assignments))
    area = school.area
    return {
        "school": school,
        "superior": f"UBND {area.name}".upper(),
        "place": place_name(area.name),
        "programmes": [programme(name) for name in names],
        "rows": handover_rows(assignments),
        "printed_on": timezone.localdate(),
    }


def handover_pdf(assignments: Iterable[Assignment], school: School) -> bytes:
    """The school's handover record: one row per assignment, families sign on their row."""
    return render_pdf("pdf/handover.html", handover_context(assignments, school))
