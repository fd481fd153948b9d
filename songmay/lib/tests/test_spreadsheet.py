import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from songmay.lib.spreadsheet import (
    Column,
    MissingColumnsError,
    SpreadsheetError,
    cell_text,
    check_upload,
    find_header,
    iter_table,
    map_header,
    read_table,
    write_xlsx,
)
from songmay.lib.tests import builders

ROWS = [
    ["Mã trường", "Tên trường", "Ngày thành lập", "Mã xã"],
    [24710101, "Trường Tiểu học Lục Ngạn", dt.date(2021, 9, 12), 7582],
    [],
    ["TH-02", "  Trường THCS Sơn Động  ", None, "07615"],
]
EXPECTED = [
    ["Mã trường", "Tên trường", "Ngày thành lập", "Mã xã"],
    ["24710101", "Trường Tiểu học Lục Ngạn", "12/09/2021", "7582"],
    [],
    ["TH-02", "Trường THCS Sơn Động", "", "07615"],
]


@pytest.mark.parametrize(
    ("build", "name"),
    [(builders.xlsx, "ds.xlsx"), (builders.xls, "ds.xls"), (builders.ods, "ds.ods")],
)
def test_workbooks_read_as_the_text_people_see(build, name):
    assert read_table(build(ROWS), name) == EXPECTED


def test_row_numbers_match_excel_when_the_sheet_starts_lower_down():
    data = builders.xlsx([[], [], ["", "Mã trường"], ["", "T-01"]])

    rows = read_table(data, "ds.xlsx")

    assert rows[2] == ["", "Mã trường"]  # Excel's row 3
    assert rows[3] == ["", "T-01"]


def test_the_first_visible_sheet_is_read():
    workbook = openpyxl.Workbook()
    hidden = workbook.active
    assert hidden is not None
    hidden["A1"] = "ẩn"
    hidden.sheet_state = "hidden"
    workbook.create_sheet("Danh sách")["A1"] = "Mã trường"
    output = io.BytesIO()
    workbook.save(output)

    assert read_table(output.getvalue(), "ds.xlsx") == [["Mã trường"]]


CSV_ROWS = [["Mã trường", "Tên trường"], ["T-01", "Trường Tiểu học Lục Ngạn"]]


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (builders.csv_bytes(CSV_ROWS), "utf-8"),
        (builders.csv_bytes(CSV_ROWS, encoding="utf-8-sig"), "utf-8 with BOM (Excel CSV UTF-8)"),
        (builders.csv_bytes(CSV_ROWS, delimiter=";"), "semicolons"),
        (builders.csv_bytes(CSV_ROWS, delimiter=";", encoding="cp1258"), "Windows cp1258"),
        (builders.csv_bytes(CSV_ROWS, delimiter="\t", encoding="utf-16"), "Excel Unicode text"),
    ],
)
def test_csv_in_the_encodings_and_separators_excel_writes(data, label):
    assert read_table(data, "ds.csv") == CSV_ROWS, label


def test_csv_keeps_commas_inside_quoted_cells():
    data = 'Mã trường,Địa chỉ\r\nT-01,"Thôn Đồng, xã Lục Ngạn"\r\n'.encode()

    assert read_table(data, "ds.csv")[1] == ["T-01", "Thôn Đồng, xã Lục Ngạn"]


def test_a_pdf_renamed_xlsx_is_refused_with_a_clear_message():
    with pytest.raises(SpreadsheetError) as error:
        read_table(builders.PDF, "danh-sach.xlsx")

    assert "không phải bảng tính" in error.value.message
    assert "danh-sach.xlsx" in error.value.message


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,  # random bytes
        b"PK\x03\x04" + b"\x00" * 200,  # a broken zip
        builders.xls([["a"]])[:600],  # a cut-off download
    ],
)
def test_bytes_that_are_not_a_workbook_are_refused(data):
    with pytest.raises(SpreadsheetError, match=r"Không đọc được|không phải bảng tính"):
        read_table(data, "ds.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")

    with pytest.raises(SpreadsheetError, match="không phải bảng tính"):
        read_table(output.getvalue(), "ds.xlsx")


def test_a_binary_file_renamed_csv_is_refused():
    with pytest.raises(SpreadsheetError, match="không phải tệp CSV"):
        read_table(builders.xlsx([["a"]]), "ds.csv")


@pytest.mark.parametrize("name", ["ds.pdf", "ds.docx", "ds", "ds.xlsx.exe"])
def test_unknown_extensions_are_refused(name):
    with pytest.raises(SpreadsheetError, match=r"chỉ nhận tệp bảng tính \.xlsx, \.xls, \.ods"):
        check_upload(builders.xlsx([["a"]]), name)


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"", "ds.xlsx"), (b"", "ds.csv"), (b"\r\n\r\n", "ds.csv"), (builders.xlsx([[]]), "ds.xlsx")],
)
def test_an_empty_file_is_refused(data, name):
    with pytest.raises(SpreadsheetError, match=r"trống|không có dữ liệu"):
        read_table(data, name)


