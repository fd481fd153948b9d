"""Import devices from a spreadsheet, as the pupil import does: a preview job checks every row
(including duplicates inside the file and against the inventory) and writes nothing; once the
user confirms, a second job checks the file again and registers it whole through
`devices_register`, or not at all (DESIGN §7). Place and origin are chosen for the whole file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import IntegrityError

from songmay.areas.models import School
from songmay.campaigns.models import Campaign
from songmay.donations.models import Donation, DonationKind
from songmay.inventory.models import Condition, Device, DeviceKind, Warehouse
from songmay.inventory.services import (
    DeviceData,
    _check_origin,
    device_clean,
    devices_register,
    duplicates_in_database,
)
from songmay.jobs.models import Job
from songmay.jobs.services import JobOutcome, job_start
from songmay.lib import legacy_text
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import (
    Column,
    MissingColumnsError,
    RowError,
    SpreadsheetError,
    find_header_any_font,
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
    Column("number", "STT", aliases=("số thứ tự", "tt", "số tt")),
    Column("kind", "Loại thiết bị", required=True,
           aliases=("loại", "loại máy", "thiết bị", "chủng loại", "loại tb", "kind", "type"),
           help="Máy tính để bàn, Máy tính xách tay, Máy tính bảng, Điện thoại thông minh hoặc "
                "Bộ phát wifi 4G (cũng nhận: laptop, tablet, điện thoại, router 4G...)."),
    Column("make", "Hãng", aliases=("hãng sản xuất", "nhà sản xuất", "thương hiệu", "nsx", "brand"),
           help="Ví dụ: Dell, Samsung, Viettel."),
    Column("model", "Model", aliases=("mẫu", "mẫu máy", "dòng máy", "kiểu máy", "tên máy"),
           help="Ví dụ: Latitude 3420, Galaxy A12."),
    Column("serial", "Số serial",
           aliases=("serial", "số seri", "seri", "số sê-ri", "sê-ri", "s/n", "sn",
                    "serial number", "số hiệu máy"),
           help="In trên tem dưới máy hoặc trên hộp. Mỗi thiết bị cần số serial hoặc IMEI; "
                "không được trùng."),
    Column("imei", "IMEI", aliases=("số imei", "imei 1", "imei1", "mã imei"),
           help="15 chữ số, chỉ cho điện thoại, máy tính bảng, bộ phát 4G (bấm *#06# để xem). "
                "Không được trùng."),
    Column("ram_gb", "RAM (GB)", aliases=("ram", "bộ nhớ ram", "dung lượng ram"),
           help="Số GB, ví dụ 4 hoặc 1,5."),
    Column("storage_gb", "Bộ nhớ (GB)",
           aliases=("bộ nhớ", "bộ nhớ trong", "dung lượng", "dung lượng lưu trữ", "ổ cứng",
                    "rom", "lưu trữ", "storage"),
           help="Số GB, ví dụ 64 (cũng nhận 1 TB)."),
    Column("os", "Hệ điều hành", aliases=("hđh", "os", "hệ điều hành cài sẵn"),
           help="Ví dụ: Windows 10, Android 11, iPadOS."),
    Column("screen_inches", "Màn hình (inch)",
           aliases=("màn hình", "kích thước màn hình", "cỡ màn hình", "screen"),
           help="Đường chéo màn hình tính bằng inch, ví dụ 10,1."),
    Column("condition", "Tình trạng", aliases=("tình trạng máy", "hiện trạng", "chất lượng"),
           help="Mới, Tốt, Trung bình, Cần sửa chữa hoặc Không sử dụng được; để trống là Mới."),
    Column("note", "Ghi chú", aliases=("chú thích", "ghi chú khác")),
]
# fmt: on
LABELS = {column.key: column.label for column in COLUMNS}
COLUMN_ORDER = {column.label: index for index, column in enumerate(COLUMNS)}
# The model's field lengths: a longer cell is refused here rather than by the database.
MAX_LENGTHS = {"make": 64, "model": 120, "serial": 64, "os": 64, "note": 255}
TEXT_KEYS = ("kind", "make", "model", "os", "condition", "note")  # may be typed in TCVN3/VNI
LEGACY_SAMPLE = 500
PLACE_NOTICE = "Thiết bị sẽ được ghi vào: {place}."


class CellError(ValueError):
    """A cell that cannot be read; the message says how to write it."""


@lru_cache(maxsize=1024)  # coded cells repeat: "Máy tính xách tay", "Mới"...
def _key(text: str) -> str:
    """ "Máy tính xách tay" -> "maytinhxachtay": folded letters and digits only."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


