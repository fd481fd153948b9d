import dataclasses
import datetime as dt
import io
import unicodedata

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from songmay.accounts.scope import Role
from songmay.audit.models import AuditEntry
from songmay.campaigns.services import CampaignData, campaign_create
from songmay.jobs.models import Job, JobStatus
from songmay.jobs.services import job_confirm, job_run, job_start
from songmay.lib import legacy_text
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import read_table
from songmay.lib.tests import builders
from songmay.students.importing import (
    ImportRejectedError,
    parse_date,
    pupil_rows_check,
    students_import,
)
from songmay.students.models import DuplicateCandidate, Need, Student
from songmay.students.services import StudentData, student_register

HEADER = [
    "STT", "Họ và tên", "Ngày sinh", "Giới tính", "Lớp", "Cấp học", "Số định danh",
    "Họ tên cha/mẹ/người giám hộ", "Điện thoại", "Thôn/xóm", "Xã/phường", "Hoàn cảnh",
    "Mồ côi do COVID-19", "Khuyết tật", "Dân tộc thiểu số", "Vùng sâu, vùng xa", "Còn thiếu",
    "Đồng ý xử lý dữ liệu",
]  # fmt: skip
AN = [1, "Nguyễn Văn An", "04/03/2013", "Nam", "4A", "Tiểu học", "024213001234",
      "Nguyễn Văn Bình", "0983.934.091", "Thôn Đồng", "Lục Ngạn", "Hộ nghèo",
      "", "", "x", "x", "Thiết bị", "x"]  # fmt: skip
ANH = [2, "Trần Thị Ánh", "12/11/2014", "Nữ", "3B", "", "",
       "Trần Văn Cường", "+84 912 345 678", "Thôn Kép", "07582", "Hộ cận nghèo",
       "", "x", "", "", "Kết nối", ""]  # fmt: skip
HUONG = [3, "Đỗ Thị Hương", "1/9/15", "Nữ", "2C", "Tiểu học", "",
         "Đỗ Văn Dũng", "0204 3854 123", "Thôn Trại", "", "",
         "có", "", "", "", "Cả hai", "Có 12/09/2021"]  # fmt: skip
ROWS = [HEADER, AN, ANH, HUONG]


def sheet(*rows, header=HEADER):
    return [header, *rows]


def table(rows):
    """Rows as the importer reads them from a real file."""
    return read_table(builders.xlsx(rows), "ds.xlsx")


@pytest.fixture
def campaign(place):
    return campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em", area=place["bac_ninh"])
    )


@pytest.fixture
def school(place):
    return place["schools"]["lucngan"]


@pytest.fixture
def staff(make_user, school):
    return make_user(Role.SCHOOL_STAFF, school=school)


@pytest.fixture
def admin(make_user, areas):
    return make_user(Role.ADMIN)


@pytest.fixture
def run(django_capture_on_commit_callbacks, campaign):
    """run(user, data) -> the finished preview job; run(..., confirm=True) -> the import job."""

    def run(user, data, name="ds.xlsx", *, school=None, confirm=False, on=campaign):
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(
                actor=user, kind="students.preview", file_name=name, payload=data,
                params={"campaign": on.pk, "school": school.pk if school else None},
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


def registry():
    """Everything an import writes, to compare before and after."""
    return (
        list(Student.objects.order_by("pk").values()),
        list(Need.objects.order_by("pk").values()),
        list(DuplicateCandidate.objects.order_by("pk").values()),
    )


def errors_of(job):
    return [(error["row"], error["column"]) for error in job.errors]


# ------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (builders.xlsx, "ds.xlsx"),
        (builders.xls, "ds.xls"),
        (builders.ods, "ds.ods"),
        (builders.csv_bytes, "ds.csv"),
        (lambda rows: builders.csv_bytes(rows, encoding="utf-8-sig", delimiter=";"), "bom.csv"),
        (lambda rows: builders.csv_bytes(rows, encoding="cp1258"), "windows.csv"),
    ],
)
def test_pupils_import_from_every_spreadsheet_format(build, name, staff, school, run):
    job = run(staff, build(ROWS), name, confirm=True)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert (job.summary["created"], job.summary["updated"], job.summary["unchanged"]) == (3, 0, 0)
    an = Need.objects.select_related("student", "student__commune").get(
        student__full_name="Nguyễn Văn An"
    )
    student = an.student
    assert (an.school, an.class_name, an.level, an.household, an.lacking) == (
        school, "4A", "primary", "poor", "device"
    )  # fmt: skip
    assert (student.date_of_birth, student.gender, student.personal_id) == (
        dt.date(2013, 3, 4), "male", "024213001234"
    )  # fmt: skip
    assert (student.guardian_name, student.guardian_phone) == ("Nguyễn Văn Bình", "+84983934091")
    assert (student.village, student.commune.code) == ("Thôn Đồng", "07582")
    assert (student.ethnic_minority, student.remote_area, student.disability) == (True, True, False)
    assert student.consent_given
    anh = Student.objects.get(full_name="Trần Thị Ánh")
    assert (anh.guardian_phone, anh.commune.code, anh.gender) == ("+84912345678", "07582", "female")
    assert Need.objects.get(student=anh).level == "primary"  # from class 3B
    huong = Student.objects.get(full_name="Đỗ Thị Hương")
    assert (huong.date_of_birth, huong.guardian_phone) == (dt.date(2015, 9, 1), "+842043854123")
    assert (huong.orphaned_by_covid, huong.consent_on) == (True, dt.date(2021, 9, 12))
    assert Need.objects.get(student=huong).lacking == "both"


