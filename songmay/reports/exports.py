"""The report of a place as files: a formatted xlsx to send upward, a printable PDF summary with
the charts, open-data CSV of the public aggregates, and the indicators as JSON.

Plain functions over a `Report` (songmay.reports.report): the download view, the API, the
`export_report` command and the weekly e-mail all call them, so every copy shows the same figures.
`campaign_report` builds the report for the system (commands, the weekly e-mail), without a user.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from songmay.areas.models import Area, School
from songmay.campaigns.models import Campaign
from songmay.lib.charts import format_date, format_number, format_percent
from songmay.lib.errors import DomainError
from songmay.lib.money import format_vnd
from songmay.lib.pdf import render_pdf
from songmay.lib.spreadsheet import safe_cell, safe_csv_row
from songmay.lib.vietnamese import fold
from songmay.reports.charts import report_charts
from songmay.reports.dashboards import Place, area_node, campaign_root
from songmay.reports.indicators import DEVICE_TYPES, LEVEL_GROUPS, Node
from songmay.reports.report import Cell, Report, Table
from songmay.reports.selectors import suppress_small
from songmay.reports.series import SERIES_LABELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {
    "xlsx": XLSX,
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
FORMATS = tuple(CONTENT_TYPES)

# Sheet names (Excel allows 31 characters) for each table of the report; the others (by area,
# or the schools of an area) are named by their own short title.
SHEET_NAMES = {
    "pupils": "Học sinh có nhu cầu",
    "progress": "Tiến độ trang bị",
    "gifts": "Tiền và hiện vật",
    "devices": "Thiết bị",
    "connectivity": "Kết nối",
    "forecast": "Dự báo",
    "shortfall": "Còn cần",
}
COVER_SHEET = "Tổng hợp"
DAILY_SHEET = "Theo ngày"
MONEY_SERIES = frozenset({"money_received", "money_spent"})
REPORT_HEADING = "Báo cáo tiến độ trang bị thiết bị học trực tuyến cho học sinh"

NUMBER_FORMAT = "#,##0"
MONEY_FORMAT = '#,##0 "đ"'
PERCENT_FORMAT = "0.0"
DECIMAL_FORMAT = "#,##0.0"
DATE_FORMAT = "DD/MM/YYYY"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_SUBTITLE = Font(italic=True, color="595959")
_NOTE = Font(italic=True, color="595959", size=10)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
_MAX_WIDTH = 60
_HEADER_WIDTH = 18  # headers wrap beyond this many characters


# ---- Building the report without a user ----


def campaign_report(
    *, campaign: Campaign, area: Area | None = None, school: School | None = None
) -> Report:
    """The report of the campaign's area (or an area or school inside it), with national scope.

    For commands and the weekly e-mail, which act as the system; pages and the API go through
    `dashboards.dashboard_report`, which limits the place to the user's scope.
    """
    root = campaign_root(campaign)
    node = root
    if school is not None:
        if not school.area.path.startswith(root.path):
            raise DomainError(f"Trường “{school.name}” không thuộc địa bàn của chương trình.")
        node = Node("school", school.pk, school.name, school.area.path, school.area.path)
    elif area is not None:
        if not area.path.startswith(root.path):
            raise DomainError(f"“{area.name}” không thuộc địa bàn của chương trình.")
        node = area_node(area)
    return Place(campaign, node).report()


# ---- What every copy shows first ----


@dataclass(frozen=True)
class KeyFigure:
    """One line of the summary: the cover sheet, the PDF's first page, the weekly e-mail."""

    label: str
    value: Cell
    kind: str = "number"  # "number", "money", "percent" or "text"
    indent: bool = False

    @property
    def text(self) -> str:
        """The value as Vietnamese write it: 17.049; 977.000.000 đ; 12,5 %."""
        if self.value is None:
            return "—"
        if isinstance(self.value, str):
            return self.value
        if self.kind == "money":
            return format_vnd(int(self.value))
        if self.kind == "percent" and isinstance(self.value, float):
            return f"{self.value:.1f} %".replace(".", ",")
        if self.kind == "percent":
            return f"{self.value} %"
        return format_number(int(self.value))


def as_of(report: Report) -> str:
    """ "Số liệu đến 25/11/2021 20:27", in Vietnam's time."""
    return f"Số liệu đến {timezone.localtime(report.computed_at):%d/%m/%Y %H:%M}"


def place_of(report: Report) -> str:
    return " › ".join(node.name for node in report.trail)


