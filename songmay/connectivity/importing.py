"""Import dead spots from a spreadsheet, as the device import does: a preview job checks every
row and writes nothing; once the user confirms, a second job checks the file again and writes
it whole through `dead_spots_import`, or not at all (DESIGN §7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import IntegrityError

from songmay.areas.models import Area
from songmay.connectivity.models import Operator, Technology
from songmay.connectivity.services import (
    DeadSpotData,
    dead_spot_clean,
    dead_spots_import,
    existing_villages,
)
from songmay.jobs.models import Job
from songmay.jobs.services import JobOutcome, job_start
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import (
    Column,
    MissingColumnsError,
    RowError,
    SpreadsheetError,
    find_header,
    read_table,
    write_xlsx,
)
from songmay.lib.vietnamese import fold

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.jobs.services import JobProgress

T = TypeVar("T")

# fmt: off
COLUMNS = [
    Column("number", "STT", aliases=("số thứ tự", "tt")),
    Column("area", "Xã/phường", required=True, aliases=("xã", "phường", "mã xã", "xã phường"),
           help="Mã xã/phường (ví dụ 07582) hoặc tên đầy đủ (ví dụ Xã Lục Ngạn)."),
    Column("village", "Thôn/xóm", required=True,
           aliases=("thôn", "xóm", "bản", "ấp", "tổ dân phố", "thôn bản", "điểm lõm"),
           help="Tên thôn, xóm, bản không có sóng 3G/4G dùng được."),
    Column("latitude", "Vĩ độ", aliases=("lat", "latitude"),
           help="Số thập phân, ví dụ 21,38560; để trống nếu chưa đo."),
    Column("longitude", "Kinh độ", aliases=("lng", "lon", "longitude"),
           help="Số thập phân, ví dụ 106,56120."),
    Column("households", "Số hộ", aliases=("số hộ bị ảnh hưởng", "hộ"),
           help="Số hộ gia đình bị ảnh hưởng; để trống là 0."),
    Column("pupils", "Số học sinh", aliases=("số học sinh bị ảnh hưởng", "học sinh", "số hs"),
           help="Số học sinh bị ảnh hưởng; để trống là 0."),
    Column("operator", "Doanh nghiệp", aliases=("nhà mạng", "doanh nghiệp viễn thông", "dn"),
           help="Tên hoặc mã doanh nghiệp chịu trách nhiệm (ví dụ Viettel, VNPT, MobiFone)."),
    Column("technology", "Giải pháp", aliases=("công nghệ", "giải pháp kỹ thuật"),
           help="Trạm phát sóng 4G, Trạm phát sóng 3G, Cáp quang hoặc Khác; để trống là 4G."),
    Column("reported_on", "Ngày báo cáo", required=True, aliases=("ngày phát hiện",),
           help="Dạng dd/mm/yyyy, ví dụ 15/09/2021."),
    Column("target_on", "Hạn phủ sóng", aliases=("hạn", "thời hạn", "hạn hoàn thành"),
           help="Dạng dd/mm/yyyy; để trống nếu chưa có."),
    Column("notes", "Ghi chú", aliases=("chú thích",)),
]
# fmt: on
LABELS = {column.key: column.label for column in COLUMNS}
COLUMN_ORDER = {column.label: index for index, column in enumerate(COLUMNS)}
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
_EXAMPLE = "dong vi du"


class CellError(ValueError):
    """A cell that cannot be read; the message says how to write it."""


def _key(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


_TECHNOLOGIES: dict[str, str] = {
    **{_key(str(label)): value for value, label in Technology.choices},
    **{_key(value): value for value in Technology.values},
    "": Technology.MOBILE_4G,
    "tram4g": Technology.MOBILE_4G,
    "tram3g": Technology.MOBILE_3G,
    "quang": Technology.FIBRE,
    "cap": Technology.FIBRE,
    "ftth": Technology.FIBRE,
}


def parse_technology(text: str) -> str:
    if (value := _TECHNOLOGIES.get(_key(text))) is None:
        labels = ", ".join(str(label) for label in Technology.labels)
        raise CellError(f"Giải pháp ghi một trong: {labels}; đang ghi “{text}”.")
    return value


def parse_date(text: str, *, required: bool, label: str) -> dt.date | None:
    if not text:
        if required:
            raise CellError(f"Thiếu {label.lower()}; ghi dạng dd/mm/yyyy, ví dụ 15/09/2021.")
        return None
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    raise CellError(f"{label} ghi dạng dd/mm/yyyy, ví dụ 15/09/2021; đang ghi “{text}”.")


def parse_count(text: str, label: str) -> int:
    cleaned = text.replace(".", "").replace(",", "").replace(" ", "")
    if not cleaned:
        return 0
    if not (cleaned.isascii() and cleaned.isdigit()):  # "²".isdigit() is true
        raise CellError(f"{label} ghi một số nguyên không âm, ví dụ 35; đang ghi “{text}”.")
    return int(cleaned)


def parse_coordinate(text: str, label: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise CellError(f"{label} ghi số thập phân, ví dụ 21,38560; đang ghi “{text}”.") from None
    if not value.is_finite():
        raise CellError(f"{label} ghi số thập phân, ví dụ 21,38560; đang ghi “{text}”.")
    return value.quantize(Decimal("0.00001"))


@dataclass
class CheckedDeadSpots:
    """A file checked row by row: the dead spots ready to add, or every row's errors."""

    rows: list[DeadSpotData] = field(default_factory=list)
    good: int = 0
    errors: list[RowError] = field(default_factory=list)
    header_row: int = 1
    row_count: int = 0