def test_title_rows_merged_header_cells_and_the_stt_column_are_understood(staff, run):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws["A1"] = "UBND XÃ LỤC NGẠN — TRƯỜNG TIỂU HỌC LỤC NGẠN"
    ws.merge_cells("A1:H1")
    ws["A2"] = "DANH SÁCH HỌC SINH CÒN THIẾU THIẾT BỊ HỌC TRỰC TUYẾN"
    ws.merge_cells("A2:H2")
    # A two-row header: single columns merged downwards, one group merged across.
    for column, label in zip(
        "ABCDE", ["STT", "Họ và tên", "Ngày sinh", "Lớp", "Còn thiếu"], strict=True
    ):
        ws[f"{column}3"] = label
        ws.merge_cells(f"{column}3:{column}4")
    ws["F3"] = "Hoàn cảnh đặc biệt"
    ws.merge_cells("F3:H3")
    ws["F4"], ws["G4"], ws["H4"] = "Khuyết tật", "Dân tộc thiểu số", "Vùng sâu, vùng xa"
    ws.append([1, "Nguyễn Văn An", "04/03/2013", "4A", "Thiết bị", "x", "", "x"])
    ws.append([2, "Trần Thị Ánh", dt.date(2014, 11, 12), "3B", "Kết nối", "", "x", ""])
    output = io.BytesIO()
    workbook.save(output)

    job = run(staff, output.getvalue(), confirm=True)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.summary["created"] == 2
    an = Student.objects.get(full_name="Nguyễn Văn An")
    assert (an.disability, an.ethnic_minority, an.remote_area) == (True, False, True)
    anh = Student.objects.get(full_name="Trần Thị Ánh")
    assert (anh.date_of_birth, anh.ethnic_minority) == (dt.date(2014, 11, 12), True)


@pytest.mark.parametrize(
    "header",
    [
        ["Ho ten", "Ngay sinh", "Con thieu"],
        ["HỌ TÊN", "NGÀY SINH", "CÒN THIẾU"],
        ["Tên học sinh", "Ngày, tháng, năm sinh", "Còn  thiếu (*)"],
        ["ho va ten", "ngay thang nam sinh", "nhu cau"],
    ],
)
def test_header_variants_with_or_without_diacritics(header, staff, school, campaign):
    rows = [header, ["Nguyễn Văn An", "04/03/2013", "Thiết bị"]]

    checked = pupil_rows_check(actor=staff, campaign=campaign, school=school, table=table(rows))

    assert checked.errors == []
    assert [row.student["full_name"] for row in checked.rows] == ["Nguyễn Văn An"]


def test_decomposed_unicode_is_stored_composed(staff, run):
    nfd = [unicodedata.normalize("NFD", cell) if isinstance(cell, str) else cell for cell in AN]

    job = run(staff, builders.xlsx(sheet(nfd)), confirm=True)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    student = Student.objects.get()
    assert student.full_name == "Nguyễn Văn An" == unicodedata.normalize("NFC", student.full_name)
    assert student.guardian_name == "Nguyễn Văn Bình"
    assert Need.objects.get().household == "poor"  # "Hộ nghèo" typed decomposed


