"""The columns of a pupil list and how each cell is read: plain functions, no queries."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import TypeVar

from django.utils import timezone

from songmay.areas.importing import parse_levels
from songmay.areas.models import School, SchoolLevel
from songmay.lib.spreadsheet import Column
from songmay.lib.vietnamese import fold
from songmay.students.models import CIRCUMSTANCES, Gender, Household, Lacking

# fmt: off
COLUMNS = [
    Column("number", "STT", aliases=("số thứ tự", "tt", "số tt")),
    Column("full_name", "Họ và tên", required=True,
           aliases=("họ tên", "tên học sinh", "họ và tên học sinh", "họ tên học sinh",
                    "học sinh", "họ và tên hs", "họ tên hs"),
           help="Họ và tên đầy đủ của em, ví dụ: Nguyễn Văn An."),
    Column("date_of_birth", "Ngày sinh", required=True,
           aliases=("ngày tháng năm sinh", "ngày, tháng, năm sinh", "sinh ngày"),
           help="Ngày/tháng/năm, ví dụ 04/03/2012 (cũng nhận 4/3/12 hoặc ô kiểu ngày)."),
    Column("gender", "Giới tính", aliases=("nam/nữ", "nam nữ", "gt", "phái"),
           help="Nam hoặc Nữ."),
    Column("class_name", "Lớp", aliases=("lớp học", "học lớp"), help="Ví dụ: 6A1."),
    Column("level", "Cấp học", aliases=("cấp", "bậc học"),
           help="Tiểu học, THCS, THPT hoặc GDTX. Để trống thì suy ra từ lớp: 1–5, 6–9, 10–12."),
    Column("personal_id", "Số định danh",
           aliases=("số định danh cá nhân", "mã định danh", "mã định danh cá nhân",
                    "mã số định danh", "cccd", "số cccd", "căn cước", "số căn cước"),
           help="Số định danh cá nhân 12 chữ số, nếu có; có số này thì em không bị tính trùng."),
    Column("guardian_name", "Họ tên cha/mẹ/người giám hộ",
           aliases=("họ tên cha mẹ", "họ tên cha/mẹ", "họ tên phụ huynh", "phụ huynh",
                    "cha mẹ", "người giám hộ", "họ tên người giám hộ", "tên phụ huynh")),
    Column("guardian_phone", "Điện thoại",
           aliases=("số điện thoại", "sđt", "đt", "điện thoại phụ huynh", "sđt phụ huynh",
                    "điện thoại liên hệ", "điện thoại người giám hộ"),
           help="Số của cha/mẹ/người giám hộ, ví dụ 0983.934.091 (dấu chấm, cách, +84 đều được)."),
    Column("village", "Thôn/xóm", aliases=("thôn", "xóm", "thôn xóm", "tổ dân phố")),
    Column("commune", "Xã/phường",
           aliases=("xã", "phường", "xã phường", "mã xã", "mã xã/phường", "xã/phường/đặc khu"),
           help="Tên hoặc mã (5 chữ số) xã/phường nơi em ở, trong tỉnh của trường."),
    Column("household", "Hoàn cảnh",
           aliases=("hoàn cảnh gia đình", "diện hộ", "thuộc diện", "hộ gia đình"),
           help="Hộ nghèo, Hộ cận nghèo, Khó khăn khác, hoặc để trống."),
    Column("orphaned_by_covid", CIRCUMSTANCES["orphaned_by_covid"],
           aliases=("mồ côi", "mồ côi do covid", "mồ côi covid"),
           help="Ghi x nếu đúng, để trống nếu không (cũng vậy với ba cột sau)."),
    Column("disability", CIRCUMSTANCES["disability"], aliases=("học sinh khuyết tật", "hskt")),
    Column("ethnic_minority", CIRCUMSTANCES["ethnic_minority"], aliases=("dtts",)),
    Column("remote_area", CIRCUMSTANCES["remote_area"],
           aliases=("vùng sâu vùng xa", "vùng sâu", "vsvx", "vùng đặc biệt khó khăn")),
    Column("lacking", "Còn thiếu", required=True,
           aliases=("thiếu", "nhu cầu", "cần hỗ trợ", "nhu cầu hỗ trợ"),
           help="Thiết bị, Kết nối, hoặc Cả hai."),
    Column("consent", "Đồng ý xử lý dữ liệu",
           aliases=("đồng ý", "phụ huynh đồng ý", "đồng ý xử lý dữ liệu cá nhân"),
           help="Ghi x (hoặc Có) khi cha/mẹ/người giám hộ đã đồng ý; có thể ghi kèm ngày."),
    Column("consent_on", "Ngày đồng ý", help="Ngày cha/mẹ/người giám hộ đồng ý, nếu có."),
    Column("school_code", "Mã trường", aliases=("mã số trường", "mã trường học"),
           help="Cần khi tệp gồm học sinh của nhiều trường; cán bộ trường có thể bỏ trống."),
]
# fmt: on
LABELS = {column.key: column.label for column in COLUMNS}
FLAG_KEYS = tuple(CIRCUMSTANCES)
COLUMN_ORDER = {column.label: index for index, column in enumerate(COLUMNS)}

# Which registry fields each column fills: a column the sheet lacks leaves them as they are.
FIELDS_OF = {
    "full_name": ("full_name", "name_folded", "sort_key"),
    "date_of_birth": ("date_of_birth",),
    "gender": ("gender",),
    "personal_id": ("personal_id",),
    "guardian_name": ("guardian_name",),
    "guardian_phone": ("guardian_phone",),
    "village": ("village",),
    "commune": ("commune",),
    "consent": ("consent_given", "consent_on"),
    **{key: (key,) for key in FLAG_KEYS},
    "class_name": ("class_name",),
    "level": ("level",),
    "household": ("household",),
    "lacking": ("lacking",),
}
NEED_FIELDS = ("class_name", "level", "household", "lacking")
# Where a StudentData field's problem is shown.
COLUMN_OF_FIELD = {
    "full_name": "full_name",
    "date_of_birth": "date_of_birth",
    "gender": "gender",
    "level": "level",
    "household": "household",
    "lacking": "lacking",
    "personal_id": "personal_id",
    "guardian_phone": "guardian_phone",
    "consent_on": "consent",
    "school": "school_code",
}
MAX_LENGTHS = {"full_name": 120, "guardian_name": 120, "village": 120, "class_name": 20}
CHUNK = 500
NOT_TEXT = frozenset({"number", "date_of_birth", "personal_id", "guardian_phone", "consent_on"})
LEGACY_SAMPLE = 500
# Excel counts days from 30/12/1899; serials of pupils' birth dates lie well inside this range.
_SERIAL_EPOCH = dt.date(1899, 12, 30)
_SERIALS = range(20_000, 80_000)

T = TypeVar("T")


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@lru_cache(maxsize=4096)  # coded cells repeat: "x", "Nam", "Hộ nghèo"...
def _key(text: str) -> str:
    """ "Hộ cận nghèo" -> "hocanngheo": folded letters and digits only."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