class _Lookup:
    """Communes (in scope) and operators, by code or by name without diacritics."""

    def __init__(self, actor: User | None) -> None:
        areas = Area.objects.all() if actor is None else Area.objects.visible_to(actor)
        self.areas = areas
        self.operators: dict[str, Operator] = {}
        for operator in Operator.objects.all():
            self.operators[_key(operator.code)] = operator
            self.operators[_key(operator.name)] = operator
        self._area_cache: dict[str, Area | str] = {}

    def area(self, text: str) -> Area:
        if not text:
            raise CellError("Thiếu xã/phường; ghi mã (ví dụ 07582) hoặc tên đầy đủ.")
        if text not in self._area_cache:
            found: Area | str
            by_code = self.areas.filter(code=text.strip()).first()
            if by_code is not None:
                found = by_code
            else:
                matches = list(self.areas.filter(name_folded=fold(text))[:2])
                if len(matches) == 1:
                    found = matches[0]
                elif matches:
                    found = f"Có nhiều địa bàn tên “{text}”; hãy ghi mã xã/phường."
                else:
                    found = (
                        f"Không tìm thấy xã/phường “{text}” trong phạm vi của bạn; hãy ghi mã "
                        "xã/phường (tra ở trang Địa bàn)."
                    )
            self._area_cache[text] = found
        result = self._area_cache[text]
        if isinstance(result, str):
            raise CellError(result)
        return result

    def operator(self, text: str) -> Operator | None:
        if not text:
            return None
        if (found := self.operators.get(_key(text))) is None:
            names = ", ".join(sorted({op.name for op in self.operators.values()}))
            raise CellError(f"Không có doanh nghiệp “{text}”; ghi một trong: {names}.")
        return found