# Encoders for the legacy fonts, the inverse of the converter's own tables.
_TCVN3_BYTE = {letter: byte for byte, letter in legacy_text._TCVN3.items()}
_VNI_SINGLE = {letter: byte for byte, letter in legacy_text._VNI_SINGLE.items()}
_VNI_MARK = {mark: byte for byte, mark in legacy_text._VNI_MARKS_LOWER.items()}
_VNI_BASE = {letter: byte for byte, letter in legacy_text._VNI_BASES.items()}


def _cp1252(byte):
    return bytes([byte]).decode("cp1252")


def tcvn3(text):
    """Text as a .VnTime font stores it (capitals with a tone take the lower-case code)."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        byte = _TCVN3_BYTE.get(char)
        if byte is None and char.lower() in legacy_text._TCVN3_TONED.values():
            byte = _TCVN3_BYTE[char.lower()]
        out.append(_cp1252(byte) if byte is not None else char)
    return "".join(out)


def vni(text):
    """Text as a VNI-Times font stores it: a base letter, then a mark character."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in _VNI_SINGLE:
            out.append(_cp1252(_VNI_SINGLE[char]))
            continue
        base, *marks = unicodedata.normalize("NFD", char)
        hat = "".join(m for m in marks if m in (legacy_text._CIRCUMFLEX, legacy_text._BREVE))
        tone = "".join(m for m in marks if m in legacy_text._TONES)
        if "\u031b" in marks:  # ơ, ư
            out.append(_cp1252(_VNI_BASE[unicodedata.normalize("NFC", base + "\u031b")]))
        else:
            out.append(base)
        if hat or tone:
            out.append(_cp1252(_VNI_MARK[(hat, tone)] - (0x20 if base.isupper() else 0)))
    return "".join(out)


@pytest.mark.parametrize(("encode", "encoding"), [(tcvn3, "TCVN3"), (vni, "VNI")])
def test_legacy_font_text_is_converted_with_a_notice(encode, encoding, staff, run):
    rows = [[encode(cell) if isinstance(cell, str) else cell for cell in row] for row in ROWS[1:]]
    assert encode("Trần Thị Ánh") != "Trần Thị Ánh"

    preview = run(staff, builders.xlsx(sheet(*rows)))

    assert preview.status == JobStatus.SUCCEEDED, preview.errors
    notices = preview.summary["notices"]
    assert any("Họ và tên" in n and legacy_text.NOTICE[encoding] in n for n in notices)
    job = run(staff, builders.xlsx(sheet(*rows)), confirm=True)
    assert job.status == JobStatus.SUCCEEDED, job.errors
    names = set(Student.objects.values_list("full_name", flat=True))
    assert names == {"Nguyễn Văn An", "Trần Thị Ánh", "Đỗ Thị Hương"}
    assert Student.objects.get(full_name="Đỗ Thị Hương").guardian_name == "Đỗ Văn Dũng"
    assert Student.objects.get(full_name="Nguyễn Văn An").village == "Thôn Đồng"
    assert Need.objects.get(student__full_name="Trần Thị Ánh").household == "near_poor"


# ------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("04/03/2013", dt.date(2013, 3, 4)),
        ("4/3/13", dt.date(2013, 3, 4)),
        ("4-3-2013", dt.date(2013, 3, 4)),
        ("04.03.2013", dt.date(2013, 3, 4)),
        ("2013-03-04", dt.date(2013, 3, 4)),
        ("41337", dt.date(2013, 3, 4)),  # a spreadsheet serial
        ("04/03/2013 00:00", dt.date(2013, 3, 4)),
        ("", None),
    ],
)
def test_dates_are_read_as_text_or_serials(text, day):
    assert parse_date(text) == day


def test_dates_typed_every_way_import_alike(staff, run):
    rows = [
        ["Họ và tên", "Ngày sinh", "Còn thiếu"],
        ["Nguyễn Văn An", 41337, "Thiết bị"],
        ["Trần Văn Bảo", dt.date(2013, 3, 4), "Thiết bị"],
        ["Lê Văn Cường", "4/3/13", "Thiết bị"],
        ["Phạm Văn Dũng", "2013-03-04", "Thiết bị"],
    ]

    job = run(staff, builders.xlsx(rows), confirm=True)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert set(Student.objects.values_list("date_of_birth", flat=True)) == {dt.date(2013, 3, 4)}


@pytest.mark.parametrize(
    "phone", ["0983 934 091", "0983.934.091", "+84 983 934 091", "+84983934091", 983934091]
)
def test_phone_numbers_with_spaces_dots_or_the_country_code(phone, staff, school, campaign):
    row = [*AN]
    row[8] = phone

    checked = pupil_rows_check(
        actor=staff, campaign=campaign, school=school, table=table(sheet(row))
    )

    assert checked.errors == []
    assert checked.rows[0].student["guardian_phone"] == "+84983934091"


