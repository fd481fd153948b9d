"""The files exchanged with operators: a batch of requests out (CSV with a BOM, so Excel
reads the Vietnamese, or xlsx), and the results file back, read into plain lines.

The operator fills in the last three columns of the file it downloaded and sends it back.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from songmay.lib.phones import InvalidMobile, parse_mobile
from songmay.lib.spreadsheet import (
    Column,
    RowError,
    SpreadsheetError,
    find_header,
    read_table,
    safe_csv_row,
    write_xlsx,
)
from songmay.lib.vietnamese import fold

HEADER = [
    "Mã yêu cầu", "Số điện thoại", "Gói cước", "Số tháng", "Ngày đồng ý",
    "Kết quả", "Ngày kích hoạt", "Lý do",
]  # fmt: skip
COLUMNS = [
    Column("request_id", "Mã yêu cầu", required=True, aliases=("ma", "id")),
    Column("phone", "Số điện thoại", aliases=("so dien thoai", "phone", "thue bao")),
    Column("result", "Kết quả", required=True, aliases=("result",)),
    Column("activated_on", "Ngày kích hoạt", aliases=("activated_on",)),
    Column("reason", "Lý do", aliases=("reason", "ly do khong kich hoat")),
]
RESULT_HELP = "Ghi “kích hoạt” hoặc “không”."
_ACTIVATED = {"kich hoat", "da kich hoat", "thanh cong", "activated", "active", "co"}
_FAILED = {"khong", "khong kich hoat", "that bai", "failed", "khong duoc"}


@dataclass(frozen=True)
class ExportRow:
    request_id: int
    phone: str  # E.164
    package: str
    months: int
    consent_on: dt.date | None


@dataclass(frozen=True)
class ResultLine:
    """One line of results: the request it answers, activated (with the date) or not (why)."""

    row: int  # the line as Excel shows it, for error messages
    request_id: int
    activated: bool
    activated_on: dt.date | None = None
    reason: str = ""
    phone: str = ""  # E.164, "" when the operator left it out


def _national(e164: str) -> str:
    return "0" + e164[3:] if e164.startswith("+84") else e164


def _cells(row: ExportRow) -> list[object]:
    return [row.request_id, _national(row.phone), row.package, row.months, row.consent_on]


def batch_csv(rows: Iterable[ExportRow]) -> bytes:
    """The batch as CSV in UTF-8 with a BOM; dates as dd/mm/yyyy."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_csv_row(HEADER))
    for row in rows:
        cells = _cells(row)
        cells[4] = row.consent_on.strftime("%d/%m/%Y") if row.consent_on else ""
        writer.writerow(safe_csv_row([*cells, "", "", ""]))
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def batch_xlsx(rows: Iterable[ExportRow], title: str = "Yêu cầu") -> bytes:
    body: Sequence[Sequence[object]] = [[*_cells(row), "", "", ""] for row in rows]
    return write_xlsx([(title, HEADER, body)], drop_downs={title: {5: ["kích hoạt", "không"]}})


def parse_date(text: str) -> dt.date:
    """dd/mm/yyyy (or yyyy-mm-dd, as some systems write); ValueError otherwise."""
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y %H:%M"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date only)
        except ValueError:
            continue
    raise ValueError(text)


def result_value(text: str) -> bool | None:
    """True for "kích hoạt", False for "không", None when neither."""
    folded = " ".join(fold(text).replace("_", " ").split())
    if folded in _ACTIVATED:
        return True
    if folded in _FAILED:
        return False
    return None


def check_line(
    row: int, *, request_id: str, result: str, activated_on: str, reason: str, phone: str = ""
) -> tuple[ResultLine | None, list[RowError]]:
    """One line's values checked alone (format only; the requests are checked by the service)."""
    errors: list[RowError] = []
    number = request_id.strip()
    if not (number.isascii() and number.isdigit()):  # "²".isdigit() is true
        errors.append(RowError(row, "Mã yêu cầu", "Mã yêu cầu phải là số, như trong tệp đã tải."))
    activated = result_value(result)
    if activated is None:
        errors.append(RowError(row, "Kết quả", f"“{result}” không rõ nghĩa. {RESULT_HELP}"))
    day = None
    if activated and not activated_on.strip():
        errors.append(RowError(row, "Ngày kích hoạt", "Thiếu ngày kích hoạt (dd/mm/yyyy)."))
    elif activated_on.strip():
        try:
            day = parse_date(activated_on)
        except ValueError:
            errors.append(
                RowError(
                    row,
                    "Ngày kích hoạt",
                    f"“{activated_on}” không phải ngày; "
                    "hãy viết dạng dd/mm/yyyy, ví dụ 21/09/2021.",
                )
            )
    if activated is False and not reason.strip():
        errors.append(RowError(row, "Lý do", "Thiếu lý do không kích hoạt được."))
    e164 = ""
    if phone.strip():
        try:
            e164 = parse_mobile(phone)
        except InvalidMobile as error:
            errors.append(RowError(row, "Số điện thoại", error.message))
    if errors or activated is None:
        return None, errors
    line = ResultLine(
        row=row, request_id=int(number), activated=activated,
        activated_on=day if activated else None, reason=reason.strip(), phone=e164,
    )  # fmt: skip
    return line, []


def read_results(data: bytes, filename: str) -> tuple[list[ResultLine], list[RowError]]:
    """The results file's lines that read well, and every line's format errors."""
    try:
        table = read_table(data, filename)
        header_index, columns = find_header(table, COLUMNS)
    except SpreadsheetError as error:
        return [], [RowError(0, "", error.message)]
    lines: list[ResultLine] = []
    errors: list[RowError] = []
    for index in range(header_index + 1, len(table)):
        cells = table[index]
        if not any(cells):
            continue

        def cell(key: str, cells: list[str] = cells) -> str:
            at = columns.get(key)
            return cells[at] if at is not None and at < len(cells) else ""

        line, problems = check_line(
            index + 1, request_id=cell("request_id"), result=cell("result"),
            activated_on=cell("activated_on"), reason=cell("reason"), phone=cell("phone"),
        )  # fmt: skip
        errors += problems
        if line is not None:
            lines.append(line)
    return lines, errors
