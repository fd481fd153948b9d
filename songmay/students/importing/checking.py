"""Checking a pupil list row by row, before anything is compared with the registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from django.utils import timezone

from songmay.areas.importing import area_code_candidates, area_name_candidates
from songmay.areas.models import Area, AreaLevel, School, SchoolLevel, path_and_above
from songmay.campaigns.models import Campaign
from songmay.lib import legacy_text
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import (
    MissingColumnsError,
    RowError,
    SpreadsheetError,
    TableRows,
    find_header_any_font,
)
from songmay.students.importing.columns import (
    CHUNK,
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
from songmay.students.importing.compact import FirstRows, id_key, name_key
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


# The rows read before checking starts: the header is among them, and the legacy-encoding
# detection samples them (a file is typed in one encoding, so its first rows tell).
LOOKAHEAD = 20_000


class _LegacyText:
    """Text typed in TCVN3 (ABC) or VNI-Windows fonts, detected column by column (and over the
    whole sheet, for short coded cells like "cã" that say little alone), in Unicode."""

    def __init__(self, data_rows: list[list[str]], mapping: dict[str, int]) -> None:
        columns = {
            key: [row[index] if index < len(row) else "" for row in data_rows]
            for key, index in mapping.items()
            if key not in NOT_TEXT
        }
        whole = legacy_text.detect_column_encoding(
            [cell for cells in columns.values() for cell in _sample(cells)]
        )
        self.encodings: dict[int, tuple[str, legacy_text.LegacyEncoding]] = {}
        for key, cells in columns.items():
            encoding = legacy_text.detect_column_encoding(_sample(cells)) or whole
            if encoding is not None:
                self.encodings[mapping[key]] = (key, encoding)
        self.converted: set[str] = set()

    def convert(self, row: list[str]) -> None:
        for index, (key, encoding) in self.encodings.items():
            if index < len(row):
                text = legacy_text.convert_cells([row[index]], encoding)[0]
                if text != row[index]:
                    row[index] = text
                    self.converted.add(key)

    def notices(self, mapping: dict[str, int]) -> list[str]:
        by_encoding: dict[legacy_text.LegacyEncoding, list[str]] = {}
        for key in mapping:
            if key in self.converted:
                encoding = self.encodings[mapping[key]][1]
                by_encoding.setdefault(encoding, []).append(LABELS[key])
        return [
            f"{legacy_text.NOTICE[encoding]} Cột: "
            + ", ".join(f"“{label}”" for label in labels)
            + "."
            for encoding, labels in by_encoding.items()
        ]


def _batches(
    first: list[tuple[int, list[str]]], rest: Iterator[list[str]], number: int
) -> Iterator[list[tuple[int, list[str]]]]:
    """The rows with data, numbered as Excel shows them, CHUNK at a time."""
    for start in range(0, len(first), CHUNK):
        yield first[start : start + CHUNK]
    first.clear()
    while raw := list(islice(rest, CHUNK)):
        batch = [(number + offset, row) for offset, row in enumerate(raw) if any(row)]
        number += len(raw)
        if batch:
            yield batch


class _Lookups:
    """The schools and communes the rows name, fetched a batch of rows at a time."""

    def __init__(self, actor: User | None, school: School | None) -> None:
        self.actor = actor
        self.fixed = school
        self.visible = School.objects.all() if actor is None else School.objects.visible_to(actor)
        self.schools: dict[str, School] = {}
        self.by_code: dict[str, Area] = {}
        self.by_name: dict[str, list[Area]] = {}
        self.asked_codes: set[str] = set()
        self.asked_names: set[str] = set()
        self.asked_schools: set[str] = set()
        # Communes repeat from row to row: each typed text is looked up once per province.
        self.communes: dict[tuple[str, str], Area | str] = {}

    def fetch(self, cells: list[dict[str, str]]) -> None:
        """Fetch what these rows name that earlier rows did not."""
        codes = sorted({c["school_code"] for c in cells if c.get("school_code")})
        codes = [code for code in codes if code not in self.asked_schools]
        self.asked_schools.update(codes)
        for chunk in chunks(codes):
            for found in self.visible.filter(code__in=chunk).select_related("area"):
                self.schools[found.code] = found
        typed = {c["commune"] for c in cells if c.get("commune")}
        area_codes = sorted({code for text in typed for code in area_code_candidates(text)})
        area_codes = [code for code in area_codes if code not in self.asked_codes]
        self.asked_codes.update(area_codes)
        names = sorted({name for text in typed for name in area_name_candidates(text)})
        names = [name for name in names if name not in self.asked_names]
        self.asked_names.update(names)
        communes = Area.objects.exclude(level=AreaLevel.PROVINCE)
        for chunk in chunks(area_codes):
            self.by_code.update({a.code: a for a in communes.filter(code__in=chunk)})
        for chunk in chunks(names):
            for area in communes.filter(name_folded__in=chunk).order_by("path"):
                self.by_name.setdefault(area.name_folded, []).append(area)

    def commune(self, text: str, school: School | None) -> Area:
        """The commune a cell names, looked up in the province of the pupil's school."""
        province = path_and_above(school.area.path)[0] if school is not None else "/"
        known = self.communes.get((text, province))
        if known is None:
            try:
                known = self._commune(text, province)
            except CellError as problem:
                known = str(problem)
            self.communes[(text, province)] = known
        if isinstance(known, str):
            raise CellError(known)
        return known

    def _commune(self, text: str, province: str) -> Area:
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