def test_a_personal_id_typed_as_a_number_keeps_its_leading_zero(staff, school, campaign):
    row = [*AN]
    row[6] = 24213001234  # Excel dropped the 0 of province 024

    checked = pupil_rows_check(
        actor=staff, campaign=campaign, school=school, table=table(sheet(row))
    )

    assert checked.rows[0].student["personal_id"] == "024213001234"


# ------------------------------------------------------------------------- errors


def test_errors_in_many_rows_are_all_listed_and_nothing_is_written(
    staff, campaign, django_capture_on_commit_callbacks
):
    bad_date, bad_gender, no_name, bad_phone, bad_level, bad_lacking = ([*AN] for _ in range(6))
    bad_date[2] = "31/02/2013"
    bad_gender[1], bad_gender[3] = "Lê Văn Bảo", "Trai gái"
    no_name[1] = ""
    bad_phone[1], bad_phone[8] = "Hà Văn Cao", "12345"
    bad_level[1], bad_level[5] = "Vũ Thị Dung", "THPT"  # a primary school
    bad_lacking[1], bad_lacking[16], bad_lacking[6] = "Phan Văn Đức", "Sách vở", "123"
    rows = [["DANH SÁCH HỌC SINH"], HEADER, bad_date, bad_gender, ANH, no_name, bad_phone,
            bad_level, [], bad_lacking]  # fmt: skip
    with django_capture_on_commit_callbacks() as callbacks:
        job = job_start(
            actor=staff, kind="students.preview", file_name="loi.xlsx",
            payload=builders.xlsx(rows), params={"campaign": campaign.pk},
        )  # fmt: skip
    before, entries = registry(), AuditEntry.objects.count()

    for callback in callbacks:
        callback()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert errors_of(job) == [
        (3, "Ngày sinh"),
        (4, "Giới tính"),
        (6, "Họ và tên"),
        (7, "Điện thoại"),
        (8, "Cấp học"),
        (10, "Số định danh"),
        (10, "Còn thiếu"),
    ]
    messages = {(error["row"], error["column"]): error["message"] for error in job.errors}
    assert "“31/02/2013” không phải ngày có thật" in messages[(3, "Ngày sinh")]
    assert "“Trai gái”" in messages[(4, "Giới tính")]
    assert "12345" in messages[(7, "Điện thoại")]
    assert "không dạy cấp THPT" in messages[(8, "Cấp học")]
    assert "“Sách vở”" in messages[(10, "Còn thiếu")]
    assert (job.summary["rows"], job.summary["created"], job.summary["error_rows"]) == (7, 1, 6)
    assert registry() == before
    assert AuditEntry.objects.count() == entries


def test_the_service_refuses_the_same_pupil_twice_and_writes_nothing(staff, school, campaign):
    checked = pupil_rows_check(
        actor=staff, campaign=campaign, school=school, table=table(sheet(AN))
    )
    student_register(
        actor=None, campaign=campaign, school=school,
        data=StudentData(full_name="Người Khác", date_of_birth=dt.date(2013, 3, 4),
                         level="primary", lacking="device", personal_id=""),
    )  # fmt: skip
    twice = [checked.rows[0], dataclasses.replace(checked.rows[0], row=3)]
    before, entries = registry(), AuditEntry.objects.count()

    with pytest.raises(ImportRejectedError) as rejected:
        students_import(actor=staff, campaign=campaign, school=school, rows=twice, file_name="x")

    assert [error.column for error in rejected.value.errors] == ["Số định danh"]
    assert registry() == before
    assert AuditEntry.objects.count() == entries


def test_the_same_pupil_twice_in_a_file_is_an_error_on_the_second_row(staff, school, campaign):
    again = [*AN]
    again[0] = 4
    twin = [*AN]
    twin[0], twin[1], twin[6] = 5, "Nguyễn Văn Anh", ""  # a twin: another name, no ID

    checked = pupil_rows_check(
        actor=staff, campaign=campaign, school=school, table=table(sheet(AN, ANH, again, twin))
    )

    assert [(e.row, e.column) for e in checked.errors] == [(4, "Số định danh")]
    assert "trùng với dòng 2" in checked.errors[0].message