def forecast_text(report: Report) -> str:
    pace = report.pace
    if pace.reached:
        return f"Đã đạt mục tiêu {report.target_percent}%"
    if pace.reached_on is None:
        return "Chưa dự báo được (chưa có bàn giao trong thời gian gần đây)"
    return format_date(pace.reached_on)


def key_figures(report: Report) -> list[KeyFigure]:
    f = report.figures
    figures = [KeyFigure("Học sinh có nhu cầu hỗ trợ", f.pupils_in_need)]
    figures += [
        KeyFigure(label, f.pupils_by_level(levels), indent=True)
        for _key, label, levels in LEVEL_GROUPS
    ]
    figures += [
        KeyFigure("Học sinh cần thiết bị", f.needing_device),
        KeyFigure("Đã nhận thiết bị", f.equipped_total),
        KeyFigure(
            "Tỷ lệ đã trang bị (%)",
            round(100 * f.equipped_total / f.needing_device, 1) if f.needing_device else None,
            "percent",
        ),
        KeyFigure("Còn thiếu thiết bị", f.still_lacking_device),
        KeyFigure("Mục tiêu (%)", report.target_percent, "percent"),
        KeyFigure("Dự kiến đạt mục tiêu", forecast_text(report), "text"),
    ]
    if report.campaign_wide:
        figures += [
            KeyFigure("Tiền ủng hộ đã nhận", report.money_received, "money"),
            KeyFigure("Tiền đã chi", report.money_spent, "money"),
            KeyFigure("Số dư", report.money_received - report.money_spent, "money"),
            KeyFigure("Thiết bị đã nhận (hiện vật)", None, "text"),
        ]
        figures += [
            KeyFigure(label, report.gifts_received.get(kind, 0), indent=True)
            for kind, label in DEVICE_TYPES
            if report.gifts_received.get(kind) or kind != "router_4g"
        ]
    figures += [
        KeyFigure("Còn cần thiết bị để đạt mục tiêu", sum(report.shortfall.devices.values())),
        KeyFigure("Ước tính kinh phí còn cần", report.shortfall.cost, "money"),
    ]
    return figures


def report_filename(report: Report, fmt: str) -> str:
    """ "bao-cao-bac-ninh-20211125.xlsx": ASCII, so every mail client and browser keeps it."""
    place = re.sub(r"[^a-z0-9]+", "-", fold(report.node.name)).strip("-") or "chuong-trinh"
    stamp = timezone.localtime(report.computed_at).strftime("%Y%m%d")
    return f"bao-cao-{place}-{stamp}.{fmt}"


# ---- xlsx ----


def _number_format(kind: str, value: Cell) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if kind == "money":
        return MONEY_FORMAT
    if kind == "percent":
        return PERCENT_FORMAT if isinstance(value, float) else "0"
    return DECIMAL_FORMAT if isinstance(value, float) else NUMBER_FORMAT


def _shown_width(kind: str, value: Cell) -> int:
    """About how many characters Excel shows for a value in its format."""
    if value is None:
        return 0
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
        return len(text) + (2 if kind == "money" else 0)
    return len(str(value))


def _put(sheet: Worksheet, row: int, column: int, value: Cell, kind: str = "number") -> None:
    cell = sheet.cell(row=row, column=column, value=safe_cell(value))
    number_format = _number_format(kind, value)
    if number_format:
        cell.number_format = number_format


def _heading(sheet: Worksheet, report: Report, title: str) -> None:
    sheet["A1"] = safe_cell(title)
    sheet["A1"].font = _TITLE
    sheet["A2"] = safe_cell(f"{report.campaign.name} – {place_of(report)}. {as_of(report)}.")
    sheet["A2"].font = _SUBTITLE


def _print_setup(sheet: Worksheet, columns: int, header_row: int) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if columns > 5 else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"


