"""School staff download the template, fill it, upload it, see the preview, confirm, and
find their pupils in the list."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.e2e.test_foundation import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PUPILS = [
    ("Nguyễn Văn Bình", "04/03/2013", "Nam", "3A", "Tiểu học", "Hộ nghèo", "Thiết bị"),
    ("Trần Thị Ân", "15/09/2014", "Nữ", "2B", "Tiểu học", "Hộ cận nghèo", "Cả hai"),
    ("Lê Văn An", "01/12/2012", "Nam", "4A", "Tiểu học", "Khó khăn khác", "Kết nối"),
]


def fill_template(data: bytes) -> bytes:
    """Write the pupils under the template's header, as a school secretary would."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    header_row = next(
        row[0].row for row in sheet.iter_rows() if any(cell.value == "Họ và tên" for cell in row)
    )
    headers = {cell.value: cell.column for cell in sheet[header_row] if cell.value}
    sheet.delete_rows(header_row + 1, sheet.max_row)  # drop the example row
    for offset, (name, born, gender, klass, level, household, lacking) in enumerate(PUPILS, 1):
        row = header_row + offset
        values = {
            "STT": offset,
            "Họ và tên": name,
            "Ngày sinh": born,
            "Giới tính": gender,
            "Lớp": klass,
            "Cấp học": level,
            "Hoàn cảnh": household,
            "Còn thiếu": lacking,
        }
        for label, value in values.items():
            sheet.cell(row=row, column=headers[label], value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_school_staff_import_pupils_from_the_template(page, demo, shoot, tmp_path):
    log_in(page, "truong.thlucngan")
    page.goto("/students/import/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nhập danh sách học sinh")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải tệp mẫu (.xlsx)").click()
    filled = tmp_path / "danh-sach-hoc-sinh.xlsx"
    filled.write_bytes(fill_template(download.value.path().read_bytes()))
    page.get_by_label("Chương trình").select_option(
        label="Chương trình “Sóng và máy tính cho em” tỉnh Bắc Giang"
    )
    page.locator("input[type=file]").set_input_files(str(filled))
    shoot(page, "11-students-import-form")
    page.get_by_role("button", name="Tải lên và kiểm tra").click()
    expect(page.get_by_text("Chưa ghi gì vào hệ thống.")).to_be_visible(timeout=20_000)
    expect(page.locator("section.card")).to_contain_text("thêm mới 3")
    shoot(page, "12-students-import-preview")
    page.get_by_role("button", name="Xác nhận nhập").click()
    page.get_by_role("link", name="Xem danh sách").click(timeout=20_000)
    table = page.locator("table")
    for name, *_ in PUPILS:
        expect(table).to_contain_text(name)
    names = table.locator("tbody tr td:nth-child(1)").all_inner_texts()
    assert names[:3] == ["Lê Văn An", "Trần Thị Ân", "Nguyễn Văn Bình"]  # by given name
    shoot(page, "13-students-list-after-import")