def test_missing_required_columns_are_named_on_the_header_row(staff, school, campaign):
    rows = [["DANH SÁCH"], ["STT", "Họ và tên", "Lớp"], [1, "Nguyễn Văn An", "4A"]]

    checked = pupil_rows_check(actor=staff, campaign=campaign, school=school, table=table(rows))

    assert [(e.row, e.column) for e in checked.errors] == [(2, "Ngày sinh"), (2, "Còn thiếu")]


def test_the_errors_download_as_the_same_sheet_with_an_error_column(staff, run, client):
    bad = [*ANH]
    bad[2] = "hôm qua"
    rows = [["DANH SÁCH HỌC SINH"], HEADER, AN, bad]

    job = run(staff, builders.xlsx(rows), "lớp 4A.xlsx")

    assert job.status == JobStatus.FAILED
    client.force_login(staff)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert reverse("jobs:errors_sheet", args=[job.pk]) in page
    response = client.get(reverse("jobs:errors_sheet", args=[job.pk]))
    assert response.status_code == 200
    assert "l%E1%BB%9Bp%204A-loi.xlsx" in response["Content-Disposition"]
    table = read_table(response.content, "loi.xlsx")
    assert table[0][0] == "DANH SÁCH HỌC SINH"
    assert table[1][: len(HEADER)] == HEADER and table[1][-1] == "Lỗi"
    assert table[2][1] == "Nguyễn Văn An" and len(table[2]) <= len(HEADER)  # no error
    assert table[3][1] == "Trần Thị Ánh"
    assert table[3][len(HEADER)].startswith("Ngày sinh: “hôm qua” không đúng dạng")


# ------------------------------------------------------------------------- preview and re-import


def test_the_preview_counts_and_writes_nothing(staff, school, campaign, run):
    student_register(
        actor=staff, campaign=campaign, school=school,
        data=StudentData(full_name="Nguyễn Văn An", date_of_birth=dt.date(2013, 3, 4),
                         level="primary", lacking="connectivity"),
    )  # fmt: skip
    before = registry()
    pupil_entries = AuditEntry.objects.exclude(action="job.started").count()

    job = run(staff, builders.xlsx(ROWS))

    assert job.status == JobStatus.SUCCEEDED
    assert (job.summary["created"], job.summary["updated"], job.summary["unchanged"]) == (2, 1, 0)
    assert registry() == before
    assert AuditEntry.objects.exclude(action="job.started").count() == pupil_entries
    assert bytes(Job.objects.get(pk=job.pk).payload)  # kept until confirmed


def test_reimporting_the_same_file_changes_nothing(staff, run):
    first = run(staff, builders.xlsx(ROWS), confirm=True)
    assert first.summary["created"] == 3
    before = registry()

    again = run(staff, builders.xlsx(ROWS), confirm=True)

    assert again.status == JobStatus.SUCCEEDED, again.errors
    assert (again.summary["created"], again.summary["updated"], again.summary["unchanged"]) == (
        0, 0, 3
    )  # fmt: skip
    assert registry() == before


def test_a_corrected_file_updates_the_rows_it_matches(staff, run):
    run(staff, builders.xlsx(ROWS), confirm=True)
    ids = dict(Need.objects.values_list("student__full_name", "pk"))
    corrected_an, corrected_anh = [*AN], [*ANH]
    corrected_an[4], corrected_an[8] = "5A", "0912 000 111"  # moved up a class, new phone
    corrected_anh[6] = "024314005678"  # her ID, found at last

    job = run(staff, builders.xlsx(sheet(corrected_an, corrected_anh, HUONG)), confirm=True)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert (job.summary["created"], job.summary["updated"], job.summary["unchanged"]) == (0, 2, 1)
    assert dict(Need.objects.values_list("student__full_name", "pk")) == ids
    an = Need.objects.select_related("student").get(pk=ids["Nguyễn Văn An"])
    assert (an.class_name, an.student.guardian_phone) == ("5A", "+84912000111")
    assert Student.objects.get(full_name="Trần Thị Ánh").personal_id == "024314005678"


def test_a_column_missing_from_the_file_keeps_what_is_registered(staff, run):
    run(staff, builders.xlsx(ROWS), confirm=True)
    short = [[row[1], row[2], row[16]] for row in ROWS]  # name, birth date, lacking

    job = run(staff, builders.xlsx(short), confirm=True)

    assert job.summary["unchanged"] == 3, job.summary
    assert Student.objects.get(full_name="Nguyễn Văn An").guardian_phone == "+84983934091"


