"""Import a school list from a spreadsheet: every row is checked first, and the file is
written whole or not at all (DESIGN §7), with each row's errors in Vietnamese."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from songmay.areas.models import Area, AreaLevel, School, SchoolLevel
from songmay.areas.services import SchoolData, school_clean, school_create, school_update
from songmay.audit.services import audit_record, audited
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import (
    Column,
    MissingColumnsError,
    RowError,
    SpreadsheetError,
    find_header,
    read_table,
)
from songmay.lib.vietnamese import fold

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.jobs.models import Job
    from songmay.jobs.services import JobOutcome, JobProgress

__all__ = [
    "COLUMNS",
    "ImportRejectedError",
    "ImportSummary",
    "RowError",
    "SchoolRow",
    "area_code_candidates",
    "area_name_candidates",
    "parse_levels",
    "run_school_import",
    "school_rows_check",
    "schools_import",
]

COLUMNS = [
    Column(
        "code",
        "Mã trường",
        required=True,
        aliases=("mã", "mã số trường", "mã đơn vị trường"),
        help="Mã trường do Bộ GD&ĐT cấp. Trường đã có mã này thì được cập nhật, "
        "chưa có thì được thêm mới.",
    ),
    Column(
        "name",
        "Tên trường",
        required=True,
        aliases=("tên", "tên đơn vị"),
        help="Tên đầy đủ, ví dụ: Trường Tiểu học Lục Ngạn.",
    ),
    Column(
        "levels",
        "Cấp học",
        required=True,
        aliases=("cấp", "bậc học", "cấp học đào tạo"),
        help="Tiểu học, THCS, THPT, GDTX; trường nhiều cấp ghi cách nhau bằng dấu phẩy, "
        "ví dụ: Tiểu học, THCS.",
    ),
    Column(
        "area_code",
        "Mã xã/phường",
        aliases=(
            "mã xã",
            "mã phường",
            "mã xã phường",
            "mã địa bàn",
            "mã đơn vị hành chính",
            "mã đvhc",
        ),
        help="Mã đơn vị hành chính chính thức (5 chữ số, ví dụ 07582). Nên dùng cột này.",
    ),
    Column(
        "area_name",
        "Xã/phường",
        aliases=("xã", "phường", "xã phường", "địa bàn", "tên xã phường", "xã/phường/đặc khu"),
        help="Dùng khi không có mã: tên xã/phường trong địa bàn bạn quản lý. "
        "Có cả mã và tên thì dùng mã.",
    ),
    Column("address", "Địa chỉ", aliases=("địa chỉ trường",)),
    Column("principal_name", "Hiệu trưởng", aliases=("họ tên hiệu trưởng", "tên hiệu trưởng")),
    Column("contact_name", "Người liên hệ", aliases=("cán bộ liên hệ", "đầu mối")),
    Column("phone", "Điện thoại", aliases=("số điện thoại", "sđt", "đt", "điện thoại liên hệ")),
    Column("email", "Email", aliases=("thư điện tử", "e-mail", "mail")),
]
LABELS = {column.key: column.label for column in COLUMNS}

# Spoken and written forms of each level, as folded letters and digits only.
_LEVEL_WORDS = {
    **dict.fromkeys(["tieuhoc", "th", "cap1", "capi", "primary"], SchoolLevel.PRIMARY),
    **dict.fromkeys(["thcs", "trunghoccoso", "cap2", "capii"], SchoolLevel.LOWER_SECONDARY),
    **dict.fromkeys(["thpt", "trunghocphothong", "cap3", "capiii"], SchoolLevel.UPPER_SECONDARY),
    **dict.fromkeys(
        ["gdtx", "giaoducthuongxuyen", "ttgdtx", "trungtamgdtx", "gdnngdtx", "trungtamgdnngdtx"],
        SchoolLevel.CONTINUING,
    ),
}
_LEVEL_SEPARATORS = re.compile(r"[,;&/+\n]|\s-\s|\s(?:và|va)\s", re.IGNORECASE)
# Commune-level division types, folded: "Lục Ngạn" matches "Xã Lục Ngạn".
_COMMUNE_PREFIXES = ("xa", "phuong", "dac khu", "thi tran")
_TEXT_FIELDS = ("name", "address", "principal_name", "contact_name")
# Stand-ins for a field already reported, so the next check can find the row's other errors.
_PLACEHOLDERS: dict[str, Any] = {
    "code": "-",
    "name": "-",
    "levels": [SchoolLevel.PRIMARY],
    "phone": "",
    "email": "",
}
# What to do about a problem `school_clean` reports, where its message does not say.
_HINTS = {"name": "Hãy ghi tên đầy đủ của trường, ví dụ: Trường Tiểu học Lục Ngạn."}
_COLUMN_ORDER = {column.label: index for index, column in enumerate(COLUMNS)}
_CHUNK = 500

T = TypeVar("T")


def parse_levels(text: str) -> tuple[list[str], list[str]]:
    """ "TH&THCS" -> (["primary", "lower_secondary"], []); words not understood come second."""
    levels: list[str] = []
    unknown: list[str] = []
    for part in _LEVEL_SEPARATORS.split(text):
        key = "".join(ch for ch in fold(part) if ch.isalnum())
        if not key:
            continue
        level = _LEVEL_WORDS.get(key)
        if level is None:
            unknown.append(part.strip())
        elif level not in levels:
            levels.append(level)
    return levels, unknown


@dataclass
class SchoolRow:
    """One checked row: the school's data and, when its code is known, the school it updates."""

    row: int
    data: SchoolData
    existing: School | None = None


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class ImportRejectedError(Exception):
    """Raised inside the write transaction so that nothing of the file is kept."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} lỗi")
        self.errors = errors


# ---------------------------------------------------------------------------- checking


def _chunks(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def area_code_candidates(text: str) -> list[str]:
    """The area codes a typed cell may mean."""
    code = "".join(text.split())
    # A commune code typed into a number cell loses its leading zero: 7582 -> "07582".
    if code.isdigit() and len(code) < 5:
        return [code, code.zfill(5)]
    return [code] if code else []


def area_name_candidates(text: str) -> list[str]:
    """The folded area names a typed cell may mean ("Lục Ngạn" may be "xã Lục Ngạn")."""
    folded = fold(text)
    if not folded:
        return []
    if folded.startswith(tuple(f"{prefix} " for prefix in _COMMUNE_PREFIXES)):
        return [folded]  # "xã Tân An" is not "phường Tân An"
    return [folded, *(f"{prefix} {folded}" for prefix in _COMMUNE_PREFIXES)]


class _Lookups:
    """Everything the rows refer to, fetched in a few queries whatever the file's size."""

    def __init__(self, actor: User | None, cells: list[dict[str, str]]) -> None:
        self.actor = actor
        codes = sorted({c["code"] for c in cells if c["code"]})
        self.schools: dict[str, School] = {}
        for chunk in _chunks(codes):
            for school in School.objects.filter(code__in=chunk).select_related("area"):
                self.schools[school.code] = school
        area_codes = sorted({code for c in cells for code in area_code_candidates(c["area_code"])})
        self.areas_by_code: dict[str, Area] = {}
        for chunk in _chunks(area_codes):
            for area in Area.objects.filter(code__in=chunk):
                self.areas_by_code[area.code] = area
        names = sorted({name for c in cells for name in area_name_candidates(c["area_name"])})
        visible = Area.objects.all() if actor is None else Area.objects.visible_to(actor)
        self.areas_by_name: dict[str, list[Area]] = {}
        for chunk in _chunks(names):
            matches = visible.filter(name_folded__in=chunk).exclude(level=AreaLevel.PROVINCE)
            for area in matches.order_by("path"):
                self.areas_by_name.setdefault(area.name_folded, []).append(area)

    def covers(self, area: Area) -> bool:
        return self.actor is None or self.actor.scope.covers_path(area.path)

    def scope_label(self) -> str:
        return self.actor.scope_label if self.actor is not None else "toàn quốc"