def dead_spot_rows_check(*, actor: User | None, table: list[list[str]]) -> CheckedDeadSpots:
    """Check every row of a dead spot list (duplicates in the file and in the register
    included): each problem with its row, column and how to fix it. Writes nothing."""
    result = CheckedDeadSpots()
    try:
        header_index, mapping = find_header(table, COLUMNS)
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
    numbered = [
        (header_row + 1 + offset, row)
        for offset, row in enumerate(table[header_index + 1 :])
        if any(row)
    ]
    result.row_count = len(numbered)
    if not numbered:
        message = "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề. Hãy điền danh sách."
        result.errors = [RowError(0, "", message)]
        return result
    lookup = _Lookup(actor)
    good: list[tuple[int, DeadSpotData]] = []
    for number, row in numbered:
        cells = {key: (row[index] if index < len(row) else "") for key, index in mapping.items()}
        data, errors = _check_row(number, cells, lookup, actor)
        result.errors.extend(errors)
        if data is not None:
            good.append((number, data))
    taken = existing_villages({data.area.pk for _, data in good})
    first_row: dict[tuple[int, str], int] = {}
    for number, data in good:
        key = (data.area.pk, fold(data.village))
        if key in taken:
            result.errors.append(
                RowError(
                    number,
                    LABELS["village"],
                    f"Thôn “{data.village}” của {data.area} đã có trong danh sách điểm lõm sóng. "
                    "Hãy xoá dòng này, hoặc cập nhật điểm đó trên trang của nó.",
                )
            )
        elif (first := first_row.setdefault(key, number)) != number:
            result.errors.append(
                RowError(
                    number,
                    LABELS["village"],
                    f"Thôn “{data.village}” trùng với dòng {first}; hãy xoá dòng thừa.",
                )
            )
    result.errors.sort(key=lambda found: (found.row, COLUMN_ORDER.get(found.column, 0)))
    bad_rows = {error.row for error in result.errors}
    result.good = sum(1 for number, _ in good if number not in bad_rows)
    if not result.errors:
        result.rows = [data for _, data in good]
    return result


def _check_row(
    number: int, cells: dict[str, str], lookup: _Lookup, actor: User | None
) -> tuple[DeadSpotData | None, list[RowError]]:
    errors: list[RowError] = []

    def read(key: str, parse: Callable[[str], T], default: T) -> T:
        try:
            return parse(cells.get(key, ""))
        except CellError as problem:
            errors.append(RowError(number, LABELS[key], str(problem)))
            return default

    area = read("area", lookup.area, None)
    village = cells.get("village", "")
    if not village.strip():
        errors.append(RowError(number, LABELS["village"], "Thiếu tên thôn/xóm."))
    latitude = read("latitude", lambda text: parse_coordinate(text, "Vĩ độ"), None)
    longitude = read("longitude", lambda text: parse_coordinate(text, "Kinh độ"), None)
    households = read("households", lambda text: parse_count(text, "Số hộ"), 0)
    pupils = read("pupils", lambda text: parse_count(text, "Số học sinh"), 0)
    operator = read("operator", lookup.operator, None)
    technology = read("technology", parse_technology, str(Technology.MOBILE_4G))
    reported_on = read(
        "reported_on",
        lambda text: parse_date(text, required=True, label="Ngày báo cáo"),
        None,
    )
    target_on = read(
        "target_on", lambda text: parse_date(text, required=False, label="Hạn phủ sóng"), None
    )
    notes = cells.get("notes", "")
    if _EXAMPLE in fold(notes):
        errors.append(
            RowError(number, LABELS["notes"], "Đây là dòng ví dụ của tệp mẫu; hãy xoá dòng này.")
        )
    if errors or area is None or reported_on is None:
        return None, errors
    data = DeadSpotData(
        area=area, village=village, reported_on=reported_on, latitude=latitude,
        longitude=longitude, households=households, pupils=pupils, operator=operator,
        technology=technology, target_on=target_on, notes=notes,
    )  # fmt: skip
    if actor is not None and not actor.scope.may("connectivity.change"):
        errors.append(RowError(number, LABELS["area"], "Bạn không có quyền thêm điểm lõm sóng."))
        return None, errors
    try:
        return dead_spot_clean(data), errors
    except DomainError as problem:
        column = LABELS.get(problem.field or "", LABELS["village"])
        errors.append(RowError(number, column, problem.message))
        return None, errors


# ---------------------------------------------------------------------------- jobs