def test_a_pupil_registered_by_another_school_moves_with_one_need(place, campaign, admin, run):
    former, school = place["schools"]["sondong"], place["schools"]["lucngan"]
    need = student_register(
        actor=None, campaign=campaign, school=former,
        data=StudentData(full_name="Nguyễn Văn An", date_of_birth=dt.date(2013, 3, 4),
                         level="primary", lacking="device", personal_id="024213001234"),
    )  # fmt: skip

    job = run(admin, builders.xlsx(sheet(AN)), school=school, confirm=True)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.summary["merged"] == 1
    assert Student.objects.count() == 1
    need.refresh_from_db()
    assert (need.school, need.class_name) == (school, "4A")


def test_a_likely_duplicate_goes_to_review(place, campaign, admin, run):
    # Registered at Sơn Động without an ID; the Lục Ngạn file has her with a typo.
    student_register(
        actor=None, campaign=campaign, school=place["schools"]["sondong"],
        data=StudentData(full_name="Trần Thị Anh", date_of_birth=dt.date(2014, 11, 12),
                         level="primary", lacking="device"),
    )  # fmt: skip

    job = run(admin, builders.xlsx(sheet(ANH)), school=place["schools"]["lucngan"], confirm=True)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.summary["review"] == 1
    pair = DuplicateCandidate.objects.get()
    assert {pair.first.full_name, pair.second.full_name} == {"Trần Thị Anh", "Trần Thị Ánh"}


def test_batches_see_the_registry_as_it_was_before_the_import(staff, run, monkeypatch):
    # Two rows a batch: the twin (same name, birth date and guardian, his own ID) comes in
    # the batch after his brother's, who is by then written, and must not be taken for him.
    monkeypatch.setattr("songmay.students.importing.columns.CHUNK", 2)
    twin = [*AN]
    twin[0], twin[6] = 4, "024213001235"

    job = run(staff, builders.xlsx(sheet(AN, ANH, twin, HUONG)), confirm=True)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.summary["created"] == 4, job.summary
    assert Student.objects.filter(full_name="Nguyễn Văn An").count() == 2
    # Once registered, each row is found again whatever batch it falls in.
    again = run(staff, builders.xlsx(sheet(ANH, twin, HUONG, AN)), confirm=True)
    assert (again.summary["created"], again.summary["unchanged"]) == (0, 4), again.summary


def test_one_import_writes_one_audit_entry_per_school(place, campaign, admin, run):
    rows = [[*AN, "T-07582"], [*ANH, "T-07615"], [*HUONG, "T-07582"]]
    rows[1][10] = "07615"  # she lives in Sơn Động

    job = run(admin, builders.xlsx(sheet(*rows, header=[*HEADER, "Mã trường"])), confirm=True)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    entries = AuditEntry.objects.filter(action="student.imported").order_by("area__code")
    assert [(e.area.code, e.changes["created"]) for e in entries] == [("07582", 2), ("07615", 1)]
    assert Need.objects.get(student__full_name="Trần Thị Ánh").school == place["schools"]["sondong"]


# ------------------------------------------------------------------------- property


_TEXT = st.text(max_size=30).map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text))
_CELL = st.one_of(
    st.none(), _TEXT, st.integers(-(10**13), 10**13),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
    st.sampled_from(["x", "có", "Nữ", "THCS", "0983.934.091", "31/02/2013", "Cả hai", "T-07615"]),
)  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    damage=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, len(HEADER)), _CELL), min_size=1, max_size=6
    )
)
def test_random_malformed_cells_never_crash_nor_leave_a_partial_import(
    damage, staff, campaign, school
):
    rows = [[*AN], [*ANH], [*HUONG], [4, "Lê Văn Dũng", "05/05/2016", "Nam", "1A"]]
    for row, column, value in damage:
        rows[row] += [None] * (column + 1 - len(rows[row]))
        rows[row][column] = value
    job = Job.objects.create(
        kind="students.import", created_by=staff, file_name="ds.xlsx",
        payload=builders.xlsx(sheet(*rows)), params={"campaign": campaign.pk},
    )  # fmt: skip
    with transaction.atomic():
        before = registry()
        job = job_run(job_id=job.pk)
        assert job is not None
        assert job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
        if job.status == JobStatus.FAILED:
            assert job.errors
            assert "Lỗi hệ thống" not in job.errors[0]["message"]
            assert registry() == before
        else:
            assert Need.objects.count() == len(before[1]) + job.summary["created"]
            assert (
                job.summary["rows"]
                == job.summary["created"] + job.summary["updated"] + (job.summary["unchanged"])
            )
        transaction.set_rollback(True)