def _find_area(cells: dict[str, str], lookups: _Lookups) -> tuple[Area | None, str | None]:
    """(area, None) or (None, the message telling the user how to fix the cell)."""
    if cells["area_code"]:
        typed = cells["area_code"]
        area = next(
            (
                lookups.areas_by_code[code]
                for code in area_code_candidates(typed)
                if code in lookups.areas_by_code
            ),
            None,
        )
        if area is None:
            return None, (
                f"Không có xã/phường mã “{typed}”. Hãy ghi mã đơn vị hành chính chính thức "
                "(5 chữ số, ví dụ 07582) hoặc để trống cột này và ghi tên ở cột Xã/phường."
            )
        if not lookups.covers(area):
            return None, (
                f"{area.name} (mã {area.code}) nằm ngoài phạm vi quản lý của bạn "
                f"({lookups.scope_label()}). Chỉ nhập trường thuộc địa bàn của bạn."
            )
        return area, None
    typed = cells["area_name"]
    found: dict[int, Area] = {}
    for name in area_name_candidates(typed):
        for area in lookups.areas_by_name.get(name, []):
            found[area.pk] = area
    if not found:
        return None, (
            f"Không tìm thấy xã/phường “{typed}” trong địa bàn bạn quản lý "
            f"({lookups.scope_label()}). Hãy kiểm tra chính tả hoặc ghi mã ở cột Mã xã/phường."
        )
    if len(found) > 1:
        choices = "; ".join(f"{area.name} – mã {area.code}" for area in found.values())
        return None, (
            f"Có {len(found)} đơn vị tên “{typed}” ({choices}). "
            "Hãy ghi mã vào cột Mã xã/phường để chỉ rõ."
        )
    return next(iter(found.values())), None


