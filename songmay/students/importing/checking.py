"""Checking a pupil list row by row, before anything is compared with the registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from songmay.areas.importing import area_code_candidates, area_name_candidates
from songmay.areas.models import Area, AreaLevel, School, SchoolLevel, path_and_above
from songmay.campaigns.models import Campaign
from songmay.lib import legacy_text
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import MissingColumnsError, RowError, SpreadsheetError, find_header
from songmay.students.importing.columns import (
    COLUMN_OF_FIELD,
    COLUMN_ORDER,
    COLUMNS,
    FLAG_KEYS,
    LABELS,
    LEGACY_SAMPLE,
    MAX_LENGTHS,
    NOT_TEXT,
    CellError,
    chunks,
    parse_consent,
    parse_date,
    parse_flag,
    parse_gender,
    parse_household,
    parse_lacking,
    parse_level,
    parse_personal_id,
)
from songmay.students.models import Household, Lacking
from songmay.students.services import StudentData, student_clean

T = TypeVar("T")

if TYPE_CHECKING:
    from songmay.accounts.models import User


@dataclass
class PupilRow:
    """One checked row: the pupil's registry fields, ready to write, and where it came from."""

    row: int  # Excel row number
    school: School
    student: dict[str, Any]  # Student fields (student_clean's first half)
    need: dict[str, Any]  # Need fields (its second half)
    columns: frozenset[str]  # the column keys the sheet has: others keep what is registered
    consent_dated: bool = False  # the sheet gave the date of consent