def _write_table(
    sheet: Worksheet,
    report: Report,
    *,
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    kinds: Sequence[str],
    total: Sequence[Cell] | None = None,
    note: str = "",
) -> None:
    """Title, bold header on a fill, numbers in their formats, bold totals, the note below."""
    _heading(sheet, report, title)
    header_row = 4
    widths = [min(len(column), _HEADER_WIDTH) for column in columns]
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=header_row, column=index, value=safe_cell(column))
        cell.font, cell.fill, cell.alignment, cell.border = _BOLD, _HEADER_FILL, _HEADER_ALIGN, _BOX
    body = [(list(row), False) for row in rows]
    if total:
        body.append((list(total), True))
    for offset, (values, is_total) in enumerate(body, start=1):
        for index, value in enumerate(values, start=1):
            kind = kinds[index - 1] if index - 1 < len(kinds) else "number"
            _put(sheet, header_row + offset, index, value, kind)
            cell = sheet.cell(row=header_row + offset, column=index)
            cell.border = _BOX
            if is_total:
                cell.font, cell.fill = _BOLD, _TOTAL_FILL
            if index == 1:
                cell.alignment = _WRAP
            widths[index - 1] = max(widths[index - 1], _shown_width(kind, value))
    if not body:
        sheet.cell(row=header_row + 1, column=1, value="Chưa có số liệu.").font = _NOTE
    last = header_row + max(len(body), 1)
    if note:
        sheet.cell(row=last + 2, column=1, value=safe_cell(note)).font = _NOTE
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(_MAX_WIDTH, width + 3)
    sheet.row_dimensions[header_row].height = 15 * max(
        1, *(-(-len(column) // _HEADER_WIDTH) for column in columns)
    )
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)
    _print_setup(sheet, len(columns), header_row)


def _table_sheet(workbook: Workbook, report: Report, table: Table) -> None:
    name = SHEET_NAMES.get(table.key) or table.title
    sheet = workbook.create_sheet(_sheet_name(name, workbook.sheetnames))
    _write_table(
        sheet,
        report,
        title=table.title,
        columns=table.columns,
        rows=table.rows,
        kinds=[table.kind_of(i) for i in range(len(table.columns))],
        total=table.total,
        note=table.note,
    )


def _sheet_name(name: str, taken: Sequence[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Bảng"
    candidate, n = base, 2
    while candidate.lower() in {t.lower() for t in taken}:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    return candidate


def _cover_sheet(sheet: Worksheet, report: Report, contents: Sequence[tuple[str, str]]) -> None:
    sheet.title = COVER_SHEET
    department = report.campaign.focal_point or ""
    lines: list[tuple[str, Font]] = [
        (department.upper(), _BOLD),
        (REPORT_HEADING.upper(), _TITLE),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        sheet.cell(row=row, column=1, value=safe_cell(text)).font = font
    details = [
        ("Chương trình", report.campaign.name),
        ("Địa bàn", place_of(report)),
        ("Giai đoạn", f"{report.phase_label.capitalize()}, mục tiêu {report.target_percent}%"),
    ]
    row = 4
    for label, value in details:
        sheet.cell(row=row, column=1, value=label).font = _BOLD
        sheet.cell(row=row, column=2, value=safe_cell(value)).alignment = _WRAP
        row += 1
    sheet.cell(row=row, column=1, value=as_of(report)).font = _SUBTITLE
    row += 2
    header_row = row
    for column, label in enumerate(("Chỉ tiêu", "Số liệu"), start=1):
        cell = sheet.cell(row=row, column=column, value=label)
        cell.font, cell.fill, cell.alignment, cell.border = _BOLD, _HEADER_FILL, _HEADER_ALIGN, _BOX
    for figure in key_figures(report):
        row += 1
        label = sheet.cell(row=row, column=1, value=safe_cell(figure.label))
        label.alignment = Alignment(indent=2 if figure.indent else 0, wrap_text=True)
        label.border = _BOX
        if not figure.indent:
            label.font = _BOLD
        _put(sheet, row, 2, figure.value, figure.kind)
        value = sheet.cell(row=row, column=2)
        value.border = _BOX
        if figure.kind == "text":
            value.alignment = Alignment(horizontal="right", wrap_text=True)
    row += 2
    sheet.cell(row=row, column=1, value="Các trang trong tệp").font = _BOLD
    for name, title in contents:
        row += 1
        sheet.cell(row=row, column=1, value=safe_cell(name))
        sheet.cell(row=row, column=2, value=safe_cell(title))
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 62
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    _print_setup(sheet, 2, header_row)


def _daily_sheet(workbook: Workbook, report: Report) -> None:
    sheet = workbook.create_sheet(DAILY_SHEET)
    starts = [series.points[0][0] for series in report.series if series.points]
    columns = ["Ngày", *[SERIES_LABELS.get(s.name, s.name) for s in report.series]]
    kinds = ["text", *["money" if s.name in MONEY_SERIES else "number" for s in report.series]]
    rows: list[list[Cell]] = []
    days: list[dt.date] = []
    if starts:
        start, end = min(starts), max(timezone.localdate(), *starts)
        daily = [series.daily(start, end) for series in report.series]
        days = [day for day, _value in daily[0]]
        rows = [[None, *(values[i][1] for values in daily)] for i in range(len(days))]
    _write_table(
        sheet,
        report,
        title="Số liệu cộng dồn theo ngày",
        columns=columns,
        rows=rows,
        kinds=kinds,
        note="Mỗi cột là tổng cộng dồn đến hết ngày; ngày không có thay đổi giữ số của ngày trước.",
    )
    for offset, day in enumerate(days, start=5):
        cell = sheet.cell(row=offset, column=1, value=day)
        cell.number_format = DATE_FORMAT
    sheet.column_dimensions["A"].width = 12


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook to send upward: a summary, one sheet per table, the shortfall
    and the daily series."""
    workbook = Workbook()
    tables = [*report.tables(), report.shortfall_table()]
    cover = workbook.worksheets[0]  # a new workbook's one sheet
    for table in tables:
        _table_sheet(workbook, report, table)
    _daily_sheet(workbook, report)
    contents = [(sheet.title, str(sheet["A1"].value)) for sheet in workbook.worksheets[1:]]
    _cover_sheet(cover, report, contents)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


# ---- PDF ----


def _display_cell(value: Cell, kind: str) -> str:
    if value is None:
        return "—" if kind != "text" else ""
    if isinstance(value, str):
        return value
    if kind == "percent":
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return format_number(value)


@dataclass(frozen=True)
class _ShownTable:
    title: str
    columns: list[str]
    rows: list[list[str]]
    total: list[str] | None
    note: str
    wide: bool


def _shown(table: Table) -> _ShownTable:
    kinds = [table.kind_of(i) for i in range(len(table.columns))]

    def cells(row: Sequence[Cell]) -> list[str]:
        return [_display_cell(value, kinds[i]) for i, value in enumerate(row)]

    return _ShownTable(
        table.title,
        table.columns,
        [cells(row) for row in table.rows],
        cells(table.total) if table.total else None,
        table.note,
        len(table.columns) > 6,
    )


def report_pdf(report: Report) -> bytes:
    """An A4 summary to print: the key figures, the charts, then the tables."""
    f = report.figures
    context = {
        "report": report,
        "department": report.campaign.focal_point,
        "heading": REPORT_HEADING,
        "place": place_of(report),
        "as_of": as_of(report),
        "key_figures": key_figures(report),
        "equipped_percent": format_percent(f.equipped_total, f.needing_device),
        "charts": report_charts(report),
        "tables": [_shown(table) for table in [*report.tables(), report.shortfall_table()]],
    }
    return render_pdf("reports/report_pdf.html", context)


# ---- Open data and JSON ----

CSV_COLUMNS = ["Địa bàn / trường", "Học sinh có nhu cầu", "Cần thiết bị", "Đã nhận thiết bị"]


def report_csv(report: Report) -> str:
    """Open data: the public aggregates by place, each count from 1 to 4 hidden ("<5"), with the
    counts that would give it away; UTF-8 with a byte-order mark, so Excel reads Vietnamese."""
    measures = [
        [child.figures.pupils_in_need for child in report.children],
        [child.figures.needing_device for child in report.children],
        [child.figures.equipped_total for child in report.children],
    ]
    shown = [suppress_small(counts) for counts in measures]
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for i, child in enumerate(report.children):
        writer.writerow(safe_csv_row([child.node.name, *(cells[i] for cells, _total in shown)]))
    if report.children:
        writer.writerow(["Tổng cộng", *(total for _cells, total in shown)])
    else:  # a school: its own figures, under the same rule
        f = report.figures
        counts = (f.pupils_in_need, f.needing_device, f.equipped_total)
        writer.writerow(
            safe_csv_row([report.node.name, *(suppress_small([count])[1] for count in counts)])
        )
    return "\ufeff" + output.getvalue()


def report_json(report: Report) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, indent=2)


def report_file(report: Report, fmt: str) -> bytes:
    """The report in one of FORMATS, as the bytes of the file."""
    if fmt == "xlsx":
        return report_xlsx(report)
    if fmt == "pdf":
        return report_pdf(report)
    if fmt == "csv":
        return report_csv(report).encode("utf-8")
    if fmt == "json":
        return report_json(report).encode("utf-8")
    raise ValueError(f"Unknown format {fmt!r}")