def _school_problems(data: SchoolData) -> list[DomainError]:
    """Every problem `school_clean` finds in a row, not only the first."""
    problems: list[DomainError] = []
    while True:
        try:
            school_clean(data)
        except DomainError as error:
            problems.append(error)
            if error.field not in _PLACEHOLDERS or len(problems) > len(_PLACEHOLDERS):
                return problems
            data = replace(data, **{error.field: _PLACEHOLDERS[error.field]})
        else:
            return problems


def school_rows_check(
    *,
    actor: User | None,
    table: list[list[str]],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[SchoolRow], list[RowError]]:
    """Read and check every row of a school list; returns the rows and every error found."""
    try:
        header_index, mapping = find_header(table, COLUMNS)
    except MissingColumnsError as error:
        return [], [
            RowError(
                error.header_row,
                column.label,
                f"Thiếu cột “{column.label}”. Hãy thêm cột này vào dòng tiêu đề (xem tệp mẫu).",
            )
            for column in error.missing
        ]
    except SpreadsheetError as error:
        return [], [RowError(0, "", error.message)]
    header_row = header_index + 1
    if "area_code" not in mapping and "area_name" not in mapping:
        return [], [
            RowError(
                header_row,
                LABELS["area_code"],
                "Thiếu cột “Mã xã/phường” (hoặc cột “Xã/phường”). Hãy thêm một trong hai cột "
                "để biết trường thuộc xã/phường nào.",
            )
        ]

    # (Excel row number, {column key: cell text}) for every non-empty row below the header.
    numbered: list[tuple[int, dict[str, str]]] = []
    for offset, row in enumerate(table[header_index + 1 :]):
        if any(row):
            cells = dict.fromkeys(LABELS, "")
            cells.update({key: row[index] for key, index in mapping.items() if index < len(row)})
            numbered.append((header_row + 1 + offset, cells))
    if not numbered:
        message = "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề. Hãy điền danh sách trường."
        return [], [RowError(0, "", message)]

    total = len(numbered) + 1  # every row, then the write as one last step
    area_column = LABELS["area_code"] if "area_code" in mapping else LABELS["area_name"]
    checker = _RowChecker(_Lookups(actor, [cells for _, cells in numbered]), area_column)
    errors: list[RowError] = []
    for done, (number, cells) in enumerate(numbered, start=1):
        errors.extend(checker.check(number, cells))
        if progress is not None:
            progress(done, total)
    return checker.rows, errors