# ------------------------------------------------------------------------- scope


def test_school_staff_cannot_import_into_another_school(place, staff, campaign, run):
    other = place["schools"]["sondong"]
    rows = [[*AN, "T-07582"], [*ANH, other.code]]

    job = run(staff, builders.xlsx(sheet(*rows, header=[*HEADER, "Mã trường"])))

    assert job.status == JobStatus.FAILED
    assert errors_of(job) == [(3, "Mã trường")]
    assert "khác trường đang nhập" in job.errors[0]["message"]
    # Named in the job's parameters, the other school is ignored: staff import into their own.
    job = run(staff, builders.xlsx(sheet(AN)), school=other, confirm=True)
    assert Need.objects.get().school == place["schools"]["lucngan"]
    with pytest.raises(DomainError):
        students_import(
            actor=staff, campaign=campaign, school=other,
            rows=[*pupil_rows_check(actor=None, campaign=campaign, school=other,
                                    table=table(sheet(ANH))).rows],
        )  # fmt: skip


def test_a_school_code_outside_the_scope_is_not_found(place, make_user, campaign):
    pt_school = place["schools"]["phutho"]
    bn_admin_like = make_user(Role.SCHOOL_STAFF, school=place["schools"]["lucngan"])
    rows = sheet([*AN, pt_school.code], header=[*HEADER, "Mã trường"])

    checked = pupil_rows_check(
        actor=bn_admin_like, campaign=campaign, school=None, table=table(rows)
    )

    # School staff always import into their own school, so the code is checked against it.
    assert [(e.row, e.column) for e in checked.errors] == [(2, "Mã trường")]


def test_a_school_outside_the_campaigns_province_is_refused(place, admin, campaign):
    rows = sheet([*AN, place["schools"]["phutho"].code], header=[*HEADER, "Mã trường"])

    checked = pupil_rows_check(actor=admin, campaign=campaign, school=None, table=table(rows))

    assert [(e.row, e.column) for e in checked.errors] == [(2, "Mã trường")]
    assert "không thuộc địa bàn của chương trình" in checked.errors[0].message


