"""Real spreadsheet files for tests, written by the libraries people's software uses."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Sequence

import openpyxl
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

Rows = Sequence[Sequence[object]]


def xlsx(rows: Rows, *, title: str = "Danh sách") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None and value != "":
                sheet.cell(row=r, column=c, value=value)  # type: ignore[arg-type]
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def xls(rows: Rows) -> bytes:
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Danh sach")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None and value != "":
                sheet.write(r, c, value)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def ods(rows: Rows) -> bytes:
    document = OpenDocumentSpreadsheet()
    table = Table(name="Danh sách")
    for row in rows:
        table_row = TableRow()
        for value in row:
            if isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.strftime("%d/%m/%Y")))
            elif isinstance(value, bool | str) or value is None:
                cell = TableCell(valuetype="string")
                if value:
                    cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            table_row.addElement(cell)
        table.addElement(table_row)
    document.spreadsheet.addElement(table)
    output = io.BytesIO()
    document.write(output)
    return output.getvalue()


def csv_bytes(rows: Rows, *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    import csv

    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(
        [["" if value is None else value for value in row] for row in rows]
    )
    if encoding == "cp1258":
        return _cp1258(text.getvalue())
    return text.getvalue().encode(encoding)


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: letters like ơ whole, tone marks apart."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        try:
            out.append(char.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in _TONES))
        out.append((letter + "".join(m for m in marks if m in _TONES)).encode("cp1258"))
    return b"".join(out)


# The first bytes of a real PDF: what a user uploads by mistake after renaming it .xlsx.
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