class _RowChecker:
    """Checks rows one by one, remembering the codes seen so far to catch duplicates."""

    def __init__(self, lookups: _Lookups, area_column: str) -> None:
        self.lookups = lookups
        self.column_of = {**LABELS, "area": area_column}
        self.max_lengths = {
            name: getattr(School._meta.get_field(name), "max_length", None) or 0
            for name in (*_TEXT_FIELDS, "email")
        }
        self.first_seen: dict[str, int] = {}
        self.rows: list[SchoolRow] = []

    def check(self, number: int, cells: dict[str, str]) -> list[RowError]:
        errors: list[RowError] = []

        def error(key: str, message: str) -> None:
            errors.append(RowError(number, self.column_of.get(key, ""), message))

        existing = self._existing(cells["code"], number, error)

        def value(key: str) -> str:
            # On a school already registered, an empty cell keeps what is there.
            if cells[key] or existing is None:
                return cells[key]
            return str(getattr(existing, key))

        area: Area | None = existing.area if existing is not None else None
        if cells["area_code"] or cells["area_name"]:
            area, area_problem = _find_area(cells, self.lookups)
            if area_problem:
                error("area", area_problem)
        elif existing is None:
            error(
                "area", "Thiếu xã/phường. Hãy ghi mã ở cột Mã xã/phường hoặc tên ở cột Xã/phường."
            )

        levels = existing.levels if existing is not None else []
        if cells["levels"]:
            levels, unknown = parse_levels(cells["levels"])
            if unknown:
                words = ", ".join(f"“{word}”" for word in unknown)
                error(
                    "levels",
                    f"Không hiểu cấp học {words}. Ghi một hoặc nhiều trong: Tiểu học, THCS, "
                    "THPT, GDTX, cách nhau bằng dấu phẩy (ví dụ: Tiểu học, THCS).",
                )
                levels = _PLACEHOLDERS["levels"]

        texts = {key: self._text(key, value(key), error) for key in (*_TEXT_FIELDS, "email")}
        data = SchoolData(
            code=cells["code"],
            name=texts["name"],
            # school_clean only reads the area; an unsaved stand-in lets it check the rest.
            area=area or Area(code="", name="", path="/"),
            levels=levels,
            address=texts["address"],
            principal_name=texts["principal_name"],
            contact_name=texts["contact_name"],
            phone=value("phone"),
            email=texts["email"],
            is_active=existing.is_active if existing is not None else True,
        )
        for problem in _school_problems(data):
            hint = _HINTS.get(problem.field or "", "")
            error(problem.field or "", f"{problem.message} {hint}" if hint else problem.message)
        if not errors:
            self.rows.append(SchoolRow(row=number, data=data, existing=existing))
        # In the order of the columns, as the user reads the row.
        return sorted(errors, key=lambda found: _COLUMN_ORDER.get(found.column, 0))

    def _existing(self, code: str, number: int, error: Callable[[str, str], None]) -> School | None:
        if not code:
            return None
        if code in self.first_seen:
            error(
                "code",
                f"Mã trường “{code}” trùng với dòng {self.first_seen[code]}. "
                "Mỗi trường chỉ ghi một dòng; hãy xoá dòng thừa hoặc sửa mã.",
            )
        else:
            self.first_seen[code] = number
        existing = self.lookups.schools.get(code)
        if existing is not None and not self.lookups.covers(existing.area):
            error(
                "code",
                f"Mã trường “{code}” đã được dùng cho một trường ngoài phạm vi quản lý của bạn. "
                "Hãy kiểm tra lại mã trường.",
            )
            return None
        return existing

    def _text(self, key: str, text: str, error: Callable[[str, str], None]) -> str:
        """The cell's text if it fits (and, for the e-mail, is one); "" once reported."""
        limit = self.max_lengths[key]
        if len(text) > limit:
            error(key, f"{LABELS[key]} dài quá {limit} ký tự (đang có {len(text)} ký tự).")
            return "" if key == "email" else text[:limit]
        if key == "email" and text:
            try:
                validate_email(text)
            except ValidationError:
                error(key, f"Email “{text}” không hợp lệ. Ví dụ đúng: c1lucngan@bacninh.edu.vn.")
                return ""
        return text


# ---------------------------------------------------------------------------- writing


def _unchanged(school: School, values: dict[str, Any]) -> bool:
    return all(
        (school.area_id == value.pk) if name == "area" else getattr(school, name) == value
        for name, value in values.items()
    )