def test_another_users_preview_can_neither_be_confirmed_nor_downloaded(
    staff, make_user, school, run, client
):
    job = run(staff, builders.xlsx(ROWS))
    bad = run(staff, builders.xlsx(sheet([*AN[:2], "hôm qua"])))
    colleague = make_user(Role.SCHOOL_STAFF, school=school)
    client.force_login(colleague)

    assert client.post(reverse("jobs:confirm", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:errors_sheet", args=[bad.pk])).status_code == 404
    assert Student.objects.count() == 0
    client.force_login(staff)
    assert client.get(reverse("jobs:errors_sheet", args=[bad.pk])).status_code == 200


# ------------------------------------------------------------------------- pages


def test_upload_preview_confirm_and_find_the_pupils_in_the_list(
    staff, campaign, client, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    page = client.get(reverse("students:import"))
    assert page.status_code == 200
    assert 'name="school"' not in page.content.decode()  # staff import into their own school
    upload = io.BytesIO(builders.xlsx(ROWS))
    upload.name = "lop4a.xlsx"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("students:import"), {"campaign": campaign.pk, "file": upload}
        )
    preview = Job.objects.get(kind="students.preview")
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[preview.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Xác nhận nhập" in page
    assert "thêm mới <strong>3</strong>" in page
    assert Student.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:confirm", args=[preview.pk]))
    job = Job.objects.get(kind="students.import")
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert (
        "Xác nhận nhập"
        not in client.get(reverse("jobs:detail", args=[preview.pk])).content.decode()
    )
    listing = client.get(reverse("students:list")).content.decode()
    assert "Nguyễn Văn An" in listing and "Đỗ Thị Hương" in listing
    # Confirming twice does not import twice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("jobs:confirm", args=[preview.pk]))
    assert Job.objects.filter(kind="students.import").count() == 1


def test_the_template_has_instructions_drop_downs_and_imports_as_it_is(staff, client, run):
    client.force_login(staff)

    response = client.get(reverse("students:import_template"))

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Danh sách học sinh", "Hướng dẫn"]
    listed = workbook["Danh sách học sinh"]
    header = [cell.value for cell in listed[1]]
    assert header[:3] == ["STT", "Họ và tên", "Ngày sinh"]
    lists = {
        header[
            openpyxl.utils.column_index_from_string(str(v.sqref).split(":")[0][:-1]) - 1
        ]: v.formula1
        for v in listed.data_validations.dataValidation
    }
    assert lists["Giới tính"] == '"Nam,Nữ"'
    assert lists["Cấp học"] == '"Tiểu học,THCS,THPT,GDTX"'
    assert lists["Hoàn cảnh"] == '"Hộ nghèo,Hộ cận nghèo,Khó khăn khác"'
    assert lists["Còn thiếu"] == '"Thiết bị,Kết nối,Cả hai"'
    assert lists["Khuyết tật"] == '"x"'
    guide = [row[0].value for row in workbook["Hướng dẫn"].iter_rows(min_row=2)]
    assert "Họ và tên" in guide
    # The example row, as downloaded, imports.
    job = run(staff, response.content, "mau.xlsx", confirm=True)
    assert job.status == JobStatus.SUCCEEDED, job.errors


# ------------------------------------------------------------------------- command


def test_the_command_imports_and_prints_the_counts(tmp_path, campaign, school, capsys):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(builders.xlsx(ROWS))

    call_command("import_students", str(path), campaign=campaign.pk, school=school.code)

    assert "thêm mới 3" in capsys.readouterr().out
    assert Need.objects.filter(school=school).count() == 3


def test_the_command_dry_run_writes_nothing(tmp_path, campaign, school, capsys):
    path = tmp_path / "ds.csv"
    path.write_bytes(builders.csv_bytes(ROWS))

    call_command(
        "import_students", str(path), campaign=campaign.pk, school=school.code, dry_run=True
    )

    assert "thêm mới 3" in capsys.readouterr().out
    assert Student.objects.count() == 0


def test_the_command_prints_each_error_and_fails_writing_nothing(
    tmp_path, campaign, school, capsys
):
    bad = [*ANH]
    bad[16] = ""
    path = tmp_path / "ds.xlsx"
    path.write_bytes(builders.xlsx(sheet(AN, bad)))
    entries = AuditEntry.objects.count()

    with pytest.raises(CommandError, match="chưa ghi gì"):
        call_command("import_students", str(path), campaign=campaign.pk, school=school.code)

    assert "Dòng 3, cột Còn thiếu: " in capsys.readouterr().err
    assert (Student.objects.count(), AuditEntry.objects.count()) == (0, entries)


def test_the_command_exits_non_zero_on_bad_input(tmp_path, campaign, school, capsys):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(builders.PDF)
    with pytest.raises(CommandError, match="không phải bảng tính"):
        call_command("import_students", str(path), campaign=campaign.pk, school=school.code)
    with pytest.raises(CommandError, match="Không đọc được tệp"):
        call_command("import_students", str(tmp_path / "none.xlsx"), campaign=campaign.pk)
    path.write_bytes(builders.xlsx(ROWS))
    with pytest.raises(CommandError, match="chưa ghi gì"):
        call_command("import_students", str(path), campaign=campaign.pk)
    assert "Dòng 1, cột Mã trường: Thiếu cột “Mã trường”" in capsys.readouterr().err


def test_the_command_as_a_user_keeps_to_their_scope(tmp_path, place, staff, campaign):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(builders.xlsx(ROWS))
    with pytest.raises(CommandError, match="Không có trường mã"):
        call_command(
            "import_students", str(path), campaign=campaign.pk, user=staff.username,
            school=place["schools"]["sondong"].code,
        )  # fmt: skip

    call_command("import_students", str(path), campaign=campaign.pk, user=staff.username)

    assert set(Need.objects.values_list("school", flat=True)) == {staff.school_id}
    entry = AuditEntry.objects.get(action="student.imported")
    assert entry.actor == staff


# ------------------------------------------------------------------------- matching speed-ups

_NAME = st.text(alphabet="abcdeghnouy đăâêôơư", max_size=12)


@given(a=_NAME, b=_NAME)
def test_the_quick_name_check_agrees_with_the_full_edit_distance(a, b):
    from songmay.lib.vietnamese import fold
    from songmay.students.dedupe import _distance, names_alike

    folded_a, folded_b = fold(a), fold(b)
    oracle = bool(folded_a and folded_b) and (
        folded_a == folded_b
        or sorted(folded_a.split()) == sorted(folded_b.split())
        or _distance(folded_a, folded_b) <= 2
    )
    assert names_alike(a, b) == oracle
