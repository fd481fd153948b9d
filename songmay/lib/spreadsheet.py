"""Spreadsheets in and out: read the first sheet of xlsx/xls/ods/csv as text, find the
columns by their (Vietnamese) headers, and write xlsx that is safe to open in Excel.

Framework-free: no Django here, so importers, commands and tests share one reader.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

import python_calamine
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from songmay.lib import legacy_text
from songmay.lib.vietnamese import fold

EXTENSIONS = (".xlsx", ".xls", ".ods", ".csv")
ACCEPT = ",".join(EXTENSIONS)  # for <input type="file" accept="...">

# xlsx and ods are zip archives; xls is an OLE2 compound file.
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HOW_TO_FIX = "Hãy mở tệp bằng Excel hoặc LibreOffice và lưu lại dạng .xlsx rồi tải lên lại."

# A file to read: its bytes, or a binary file open for reading (a large upload copied to a
# temporary file, so that it is never held whole in memory). A file is read from its start.
Source = bytes | IO[bytes]


class SpreadsheetError(ValueError):
    """The file cannot be read as a table; `message` tells the user what to do (Vietnamese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file, located the way Excel shows it."""

    row: int  # 1-based row number as Excel shows it; 0 when the whole file is at fault
    column: str  # the column's Vietnamese name, "" when no single column is at fault
    message: str  # what is wrong and how to fix it, in Vietnamese

    def __str__(self) -> str:
        """ "Dòng 7, cột Ngày sinh: …", as a command prints it."""
        where = f"Dòng {self.row}" if self.row else "Tệp"
        return (
            f"{where}, cột {self.column}: {self.message}"
            if self.column
            else f"{where}: {self.message}"
        )


# ---------------------------------------------------------------------------- reading


def _extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot >= 0 else ""


def _opened(data: Source) -> IO[bytes]:
    """The source as a file at its start; bytes are wrapped, not copied."""
    file = io.BytesIO(data) if isinstance(data, bytes) else data
    file.seek(0)
    return file


def _head(data: Source, size: int) -> bytes:
    return data[:size] if isinstance(data, bytes) else _opened(data).read(size)


def _size(data: Source) -> int:
    return len(data) if isinstance(data, bytes) else _opened(data).seek(0, io.SEEK_END)


def _whole(data: Source) -> bytes:
    return data if isinstance(data, bytes) else _opened(data).read()


def _blank(data: Source) -> bool:
    """Whether the file holds nothing but whitespace, read a block at a time."""
    file = _opened(data)
    while block := file.read(1024 * 1024):
        if block.strip():
            return False
    return True


def check_upload(data: Source, filename: str) -> None:
    """Cheap checks before a file is accepted: known extension, not empty, right kind of bytes.

    Raises SpreadsheetError; `read_table` repeats these checks, then parses the whole file.
    """
    extension = _extension(filename)
    if extension not in EXTENSIONS:
        raise SpreadsheetError(
            f"Không đọc được tệp “{filename}”: chỉ nhận tệp bảng tính .xlsx, .xls, .ods hoặc .csv."
        )
    if _blank(data):
        raise SpreadsheetError(f"Tệp “{filename}” trống. Hãy chọn đúng tệp danh sách.")
    head = _head(data, 4096)
    if extension == ".csv":
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise SpreadsheetError(f"Tệp “{filename}” không phải tệp CSV (văn bản). {_HOW_TO_FIX}")
    elif not head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise SpreadsheetError(
            f"Tệp “{filename}” không phải bảng tính (có thể là PDF, ảnh hoặc tệp hỏng "
            f"được đổi đuôi thành {extension}). {_HOW_TO_FIX}"
        )
    elif head.startswith(_ZIP_MAGIC) and _unzipped_size(data) > max(
        MAX_UNZIPPED_BYTES, MAX_ZIP_RATIO * _size(data)
    ):
        raise SpreadsheetError(
            f"Tệp “{filename}” giải nén ra lớn bất thường, không giống một danh sách. {_HOW_TO_FIX}"
        )


# A zip bomb: a few megabytes that unzip to gigabytes. Real workbooks unzip to a few dozen
# times their size; a file is refused when it unzips to more than both of these.
MAX_ZIP_RATIO = 100
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024


def _unzipped_size(data: Source) -> int:
    """What the archive's members declare they unzip to (zipfile never reads past it)."""
    try:
        with zipfile.ZipFile(_opened(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0  # not a readable zip: the reader says so


def read_table(data: Source, filename: str) -> list[list[str]]:
    """The first sheet of an xlsx, xls, ods or csv file, as rows of stripped strings.

    Row i of the result is row i+1 as Excel shows it (empty rows are kept, so error
    messages can quote the right row number); trailing empty rows and cells are dropped.
    """
    check_upload(data, filename)
    csv_file = _extension(filename) == ".csv"
    rows = _read_csv(_whole(data)) if csv_file else _read_workbook(data, filename)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise SpreadsheetError(
            f"Trang tính đầu tiên của tệp “{filename}” không có dữ liệu. "
            "Hãy đặt danh sách ở trang tính đầu tiên."
        )
    return rows


def _read_workbook(data: Source, filename: str) -> list[list[str]]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(_opened(data))
        with workbook:
            index = next(
                (
                    i
                    for i, sheet in enumerate(workbook.sheets_metadata)
                    if sheet.visible == python_calamine.SheetVisibleEnum.Visible
                    and sheet.typ == python_calamine.SheetTypeEnum.WorkSheet
                ),
                0,
            )
            # skip_empty_area=False: the first row returned is row 1, whatever is empty.
            values = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
    except python_calamine.PasswordError:
        raise SpreadsheetError(
            f"Tệp “{filename}” được đặt mật khẩu. Hãy bỏ mật khẩu rồi tải lên lại."
        ) from None
    except (python_calamine.CalamineError, ValueError, IndexError, OSError):
        raise SpreadsheetError(
            f"Không đọc được tệp “{filename}”: tệp hỏng hoặc không phải bảng tính. {_HOW_TO_FIX}"
        ) from None
    return [_trim([cell_text(value) for value in row]) for row in values]


# A worksheet this large (its XML, unzipped) is read a slice of rows at a time, so that a
# sheet of a million rows never sits whole in memory.
STREAM_FROM_BYTES = 32 * 1024 * 1024
# A slice is held several times over while it is read (the XML, the one-sheet zip, calamine's
# cells, their Python values): 16 MiB slices cost 215 MiB while reading 100,000 rows, 2 MiB
# slices 31 MiB, and read as fast (about 2,000 rows each; opening a slice costs little).
_SLICE_BYTES = 2 * 1024 * 1024
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")


class TableRows(Iterator[list[str]]):
    """The rows `iter_table` yields, and how many the table is likely to have in all, for a
    progress bar: counted when the sheet is read whole, else told by the part of it read."""

    def __init__(self, data: Source, filename: str) -> None:
        self.read = 0  # rows yielded so far
        self.count: int | None = None  # every row, once a sheet read whole is known
        self.share = 0.0  # of a sheet read a slice at a time, the part read so far
        self._rows = _table_rows(data, filename, self)

    def __next__(self) -> list[str]:
        row = next(self._rows)
        self.read += 1
        return row

    def estimated_rows(self) -> int | None:
        """How many rows the table has, empty ones included; None before any is read."""
        if self.count is not None:
            return self.count
        if self.share > 0:
            return max(self.read, round(self.read / self.share))
        return None


def iter_table(data: Source, filename: str) -> TableRows:
    """The rows `read_table` returns, one at a time, without holding the whole sheet.

    Empty rows are yielded too, trailing ones included; SpreadsheetError is raised on the
    first row asked for when the file cannot be read, and at the end when no row has data.
    """
    return TableRows(data, filename)


def _table_rows(data: Source, filename: str, measure: TableRows) -> Iterator[list[str]]:
    check_upload(data, filename)
    extension = _extension(filename)
    rows: Iterable[list[str]]
    if extension == ".xlsx":
        rows = _iter_xlsx(data, filename, measure)
    else:
        rows = _read_csv(_whole(data)) if extension == ".csv" else _read_workbook(data, filename)
        measure.count = len(rows)
    found = False
    for row in rows:
        found = found or any(row)
        yield row
    measure.count = measure.read  # read to the end: no more estimating
    if not found:
        raise SpreadsheetError(
            f"Trang tính đầu tiên của tệp “{filename}” không có dữ liệu. "
            "Hãy đặt danh sách ở trang tính đầu tiên."
        )


def _unreadable(filename: str) -> SpreadsheetError:
    return SpreadsheetError(
        f"Không đọc được tệp “{filename}”: tệp hỏng hoặc không phải bảng tính. {_HOW_TO_FIX}"
    )


def _iter_xlsx(data: Source, filename: str, measure: TableRows) -> Iterator[list[str]]:
    part = _large_sheet_part(data)
    if part is None:
        rows = _read_workbook(data, filename)
        measure.count = len(rows)
        yield from rows
        return
    try:
        yield from _iter_sheet_slices(data, part, filename, measure)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):  # zlib errors are ValueError
        raise _unreadable(filename) from None


def _large_sheet_part(data: Source) -> tuple[int, str] | None:
    """(index, zip member) of the sheet `_read_workbook` reads, when it is worth slicing."""
    try:
        with zipfile.ZipFile(_opened(data)) as archive:
            book = archive.read("xl/workbook.xml").decode()
            rels = archive.read("xl/_rels/workbook.xml.rels").decode()
            targets = {
                _attribute(rel, "Id"): _attribute(rel, "Target")
                for rel in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels)
            }
            parts = []
            for sheet in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
                target = targets.get(_attribute(sheet, "id"), "")
                target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                parts.append((target, _attribute(sheet, "state") in ("", "visible")))
            index = next(
                (i for i, (target, visible) in enumerate(parts)
                 if visible and "/worksheets/" in target),
                0,
            )  # fmt: skip
            info = archive.getinfo(parts[index][0])
            if info.file_size <= STREAM_FROM_BYTES:
                return None
            with archive.open(info) as stream:
                start = stream.read(64 * 1024)
    except (KeyError, IndexError, zipfile.BadZipFile, UnicodeDecodeError, OSError):
        return None  # let calamine read it, or say why it cannot
    first_row = re.search(rb"<(?:\w+:)?row\b[^>]*>", start)
    if first_row is None or b" r=" not in first_row.group(0):
        return None  # rows without numbers only make sense read from the top
    return index, parts[index][0]


def _attribute(tag: str, name: str) -> str:
    """An attribute of one XML start tag, whatever its namespace prefix ("r:id")."""
    match = re.search(rf"""\s(?:\w+:)?{name}\s*=\s*["']([^"']*)["']""", tag)
    return match.group(1) if match else ""


def _iter_sheet_slices(
    data: Source, part: tuple[int, str], filename: str, measure: TableRows
) -> Iterator[list[str]]:
    """Cut the sheet's XML between rows into slices and read each as a workbook of its own
    with calamine; cells keep their addresses, so row numbers stay those Excel shows."""
    index, member = part
    with zipfile.ZipFile(_opened(data)) as archive:
        size = max(1, archive.getinfo(member).file_size)
        others = {
            info.filename: archive.read(info)
            for info in archive.infolist()
            if info.filename != member and "/worksheets/" not in info.filename
        }
        # Other sheets are left empty in each slice: they are never read.
        empty = (
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData/></worksheet>"
        )
        others.update(
            {
                info.filename: empty
                for info in archive.infolist()
                if info.filename != member and "/worksheets/" in info.filename
                and info.filename.endswith(".xml")
            }
        )  # fmt: skip
        next_row = 0
        with archive.open(member) as stream:
            buffer = b""
            head = b""
            row_end = b""
            while not row_end:
                block = stream.read(_SLICE_BYTES)
                buffer += block
                match = _SHEET_DATA.search(buffer)
                if match is None and not block:
                    raise _unreadable(filename)
                if match is not None:
                    if match.group(2):  # <sheetData/>: no rows at all
                        return
                    head = _DIMENSION.sub(b"", buffer[: match.end()])
                    prefix = match.group(1) or b""
                    row_end = b"</" + prefix + b"row>"
                    tail = b"</" + prefix + b"sheetData></" + prefix + b"worksheet>"
                    data_end = b"</" + prefix + b"sheetData>"
                    buffer = buffer[match.end() :]
            done = False
            while not done:
                block = stream.read(_SLICE_BYTES)
                buffer += block
                if block:
                    cut = buffer.rfind(row_end)
                    if cut < 0:
                        continue
                    cut += len(row_end)
                    rows, buffer = buffer[:cut], buffer[cut:]
                else:
                    end = buffer.find(data_end)
                    rows, done = (buffer if end < 0 else buffer[:end]), True
                    buffer = b""
                if not rows.strip():
                    continue
                for number, row in _read_slice(head + rows + tail, others, member, index, filename):
                    while next_row < number:  # rows missing between slices are empty rows
                        yield []
                        next_row += 1
                    yield row
                    next_row = number + 1
                # The part of the sheet whose rows are all out: what `estimated_rows` scales.
                measure.share = (stream.tell() - len(buffer)) / size


def _read_slice(
    sheet_xml: bytes, others: dict[str, bytes], member: str, index: int, filename: str
) -> Iterator[tuple[int, list[str]]]:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as archive:
        for name, content in others.items():
            archive.writestr(name, content)
        archive.writestr(member, sheet_xml)
    del sheet_xml
    output.seek(0)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(output)
        with workbook:
            sheet = workbook.get_sheet_by_index(index)
            top, left = sheet.start or (0, 0)
            values = sheet.to_python(skip_empty_area=True)
    except python_calamine.PasswordError:
        raise SpreadsheetError(
            f"Tệp “{filename}” được đặt mật khẩu. Hãy bỏ mật khẩu rồi tải lên lại."
        ) from None
    except (python_calamine.CalamineError, ValueError, IndexError, OSError):
        raise _unreadable(filename) from None
    pad = [""] * left
    for offset, row in enumerate(values):
        yield top + offset, _trim([*pad, *(cell_text(value) for value in row)])


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    # Excel's "CSV UTF-8" has a BOM; older Vietnamese Windows machines save in cp1258.
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # never fails: the user sees the odd letters and can fix them


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # Excel writes ";" where the decimal mark is a comma, as in Vietnamese settings.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [_trim([cell_text(value) for value in row]) for row in reader]
    except csv.Error:
        raise SpreadsheetError(
            "Không đọc được tệp CSV (dấu ngoặc kép không đóng). " + _HOW_TO_FIX
        ) from None


def cell_text(value: object) -> str:
    """One cell as the text a person sees: 24710101.0 -> "24710101", dates as dd/mm/yyyy.

    The apostrophe `safe_cell` puts before text that would run as a formula is taken off
    again, so a file we exported reads back as the text that was typed.
    """
    if isinstance(value, str):
        text = unicodedata.normalize("NFC", value).strip()
        if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS):
            return text[1:].strip()
        return text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # A whole number loses its ".0"; "%.15g" drops float noise (0.30000000000000004).
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, dt.date | dt.time):
        return _date_text(value)
    return "" if value is None else str(value).strip()


