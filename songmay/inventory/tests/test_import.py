"""Importing devices from a spreadsheet: the page (preview job, then the confirmed import job)
and `songmay import_devices`, with real files written by the libraries people's software uses."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from songmay.audit.models import AuditEntry
from songmay.inventory.importing import parse_ram, parse_screen, parse_storage
from songmay.inventory.models import Device, DeviceEvent
from songmay.inventory.services import DeviceData, devices_register
from songmay.jobs.models import Job, JobStatus
from songmay.jobs.services import job_start
from songmay.lib.tests import builders

HEADER = [
    "STT", "Loại thiết bị", "Hãng", "Model", "Số serial", "IMEI", "RAM (GB)", "Bộ nhớ (GB)",
    "Hệ điều hành", "Màn hình (inch)", "Tình trạng", "Ghi chú",
]  # fmt: skip
LAPTOP = [1, "Máy tính xách tay", "Dell", "Latitude 3420", "5CD1234XYZ", "", 8, 256,
          "Windows 10", 14, "Mới", ""]  # fmt: skip
PHONE = [2, "Điện thoại thông minh", "Samsung", "Galaxy A12", "R58R12ABCDE", "356938035643809",
         3, 32, "Android 11", 6.5, "Tốt", "Máy đã qua sử dụng"]  # fmt: skip
TABLET = [3, "Máy tính bảng", "Samsung", "Galaxy Tab A7", "R9WR30XYZ", "490154203237518",
          "1,5", "32 GB", "Android 10", "10,4", "Trung bình", ""]  # fmt: skip
GOOD = [HEADER, LAPTOP, PHONE, TABLET]


def with_cell(row, column, value):
    changed = list(row)
    changed[HEADER.index(column)] = value
    return changed


def counts():
    """What an import writes, to compare before and after."""
    return (
        Device.objects.count(),
        DeviceEvent.objects.count(),
        AuditEntry.objects.filter(action="device.registered").count(),
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks, import_world):
    """run(rows or bytes) -> the finished preview job; run(..., confirm=True) -> the import."""
    from songmay.inventory.importing import ImportTarget
    from songmay.jobs.services import job_confirm

    def run(data, name="tb.xlsx", *, user=None, confirm=False, **place):
        user = user or import_world["officer"]
        if not isinstance(data, bytes):
            data = builders.xlsx(data)
        target = ImportTarget(campaign=import_world["campaign"], **place)
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(
                actor=user, kind="devices.preview", file_name=name, payload=data,
                params=target.params(),
            )  # fmt: skip
        job.refresh_from_db()
        if not confirm:
            return job
        assert job.status == JobStatus.SUCCEEDED, job.errors
        with django_capture_on_commit_callbacks(execute=True):
            imported = job_confirm(actor=user, preview=job)
        imported.refresh_from_db()
        return imported

    return run


def errors_of(job):
    return [(error["row"], error["column"]) for error in job.errors]


# ------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (builders.xlsx, "tb.xlsx"),
        (builders.xls, "tb.xls"),
        (builders.ods, "tb.ods"),
        (builders.csv_bytes, "tb.csv"),
        (lambda rows: builders.csv_bytes(rows, encoding="utf-8-sig", delimiter=";"), "bom.csv"),
    ],
)
def test_devices_import_from_every_spreadsheet_format(build, name, import_world, run):
    job = run(
        build(GOOD),
        name,
        confirm=True,
        warehouse=import_world["warehouse"],
        donation=import_world["donation"],
    )

    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.summary["created"] == 3
    phone = Device.objects.get(imei="356938035643809")
    assert (phone.kind, phone.make, phone.model, phone.serial) == (
        "smartphone", "Samsung", "Galaxy A12", "R58R12ABCDE",
    )  # fmt: skip
    assert (phone.ram_gb, phone.storage_gb, phone.screen_inches) == (Decimal(3), 32, Decimal("6.5"))
    assert (phone.condition, phone.os, phone.note) == ("good", "Android 11", "Máy đã qua sử dụng")
    assert phone.warehouse == import_world["warehouse"]
    assert phone.origin_donation == import_world["donation"]
    tablet = Device.objects.get(serial="R9WR30XYZ")
    assert (tablet.ram_gb, tablet.storage_gb, tablet.screen_inches, tablet.condition) == (
        Decimal("1.5"), 32, Decimal("10.4"), "fair",
    )  # fmt: skip
    assert Device.objects.get(serial="5CD1234XYZ").imei == ""
    events = DeviceEvent.objects.filter(device__campaign=import_world["campaign"])
    assert events.count() == 3
    assert {event.to_location for event in events} == {"Kho Sở Bắc Ninh"}
    entry = AuditEntry.objects.get(action="device.registered")
    assert entry.changes["count"] == 3
    assert name in entry.changes["source"]


def test_headers_and_codes_are_read_whatever_their_spelling(import_world, run):
    header = ["TT", "loai thiet bi", "Hãng sản xuất", "Dòng máy", "S/N", "Số IMEI", "RAM",
              "Dung lượng", "HĐH", "Kích thước màn hình", "Hiện trạng"]  # fmt: skip
    rows = [
        ["DANH SÁCH THIẾT BỊ TIẾP NHẬN ĐỢT 1"],
        header,
        [1, "laptop", "HP", "ProBook", "cnd 123 45", "", "4GB", "1 TB", "Win 11", '15.6"', "tot"],
        [2, "DIEN THOAI", "Oppo", "A16", "", "490154203237518", "", "", "", "", ""],
        [3, "router 4G", "Viettel", "D6601", "vt-9", "", "", "", "", "", "cần sửa"],
    ]

    job = run(rows, confirm=True, school=import_world["school"])

    assert job.status == JobStatus.SUCCEEDED, job.errors
    laptop = Device.objects.get(serial="CND12345")
    assert (laptop.kind, laptop.ram_gb, laptop.storage_gb, laptop.condition) == (
        "laptop", Decimal(4), 1024, "good",
    )  # fmt: skip
    assert laptop.school == import_world["school"]
    phone = Device.objects.get(imei="490154203237518")
    assert (phone.kind, phone.condition, phone.serial) == ("smartphone", "new", "")
    assert Device.objects.get(serial="VT-9").condition == "needs_repair"


@pytest.mark.parametrize(
    ("text", "parse", "value"),
    [
        ("4", parse_ram, Decimal(4)),
        ("1,5", parse_ram, Decimal("1.5")),
        ("512 MB", parse_ram, Decimal("0.5")),
        ("64", parse_storage, 64),
        ("1 TB", parse_storage, 1024),
        ("6.67", parse_screen, Decimal("6.7")),
        ("10,1 inch", parse_screen, Decimal("10.1")),
        ("", parse_ram, None),
    ],
)
def test_specifications_accept_the_ways_people_write_them(text, parse, value):
    assert parse(text) == value


# ------------------------------------------------------------------------- errors

# Each case: the rows below the header, and the (row, column) of the error, with a word the
# Vietnamese message must hold.
BAD_FILES = {
    "duplicate serial in the file": (
        [LAPTOP, with_cell(PHONE, "Số serial", "5cd 1234xyz")],
        (3, "Số serial"),
        "trùng với dòng 2",
    ),
    "duplicate IMEI in the file": (
        [PHONE, with_cell(TABLET, "IMEI", "35-693803-564380-9")],
        (3, "IMEI"),
        "trùng với dòng 2",
    ),
    "wrong IMEI check digit": (
        [LAPTOP, with_cell(PHONE, "IMEI", "356938035643808")],
        (3, "IMEI"),
        "số kiểm tra",
    ),
    "IMEI of 16 digits": (
        [with_cell(PHONE, "IMEI", "3569380356438012")],
        (2, "IMEI"),
        "16 chữ số",
    ),
    "bad kind": (
        [LAPTOP, with_cell(PHONE, "Loại thiết bị", "Máy in")],
        (3, "Loại thiết bị"),
        "Loại thiết bị ghi một trong",
    ),
    "IMEI on a laptop": (
        [with_cell(LAPTOP, "IMEI", "356938035643809")],
        (2, "IMEI"),
        "Chỉ điện thoại",
    ),
    "neither serial nor IMEI": (
        [with_cell(LAPTOP, "Số serial", "")],
        (2, "Số serial"),
        "Thiếu số serial",
    ),
    "RAM in MB": (
        [with_cell(LAPTOP, "RAM (GB)", 4096)],
        (2, "RAM (GB)"),
        "số GB",
    ),
    "IMEI turned into a power of ten by Excel": (
        [with_cell(PHONE, "IMEI", "3.56938E+14")],
        (2, "IMEI"),
        "số mũ",
    ),
    "the template's example row left in": (
        [with_cell(LAPTOP, "Ghi chú", "Dòng ví dụ, hãy xoá")],
        (2, "Ghi chú"),
        "dòng ví dụ",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_faulty_row_is_reported_and_nothing_is_written(case, import_world, run):
    rows, where, words = BAD_FILES[case]
    before = counts()

    job = run([HEADER, *rows], warehouse=import_world["warehouse"])

    assert job.status == JobStatus.FAILED
    assert where in errors_of(job), job.errors
    message = next(e["message"] for e in job.errors if (e["row"], e["column"]) == where)
    assert words in message
    assert counts() == before
    assert not job.summary.get("confirmed_job")


def test_every_faulty_row_is_reported_not_only_the_first(import_world, run):
    rows = [
        HEADER,
        with_cell(LAPTOP, "Loại thiết bị", "Máy chiếu"),
        with_cell(with_cell(PHONE, "IMEI", "356938035643808"), "RAM (GB)", "nhiều"),
        with_cell(TABLET, "Tình trạng", "Đẹp"),
    ]

    job = run(rows)

    assert errors_of(job) == [
        (2, "Loại thiết bị"), (3, "IMEI"), (3, "RAM (GB)"), (4, "Tình trạng"),
    ]  # fmt: skip
    assert job.summary["error_rows"] == 3


def test_a_serial_or_imei_already_in_the_inventory_is_refused(import_world, run):
    devices_register(
        actor=None,
        campaign=import_world["campaign"],
        rows=[DeviceData(kind="laptop", serial="5CD1234XYZ")],
    )
    devices_register(
        actor=None,
        campaign=import_world["campaign"],
        rows=[DeviceData(kind="tablet", serial="OTHER-1", imei="490154203237518")],
    )
    before = counts()

    job = run(GOOD)

    assert errors_of(job) == [(2, "Số serial"), (4, "IMEI")]
    assert "đã có trong kho (thiết bị TB" in job.errors[0]["message"]
    assert job.summary["created"] == 1  # the phone, the one row without an error
    assert counts() == before


def test_a_device_registered_between_preview_and_confirm_stops_the_whole_file(
    import_world, run, django_capture_on_commit_callbacks
):
    from songmay.jobs.services import job_confirm

    preview = run(GOOD)
    assert preview.status == JobStatus.SUCCEEDED, preview.errors
    devices_register(
        actor=None,
        campaign=import_world["campaign"],
        rows=[DeviceData(kind="smartphone", imei="356938035643809")],
    )
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        job = job_confirm(actor=import_world["officer"], preview=preview)
    job.refresh_from_db()

    assert job.status == JobStatus.FAILED
    assert errors_of(job) == [(3, "IMEI")]
    assert counts() == before


def test_more_devices_than_the_receipt_lists_are_refused(import_world, run):
    phones = [
        [n, "Điện thoại", "Nokia", "C20", f"NK{n}", "", "", "", "", "", "", ""] for n in range(6)
    ]

    job = run([HEADER, *phones], donation=import_world["donation"])

    assert job.status == JobStatus.FAILED
    assert job.errors[0]["row"] == 0
    assert "chỉ ghi nhận 5 điện thoại thông minh" in job.errors[0]["message"]


def test_a_file_without_the_kind_column_names_it(run):
    job = run([["STT", "Hãng", "Số serial"], [1, "Dell", "X1"]])

    assert errors_of(job) == [(1, "Loại thiết bị")]
    assert "Thiếu cột “Loại thiết bị”" in job.errors[0]["message"]


def test_an_empty_list_is_refused(run):
    job = run([HEADER])

    assert job.status == JobStatus.FAILED
    assert "không có dòng dữ liệu" in job.errors[0]["message"]


def test_a_confirmed_file_cannot_be_confirmed_twice(import_world, run):
    from songmay.jobs.services import job_confirm
    from songmay.lib.errors import DomainError

    job = run(GOOD, confirm=True)
    preview = Job.objects.get(pk=job.params["preview"])

    with pytest.raises(DomainError, match="đã được xác nhận"):
        job_confirm(actor=import_world["officer"], preview=preview)
    assert Device.objects.count() == 3


# ------------------------------------------------------------------------- template


def test_the_template_has_drop_downs_instructions_and_imports_once_filled(import_world, run):
    from songmay.inventory.importing import template_xlsx

    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    sheet, guide = book.worksheets
    assert [cell.value for cell in sheet[1]] == HEADER
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert "Máy tính xách tay" in lists["B2"] and "Bộ phát wifi 4G" in lists["B2"]
    assert "Cần sửa chữa" in lists["K2"]
    assert guide.title == "Hướng dẫn"
    assert any("IMEI" in str(row[2]) for row in guide.iter_rows(values_only=True))

    as_is = run(template_xlsx())
    assert {error["column"] for error in as_is.errors} == {"Ghi chú"}  # the example rows

    sheet.delete_rows(2, sheet.max_row)
    for row in GOOD[1:]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    assert run(out.getvalue(), confirm=True).summary["created"] == 3


# ------------------------------------------------------------------------- page


def test_the_page_uploads_previews_and_confirms(
    import_world, client, django_capture_on_commit_callbacks
):
    client.force_login(import_world["officer"])
    page = client.get(reverse("inventory:import"))
    assert page.status_code == 200
    assert "Nhập danh sách thiết bị từ Excel" in page.content.decode()

    upload = io.BytesIO(builders.xlsx(GOOD))
    upload.name = "thiet-bi.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("inventory:import"),
            {
                "campaign": import_world["campaign"].pk,
                "warehouse": import_world["warehouse"].pk,
                "donation": import_world["donation"].pk,
                "file": upload,
            },
        )
    preview = Job.objects.get(kind="devices.preview")
    assert response["Location"] == reverse("jobs:detail", kwargs={"pk": preview.pk})
    detail = client.get(response["Location"]).content.decode()
    assert "Chưa ghi gì vào hệ thống" in detail
    assert "Kho Sở Bắc Ninh" in detail
    assert Device.objects.count() == 0

    confirm = reverse("jobs:confirm", kwargs={"pk": preview.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm)
    job = Job.objects.get(kind="devices.import")
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert Device.objects.filter(warehouse=import_world["warehouse"]).count() == 3


def test_the_page_offers_only_what_is_in_the_users_scope(import_world, client):
    client.force_login(import_world["officer_pt"])
    html = client.get(reverse("inventory:import")).content.decode()
    assert import_world["campaign"].name not in html
    assert "Kho Sở Bắc Ninh" not in html
    assert import_world["donation"].code not in html

    upload = io.BytesIO(builders.xlsx(GOOD))
    upload.name = "tb.xlsx"
    response = client.post(
        reverse("inventory:import"),
        {
            "campaign": import_world["campaign"].pk,
            "warehouse": import_world["warehouse"].pk,
            "school": import_world["school"].code,
            "file": upload,
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {"campaign", "warehouse", "school"} <= set(form.errors)
    assert not Job.objects.exists()


def test_a_warehouse_and_a_school_together_are_refused(import_world, client):
    client.force_login(import_world["officer"])
    upload = io.BytesIO(builders.xlsx(GOOD))
    upload.name = "tb.xlsx"
    response = client.post(
        reverse("inventory:import"),
        {
            "campaign": import_world["campaign"].pk,
            "warehouse": import_world["warehouse"].pk,
            "school": import_world["school"].code,
            "file": upload,
        },
    )
    assert "chọn kho hoặc trường" in response.content.decode()
    assert not Job.objects.exists()


def test_the_template_is_downloaded(import_world, client):
    client.force_login(import_world["officer"])
    response = client.get(reverse("inventory:import_template"))
    assert response.status_code == 200
    assert "mau-danh-sach-thiet-bi.xlsx" in response["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames[1] == "Hướng dẫn"


# ------------------------------------------------------------------------- command


def test_the_command_imports_a_file_and_says_so(import_world, tmp_path, capsys):
    path = tmp_path / "thiet-bi.xls"
    path.write_bytes(builders.xls(GOOD))

    call_command(
        "import_devices", str(path), "--campaign", str(import_world["campaign"].pk),
        "--school", import_world["school"].code, "--donation", str(import_world["donation"].pk),
    )  # fmt: skip

    out = capsys.readouterr().out
    assert "Đã nhập 3 thiết bị vào Trường Tiểu học" in out
    assert Device.objects.filter(school=import_world["school"]).count() == 3


def test_the_command_lists_the_errors_and_writes_nothing(import_world, tmp_path, capsys):
    path = tmp_path / "thiet-bi.csv"
    path.write_bytes(
        builders.csv_bytes([HEADER, LAPTOP, with_cell(PHONE, "IMEI", "356938035643808")])
    )
    audit_before = AuditEntry.objects.count()

    with pytest.raises(CommandError, match=r"^1 lỗi ở 1 dòng; chưa ghi gì\.$"):
        call_command("import_devices", str(path), "--campaign", str(import_world["campaign"].pk))

    assert "Dòng 3, cột IMEI: IMEI “356938035643808” không hợp lệ" in capsys.readouterr().err
    assert (Device.objects.count(), DeviceEvent.objects.count()) == (0, 0)
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--campaign", "999999"], "Không có chương trình số 999999"),
        (["--warehouse", "999999"], "Không có kho số 999999"),
        (["--school", "KHONG-CO"], "Không có trường KHONG-CO"),
        (["--donation", "999999"], "Không có đợt tiếp nhận số 999999"),
    ],
)
def test_the_command_refuses_what_does_not_exist(import_world, tmp_path, arguments, message):
    path = tmp_path / "tb.xlsx"
    path.write_bytes(builders.xlsx(GOOD))
    if arguments[0] != "--campaign":
        arguments = ["--campaign", str(import_world["campaign"].pk), *arguments]

    with pytest.raises(CommandError, match=message):
        call_command("import_devices", str(path), *arguments)
    assert not Device.objects.exists()


def test_the_command_refuses_a_file_it_cannot_read(import_world, tmp_path):
    path = tmp_path / "tb.xlsx"
    path.write_bytes(b"%PDF-1.4 not a spreadsheet")

    with pytest.raises(CommandError, match="không phải bảng tính"):
        call_command("import_devices", str(path), "--campaign", str(import_world["campaign"].pk))


def test_the_errors_come_back_beside_the_rows_of_the_uploaded_file(import_world, run, client):
    job = run([["DANH SÁCH THIẾT BỊ"], HEADER, LAPTOP, with_cell(PHONE, "Loại thiết bị", "Máy in")])
    client.force_login(import_world["officer"])

    response = client.get(reverse("jobs:errors_sheet", kwargs={"pk": job.pk}))

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][-1] == "Lỗi"
    assert rows[2][-1] in (None, "")
    assert rows[3][-1].startswith("Loại thiết bị: Loại thiết bị ghi một trong")