_YES = frozenset({"x", "co", "1", "yes", "y", "true", "dung", "v", "codongy", "dadongy", "dongy"})
_NO = frozenset({"", "0", "khong", "ko", "k", "no", "n", "false", "khongdongy", "chuadongy"})
_TICKS = frozenset({"✓", "✔", "√", "☑", "+"})
_GENDERS: dict[str, str] = {
    **dict.fromkeys(["nam", "m", "male", "trai"], Gender.MALE),
    **dict.fromkeys(["nu", "f", "female", "gai"], Gender.FEMALE),
}
_HOUSEHOLDS: dict[str, str] = {
    **dict.fromkeys(["hongheo", "ngheo", "hn"], Household.POOR),
    **dict.fromkeys(["hocanngheo", "canngheo", "hcn"], Household.NEAR_POOR),
    **dict.fromkeys(
        ["khokhankhac", "khokhan", "hokhokhan", "giadinhkhokhan", "hoankhokhan"],
        Household.HARDSHIP,
    ),
    **dict.fromkeys(["", "khong", "khongthuocdien", "binhthuong"], Household.NONE),
}
_LACKING: dict[str, str] = {
    **dict.fromkeys(
        ["thietbi", "maytinh", "may", "thietbihoctap", "maytinhbang", "dienthoai"],
        Lacking.DEVICE,
    ),
    **dict.fromkeys(
        ["ketnoi", "internet", "mang", "wifi", "ketnoiinternet", "goicuoc", "song"],
        Lacking.CONNECTIVITY,
    ),
    **dict.fromkeys(
        ["cahai", "ca2", "thietbivaketnoi", "thietbiketnoi", "maytinhvaketnoi", "both"],
        Lacking.BOTH,
    ),
}
_DATE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?!\d)", re.ASCII)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$", re.ASCII)
_TIME = re.compile(r"\s+\d{1,2}:\d{2}(?::\d{2})?$", re.ASCII)
_CLASS_NUMBER = re.compile(r"(\d{1,2})", re.ASCII)


class CellError(ValueError):
    """A cell that cannot be read; the message says how to write it."""


def _date_from_parts(day: int, month: int, year: int, text: str) -> dt.date:
    if year < 100:
        # "4/3/12": a pupil's two-digit year is this century unless that is in the future.
        year += 2000 if year <= timezone.localdate().year % 100 else 1900
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(
            f"“{text}” không phải ngày có thật (ngày/tháng/năm). Hãy kiểm tra lại, "
            "ví dụ 04/03/2012 là ngày 4 tháng 3 năm 2012."
        ) from None