_KINDS: dict[str, str] = {
    **{_key(str(label)): value for value, label in DeviceKind.choices},
    **{_key(value): value for value in DeviceKind.values},
    **dict.fromkeys("maydeban mtdb pc maytinhbo maybo desktoppc".split(), DeviceKind.DESKTOP),
    **dict.fromkeys("mayxachtay mtxt notebook macbook".split(), DeviceKind.LAPTOP),
    **dict.fromkeys("maybang mtb ipad".split(), DeviceKind.TABLET),
    **dict.fromkeys(
        "dienthoai dtdd dtdm dienthoaididong smartphone iphone".split(), DeviceKind.SMARTPHONE
    ),
    **dict.fromkeys(
        "bophatwifi bophat4g bophatsong4g router router4g wifi4g modem4g cucphatwifi cucphat4g "
        "phatwifi4g mifi dcom4g".split(),
        DeviceKind.ROUTER_4G,
    ),
}
_CONDITIONS: dict[str, str] = {
    **{_key(str(label)): value for value, label in Condition.choices},
    **{_key(value): value for value in Condition.values},
    **dict.fromkeys(["", "moi100", "hangmoi", "nguyenhop", "moinguyenhop"], Condition.NEW),
    **dict.fromkeys(["contot", "sudungtot", "dungtot"], Condition.GOOD),
    **dict.fromkeys(["tb", "kha", "binhthuong"], Condition.FAIR),
    **dict.fromkeys(["cansua", "hong", "hu", "huhong", "hongnhe", "loi"], Condition.NEEDS_REPAIR),
    **dict.fromkeys(
        ["khongdungduoc", "hongnang", "hongkhongsuaduoc", "thanhly", "khongsudung"],
        Condition.UNUSABLE,
    ),
}
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(gb|g|tb|mb|inch|inches|in|\"|”|'')?$")
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?e\+?\d+$", re.IGNORECASE)
_EXAMPLE = "dong vi du"


def parse_kind(text: str) -> str:
    if (value := _KINDS.get(_key(text))) is None:
        kinds = ", ".join(str(label) for label in DeviceKind.labels)
        what = f"đang ghi “{text}”" if text else "đang để trống"
        raise CellError(f"Loại thiết bị ghi một trong: {kinds}; {what}.")
    return value


def parse_condition(text: str) -> str:
    if (value := _CONDITIONS.get(_key(text))) is None:
        labels = ", ".join(str(label) for label in Condition.labels)
        raise CellError(f"Tình trạng ghi một trong: {labels} (để trống là Mới); đang ghi “{text}”.")
    return value