def test_password_protected_or_encrypted_files_get_a_message_not_a_crash():
    # An OLE2 header with nothing behind it, as an encrypted xlsx looks to a reader.
    with pytest.raises(SpreadsheetError):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024, "ds.xlsx")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (24710101.0, "24710101"),
        (0.1 + 0.2, "0.3"),
        (7582, "7582"),
        (dt.date(2021, 9, 12), "12/09/2021"),
        # Spreadsheet cells carry no time zone.
        (dt.datetime(2021, 9, 12, 0, 0), "12/09/2021"),  # noqa: DTZ001
        (dt.datetime(2021, 9, 12, 7, 30), "12/09/2021 07:30"),  # noqa: DTZ001
        (dt.time(7, 30), "07:30"),
        (True, "TRUE"),
        (None, ""),
        ("  Lục  Ngạn ", "Lục  Ngạn"),
        ("Lu\u0323c Nga\u0323n", "Lục Ngạn"),  # decomposed accents are composed
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_whole_numbers_read_as_floats_keep_every_digit(number):
    assert cell_text(float(number)) == str(number)


COLUMNS = [
    Column("code", "Mã trường", required=True, aliases=("mã",)),
    Column("name", "Tên trường", required=True),
    Column("area_code", "Mã xã/phường", aliases=("mã xã",)),
    Column("email", "Email", aliases=("thư điện tử",)),
]


@pytest.mark.parametrize(
    "header",
    [
        ["Mã trường", "Tên trường", "Mã xã/phường", "Email"],
        ["ma truong", "TEN TRUONG", "ma_xa_phuong", "E-mail"],
        ["Ma_truong", "Tên  trường (*)", "MÃ XÃ", "Thư điện tử"],
        ["MÃ TRƯỜNG", "tên trường", "Mã xã/ phường", "email"],
    ],
)
def test_headers_match_whatever_the_case_accents_and_spaces(header):
    assert map_header(header, COLUMNS) == {"code": 0, "name": 1, "area_code": 2, "email": 3}


def test_optional_columns_may_be_absent_and_unknown_ones_are_ignored():
    assert map_header(["Ghi chú", "Tên trường", "Mã"], COLUMNS) == {"code": 2, "name": 1}


def test_missing_required_columns_are_named_in_vietnamese():
    with pytest.raises(MissingColumnsError) as error:
        map_header(["Mã xã", "Email"], COLUMNS)

    assert [column.label for column in error.value.missing] == ["Mã trường", "Tên trường"]
    assert "“Mã trường”" in error.value.message
    assert "“Tên trường”" in error.value.message


def test_the_header_is_found_below_a_title():
    rows = [
        ["DANH SÁCH TRƯỜNG HỌC NĂM HỌC 2021-2022"],
        [],
        ["STT", "Mã trường", "Tên trường"],
        ["1", "T-01", "Trường Tiểu học Lục Ngạn"],
    ]

    assert find_header(rows, COLUMNS) == (2, {"code": 1, "name": 2})


def test_a_header_without_a_required_column_reports_its_own_row():
    rows = [["DANH SÁCH"], ["Mã trường", "Địa chỉ"], ["T-01", "Thôn Đồng"]]

    with pytest.raises(MissingColumnsError) as error:
        find_header(rows, COLUMNS)

    assert error.value.header_row == 2
    assert [column.label for column in error.value.missing] == ["Tên trường"]