def parse_date(text: str) -> dt.date | None:
    """ "04/03/2012", "4/3/12", "2012-03-04" or a spreadsheet serial (40972) -> a date."""
    text = _TIME.sub("", unicodedata.normalize("NFKC", text).strip())
    if not text:
        return None
    number = text[:-2] if text.endswith(".0") else text
    if number.isascii() and number.isdigit():
        value = int(number)
        if 1900 <= value <= 2100:
            raise CellError(f"Chỉ có năm “{text}”. Hãy ghi đủ ngày/tháng/năm, ví dụ 04/03/{value}.")
        if value in _SERIALS:
            return _SERIAL_EPOCH + dt.timedelta(days=value)
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
        return _date_from_parts(day, month, year, text)
    match = _DATE.fullmatch(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return _date_from_parts(day, month, year, text)
    raise CellError(f"“{text}” không đúng dạng ngày/tháng/năm. Hãy ghi như 04/03/2012.")


def parse_flag(text: str, *, label: str) -> bool:
    if text.strip() in _TICKS:
        return True
    key = _key(text)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise CellError(f"Cột {label} ghi x (hoặc Có) nếu đúng, để trống nếu không; đang ghi “{text}”.")


def parse_consent(text: str) -> tuple[bool, dt.date | None]:
    """ "x", "Có 12/09/2021", "12/09/2021" (a date alone means yes) -> (given, on)."""
    match = _DATE.search(text)
    on = None
    if match:
        day, month, year = (int(part) for part in match.groups())
        on = _date_from_parts(day, month, year, match.group(0))
    rest = _DATE.sub("", text) if match else text
    key = _key(rest).removeprefix("ngay").removesuffix("ngay")
    if rest.strip() in _TICKS or key in _YES or (key.startswith("co") and on is not None):
        return True, on
    if key in _NO and on is None:
        return False, None
    if not key and on is not None:
        return True, on
    raise CellError(
        f"Cột Đồng ý xử lý dữ liệu ghi x (hoặc Có) khi cha/mẹ đã đồng ý, có thể kèm ngày "
        f"(ví dụ: Có 12/09/2021); để trống nếu chưa. Đang ghi “{text}”."
    )


def _class_level(class_name: str, school: School) -> str | None:
    """The level a class number means at this school: 1–5, 6–9, 10–12."""
    match = _CLASS_NUMBER.search(class_name)
    if match is None:
        return None
    grade = int(match.group(1))
    if 1 <= grade <= 5:
        level = SchoolLevel.PRIMARY
    elif 6 <= grade <= 9:
        level = SchoolLevel.LOWER_SECONDARY
    elif 10 <= grade <= 12:
        level = SchoolLevel.UPPER_SECONDARY
    else:
        return None
    if level not in school.levels and grade >= 6 and SchoolLevel.CONTINUING in school.levels:
        return SchoolLevel.CONTINUING  # a GDTX centre teaches grades 6–12
    return level


def parse_level(text: str, class_name: str, school: School | None) -> str:
    if text:
        levels, unknown = parse_levels(text)
        if len(levels) == 1 and not unknown:
            return levels[0]
        raise CellError(f"Không hiểu cấp học “{text}”. Ghi một trong: Tiểu học, THCS, THPT, GDTX.")
    if school is not None:
        level = _class_level(class_name, school)
        if level is not None:
            return level
        if len(school.levels) == 1:
            return school.levels[0]
    raise CellError(
        "Thiếu cấp học. Ghi Tiểu học, THCS, THPT hoặc GDTX, hoặc ghi lớp có số (ví dụ 6A1) "
        "để hệ thống tự suy ra."
    )


def parse_gender(text: str) -> str:
    if not text:
        return ""
    if (value := _GENDERS.get(_key(text))) is None:
        raise CellError(f"Giới tính ghi Nam hoặc Nữ; đang ghi “{text}”.")
    return value


def parse_household(text: str) -> str:
    if (value := _HOUSEHOLDS.get(_key(text))) is None:
        raise CellError(
            "Hoàn cảnh ghi một trong: Hộ nghèo, Hộ cận nghèo, Khó khăn khác, hoặc để trống; "
            f"đang ghi “{text}”."
        )
    return value


def parse_lacking(text: str) -> str:
    if (value := _LACKING.get(_key(text))) is None:
        what = f"đang ghi “{text}”" if text else "đang để trống"
        raise CellError(f"Cột Còn thiếu ghi một trong: Thiết bị, Kết nối, Cả hai; {what}.")
    return value


def parse_personal_id(text: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch not in " .-")
    if any(ch.isdigit() for ch in digits) and not digits.isascii():
        raise CellError(f"Số định danh “{text}” chỉ gồm 12 chữ số 0–9.")
    # Every 12-digit ID starts with 0 (province 001–096); a number cell drops that zero.
    if digits.isdigit() and 9 <= len(digits) < 12 and not digits.startswith("0"):
        return digits.zfill(12)
    return digits