@lru_cache(maxsize=1024)
def _number(text: str, label: str, example: str) -> tuple[Decimal, str]:
    """ "4", "1,5", "4 GB", '10.1"' -> (the number, its unit or "")."""
    match = _NUMBER.match(fold(text).replace(" ", ""))
    if match is None:
        raise CellError(f"{label} ghi một số, ví dụ {example}; đang ghi “{text}”.")
    number, unit = match.groups()
    try:
        value = Decimal(number.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise CellError(f"{label} ghi một số, ví dụ {example}; đang ghi “{text}”.") from None
    if value <= 0:
        raise CellError(f"{label} phải lớn hơn 0; đang ghi “{text}”. Không rõ thì để trống.")
    return value, unit or ""


_TENTH = Decimal("0.1")


@lru_cache(maxsize=256)
def parse_ram(text: str) -> Decimal | None:
    if not text:
        return None
    value, unit = _number(text, "RAM", "4 hoặc 1,5")
    if unit == "mb":
        value /= 1024
    elif unit == "tb" or unit not in ("", "gb", "g"):
        raise CellError(f"RAM ghi số GB, ví dụ 4; đang ghi “{text}”.")
    if value > 512:
        raise CellError(
            f"RAM {text} GB là quá lớn; hãy ghi số GB (ví dụ 4), không ghi số MB (4096)."
        )
    return max(value.quantize(_TENTH, ROUND_HALF_UP), _TENTH)


@lru_cache(maxsize=256)
def parse_storage(text: str) -> int | None:
    if not text:
        return None
    value, unit = _number(text, "Bộ nhớ", "64")
    if unit == "tb":
        value *= 1024
    elif unit not in ("", "gb", "g"):
        raise CellError(f"Bộ nhớ ghi số GB, ví dụ 64 hoặc 1 TB; đang ghi “{text}”.")
    if value > 65536:
        raise CellError(f"Bộ nhớ {text} GB là quá lớn; hãy ghi số GB, ví dụ 64 hoặc 1 TB.")
    return max(1, int(value.to_integral_value(ROUND_HALF_UP)))


@lru_cache(maxsize=256)
def parse_screen(text: str) -> Decimal | None:
    if not text:
        return None
    value, unit = _number(text, "Màn hình", "10,1")
    if unit in ("gb", "g", "tb", "mb"):
        raise CellError(f"Màn hình ghi đường chéo bằng inch, ví dụ 10,1; đang ghi “{text}”.")
    if value > 100:
        raise CellError(f"Màn hình {text} inch là quá lớn; hãy ghi số inch, ví dụ 10,1.")
    return max(value.quantize(_TENTH, ROUND_HALF_UP), _TENTH)


def _not_scientific(text: str, label: str) -> None:
    if _SCIENTIFIC.match(text):
        raise CellError(
            f"{label} “{text}” đã bị Excel đổi thành dạng số mũ nên mất chữ số. Hãy định dạng "
            f"cột {label} là Văn bản (Text) rồi gõ lại số đầy đủ."
        )


def parse_serial(text: str) -> str:
    """The serial as the inventory keeps it: no spaces, upper case (as `device_clean` does)."""
    _not_scientific(text, "Số serial")
    return "".join(unicodedata.normalize("NFC", text).split()).upper()


def parse_imei(text: str) -> str:
    """The IMEI as typed, once its length is right; `device_clean` checks its last digit."""
    _not_scientific(text, "IMEI")
    digits = "".join(ch for ch in text if ch not in " -./")
    if digits and not (digits.isascii() and digits.isdigit()):
        raise CellError(f"IMEI “{text}” chỉ gồm 15 chữ số 0–9.")
    if len(digits) == 16:
        # An IMEISV: 14 digits and a 2-digit software version, no check digit.
        raise CellError(
            f"“{text}” có 16 chữ số (IMEISV, kèm số phiên bản phần mềm). Hãy ghi IMEI 15 chữ "
            "số in trên hộp máy hoặc hiện ra khi bấm *#06#."
        )
    if digits and len(digits) != 15:
        raise CellError(
            f"IMEI “{text}” có {len(digits)} chữ số; IMEI đúng có 15 chữ số. Hãy đọc lại IMEI "
            "trên hộp máy hoặc bấm *#06#."
        )
    return digits


# ---------------------------------------------------------------------------- checking


@dataclass
class CheckedDevices:
    """A file checked row by row: the devices ready to register, or every row's errors."""

    rows: list[DeviceData] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # the Excel row of each device
    good: int = 0  # rows without an error, written once the others are fixed
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    header_row: int = 1
    row_count: int = 0  # data rows below the header, good or bad


def _convert_legacy(cells: list[dict[str, str]]) -> list[str]:
    """Text columns typed in TCVN3 (ABC) or VNI-Windows fonts, put in Unicode in place."""
    notices: dict[legacy_text.LegacyEncoding, list[str]] = {}
    for key in TEXT_KEYS:
        column = [row[key] for row in cells]
        typed = [cell for cell in column if cell and not cell.isascii()]
        if not typed:
            continue
        encoding = legacy_text.detect_column_encoding(typed[:: max(1, len(typed) // LEGACY_SAMPLE)])
        if encoding is None:
            continue
        converted = legacy_text.convert_cells(column, encoding)
        if converted != column:
            for row, text in zip(cells, converted, strict=True):
                row[key] = text
            notices.setdefault(encoding, []).append(LABELS[key])
    return [
        f"{legacy_text.NOTICE[encoding]} Cột: " + ", ".join(f"“{label}”" for label in labels) + "."
        for encoding, labels in notices.items()
    ]


class _RowChecker:
    """Checks one row at a time and remembers the serials and IMEIs seen so far."""

    def __init__(self) -> None:
        self.seen_serials: dict[str, int] = {}
        self.seen_imeis: dict[str, int] = {}
        # Every row's identifiers, good or bad, to compare with the inventory afterwards.
        self.identifiers: list[tuple[int, str, str]] = []

    def check(self, number: int, cells: dict[str, str]) -> tuple[DeviceData | None, list[RowError]]:
        errors: list[RowError] = []

        def error(key: str, message: str) -> None:
            errors.append(RowError(number, LABELS[key], message))

        def read(key: str, parse: Callable[[str], T], default: T) -> T:
            try:
                return parse(cells[key])
            except CellError as problem:
                error(key, str(problem))
                return default

        kind = read("kind", parse_kind, "")
        for key, limit in MAX_LENGTHS.items():
            if len(cells[key]) > limit:
                error(key, f"{LABELS[key]} dài quá {limit} ký tự (đang có {len(cells[key])}).")
                cells[key] = cells[key][:limit]
        serial = read("serial", parse_serial, "")
        imei_typed = read("imei", parse_imei, "")
        # An unreadable kind is already reported; a stand-in still lets the IMEI be checked.
        stand_in = DeviceKind.SMARTPHONE if imei_typed else DeviceKind.LAPTOP
        data = DeviceData(
            kind=kind or stand_in,
            make=cells["make"],
            model=cells["model"],
            serial=serial,
            imei=imei_typed,
            ram_gb=read("ram_gb", parse_ram, None),
            storage_gb=read("storage_gb", parse_storage, None),
            os=cells["os"],
            screen_inches=read("screen_inches", parse_screen, None),
            condition=read("condition", parse_condition, str(Condition.NEW)),
            note=cells["note"],
        )
        cleaned: DeviceData | None
        try:
            cleaned = device_clean(data)
        except DomainError as problem:
            error(problem.field if problem.field in LABELS else "kind", problem.message)
            cleaned = None
        imei = cleaned.imei if cleaned is not None else ""
        if not serial and not imei_typed:
            error(
                "serial",
                "Thiếu số serial (hoặc IMEI). Hãy ghi số serial in trên tem dưới máy hoặc trên "
                "hộp; điện thoại, máy tính bảng có thể ghi IMEI thay.",
            )
        if _EXAMPLE in fold(cells["note"]):
            error("note", "Đây là dòng ví dụ của tệp mẫu. Hãy xoá dòng này trước khi nhập.")
        self._duplicates(number, serial, imei, error)
        self.identifiers.append((number, serial, imei))
        if errors or cleaned is None:
            return None, errors
        return cleaned, errors

    def _duplicates(
        self, number: int, serial: str, imei: str, error: Callable[[str, str], None]
    ) -> None:
        if serial and (first := self.seen_serials.setdefault(serial, number)) != number:
            error(
                "serial",
                f"Số serial “{serial}” trùng với dòng {first}. Mỗi thiết bị chỉ ghi một dòng; "
                "hãy xoá dòng thừa hoặc sửa số serial ghi nhầm.",
            )
        if imei and (first := self.seen_imeis.setdefault(imei, number)) != number:
            error(
                "imei",
                f"IMEI “{imei}” trùng với dòng {first}. Mỗi thiết bị chỉ ghi một dòng; hãy xoá "
                "dòng thừa hoặc đọc lại IMEI (bấm *#06#).",
            )


def _in_database(actor: User | None, checker: _RowChecker) -> list[RowError]:
    """Rows whose serial or IMEI another device in the inventory already carries."""
    probes = [DeviceData(kind="", serial=s, imei=i) for _, s, i in checker.identifiers if s or i]
    taken_serials, taken_imeis = duplicates_in_database(probes)
    if not taken_serials and not taken_imeis:
        return []
    # Name the device already registered when the user may see it.
    visible = Device.objects.all() if actor is None else Device.objects.visible_to(actor)
    tags: dict[tuple[str, str], str] = {}
    shown = 500  # a file of thousands of duplicates is a file imported twice: a few names do
    for serial, tag in visible.filter(serial__in=sorted(taken_serials)[:shown]).values_list(
        "serial", "asset_tag"
    ):
        tags[("serial", serial)] = tag
    for imei, tag in visible.filter(imei__in=sorted(taken_imeis)[:shown]).values_list(
        "imei", "asset_tag"
    ):
        tags[("imei", imei)] = tag
    errors = []
    for number, serial, imei in checker.identifiers:
        for key, value, taken, label in (
            ("serial", serial, taken_serials, "Số serial"),
            ("imei", imei, taken_imeis, "IMEI"),
        ):
            if value and value in taken:
                existing = tags.get((key, value))
                which = f" (thiết bị {existing})" if existing else ""
                errors.append(
                    RowError(
                        number,
                        LABELS[key],
                        f"{label} “{value}” đã có trong kho{which}: thiết bị này đã được nhập "
                        "trước đây. Hãy xoá dòng này, hoặc sửa lại nếu ghi nhầm.",
                    )
                )
    return errors


def device_rows_check(
    *,
    actor: User | None,
    campaign: Campaign,
    table: list[list[str]],
    donation: Donation | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CheckedDevices:
    """Check every row of a device list: each problem with its row, column and how to fix it,
    duplicates inside the file and against the inventory included. Writes nothing."""
    result = CheckedDevices()
    try:
        header_index, mapping, notices = find_header_any_font(table, COLUMNS)
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
    if "serial" not in mapping and "imei" not in mapping:
        result.errors = [
            RowError(
                header_row,
                LABELS["serial"],
                "Thiếu cột “Số serial” (hoặc “IMEI”): mỗi thiết bị cần một số để nhận ra nó. "
                "Hãy thêm cột này vào dòng tiêu đề (xem tệp mẫu).",
            )
        ]
        return result
    numbered = [
        (header_row + 1 + offset, row)
        for offset, row in enumerate(table[header_index + 1 :])
        if any(row)
    ]
    result.row_count = total = len(numbered)
    if not numbered:
        message = "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề. Hãy điền danh sách thiết bị."
        result.errors = [RowError(0, "", message)]
        return result
    cells_of_rows = _cells(numbered, mapping)
    result.notices = notices + _convert_legacy(cells_of_rows)
    checker = _RowChecker()
    rows_by_number: dict[int, DeviceData] = {}
    for done, ((number, _), cells) in enumerate(zip(numbered, cells_of_rows, strict=True), 1):
        cleaned, errors = checker.check(number, cells)
        if cleaned is not None:
            rows_by_number[number] = cleaned
        result.errors.extend(errors)
        if progress is not None:
            progress(done, total)
    result.errors.extend(_in_database(actor, checker))
    if donation is not None:
        kinds = [DeviceData(kind=kind) for kind in _kinds_of(cells_of_rows)]
        try:
            _check_origin(campaign, donation, kinds)
        except DomainError as problem:
            result.errors.append(RowError(0, "", problem.message))
    result.errors.sort(key=lambda found: (found.row, COLUMN_ORDER.get(found.column, 0)))
    result.good = len(rows_by_number.keys() - {error.row for error in result.errors})
    if not result.errors:
        result.numbers = list(rows_by_number)
        result.rows = list(rows_by_number.values())
    return result


def _cells(numbered: list[tuple[int, list[str]]], mapping: dict[str, int]) -> list[dict[str, str]]:
    """Each row's cells by column key; a column the sheet lacks reads as empty."""
    blank = dict.fromkeys(LABELS, "")
    cells_of_rows = []
    for _, row in numbered:
        cells = blank.copy()
        width = len(row)
        for key, index in mapping.items():
            if index < width:
                cells[key] = row[index]
        cells_of_rows.append(cells)
    return cells_of_rows


def _kinds_of(cells_of_rows: list[dict[str, str]]) -> list[str]:
    kinds = []
    for cells in cells_of_rows:
        try:
            kinds.append(parse_kind(cells["kind"]))
        except CellError:
            continue
    return kinds


# ---------------------------------------------------------------------------- target


@dataclass(frozen=True)
class ImportTarget:
    """Where the whole file goes: the campaign, one place (or none yet) and its donation."""

    campaign: Campaign
    warehouse: Warehouse | None = None
    school: School | None = None
    donation: Donation | None = None

    @property
    def place(self) -> str:
        if self.school is not None:
            return f"{self.school.name} (mã trường {self.school.code})"
        if self.warehouse is not None:
            return self.warehouse.name
        return "chưa xếp vị trí (kho hoặc trường)"

    def notice(self) -> str:
        text = PLACE_NOTICE.format(place=self.place)
        if self.donation is not None:
            text += f" Nguồn: {self.donation} của {self.donation.donor}."
        return text

    def params(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign.pk,
            "warehouse": self.warehouse.pk if self.warehouse else None,
            "school": self.school.pk if self.school else None,
            "donation": self.donation.pk if self.donation else None,
        }


def warehouses_for(user: User) -> Any:
    """The stores a user may put devices in: those in the user's area."""
    return user.scope.filter_areas(Warehouse.objects.select_related("area"), "area")


def donations_for(user: User) -> Any:
    """The goods receipts a user may name as the origin of imported devices."""
    return (
        Donation.objects.visible_to(user)
        .filter(kind=DonationKind.GOODS)
        .select_related("donor", "campaign")
    )


def import_target(
    actor: User | None,
    *,
    campaign: int | None,
    warehouse: int | None = None,
    school: int | str | None = None,
    donation: int | None = None,
) -> ImportTarget:
    """The target named by ids (a school also by its code), as `actor` may see it; a
    DomainError naming what cannot be found otherwise."""
    campaigns = Campaign.objects.all() if actor is None else Campaign.objects.visible_to(actor)
    found_campaign = (
        campaigns.select_related("area").filter(pk=campaign).first() if campaign else None
    )
    if found_campaign is None:
        raise DomainError(f"Không có chương trình số {campaign} trong phạm vi của bạn.")
    found_warehouse = found_school = found_donation = None
    if warehouse and school:
        raise DomainError("Thiết bị chỉ ở một nơi: chọn kho hoặc trường, không chọn cả hai.")
    if warehouse:
        stores = Warehouse.objects.all() if actor is None else warehouses_for(actor)
        found_warehouse = stores.select_related("area").filter(pk=warehouse).first()
        if found_warehouse is None:
            raise DomainError(f"Không có kho số {warehouse} trong phạm vi của bạn.")
    if school:
        schools = School.objects.all() if actor is None else School.objects.visible_to(actor)
        by = {"pk": school} if isinstance(school, int) else {"code": school}
        found_school = schools.select_related("area").filter(**by).first()
        if found_school is None:
            raise DomainError(f"Không có trường {school} trong phạm vi của bạn.")
    if donation:
        receipts = (
            Donation.objects.select_related("donor") if actor is None else donations_for(actor)
        )
        found_donation = receipts.filter(pk=donation).first()
        if found_donation is None:
            raise DomainError(f"Không có đợt tiếp nhận số {donation} trong phạm vi của bạn.")
        if found_donation.kind != DonationKind.GOODS:
            raise DomainError(f"{found_donation} không phải đợt tiếp nhận thiết bị.")
        if found_donation.campaign_id != found_campaign.pk:
            raise DomainError(
                f"{found_donation} thuộc chương trình khác; hãy chọn đúng chương trình."
            )
    return ImportTarget(found_campaign, found_warehouse, found_school, found_donation)


def devices_import(
    *, actor: User | None, target: ImportTarget, checked: CheckedDevices, file_name: str = ""
) -> list[Device]:
    """Register every checked device in one transaction (through `devices_register`)."""
    if checked.errors or not checked.rows:
        raise DomainError("Tệp còn lỗi hoặc không có thiết bị nào; chưa ghi gì.")
    return devices_register(
        actor=actor,
        campaign=target.campaign,
        rows=checked.rows,
        origin_donation=target.donation,
        warehouse=target.warehouse,
        school=target.school,
        source=f"Nhập từ tệp “{file_name}”"[:255] if file_name else "Nhập từ tệp",
    )


# ---------------------------------------------------------------------------- jobs


def _check_job_file(job: Job, progress: JobProgress) -> tuple[CheckedDevices, ImportTarget | None]:
    try:
        target = import_target(job.created_by, **_target_params(job.params))
    except DomainError as problem:
        return CheckedDevices(errors=[RowError(0, "", f"{problem.message} Hãy tải lên lại.")]), None
    try:
        table = read_table(bytes(job.payload), job.file_name)
    except SpreadsheetError as problem:
        return CheckedDevices(errors=[RowError(0, "", problem.message)]), target
    progress.phase("Đang kiểm tra từng dòng")
    checked = device_rows_check(
        actor=job.created_by,
        campaign=target.campaign,
        table=table,
        donation=target.donation,
        progress=progress,
    )
    checked.notices.insert(0, target.notice())
    return checked, target


def _target_params(params: dict[str, Any]) -> dict[str, Any]:
    return {key: params.get(key) for key in ("campaign", "warehouse", "school", "donation")}


def _outcome(
    checked: CheckedDevices,
    target: ImportTarget | None,
    created: int,
    errors: list[RowError],
    *,
    keep_file: bool,
) -> JobOutcome:
    errors = sorted(errors, key=lambda found: found.row)
    summary: dict[str, Any] = {
        "rows": checked.row_count,
        "created": created,
        "error_rows": len({error.row for error in errors if error.row}),
        "notices": checked.notices,
        "header_row": checked.header_row,
        "campaign": str(target.campaign) if target is not None else "",
    }
    readable = checked.row_count > 0 or any(error.row for error in errors)
    return JobOutcome(summary=summary, errors=errors, keep_file=keep_file and readable)


def run_device_preview(job: Job, progress: JobProgress) -> JobOutcome:
    """The `devices.preview` job: check every row, count what would be added; write nothing."""
    checked, target = _check_job_file(job, progress)
    return _outcome(checked, target, checked.good, checked.errors, keep_file=True)


def run_device_import(job: Job, progress: JobProgress) -> JobOutcome:
    """The `devices.import` job: check the confirmed file again, then write all or nothing."""
    checked, target = _check_job_file(job, progress)
    if target is None or checked.errors:
        return _outcome(checked, target, 0, checked.errors, keep_file=True)
    progress.phase("Đang ghi vào kho")
    try:
        devices = devices_import(
            actor=job.created_by, target=target, checked=checked, file_name=job.file_name
        )
    except DomainError as problem:
        return _outcome(checked, target, 0, [RowError(0, "", problem.message)], keep_file=False)
    except IntegrityError:
        message = (
            "Có người vừa nhập cùng những thiết bị này (trùng số serial hoặc IMEI) trong lúc "
            "nhập; chưa ghi gì. Hãy tải tệp lên lại để kiểm tra."
        )
        return _outcome(checked, target, 0, [RowError(0, "", message)], keep_file=False)
    summary = _outcome(checked, target, len(devices), [], keep_file=False)
    if devices:
        summary.summary["notices"].append(
            f"Mã tài sản đã cấp: {devices[0].asset_tag} đến {devices[-1].asset_tag}."
        )
    return summary


def device_import_start(
    *, actor: User, target: ImportTarget, file_name: str, payload: bytes
) -> Job:
    """Upload a device list: start the preview job that checks it."""
    return job_start(
        actor=actor,
        kind="devices.preview",
        file_name=file_name,
        payload=payload,
        params=target.params(),
    )


# ---------------------------------------------------------------------------- template

TEMPLATE_TITLE = "Danh sách thiết bị"
_DROP_DOWNS: dict[str, Sequence[str]] = {
    "kind": [str(label) for label in DeviceKind.labels],
    "condition": [str(label) for label in Condition.labels],
}
_EXAMPLES: list[dict[str, object]] = [
    {
        "number": 1, "kind": "Máy tính xách tay", "make": "Dell", "model": "Latitude 3420",
        "serial": "5CD1234XYZ", "imei": "", "ram_gb": 8, "storage_gb": 256, "os": "Windows 10",
        "screen_inches": 14, "condition": "Mới", "note": "Dòng ví dụ, hãy xoá",
    },
    {
        "number": 2, "kind": "Điện thoại thông minh", "make": "Samsung", "model": "Galaxy A12",
        "serial": "R58R12ABCDE", "imei": "356938035643809", "ram_gb": 3, "storage_gb": 32,
        "os": "Android 11", "screen_inches": 6.5, "condition": "Tốt",
        "note": "Dòng ví dụ, hãy xoá",
    },
]  # fmt: skip


def template_xlsx() -> bytes:
    """The template to fill: the columns with example rows, drop-down lists for the kind and
    the condition, and a sheet of instructions ("Hướng dẫn")."""
    guide: list[list[object]] = [
        [
            column.label,
            "Bắt buộc" if column.required else "Không bắt buộc",
            column.help or "Để trống nếu không có.",
        ]
        for column in COLUMNS
    ]
    notes = [
        "Mỗi thiết bị một dòng; giữ nguyên dòng tên cột (có thể thêm dòng tiêu đề phía trên). "
        "Xoá các dòng ví dụ trước khi nhập.",
        "Kho hoặc trường nhận thiết bị và đợt tiếp nhận (nguồn tài trợ) được chọn trên trang "
        "nhập, chung cho cả tệp; mỗi tệp chỉ nên gồm thiết bị của một nơi và một đợt tiếp nhận.",
        "Mỗi thiết bị cần số serial hoặc IMEI. Số serial và IMEI không được trùng nhau trong tệp "
        "hay với thiết bị đã có trong kho.",
        "Chỉ điện thoại thông minh, máy tính bảng và bộ phát wifi 4G có IMEI. IMEI có 15 chữ "
        "số, chữ số cuối là số kiểm tra: gõ sai một số sẽ bị báo lỗi.",
        "Nên định dạng cột Số serial và IMEI là Văn bản (Text) để Excel không đổi số dài thành "
        "dạng 3,57E+14.",
        "Trước khi ghi, hệ thống cho xem số thiết bị sẽ thêm và các dòng lỗi; tệp chỉ được nhập "
        "khi mọi dòng đều đúng. Mỗi thiết bị được cấp một mã tài sản để dán nhãn.",
    ]
    guide.append(["", "", ""])
    guide += [["Lưu ý" if index == 0 else "", "", note] for index, note in enumerate(notes)]
    keys = [column.key for column in COLUMNS]
    return write_xlsx(
        [
            (
                TEMPLATE_TITLE,
                [column.label for column in COLUMNS],
                [[example[key] for key in keys] for example in _EXAMPLES],
            ),
            ("Hướng dẫn", ["Cột", "Bắt buộc", "Cách ghi"], guide),
        ],
        drop_downs={TEMPLATE_TITLE: {keys.index(key): v for key, v in _DROP_DOWNS.items()}},
    )