def _check_job_file(job: Job, progress: JobProgress) -> CheckedDeadSpots:
    try:
        table = read_table(bytes(job.payload), job.file_name)
    except SpreadsheetError as problem:
        return CheckedDeadSpots(errors=[RowError(0, "", problem.message)])
    progress.phase("Đang kiểm tra từng dòng")
    checked = dead_spot_rows_check(actor=job.created_by, table=table)
    progress(checked.row_count, checked.row_count)
    return checked


def _outcome(
    checked: CheckedDeadSpots, created: int, errors: list[RowError], *, keep_file: bool
) -> JobOutcome:
    summary: dict[str, Any] = {
        "rows": checked.row_count,
        "created": created,
        "error_rows": len({error.row for error in errors if error.row}),
        "notices": [],
        "header_row": checked.header_row,
    }
    readable = checked.row_count > 0 or any(error.row for error in errors)
    return JobOutcome(summary=summary, errors=errors, keep_file=keep_file and readable)


def run_dead_spot_preview(job: Job, progress: JobProgress) -> JobOutcome:
    """The `dead_spots.preview` job: check every row, count what would be added; write nothing."""
    checked = _check_job_file(job, progress)
    return _outcome(checked, checked.good, checked.errors, keep_file=True)


def run_dead_spot_import(job: Job, progress: JobProgress) -> JobOutcome:
    """The `dead_spots.import` job: check the confirmed file again, then write all or nothing."""
    checked = _check_job_file(job, progress)
    if checked.errors:
        return _outcome(checked, 0, checked.errors, keep_file=True)
    progress.phase("Đang ghi danh sách điểm lõm sóng")
    try:
        spots = dead_spots_import(
            actor=job.created_by, rows=checked.rows, source=f"Nhập từ tệp “{job.file_name}”"
        )
    except (DomainError, IntegrityError) as problem:
        message = getattr(problem, "message", "") or (
            "Có người vừa thêm cùng những điểm lõm sóng này trong lúc nhập; chưa ghi gì. "
            "Hãy tải tệp lên lại để kiểm tra."
        )
        return _outcome(checked, 0, [RowError(0, "", message)], keep_file=False)
    return _outcome(checked, len(spots), [], keep_file=False)


def dead_spot_import_start(*, actor: User, file_name: str, payload: bytes) -> Job:
    """Upload a dead spot list: start the preview job that checks it."""
    return job_start(actor=actor, kind="dead_spots.preview", file_name=file_name, payload=payload)


# ---------------------------------------------------------------------------- template

TEMPLATE_TITLE = "Điểm lõm sóng"
_EXAMPLE_ROW: dict[str, object] = {
    "number": 1, "area": "07582", "village": "Thôn Khe Nghè", "latitude": 21.3856,
    "longitude": 106.5612, "households": 42, "pupils": 17, "operator": "Viettel",
    "technology": "Trạm phát sóng 4G", "reported_on": "15/09/2021", "target_on": "31/12/2021",
    "notes": "Dòng ví dụ, hãy xoá",
}  # fmt: skip


def template_xlsx() -> bytes:
    """The template to fill: the columns with an example row, a drop-down list for the
    technology, and a sheet of instructions ("Hướng dẫn")."""
    guide: list[list[object]] = [
        [column.label, "Bắt buộc" if column.required else "Không bắt buộc", column.help or ""]
        for column in COLUMNS
    ]
    guide.append(["", "", ""])
    guide.append(
        [
            "Lưu ý",
            "",
            "Mỗi thôn một dòng; một thôn đã có trong danh sách sẽ bị báo trùng. Tệp chỉ được "
            "nhập khi mọi dòng đều đúng. Xoá dòng ví dụ trước khi nhập.",
        ]
    )
    keys = [column.key for column in COLUMNS]
    return write_xlsx(
        [
            (
                TEMPLATE_TITLE,
                [column.label for column in COLUMNS],
                [[_EXAMPLE_ROW[key] for key in keys]],
            ),
            ("Hướng dẫn", ["Cột", "Bắt buộc", "Cách ghi"], guide),
        ],
        drop_downs={
            TEMPLATE_TITLE: {keys.index("technology"): [str(label) for label in Technology.labels]}
        },
    )