def _read_back(data):
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        '=HYPERLINK("http://evil.example","Bấm vào")',
        "+84983934091",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_formulas_are_written_as_text(text):
    sheet = _read_back(write_xlsx([("Lỗi", ["Cột"], [[text]])]))["Lỗi"]

    cell = sheet["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'" + text.replace("\r", "\n")  # XML reads a CR back as LF


def test_a_formula_in_a_header_is_written_as_text_too():
    sheet = _read_back(write_xlsx([("A", ["=cmd|' /C calc'!A0"], [])]))["A"]

    assert sheet["A1"].data_type == "s"
    assert sheet["A1"].value.startswith("'=")


def test_ordinary_values_are_kept_as_they_are():
    rows = [["Trường Tiểu học Lục Ngạn", 114, 977_000_000, dt.date(2021, 9, 12), None]]

    sheet = _read_back(write_xlsx([("Danh sách", ["Tên", "Máy", "Tiền", "Ngày", "Trống"], rows)]))[
        "Danh sách"
    ]

    assert [cell.value for cell in sheet[2]][:3] == ["Trường Tiểu học Lục Ngạn", 114, 977_000_000]
    assert sheet["D2"].value == dt.datetime(2021, 9, 12)  # noqa: DTZ001  (cells have no zone)
    assert sheet["D2"].number_format == "DD/MM/YYYY"


def test_the_header_is_bold_frozen_and_columns_are_wide_enough():
    long_name = "Trường Phổ thông Dân tộc Bán trú Tiểu học và THCS Lục Ngạn"
    data = write_xlsx([("Trường", ["Mã", "Tên trường"], [["T-01", long_name]])])

    sheet = _read_back(data)["Trường"]

    assert sheet["A1"].font.b is True
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= len(long_name)
    assert sheet.column_dimensions["A"].width < sheet.column_dimensions["B"].width


def test_several_sheets_with_names_excel_accepts():
    data = write_xlsx(
        [("Lỗi: dòng/cột?", ["A"], [[1]]), ("Lỗi: dòng/cột?", ["A"], [[2]]), ("x" * 40, ["A"], [])]
    )

    names = _read_back(data).sheetnames

    assert len(names) == 3
    assert len(set(names)) == 3
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\") for name in names)


def test_control_characters_are_dropped_instead_of_breaking_the_file():
    sheet = _read_back(write_xlsx([("A", ["Ghi chú"], [["dòng\x00một\x07"]])]))["A"]

    assert sheet["A2"].value == "dòngmột"


def test_what_is_written_reads_back_the_same():
    rows: list[list[object]] = [["T-01", "Trường Tiểu học Lục Ngạn", 7582]]

    data = write_xlsx([("Trường", ["Mã trường", "Tên trường", "Mã xã"], rows)])

    assert read_table(data, "t.xlsx") == [
        ["Mã trường", "Tên trường", "Mã xã"],
        ["T-01", "Trường Tiểu học Lục Ngạn", "7582"],
    ]


def _big_sheet() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH"])
    sheet.append(["STT", "Họ và tên", "Ngày sinh", "Ghi chú"])
    for number in range(1, 400):
        if number % 37 == 0:
            sheet.append([])  # an empty row in the middle keeps its place
            continue
        sheet.append([number, f"Nguyễn Văn {number}", dt.date(2012, 1 + number % 12, 3), 0.5])
    sheet["F450"] = "cuối"  # far right and below: the rows before it are empty
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@pytest.mark.parametrize("slice_bytes", [2_000, 7_919, 1 << 20])
def test_a_large_sheet_read_in_slices_gives_the_rows_read_table_gives(monkeypatch, slice_bytes):
    from songmay.lib import spreadsheet

    data = _big_sheet()
    expected = read_table(data, "ds.xlsx")
    monkeypatch.setattr(spreadsheet, "STREAM_FROM_BYTES", 1_000)
    monkeypatch.setattr(spreadsheet, "_SLICE_BYTES", slice_bytes)
    assert spreadsheet._large_sheet_part(data) is not None
    rows = list(iter_table(data, "ds.xlsx"))
    while rows and not any(rows[-1]):
        rows.pop()
    assert rows == expected


def test_iter_table_says_when_the_sheet_has_no_data():
    with pytest.raises(SpreadsheetError, match="không có dữ liệu"):
        list(iter_table(b"\n\n;;\n", "ds.csv"))


@pytest.mark.parametrize(("build", "name"), [(_big_sheet, "ds.xlsx"), (builders.ods, "ds.ods")])
def test_a_file_on_disk_reads_as_its_bytes_do(tmp_path, monkeypatch, build, name):
    from songmay.lib import spreadsheet

    data = build() if build is _big_sheet else build(ROWS)
    monkeypatch.setattr(spreadsheet, "STREAM_FROM_BYTES", 1_000)  # the xlsx is read in slices
    monkeypatch.setattr(spreadsheet, "_SLICE_BYTES", 2_000)
    path = tmp_path / name
    path.write_bytes(data)

    with path.open("rb") as file:
        check_upload(file, name)
        assert list(iter_table(file, name)) == list(iter_table(data, name))
        assert read_table(file, name) == read_table(data, name)


def test_an_empty_file_on_disk_is_refused(tmp_path):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(b" \n" * 3_000_000)  # blank beyond the first block read

    with path.open("rb") as file, pytest.raises(SpreadsheetError, match="trống"):
        check_upload(file, "ds.xlsx")


def test_the_row_count_is_estimated_while_a_sliced_sheet_is_read(monkeypatch):
    from songmay.lib import spreadsheet

    data = _big_sheet()
    monkeypatch.setattr(spreadsheet, "STREAM_FROM_BYTES", 1_000)
    monkeypatch.setattr(spreadsheet, "_SLICE_BYTES", 2_000)
    rows = iter_table(data, "ds.xlsx")
    assert rows.estimated_rows() is None
    estimates = [rows.estimated_rows() for _ in rows]

    # About 400 rows in the sheet's XML, then empty ones up to F450: an estimate scaled from
    # the part read, off by at most a slice (20 rows here, 2,000 in a real file).
    assert rows.read == 450
    assert all(380 <= estimate <= 480 for estimate in estimates[200:400]), estimates
    assert rows.estimated_rows() == 450


def test_the_row_count_of_a_sheet_read_whole_is_exact():
    rows = iter_table(builders.xlsx(ROWS), "ds.xlsx")
    next(rows)
    assert rows.estimated_rows() == len(ROWS)
