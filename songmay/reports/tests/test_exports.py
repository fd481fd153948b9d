"""The report as files: the seeds' figures in the xlsx, the PDF and the JSON; no small count in
the open-data CSV; the download view's formats and scope."""

import csv
import dataclasses
import io
import json
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.test import RequestFactory
from openpyxl import load_workbook
from pypdf import PdfReader

from songmay.accounts.scope import Role
from songmay.reports.exports import (
    COVER_SHEET,
    DAILY_SHEET,
    MONEY_FORMAT,
    NUMBER_FORMAT,
    campaign_report,
    report_csv,
    report_json,
    report_pdf,
    report_xlsx,
)
from songmay.reports.indicators import Figures, Node
from songmay.reports.report import Drill
from songmay.reports.selectors import SUPPRESSED

SEED_DEVICES = {"desktop": 114, "laptop": 122, "tablet": 119, "smartphone": 651}


@pytest.fixture(scope="module")
def seeds(django_db_setup, django_db_blocker):
    """The demo's province report, built once and kept in memory; the data is rolled back.

    The exports read nothing from the database, so every test below shares this one report
    instead of loading the demo (seconds) again.
    """
    from songmay.areas.models import Area
    from songmay.areas.services import areas_load_official
    from songmay.campaigns.demo import BAC_GIANG, load_demo
    from songmay.campaigns.models import Campaign

    with django_db_blocker.unblock(), transaction.atomic():
        if not Area.objects.filter(code="24").exists():  # a browser test flushed the database
            areas_load_official(actor=None)
        load_demo(students=True, gifts=True)
        campaign = Campaign.objects.select_related("area").get(name=BAC_GIANG)
        report = campaign_report(campaign=campaign)
        report.tables()  # anything lazy is read now, while the data is there
        transaction.set_rollback(True)
    return report