def _date_text(value: dt.date | dt.time) -> str:
    if isinstance(value, dt.datetime):
        midnight = value.time() == dt.time(0, 0)
        return value.strftime("%d/%m/%Y" if midnight else "%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _trim(row: list[str]) -> list[str]:
    while row and not row[-1]:
        row.pop()
    return row


# ---------------------------------------------------------------------------- headers


@dataclass(frozen=True)
class Column:
    """A column an importer expects, found by its header whatever the case, accents or spaces."""

    key: str
    label: str  # the Vietnamese header, as in the template and in error messages
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""  # one line for the upload page and the template's instructions

    def header_keys(self) -> set[str]:
        return {header_key(name) for name in (self.label, self.key, *self.aliases)}


def header_key(text: str) -> str:
    """ "Mã xã/phường (*)", "ma_xa phuong" -> "maxaphuong": letters and digits, folded."""
    text = re.sub(r"\([^)]*\)", "", text)
    return "".join(ch for ch in fold(text) if ch.isalnum())


class MissingColumnsError(SpreadsheetError):
    def __init__(self, missing: list[Column], header_row: int) -> None:
        names = ", ".join(f"“{column.label}”" for column in missing)
        super().__init__(
            f"Dòng tiêu đề (dòng {header_row}) thiếu cột {names}. "
            "Hãy thêm cột đó hoặc dùng tệp mẫu."
        )
        self.missing = missing
        self.header_row = header_row


def map_header(header_row: Sequence[str], columns: Iterable[Column]) -> dict[str, int]:
    """{column key: index in the row} for every column found; the first match wins.

    Raises MissingColumnsError (row number 1) naming every required column not found.
    """
    found, missing = _match(header_row, list(columns))
    if missing:
        raise MissingColumnsError(missing, 1)
    return found


def find_header_any_font(
    rows: Sequence[Sequence[str]], columns: Sequence[Column]
) -> tuple[int, dict[str, int], list[str]]:
    """`find_header`, also when the titles themselves were typed in a legacy font (TCVN3,
    VNI); the last item is the notice to show the user in that case."""
    try:
        index, mapping = find_header(rows, columns)
        return index, mapping, []
    except SpreadsheetError:
        top = [[legacy_text.convert_cell(cell)[0] for cell in row] for row in rows[:10]]
        if top == [list(row) for row in rows[:10]]:
            raise
        index, mapping = find_header(top, columns)
        return (
            index,
            mapping,
            ["Dòng tiêu đề được gõ bằng phông chữ cũ (TCVN3/VNI) và đã được đọc lại bằng Unicode."],
        )


def find_header(
    rows: Sequence[Sequence[str]], columns: Iterable[Column], *, search_rows: int = 10
) -> tuple[int, dict[str, int]]:
    """The header row among the first rows (a title often sits above it) and its mapping.

    A header of two rows, where a merged cell spans a group of sub-headers ("Hoàn cảnh đặc
    biệt" over "Khuyết tật", "Dân tộc thiểu số"...), is read as one: each column takes its
    lower cell, or the upper one where the lower is empty (a cell merged downwards).

    Returns (0-based index of the header's last row, mapping). Raises MissingColumnsError for
    the row that matched the most columns when none has every required one.
    """
    wanted = list(columns)
    best: tuple[int, int, list[Column]] | None = None
    for top, row in enumerate(rows[:search_rows]):
        found, missing = _match(row, wanted)
        if not found:
            continue
        index = top
        if top + 1 < len(rows):
            below = rows[top + 1]
            joined = [
                (below[i] if i < len(below) else "") or (row[i] if i < len(row) else "")
                for i in range(max(len(row), len(below)))
            ]
            found_joined, missing_joined = _match(joined, wanted)
            # A data row below a one-row header only hides header cells, never adds columns.
            if len(found_joined) > len(found) and len(missing_joined) <= len(missing):
                index, found, missing = top + 1, found_joined, missing_joined
        if not missing:
            return index, found
        if best is None or len(found) > best[1]:
            best = (index, len(found), missing)
    if best is None:
        labels = ", ".join(f"“{column.label}”" for column in wanted if column.required)
        raise SpreadsheetError(
            f"Không tìm thấy dòng tiêu đề trong {search_rows} dòng đầu. "
            f"Dòng tiêu đề cần có các cột {labels}; hãy dùng tệp mẫu."
        )
    raise MissingColumnsError(best[2], best[0] + 1)


def _match(row: Sequence[str], columns: list[Column]) -> tuple[dict[str, int], list[Column]]:
    keys = [header_key(cell) for cell in row]
    found: dict[str, int] = {}
    for column in columns:
        accepted = column.header_keys()
        index = next((i for i, key in enumerate(keys) if key and key in accepted), None)
        if index is not None:
            found[column.key] = index
    missing = [column for column in columns if column.required and column.key not in found]
    return found, missing


# ---------------------------------------------------------------------------- writing

# A cell starting with one of these is run as a formula by Excel or LibreOffice
# (CSV/formula injection), so such text is written with a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MAX_WIDTH = 60


def safe_cell(value: object) -> object:
    """A value openpyxl will store as data, never as a formula or an invalid character."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        return "'" + text if text.startswith(_FORMULA_STARTS) else text
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Excel has no time zones: keep the wall-clock time the caller localised to.
        return value.replace(tzinfo=None)
    return value


def safe_csv_row(values: Iterable[object]) -> list[object]:
    """One CSV row for `csv.writer`, with text that would run as a formula neutralised the
    way `write_xlsx` does it; numbers stay numbers, a negative one included."""
    return [safe_cell(value) for value in values]


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _width(value: object) -> int:
    if isinstance(value, dt.date):
        return 16 if isinstance(value, dt.datetime) else 11
    return max((len(line) for line in str(value).splitlines()), default=0)


def write_xlsx(
    sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[object]]]],
    *,
    drop_downs: Mapping[str, Mapping[int, Sequence[str]]] | None = None,
    drop_down_rows: int = 5000,
) -> bytes:
    """An xlsx file with one sheet per (title, header, rows): bold frozen header, fitted widths.

    `drop_downs` gives, by sheet title, the columns (0-based) whose cells below the header
    offer a list of values to pick from, for the first `drop_down_rows` rows.
    """
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(_sheet_title(title, used))
        sheet.freeze_panes = "A2"
        for index, values in (drop_downs or {}).get(title, {}).items():
            sheet.data_validations.append(_drop_down(index, values, drop_down_rows))
        cleaned = [[safe_cell(value) for value in row] for row in rows]
        for index, label in enumerate(header, start=1):
            widest = max(
                [len(label), *(_width(row[index - 1]) for row in cleaned if len(row) >= index)]
            )
            sheet.column_dimensions[get_column_letter(index)].width = min(_MAX_WIDTH, widest + 2)
        header_cells = []
        for label in header:
            cell = WriteOnlyCell(sheet, value=safe_cell(label))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in cleaned:
            sheet.append([_dated(sheet, value) for value in row])
    if not used:
        workbook.create_sheet("Sheet")
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _dated(sheet: object, value: object) -> object:
    if not isinstance(value, dt.date):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "DD/MM/YYYY HH:MM" if isinstance(value, dt.datetime) else "DD/MM/YYYY"
    return cell


def _drop_down(index: int, values: Sequence[str], rows: int) -> DataValidation:
    letter = get_column_letter(index + 1)
    # An inline list: Excel allows 255 characters, plenty for coded columns.
    listed = ",".join(value.replace(",", " ").replace('"', "") for value in values)
    validation = DataValidation(
        type="list",
        formula1=f'"{listed}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Giá trị không hợp lệ",
        error="Hãy chọn một giá trị trong danh sách: " + ", ".join(values),
    )
    validation.add(f"{letter}2:{letter}{rows + 1}")
    return validation


def with_error_column(
    table: Sequence[Sequence[str]], errors: Iterable[RowError], *, header_row: int = 1
) -> tuple[list[str], list[list[object]]]:
    """The table read from a file, with a "Lỗi" column after its last one saying what is
    wrong on each row: (first row, the rows after it), ready for `write_xlsx`.

    Problems with the whole file (row 0) are put on the header row, under "Lỗi".
    """
    by_row: dict[int, list[str]] = {}
    for error in errors:
        text = f"{error.column}: {error.message}" if error.column else error.message
        by_row.setdefault(error.row or header_row, []).append(text)
    width = max((len(row) for row in table), default=0)
    out: list[list[object]] = []
    for number in range(1, max([len(table), header_row, *by_row]) + 1):
        cells: list[object] = list(table[number - 1]) if number <= len(table) else []
        cells += [""] * (width - len(cells))
        notes = by_row.get(number, [])
        cells.append("\n".join(["Lỗi", *notes] if number == header_row else notes))
        out.append(cells)
    return [str(cell) for cell in out[0]], out[1:]