@audited
def schools_import(
    *, actor: User | None, rows: Iterable[SchoolRow], file_name: str = ""
) -> ImportSummary:
    """Create or update every checked school row in one transaction; any failure keeps none."""
    summary = ImportSummary()
    errors: list[RowError] = []
    for row in rows:
        summary.rows += 1
        try:
            if row.existing is None:
                school_create(actor=actor, data=row.data)
                summary.created += 1
            elif _unchanged(row.existing, school_clean(row.data)):
                summary.unchanged += 1
            else:
                school_update(actor=actor, school=row.existing, data=row.data)
                summary.updated += 1
        except DomainError as error:
            # Someone changed the same school since the check; report it like any row error.
            errors.append(RowError(row.row, LABELS.get(error.field or "", ""), error.message))
    if errors:
        raise ImportRejectedError(errors)
    area = None
    if actor is not None:
        area = actor.school.area if actor.school is not None else actor.area
    audit_record(
        actor=actor,
        action="school.imported",
        area=area,
        target_repr=f"Nhập danh sách trường từ tệp “{file_name}”"[:255],
        changes={
            "file": file_name,
            "rows": summary.rows,
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
        },
    )
    return summary


def run_school_import(job: Job, progress: JobProgress) -> JobOutcome:
    """The `schools.import` job: read the uploaded file, check every row, then write all or none."""
    from songmay.jobs.services import JobOutcome  # noqa: PLC0415  (jobs imports this lazily too)

    actor = job.created_by
    if not (actor.scope.may("schools.add") and actor.scope.may("schools.change")):
        return JobOutcome(
            errors=[RowError(0, "", "Tài khoản của bạn không được nhập danh sách trường.")]
        )
    try:
        table = read_table(bytes(job.payload), job.file_name)
    except SpreadsheetError as error:
        return JobOutcome(errors=[RowError(0, "", error.message)])
    progress.phase("Đang kiểm tra từng dòng")
    rows, errors = school_rows_check(actor=actor, table=table, progress=progress)
    if errors:
        return JobOutcome(errors=errors, summary={"rows": _row_count(rows, errors)})
    progress.phase("Đang ghi dữ liệu")
    try:
        summary = schools_import(actor=actor, rows=rows, file_name=job.file_name)
    except ImportRejectedError as rejected:
        return JobOutcome(errors=rejected.errors, summary={"rows": len(rows)})
    return JobOutcome(summary=_summary_dict(summary))


def _row_count(rows: list[SchoolRow], errors: list[RowError]) -> int:
    return len(rows) + len({error.row for error in errors if error.row})


def _summary_dict(summary: ImportSummary) -> dict[str, int]:
    return {
        "rows": summary.rows,
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
    }


# ---------------------------------------------------------------------------- template


def template_sheets(*, user: User) -> list[tuple[str, list[str], list[list[object]]]]:
    """The downloadable template: the headers with one example row, and the instructions."""
    commune = Area.objects.visible_to(user).filter(level=AreaLevel.COMMUNE).order_by("path").first()
    place = commune.name.split(" ", 1)[-1] if commune else "Ví dụ"
    example: list[object] = [
        "VD-0001",
        f"Trường Tiểu học {place} (dòng ví dụ, hãy xoá)",
        "Tiểu học, THCS",
        commune.code if commune else "07582",
        commune.name if commune else "Xã Lục Ngạn",
        "Thôn Ví Dụ",
        "Nguyễn Văn An",
        "Trần Thị Bình",
        "0204.3854.123",
        "truong.vidu@example.edu.vn",
    ]
    guide: list[list[object]] = [
        [column.label, "Bắt buộc" if column.required else "Không bắt buộc", column.help]
        for column in COLUMNS
    ]
    notes = [
        "Mỗi trường một dòng; giữ nguyên dòng tên cột. Xoá dòng ví dụ trước khi nhập.",
        "Tệp chỉ được nhập khi mọi dòng đều đúng; nếu có lỗi, hệ thống liệt kê từng lỗi "
        "và chưa ghi gì.",
        "Với trường đã có trong hệ thống, ô để trống giữ nguyên thông tin đang có.",
    ]
    guide.append(["", "", ""])
    guide += [["Lưu ý" if index == 0 else "", "", note] for index, note in enumerate(notes)]
    return [
        ("Danh sách trường", [column.label for column in COLUMNS], [example]),
        ("Hướng dẫn", ["Cột", "Bắt buộc", "Cách ghi"], guide),
    ]
