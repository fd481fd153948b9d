"""Every import page refuses, with a Vietnamese message and without writing anything, a file
over the size limit, a picture renamed .xlsx and a zip bomb dressed as a workbook."""

import io
import zipfile

import pytest
from django.urls import reverse

from songmay.lib.tests import builders
from tests.security.test_csrf import row_counts

IMPORTS = {
    "students:import": ("school_ln", lambda w: {"campaign": w["campaign_bn"].pk}),
    "areas:school_import": ("area_ln", lambda w: {}),
    "inventory:import": ("province_bn", lambda w: {"campaign": w["campaign_bn"].pk}),
    "connectivity:dead_spot_import": ("area_ln", lambda w: {}),
}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def zip_bomb() -> bytes:
    """A workbook's shape whose sheet unzips to 300 MB of nothing (about 300 KB on disk)."""
    real = zipfile.ZipFile(io.BytesIO(builders.xlsx([["Họ và tên"], ["An"]])))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in real.infolist():
            if not info.filename.startswith("xl/worksheets/"):
                archive.writestr(info.filename, real.read(info))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>')  # fmt: skip
            block = b" " * (1024 * 1024)
            for _ in range(300):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return output.getvalue()


CASES = {
    "too_big": ("ds.xlsx", lambda: builders.xlsx([["Họ và tên"], ["An" * 2000]]), "lớn quá"),
    "picture": ("ds.xlsx", lambda: PNG, "không phải bảng tính"),
    "empty": ("ds.xlsx", lambda: b"", "trống"),
    "program": ("ds.exe", lambda: b"MZ\x90\x00", "chỉ nhận tệp bảng tính"),
    "zip_bomb": ("ds.xlsx", zip_bomb, "giải nén ra lớn bất thường"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_written(
    name, case, *, world, client, settings, django_capture_on_commit_callbacks
):
    settings.SONGMAY_MAX_UPLOAD_BYTES = 4000
    file_name, content, message = CASES[case]
    user, fields = IMPORTS[name]
    client.force_login(world["users"][user])
    upload = io.BytesIO(content())
    upload.name = file_name
    if case == "zip_bomb":
        settings.SONGMAY_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    before = row_counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(name), {**fields(world), "file": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert row_counts() == before


def test_the_zip_bomb_check_leaves_real_workbooks_alone():
    from songmay.lib.spreadsheet import read_table

    rows = [["Họ và tên", "Lớp"], *([f"Nguyễn Văn {n}", "4A"] for n in range(5000))]
    assert len(read_table(builders.xlsx(rows), "lop.xlsx")) == 5001