def _memo(parse: Callable[[str], T]) -> Callable[[str], T]:
    """`parse`, answering each text once: coded cells and dates repeat from row to row."""
    known: dict[str, T | CellError] = {}

    def cached(text: str) -> T:
        try:
            value = known[text]
        except KeyError:
            try:
                value = parse(text)
            except CellError as problem:
                value = problem
            known[text] = value
        if isinstance(value, CellError):
            raise CellError(str(value))
        return value

    return cached


class _RowChecker:
    def __init__(self, lookups: _Lookups, campaign: Campaign, columns: frozenset[str]) -> None:
        self.lookups = lookups
        self.campaign = campaign
        self.columns = columns
        # The first row of each personal ID, and of each name and birth date in a school.
        self.seen_ids = FirstRows()
        self.seen_names = FirstRows()
        self.unidentified_names = FirstRows()  # the names of rows without a personal ID
        self.name_numbers: dict[str, int] = {}  # folded names repeat: each is kept once
        # An unsaved stand-in teaching every level, for rows whose school is unknown.
        self.any_school = School(
            code="", name="", area=Area(path="/"),
            **{f"teaches_{level}": True for level in SchoolLevel.values},
        )  # fmt: skip
        # Asked once per file rather than once per row.
        self.today = timezone.localdate()
        self.school_levels: dict[int, list[str]] = {}
        self.in_campaign: dict[int, bool] = {}
        self.level_of: dict[tuple[str, str, int], str | CellError] = {}
        self.parse_date = _memo(parse_date)
        self.parse_gender = _memo(parse_gender)
        self.parse_household = _memo(parse_household)
        self.parse_lacking = _memo(parse_lacking)
        self.parse_consent = _memo(parse_consent)
        self.parse_flag = {key: _memo(partial(parse_flag, label=LABELS[key])) for key in FLAG_KEYS}

    def levels(self, school: School) -> list[str]:
        levels = self.school_levels.get(id(school))
        if levels is None:
            levels = self.school_levels[id(school)] = school.levels
        return levels

    def level(self, text: str, class_name: str, school: School) -> str:
        key = (text, class_name, id(school))
        value = self.level_of.get(key)
        if value is None:
            try:
                value = parse_level(text, class_name, school)
            except CellError as problem:
                value = problem
            self.level_of[key] = value
        if isinstance(value, CellError):
            raise CellError(str(value))
        return value

    def check(self, number: int, cells: dict[str, str]) -> tuple[list[RowError], PupilRow | None]:
        """The row's errors, or the row ready to write."""
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
        born = read("date_of_birth", self.parse_date, None)
        gender = read("gender", self.parse_gender, "")
        level = read(
            "level",
            lambda text: self.level(text, cells["class_name"], school or self.any_school),
            "",
        )
        household = read("household", self.parse_household, str(Household.NONE))
        lacking = read("lacking", self.parse_lacking, str(Lacking.DEVICE))
        flags = [key for key in FLAG_KEYS if read(key, self.parse_flag[key], False)]
        no_consent: tuple[bool, dt.date | None] = (False, None)
        consent, consent_on = read("consent", self.parse_consent, no_consent)
        if cells["consent_on"]:
            consent_on = read("consent_on", self.parse_date, consent_on)
            consent = consent or consent_on is not None
        commune = (
            read("commune", lambda text: self.lookups.commune(text, school), None)
            if cells["commune"]
            else None
        )
        data = StudentData(
            full_name=cells["full_name"],
            date_of_birth=born,
            level=level or self.levels(school or self.any_school)[0],
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
        row = None
        if cleaned is not None and school is not None and not errors:
            student, need = cleaned
            self._duplicates(number, school, student, error)
            if not errors:
                row = PupilRow(
                    row=number,
                    school=school,
                    student=student,
                    need=need,
                    columns=self.columns,
                    consent_dated=consent_on is not None,
                )
        return sorted(errors, key=lambda found: COLUMN_ORDER.get(found.column, 0)), row

    def _in_campaign(self, school: School) -> bool:
        inside = self.in_campaign.get(id(school))
        if inside is None:
            area = self.campaign.area
            inside = area is None or school.area.path.startswith(area.path)
            self.in_campaign[id(school)] = inside
        return inside

    def _clean(
        self, data: StudentData, school: School, error: Callable[[str, str], None]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """student_clean's verdict on the row, with every problem it finds, not only the first."""
        failed = False
        for _attempt in range(len(_PLACEHOLDERS) + 2):
            try:
                cleaned = student_clean(
                    data, school=school, today=self.today, school_levels=self.levels(school)
                )
            except DomainError as problem:
                name = problem.field or ""
                error(COLUMN_OF_FIELD.get(name, ""), problem.message)
                failed = True
                if name == "level":
                    data = replace(data, level=self.levels(school)[0])
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
            first = self.seen_ids.first(id_key(personal_id), number)
            if first != number:
                error(
                    "personal_id",
                    f"Số định danh “{personal_id}” trùng với dòng {first}. Mỗi em chỉ ghi một "
                    "dòng; hãy xoá dòng thừa hoặc sửa số.",
                )
                return
        name = name_key(
            self.name_numbers, school.pk, student["name_folded"], student["date_of_birth"]
        )
        first = self.seen_names.first(name, number)
        if personal_id:
            # Twins each with their own ID are two children; a row without an ID may be any
            # of the rows of that name and birth date, and one with an ID after it too.
            first = self.unidentified_names.get(name) or number
        else:
            self.unidentified_names.first(name, number)
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
    table: Iterable[list[str]],
    progress: Callable[[int, int], None] | None = None,
) -> CheckedFile:
    """Read and check every row of a pupil list; nothing is looked up in the registry yet."""
    result = CheckedFile()
    result.rows = list(
        pupil_rows_checking(
            actor=actor, campaign=campaign, school=school, table=table, result=result,
            progress=progress,
        )
    )  # fmt: skip
    return result


def pupil_rows_checking(
    *,
    actor: User | None,
    campaign: Campaign,
    school: School | None,
    table: Iterable[list[str]],
    result: CheckedFile,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[PupilRow]:
    """`pupil_rows_check` row by row: yields each good row as soon as it is checked, so a
    file of any size is checked without holding it; `result` gets the errors, the notices and
    the count. A file that cannot be read leaves one error in `result` and no more rows."""
    try:
        yield from _checking(actor, campaign, school, iter(table), result, progress=progress)
    except SpreadsheetError as problem:
        result.rows, result.notices, result.header_row, result.row_count = [], [], 1, 0
        result.errors = [RowError(0, "", problem.message)]


def _checking(
    actor: User | None,
    campaign: Campaign,
    school: School | None,
    table: Iterator[list[str]],
    result: CheckedFile,
    *,
    progress: Callable[[int, int], None] | None,
) -> Iterator[PupilRow]:
    head = list(islice(table, LOOKAHEAD))
    try:
        header_index, mapping, notices = find_header_any_font(head, COLUMNS)
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
        return
    except SpreadsheetError as problem:
        result.errors = [RowError(0, "", problem.message)]
        return
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
        return
    numbered = [
        (header_row + 1 + offset, row)
        for offset, row in enumerate(head[header_index + 1 :])
        if any(row)
    ]
    legacy = _LegacyText([row for _, row in numbered], mapping)
    whole_file = len(head) < LOOKAHEAD
    total = len(numbered) if whole_file else 2 * len(numbered)  # a guess until the end

    def expected(done: int) -> int:
        """The rows to check in all, for the progress bar: the reader's estimate when it has
        one, less the rows above the data; else the guess, raised as rows go by."""
        if whole_file:
            return total
        estimate = table.estimated_rows() if isinstance(table, TableRows) else None
        if estimate is not None:
            return max(done, estimate - header_row)
        return max(total, 2 * done)

    following = len(head) + 1  # the Excel row number of the first row not yet read
    del head
    columns = frozenset(mapping) | {"level", "lacking", "full_name", "date_of_birth"}
    if "class_name" in mapping:
        columns |= {"class_name"}
    if "consent_on" in mapping:
        columns |= {"consent"}
    checker = _RowChecker(_Lookups(actor, school), campaign, frozenset(columns))
    done = 0
    for batch in _batches(numbered, table, following):
        cells_of_rows = []
        for _number, row in batch:
            legacy.convert(row)
            cells = dict.fromkeys(LABELS, "")
            cells.update({key: row[index] for key, index in mapping.items() if index < len(row)})
            cells_of_rows.append(cells)
        checker.lookups.fetch(cells_of_rows)
        for (number, _row), cells in zip(batch, cells_of_rows, strict=True):
            errors, checked = checker.check(number, cells)
            result.errors.extend(errors)
            done += 1
            if progress is not None:
                progress(done, expected(done))
            if checked is not None:
                yield checked
    result.row_count = done
    result.notices = notices + legacy.notices(mapping)
    if not done:
        message = "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề. Hãy điền danh sách học sinh."
        result.errors = [RowError(0, "", message)]
    elif progress is not None:
        progress(done, done)