@dataclass
class CheckedFile:
    rows: list[PupilRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    header_row: int = 1
    row_count: int = 0  # data rows below the header, good or bad


def _sample(cells: list[str]) -> list[str]:
    """A spread of the cells that may be legacy text: one file is typed in one encoding."""
    typed = [cell for cell in cells if cell and not cell.isascii()]
    return typed[:: max(1, len(typed) // LEGACY_SAMPLE)]


def _convert_legacy(
    data_rows: list[list[str]], mapping: dict[str, int]
) -> tuple[list[list[str]], list[str]]:
    """Text typed in TCVN3 (ABC) or VNI-Windows fonts, detected column by column (and over the
    whole sheet, for short coded cells like "cã" that say little alone), in Unicode."""
    columns = {
        key: [row[index] if index < len(row) else "" for row in data_rows]
        for key, index in mapping.items()
        if key not in NOT_TEXT
    }
    whole = legacy_text.detect_column_encoding(
        [cell for cells in columns.values() for cell in _sample(cells)]
    )
    converted_columns: dict[legacy_text.LegacyEncoding, list[str]] = {}
    for key, cells in columns.items():
        encoding = legacy_text.detect_column_encoding(_sample(cells)) or whole
        if encoding is None:
            continue
        converted = legacy_text.convert_cells(cells, encoding)
        if converted == cells:
            continue
        index = mapping[key]
        for row, text in zip(data_rows, converted, strict=True):
            if index < len(row):
                row[index] = text
        converted_columns.setdefault(encoding, []).append(LABELS[key])
    notices = [
        f"{legacy_text.NOTICE[encoding]} Cột: " + ", ".join(f"“{label}”" for label in labels) + "."
        for encoding, labels in converted_columns.items()
    ]
    return data_rows, notices


def _find_header(table: list[list[str]]) -> tuple[int, dict[str, int], list[str]]:
    """The header, also when its own titles were typed in a legacy font."""
    try:
        index, mapping = find_header(table, COLUMNS)
        return index, mapping, []
    except SpreadsheetError:
        top = [[legacy_text.convert_cell(cell)[0] for cell in row] for row in table[:10]]
        if top == table[:10]:
            raise
        index, mapping = find_header(top, COLUMNS)
        return index, mapping, ["Dòng tiêu đề được gõ bằng phông chữ cũ (TCVN3/VNI) và đã được "
                                "đọc lại bằng Unicode."]  # fmt: skip


class _Lookups:
    """The schools and communes the rows name, fetched in a few queries."""

    def __init__(
        self, actor: User | None, school: School | None, cells: list[dict[str, str]]
    ) -> None:
        self.actor = actor
        self.fixed = school
        visible = School.objects.all() if actor is None else School.objects.visible_to(actor)
        codes = sorted({c["school_code"] for c in cells if c.get("school_code")})
        self.schools: dict[str, School] = {}
        for chunk in chunks(codes):
            for found in visible.filter(code__in=chunk).select_related("area"):
                self.schools[found.code] = found
        typed = {c["commune"] for c in cells if c.get("commune")}
        area_codes = sorted({code for text in typed for code in area_code_candidates(text)})
        names = sorted({name for text in typed for name in area_name_candidates(text)})
        communes = Area.objects.exclude(level=AreaLevel.PROVINCE)
        self.by_code: dict[str, Area] = {}
        for chunk in chunks(area_codes):
            self.by_code.update({a.code: a for a in communes.filter(code__in=chunk)})
        self.by_name: dict[str, list[Area]] = {}
        for chunk in chunks(names):
            for area in communes.filter(name_folded__in=chunk).order_by("path"):
                self.by_name.setdefault(area.name_folded, []).append(area)

    def commune(self, text: str, school: School | None) -> Area:
        """The commune a cell names, looked up in the province of the pupil's school."""
        province = path_and_above(school.area.path)[0] if school is not None else "/"
        for code in area_code_candidates(text):
            area = self.by_code.get(code)
            if area is not None and area.path.startswith(province):
                return area
        found = {
            area.pk: area
            for name in area_name_candidates(text)
            for area in self.by_name.get(name, [])
            if area.path.startswith(province)
        }
        if len(found) == 1:
            return next(iter(found.values()))
        if found:
            choices = "; ".join(f"{area.name} – mã {area.code}" for area in found.values())
            raise CellError(
                f"Có {len(found)} đơn vị tên “{text}” ({choices}). Hãy ghi mã thay tên."
            )
        raise CellError(
            f"Không tìm thấy xã/phường “{text}” trong tỉnh của trường. Hãy kiểm tra chính tả "
            "hoặc ghi mã xã/phường (5 chữ số, ví dụ 07582)."
        )

    def school(self, code: str) -> School:
        if self.fixed is not None:
            if code and code != self.fixed.code:
                raise CellError(
                    f"Mã trường “{code}” khác trường đang nhập ({self.fixed.name}, mã "
                    f"{self.fixed.code}). Mỗi tệp chỉ nhập cho trường đã chọn; hãy sửa mã hoặc "
                    "tách tệp."
                )
            return self.fixed
        if not code:
            raise CellError("Thiếu mã trường. Hãy ghi mã trường của em, hoặc chọn trường khi nhập.")
        found = self.schools.get(code)
        if found is None:
            raise CellError(
                f"Không có trường mã “{code}” trong phạm vi của bạn. Hãy kiểm tra lại mã trường."
            )
        return found


# What student_clean is given in place of a value already reported, so it checks the rest.
_PLACEHOLDERS: dict[str, Any] = {
    "full_name": "-",
    "date_of_birth": dt.date(2012, 1, 1),
    "gender": "",
    "personal_id": "",
    "guardian_phone": "",
    "consent_on": None,
    "household": Household.NONE,
    "lacking": Lacking.DEVICE,
    "circumstances": [],
}


class _RowChecker:
    def __init__(self, lookups: _Lookups, campaign: Campaign, columns: frozenset[str]) -> None:
        self.lookups = lookups
        self.campaign = campaign
        self.columns = columns
        self.rows: list[PupilRow] = []
        self.seen_ids: dict[str, int] = {}
        self.seen_names: dict[tuple[int, str, dt.date], int] = {}
        self.outside_campaign: set[int] = set()
        # An unsaved stand-in teaching every level, for rows whose school is unknown.
        self.any_school = School(
            code="", name="", area=Area(path="/"),
            **{f"teaches_{level}": True for level in SchoolLevel.values},
        )  # fmt: skip

    def check(self, number: int, cells: dict[str, str]) -> list[RowError]:
        errors: list[RowError] = []

        def error(key: str, message: str) -> None:
            errors.append(RowError(number, LABELS.get(key, ""), message))

        def read(key: str, parse: Callable[[str], T], default: T) -> T:
            try:
                return parse(cells[key])
            except CellError as problem:
                error(key, str(problem))
                return default

        school = read("school_code", self.lookups.school, None)
        if school is not None and not self._in_campaign(school):
            error(
                "school_code",
                f"{school.name} không thuộc địa bàn của chương trình “{self.campaign}”. "
                "Hãy chọn đúng chương trình hoặc đúng trường.",
            )
            school = None
        for key, limit in MAX_LENGTHS.items():
            if len(cells[key]) > limit:
                error(key, f"{LABELS[key]} dài quá {limit} ký tự (đang có {len(cells[key])}).")
                cells[key] = cells[key][:limit]
        born = read("date_of_birth", parse_date, None)
        gender = read("gender", parse_gender, "")
        level = read(
            "level",
            lambda text: parse_level(text, cells["class_name"], school or self.any_school),
            "",
        )
        household = read("household", parse_household, str(Household.NONE))
        lacking = read("lacking", parse_lacking, str(Lacking.DEVICE))
        flags = [
            key for key in FLAG_KEYS if read(key, partial(parse_flag, label=LABELS[key]), False)
        ]
        no_consent: tuple[bool, dt.date | None] = (False, None)
        consent, consent_on = read("consent", parse_consent, no_consent)
        if cells["consent_on"]:
            consent_on = read("consent_on", parse_date, consent_on)
            consent = consent or consent_on is not None
        commune = (
            read("commune", lambda text: self.lookups.commune(text, school), None)
            if cells["commune"]
            else None
        )
        data = StudentData(
            full_name=cells["full_name"],
            date_of_birth=born,
            level=level or (school or self.any_school).levels[0],
            lacking=lacking,
            gender=gender,
            class_name=cells["class_name"],
            personal_id=read("personal_id", parse_personal_id, ""),
            guardian_name=cells["guardian_name"],
            guardian_phone=cells["guardian_phone"],
            village=cells["village"],
            commune=commune,
            household=household,
            circumstances=flags,
            consent_given=consent,
            consent_on=consent_on,
        )
        if born is None and cells["date_of_birth"]:
            data = replace(data, date_of_birth=_PLACEHOLDERS["date_of_birth"], personal_id="")
        cleaned = self._clean(data, school or self.any_school, error)
        if cleaned is not None and school is not None and not errors:
            student, need = cleaned
            self._duplicates(number, school, student, error)
            if not errors:
                self.rows.append(
                    PupilRow(
                        row=number,
                        school=school,
                        student=student,
                        need=need,
                        columns=self.columns,
                        consent_dated=consent_on is not None,
                    )
                )
        return sorted(errors, key=lambda found: COLUMN_ORDER.get(found.column, 0))

    def _in_campaign(self, school: School) -> bool:
        area = self.campaign.area
        return area is None or school.area.path.startswith(area.path)

    def _clean(
        self, data: StudentData, school: School, error: Callable[[str, str], None]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """student_clean's verdict on the row, with every problem it finds, not only the first."""
        failed = False
        for _attempt in range(len(_PLACEHOLDERS) + 2):
            try:
                cleaned = student_clean(data, school=school)
            except DomainError as problem:
                name = problem.field or ""
                error(COLUMN_OF_FIELD.get(name, ""), problem.message)
                failed = True
                if name == "level":
                    data = replace(data, level=school.levels[0])
                    school = self.any_school
                elif name in _PLACEHOLDERS:
                    data = replace(data, **{name: _PLACEHOLDERS[name]})
                    if name == "date_of_birth":
                        data = replace(data, personal_id="")
                else:
                    return None
            else:
                return None if failed else cleaned
        return None

    def _duplicates(
        self,
        number: int,
        school: School,
        student: dict[str, Any],
        error: Callable[[str, str], None],
    ) -> None:
        personal_id = student["personal_id"]
        if personal_id:
            first = self.seen_ids.setdefault(personal_id, number)
            if first != number:
                error(
                    "personal_id",
                    f"Số định danh “{personal_id}” trùng với dòng {first}. Mỗi em chỉ ghi một "
                    "dòng; hãy xoá dòng thừa hoặc sửa số.",
                )
                return
        name = (school.pk, student["name_folded"], student["date_of_birth"])
        first = self.seen_names.setdefault(name, number)
        if first != number:
            error(
                "full_name",
                f"Em {student['full_name']} (sinh {student['date_of_birth']:%d/%m/%Y}) trùng với "
                f"dòng {first}. Mỗi em chỉ ghi một dòng; nếu là hai em khác nhau, hãy ghi số "
                "định danh của từng em.",
            )


def pupil_rows_check(
    *,
    actor: User | None,
    campaign: Campaign,
    school: School | None,
    table: list[list[str]],
    progress: Callable[[int, int], None] | None = None,
) -> CheckedFile:
    """Read and check every row of a pupil list; nothing is looked up in the registry yet."""
    result = CheckedFile()
    try:
        header_index, mapping, notices = _find_header(table)
    except MissingColumnsError as missing:
        result.header_row = missing.header_row
        result.errors = [
            RowError(
                missing.header_row,
                column.label,
                f"Thiếu cột “{column.label}”. Hãy thêm cột này vào dòng tiêu đề (xem tệp mẫu).",
            )
            for column in missing.missing
        ]
        return result
    except SpreadsheetError as problem:
        result.errors = [RowError(0, "", problem.message)]
        return result
    result.header_row = header_row = header_index + 1
    if school is None and "school_code" not in mapping:
        result.errors = [
            RowError(
                header_row,
                LABELS["school_code"],
                "Thiếu cột “Mã trường”. Hãy chọn trường khi nhập, hoặc thêm cột Mã trường "
                "ghi mã trường của từng em.",
            )
        ]
        return result
    numbered = [
        (header_row + 1 + offset, row)
        for offset, row in enumerate(table[header_index + 1 :])
        if any(row)
    ]
    data_rows, legacy_notices = _convert_legacy([row for _, row in numbered], mapping)
    result.notices = notices + legacy_notices
    cells_of_rows: list[dict[str, str]] = []
    for row in data_rows:
        cells = dict.fromkeys(LABELS, "")
        cells.update({key: row[index] for key, index in mapping.items() if index < len(row)})
        cells_of_rows.append(cells)
    result.row_count = len(numbered)
    if not numbered:
        message = "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề. Hãy điền danh sách học sinh."
        result.errors = [RowError(0, "", message)]
        return result
    columns = frozenset(mapping) | {"level", "lacking", "full_name", "date_of_birth"}
    if "class_name" in mapping:
        columns |= {"class_name"}
    if "consent_on" in mapping:
        columns |= {"consent"}
    checker = _RowChecker(_Lookups(actor, school, cells_of_rows), campaign, frozenset(columns))
    total = len(numbered)
    for done, ((number, _row), cells) in enumerate(zip(numbered, cells_of_rows, strict=True), 1):
        result.errors.extend(checker.check(number, cells))
        if progress is not None:
            progress(done, total)
    result.rows = checker.rows
    return result