def sheet_values(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def row_of(sheet, label):
    """The cells of the first row whose first cell is `label`."""
    for row in sheet.iter_rows():
        if row[0].value == label:
            return row
    raise AssertionError(f"No row {label!r} in {sheet.title}")


# ---- xlsx ----


def test_xlsx_cover_sheet_shows_the_seeds_figures(seeds):
    book = load_workbook(io.BytesIO(report_xlsx(seeds)))
    assert book.sheetnames[0] == COVER_SHEET
    cover = book[COVER_SHEET]
    assert cover["A1"].value == "SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH BẮC GIANG"
    texts = [value for row in sheet_values(cover) for value in row if isinstance(value, str)]
    assert any(text.startswith("Số liệu đến ") for text in texts)
    assert "Chương trình “Sóng và máy tính cho em” tỉnh Bắc Giang" in texts
    figures = {row[0].value: row[1] for row in cover.iter_rows() if row[0].value}
    assert figures["Học sinh có nhu cầu hỗ trợ"].value == 17_049
    assert figures["Học sinh có nhu cầu hỗ trợ"].number_format == NUMBER_FORMAT
    levels = ("Tiểu học", "Trung học cơ sở", "Trung học phổ thông và GDTX")
    assert [figures[label].value for label in levels] == [11_967, 4_482, 600]
    assert figures["Tiền ủng hộ đã nhận"].value == 977_000_000
    assert figures["Tiền ủng hộ đã nhận"].number_format == MONEY_FORMAT
    assert [figures[label].value for label in (
        "Máy tính để bàn", "Máy tính xách tay", "Máy tính bảng", "Điện thoại thông minh"
    )] == [114, 122, 119, 651]  # fmt: skip


def test_xlsx_has_a_formatted_sheet_per_table(seeds):
    book = load_workbook(io.BytesIO(report_xlsx(seeds)))
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert {"Học sinh có nhu cầu", "Tiền và hiện vật", "Thiết bị", "Còn cần", DAILY_SHEET} <= set(
        book.sheetnames
    )
    assert len(book.sheetnames) == len(seeds.tables()) + 3  # cover, shortfall, daily series

    pupils = book["Học sinh có nhu cầu"]
    assert pupils["A1"].value == "Học sinh có nhu cầu theo cấp học và hoàn cảnh gia đình"
    assert pupils["A1"].font.b
    header = row_of(pupils, "Cấp học")
    assert all(cell.font.b and cell.fill.fgColor.rgb.endswith("DDEBF7") for cell in header)
    assert pupils.freeze_panes == f"B{header[0].row + 1}"
    assert [c.value for c in row_of(pupils, "Tiểu học")][-1] == 11_967
    assert [c.value for c in row_of(pupils, "Trung học cơ sở")][-1] == 4_482
    assert [c.value for c in row_of(pupils, "Trung học phổ thông và GDTX")][-1] == 600
    total = row_of(pupils, "Tổng cộng")
    assert total[-1].value == 17_049
    assert all(cell.font.b for cell in total)
    assert total[-1].number_format == NUMBER_FORMAT
    assert pupils.column_dimensions["A"].width >= len("Trung học phổ thông và GDTX")

    gifts = book["Tiền và hiện vật"]
    money = row_of(gifts, "Tiền ủng hộ đã nhận")
    assert money[1].value == 977_000_000
    assert money[1].number_format == MONEY_FORMAT
    phones = row_of(gifts, "Điện thoại thông minh (đã nhận)")
    assert phones[2].value == 651
    assert phones[2].number_format == NUMBER_FORMAT  # a count, not money

    devices = book["Thiết bị"]
    assert [row_of(devices, label)[1].value for label in
            ("Máy tính để bàn", "Máy tính xách tay", "Máy tính bảng", "Điện thoại thông minh")
            ] == [114, 122, 119, 651]  # fmt: skip

    progress = book["Tiến độ trang bị"]
    assert row_of(progress, "Tổng cộng")[4].number_format == "0.0"

    shortfall = book["Còn cần"]
    assert row_of(shortfall, "Tổng cộng")[3].value == seeds.shortfall.cost
    assert row_of(shortfall, "Tổng cộng")[3].number_format == MONEY_FORMAT
    forecast = book["Dự báo"]
    note = [v for row in sheet_values(forecast) for v in row if isinstance(v, str)][-1]
    assert note.startswith("Tốc độ là số học sinh nhận thiết bị mỗi ngày")


def test_xlsx_daily_sheet_runs_from_the_first_day_to_today(seeds):
    from django.utils import timezone

    daily = load_workbook(io.BytesIO(report_xlsx(seeds)))[DAILY_SHEET]
    header = row_of(daily, "Ngày")
    columns = [cell.value for cell in header]
    assert "Tiền ủng hộ đã nhận (đồng)" in columns
    money = columns.index("Tiền ủng hộ đã nhận (đồng)")
    rows = [row for row in daily.iter_rows(min_row=header[0].row + 1) if row[0].is_date]
    first = min(s.points[0][0] for s in seeds.series if s.points)
    assert rows[0][0].value.date() == first
    assert rows[-1][0].value.date() == timezone.localdate()
    assert rows[-1][money].value == 977_000_000  # the running total, carried to today
    assert rows[-1][money].number_format == MONEY_FORMAT
    assert len(rows) == (timezone.localdate() - first).days + 1


def test_xlsx_text_never_becomes_a_formula(seeds):
    sly = Node("area", 1, '=HYPERLINK("http://x","Bấm")', "/24/99/", "/24/")
    report = dataclasses.replace(seeds, children=[Drill(sly, Figures()), *seeds.children])
    sheet = load_workbook(io.BytesIO(report_xlsx(report)))["Theo địa bàn"]
    cell = row_of(sheet, "'" + sly.name)[0]
    assert cell.data_type == "s"


# ---- PDF ----


def test_pdf_summary_shows_the_seeds_figures_in_vietnamese(seeds):
    pdf = PdfReader(io.BytesIO(report_pdf(seeds)))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH BẮC GIANG" in text
    assert "Chương trình “Sóng và máy tính cho em” tỉnh Bắc Giang" in text
    assert "Số liệu đến " in text
    assert "Học sinh có nhu cầu hỗ trợ 17.049" in text
    for figure in ("11.967", "4.482", "977.000.000 đ", "Trung học phổ thông và GDTX 600"):
        assert figure in text, figure
    for label, count in [("Máy tính để bàn", 114), ("Máy tính xách tay", 122),
                         ("Máy tính bảng", 119), ("Điện thoại thông minh", 651)]:  # fmt: skip
        assert f"{label} {count}" in text, label
    # The charts are drawn, with their Vietnamese titles.
    assert "Học sinh có nhu cầu theo cấp học và hoàn cảnh" in text
    assert "Đã nhận thiết bị theo địa bàn" in text
    assert "Còn cần để đạt 100%" in text
    assert pdf.pages[0].mediabox.width == pytest.approx(595, abs=1)  # A4


# ---- JSON and CSV ----


def test_json_shows_the_seeds_figures(seeds):
    data = json.loads(report_json(seeds))
    assert data["pupils_in_need"]["total"] == 17_049
    assert list(data["pupils_in_need"]["by_level"].values()) == [11_967, 4_482, 600]
    assert data["money"]["received"] == 977_000_000
    assert data["gifts_received"] | SEED_DEVICES == data["gifts_received"]
    assert {kind: data["devices"][kind]["total"] for kind in SEED_DEVICES} == SEED_DEVICES
    assert "Bắc Giang" in report_json(seeds)  # UTF-8, not \u escapes


def csv_rows(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_gives_the_public_aggregates_by_area(seeds):
    rows = csv_rows(report_csv(seeds))
    assert rows[0] == [
        "Địa bàn / trường",
        "Học sinh có nhu cầu",
        "Cần thiết bị",
        "Đã nhận thiết bị",
    ]
    assert rows[-1] == ["Tổng cộng", "17049", "17049", "0"]
    assert len(rows) == len(seeds.children) + 2
    assert sum(int(row[1]) for row in rows[1:-1]) == 17_049


def _figures(pupils, needing, equipped):
    f = Figures()
    f.pupils[("primary", "poor")] = pupils
    f.lacking_device["primary"] = needing
    f.equipped["primary"] = equipped
    return f


def test_csv_never_shows_a_count_from_one_to_four(seeds):
    counts = [(3, 3, 1), (40, 12, 4), (25, 20, 9), (6, 2, 0), (1, 0, 0)]
    children = [
        Drill(Node("area", i, f"Xã {i}", f"/24/{i}/", "/24/"), _figures(*c))
        for i, c in enumerate(counts)
    ]
    report = dataclasses.replace(seeds, children=children)
    rows = csv_rows(report_csv(report))
    cells = [cell for row in rows[1:] for cell in row[1:]]
    assert not [cell for cell in cells if cell.isdigit() and 1 <= int(cell) <= 4]
    assert SUPPRESSED in cells
    # The complementary counts hide the small ones: no column gives them away by subtraction.
    for column in range(1, 4):
        shown = [row[column] for row in rows[1:]]
        hidden = Counter(cell for cell in shown if not cell.isdigit())
        assert sum(hidden.values()) != 1, shown


def test_csv_of_a_school_hides_its_own_small_counts(seeds):
    school = Node("school", 9, "Trường Tiểu học Nhỏ", "/24/9/", "/24/9/")
    report = dataclasses.replace(seeds, node=school, children=[], figures=_figures(3, 2, 1))
    rows = csv_rows(report_csv(report))
    assert rows[1] == ["Trường Tiểu học Nhỏ", SUPPRESSED, SUPPRESSED, SUPPRESSED]


# ---- The download view ----


@pytest.fixture
def download(gifts):
    from songmay.reports.export_views import report_export

    def get(user, fmt, **query):
        request = RequestFactory().get("/", query)
        request.user = user
        return report_export(request, gifts["campaign"].pk, fmt)

    return get


@pytest.mark.parametrize(
    ("fmt", "content_type", "disposition"),
    [
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment"),
        ("pdf", "application/pdf", "inline"),
        ("csv", "text/csv; charset=utf-8", "attachment"),
        ("json", "application/json; charset=utf-8", "attachment"),
    ],
)
def test_download_gives_each_format(download, gifts, fmt, content_type, disposition):
    response = download(gifts["officer"], fmt)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith(f"{disposition}; filename=")
    assert "bao-cao-bac-ninh-" in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith(f'.{fmt}"')


def test_download_of_an_area_in_scope(download, gifts, place, make_user):
    officer = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    data = json.loads(download(officer, "json").content)
    assert data["place"]["name"] == place["communes"]["lucngan"].name
    with pytest.raises(Http404):
        download(officer, "json", area=str(place["communes"]["sondong"].pk))
    with pytest.raises(Http404):
        download(officer, "json", area="abc")


def test_download_is_404_outside_the_scope_and_403_without_the_feature(
    download, gifts, place, make_user
):
    from songmay.campaigns.demo import load_demo
    from songmay.donations.models import Donor

    with pytest.raises(Http404):
        download(make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]), "xlsx")
    with pytest.raises(Http404):
        download(gifts["officer"], "docx")
    load_demo(students=False)
    with pytest.raises(PermissionDenied):
        download(make_user(Role.DONOR, donor=Donor.objects.first()), "xlsx")
