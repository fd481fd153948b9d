import io

import openpyxl
import pytest
from django.urls import reverse

from songmay.accounts.scope import Role
from songmay.areas.importing import (
    COLUMNS,
    ImportSummary,
    parse_levels,
    school_rows_check,
    schools_import,
    template_sheets,
)
from songmay.areas.models import Area, School, SchoolLevel
from songmay.audit.models import AuditEntry
from songmay.jobs.models import Job, JobStatus
from songmay.jobs.services import job_start
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import RowError, read_table
from songmay.lib.tests import builders

HEADER = ["Mã trường", "Tên trường", "Cấp học", "Mã xã/phường", "Địa chỉ", "Hiệu trưởng",
          "Người liên hệ", "Điện thoại", "Email"]  # fmt: skip


def good_row(
    code="24710101", name="Trường Tiểu học Lục Ngạn số 2", levels="Tiểu học", area="07582"
):
    return [code, name, levels, area, "Thôn Đồng", "Nguyễn Văn An", "Trần Thị Bình",
            "0204.3854.123", "c1lucngan2@bacninh.edu.vn"]  # fmt: skip


@pytest.fixture
def officer(make_user, place):
    """A province officer of Bắc Ninh, where Lục Ngạn and Sơn Động are."""
    return make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])


@pytest.fixture
def commune_officer(make_user, place):
    return make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])


def run_import(user, data, name, callbacks_fixture):
    """Upload through the real service and let the job run when the upload commits."""
    with callbacks_fixture(execute=True):
        job = job_start(actor=user, kind="schools.import", file_name=name, payload=data)
    job.refresh_from_db()
    return job


def errors_of(job):
    return [(error["row"], error["column"]) for error in job.errors]


def tables():
    """Everything an import could write, to compare before and after."""
    schools = list(School.objects.order_by("pk").values())
    entries = list(AuditEntry.objects.order_by("pk").values())
    return schools, entries


# ------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (builders.xlsx, "truong.xlsx"),
        (builders.xls, "truong.xls"),
        (builders.ods, "truong.ods"),
        (builders.csv_bytes, "truong.csv"),
        (lambda rows: builders.csv_bytes(rows, encoding="utf-8-sig"), "truong-bom.csv"),
        (lambda rows: builders.csv_bytes(rows, delimiter=";"), "truong-champhay.csv"),
    ],
)
def test_a_school_list_imports_from_every_spreadsheet_format(
    build, name, officer, django_capture_on_commit_callbacks
):
    rows = [HEADER, good_row(), good_row("24710102", "Trường THCS Sơn Động", "THCS", "07615")]

    job = run_import(officer, build(rows), name, django_capture_on_commit_callbacks)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.summary == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    school = School.objects.get(code="24710101")
    assert school.name == "Trường Tiểu học Lục Ngạn số 2"
    assert school.area.code == "07582"
    assert school.levels == [SchoolLevel.PRIMARY]
    assert school.phone == "+842043854123"
    assert school.email == "c1lucngan2@bacninh.edu.vn"
    assert (school.address, school.principal_name, school.contact_name) == (
        "Thôn Đồng", "Nguyễn Văn An", "Trần Thị Bình"
    )  # fmt: skip
    assert School.objects.get(code="24710102").area.code == "07615"


def test_numbers_typed_as_numbers_keep_their_meaning(officer, django_capture_on_commit_callbacks):
    # Excel turns 07582 into the number 7582 and a school code into 24710101.0.
    row = good_row(code=24710101, area=7582)
    row[7] = 2043854123  # the leading 0 of the phone number is lost too

    job = run_import(
        officer, builders.xlsx([HEADER, row]), "so.xlsx", django_capture_on_commit_callbacks
    )

    assert job.status == JobStatus.SUCCEEDED, job.errors
    school = School.objects.get(code="24710101")
    assert school.area.code == "07582"
    assert school.phone == "+842043854123"


def test_a_title_above_the_header_and_loose_headers_are_understood(
    officer, django_capture_on_commit_callbacks
):
    rows = [
        ["DANH SÁCH TRƯỜNG HỌC THAM GIA CHƯƠNG TRÌNH"],
        [],
        ["STT", "ma truong", "TEN TRUONG", "Cap hoc", "Xã / phường", "SĐT"],
        [1, "T-NEW", "Trường TH&THCS Lục Ngạn", "TH&THCS", "Lục Ngạn", "0983.934.091"],
    ]

    job = run_import(officer, builders.xlsx(rows), "ds.xlsx", django_capture_on_commit_callbacks)

    assert job.status == JobStatus.SUCCEEDED, job.errors
    school = School.objects.get(code="T-NEW")
    assert school.area == Area.objects.get(code="07582")
    assert school.levels == [SchoolLevel.PRIMARY, SchoolLevel.LOWER_SECONDARY]


# ------------------------------------------------------------------------- errors


def test_three_bad_rows_are_all_listed_and_nothing_is_written(
    officer, django_capture_on_commit_callbacks
):
    rows = [
        ["DANH SÁCH TRƯỜNG"],  # row 1: a title
        HEADER,  # row 2
        good_row("T-A"),  # row 3
        good_row("T-B", area="99999"),  # row 4: no such commune
        good_row("T-C"),  # row 5
        good_row("T-D", name=""),  # row 6: no name
        [],  # row 7: blank, skipped
        [*good_row("T-E")[:7], "12345", "c1@bacninh.edu.vn"],  # row 8: not a phone number
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        job = job_start(
            actor=officer, kind="schools.import", file_name="loi.xlsx", payload=builders.xlsx(rows)
        )
    before = tables()

    for callback in callbacks:
        callback()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert errors_of(job) == [(4, "Mã xã/phường"), (6, "Tên trường"), (8, "Điện thoại")]
    messages = [error["message"] for error in job.errors]
    assert "99999" in messages[0]
    assert "Thiếu tên trường" in messages[1]
    assert "12345" in messages[2]
    assert tables() == before


def test_every_problem_of_one_row_is_listed(officer):
    row = ["T-X", "", "Mẫu giáo", "07582", "", "", "", "abc", "khong-phai-email"]

    _, errors = school_rows_check(actor=officer, table=[HEADER, row])

    assert [(error.row, error.column) for error in errors] == [
        (2, "Tên trường"),
        (2, "Cấp học"),
        (2, "Điện thoại"),
        (2, "Email"),
    ]
    assert "“Mẫu giáo”" in errors[1].message


def test_a_code_twice_in_the_file_is_an_error_on_the_second_row(officer):
    table = [HEADER, good_row("T-1"), good_row("T-2"), good_row("T-1")]

    _, errors = school_rows_check(actor=officer, table=table)

    assert errors == [
        RowError(
            4,
            "Mã trường",
            "Mã trường “T-1” trùng với dòng 2. Mỗi trường chỉ ghi một dòng; "
            "hãy xoá dòng thừa hoặc sửa mã.",
        )
    ]


def test_a_commune_outside_the_users_scope_is_a_row_error(
    commune_officer, place, django_capture_on_commit_callbacks
):
    # A Lục Ngạn officer lists a school in Sơn Động, the next commune.
    rows = [HEADER, good_row("T-1"), good_row("T-2", area="07615")]

    job = run_import(
        commune_officer, builders.xlsx(rows), "ds.xlsx", django_capture_on_commit_callbacks
    )

    assert job.status == JobStatus.FAILED
    assert errors_of(job) == [(3, "Mã xã/phường")]
    assert "ngoài phạm vi" in job.errors[0]["message"]
    assert not School.objects.filter(code__in=["T-1", "T-2"]).exists()


def test_a_commune_name_is_looked_up_only_inside_the_scope(commune_officer):
    table = [
        ["Mã trường", "Tên trường", "Cấp học", "Xã/phường"],
        ["T-1", "Trường A", "THCS", "xã Lục Ngạn"],
        ["T-2", "Trường B", "THCS", "Sơn Động"],
    ]

    rows, errors = school_rows_check(actor=commune_officer, table=table)

    assert [row.data.area.code for row in rows] == ["07582"]
    assert [(error.row, error.column) for error in errors] == [(3, "Xã/phường")]
    assert "Không tìm thấy xã/phường “Sơn Động”" in errors[0].message


def test_an_ambiguous_commune_name_asks_for_the_code(make_user, areas):
    admin = make_user(Role.ADMIN)
    same_name = Area.objects.filter(name="Phường Tân An")
    assert same_name.count() > 1  # several provinces have one
    table = [
        ["Mã trường", "Tên trường", "Cấp học", "Xã/phường"],
        ["T-1", "Trường A", "TH", "Tân An"],
    ]

    _, errors = school_rows_check(actor=admin, table=table)

    assert errors[0].column == "Xã/phường"
    assert "Hãy ghi mã vào cột Mã xã/phường" in errors[0].message
    assert all(area.code in errors[0].message for area in same_name)


def test_missing_columns_are_named_on_the_header_row(officer):
    table = [["Mã trường", "Địa chỉ", "Mã xã/phường"], ["T-1", "Thôn Đồng", "07582"]]

    _, errors = school_rows_check(actor=officer, table=table)

    assert [(error.row, error.column) for error in errors] == [(1, "Tên trường"), (1, "Cấp học")]


def test_a_file_without_any_commune_column_is_refused(officer):
    _, errors = school_rows_check(
        actor=officer, table=[["Mã trường", "Tên trường", "Cấp học"], ["T-1", "A", "TH"]]
    )

    assert [(error.row, error.column) for error in errors] == [(1, "Mã xã/phường")]


def test_a_header_with_no_rows_below_is_an_error(officer):
    _, errors = school_rows_check(actor=officer, table=[HEADER, [], []])

    assert errors == [
        RowError(
            0, "", "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề. Hãy điền danh sách trường."
        )
    ]


def test_text_longer_than_the_database_allows_is_an_error(officer):
    row = good_row()
    row[5] = "Nguyễn " * 30

    _, errors = school_rows_check(actor=officer, table=[HEADER, row])

    assert [(error.row, error.column) for error in errors] == [(2, "Hiệu trưởng")]


def test_a_pdf_renamed_xlsx_fails_the_job_with_a_clear_message(
    officer, django_capture_on_commit_callbacks
):
    before = School.objects.count()

    job = run_import(officer, builders.PDF, "danh-sach.xlsx", django_capture_on_commit_callbacks)

    assert job.status == JobStatus.FAILED
    assert errors_of(job) == [(0, "")]
    assert "không phải bảng tính" in job.errors[0]["message"]
    assert School.objects.count() == before


# ------------------------------------------------------------------------- updates


def test_existing_schools_are_updated_and_empty_cells_keep_their_values(
    officer, place, django_capture_on_commit_callbacks
):
    school = place["schools"]["lucngan"]
    School.objects.filter(pk=school.pk).update(phone="+842043854123", address="Thôn Cũ")
    rows = [
        HEADER,
        [school.code, "Trường Tiểu học và THCS Lục Ngạn", "Tiểu học, THCS", "", "", "", "", "", ""],
        [place["schools"]["sondong"].code, place["schools"]["sondong"].name, "Tiểu học", "07615"],
        good_row("T-MOI"),
    ]

    job = run_import(
        officer, builders.xlsx(rows), "capnhat.xlsx", django_capture_on_commit_callbacks
    )

    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.summary == {"rows": 3, "created": 1, "updated": 1, "unchanged": 1}
    school.refresh_from_db()
    assert school.name == "Trường Tiểu học và THCS Lục Ngạn"
    assert school.levels == [SchoolLevel.PRIMARY, SchoolLevel.LOWER_SECONDARY]
    assert (school.area.code, school.phone, school.address) == ("07582", "+842043854123", "Thôn Cũ")
    actions = list(
        AuditEntry.objects.filter(action__startswith="school.").values_list("action", flat=True)
    )
    assert actions.count("school.updated") == 1
    assert actions.count("school.created") == 1 + 3  # the new one, and the fixture's three
    imported = AuditEntry.objects.get(action="school.imported")
    assert imported.actor == officer
    assert imported.changes == {
        "file": "capnhat.xlsx", "rows": 3, "created": 1, "updated": 1, "unchanged": 1,
    }  # fmt: skip


def test_a_school_code_used_outside_the_scope_is_not_taken_over(make_user, place):
    sondong_officer = make_user(Role.AREA_OFFICER, area=place["communes"]["sondong"])
    lucngan_school = place["schools"]["lucngan"]
    table = [HEADER, good_row(lucngan_school.code, area="07615")]

    rows, errors = school_rows_check(actor=sondong_officer, table=table)

    assert rows == []
    assert [(error.row, error.column) for error in errors] == [(2, "Mã trường")]
    assert "ngoài phạm vi" in errors[0].message
    assert lucngan_school.name not in errors[0].message


def test_an_inactive_school_stays_inactive_when_updated(officer, place):
    school = place["schools"]["lucngan"]
    School.objects.filter(pk=school.pk).update(is_active=False)

    rows, errors = school_rows_check(actor=officer, table=[HEADER, good_row(school.code)])
    schools_import(actor=officer, rows=rows, file_name="a.xlsx")

    school.refresh_from_db()
    assert errors == []
    assert school.is_active is False


def test_a_failure_while_writing_keeps_nothing(officer, monkeypatch):
    from songmay.areas import importing

    rows, errors = school_rows_check(
        actor=officer, table=[HEADER, good_row("T-1"), good_row("T-2"), good_row("T-3")]
    )
    assert errors == []
    real_create = importing.school_create

    def create(*, actor, data):
        if data.code == "T-3":  # e.g. someone registered T-3 meanwhile
            raise DomainError("Mã trường “T-3” đã có trong hệ thống.", field="code")
        return real_create(actor=actor, data=data)

    monkeypatch.setattr(importing, "school_create", create)
    before = tables()

    with pytest.raises(importing.ImportRejectedError) as rejected:
        schools_import(actor=officer, rows=rows, file_name="a.xlsx")

    assert rejected.value.errors == [
        RowError(4, "Mã trường", "Mã trường “T-3” đã có trong hệ thống.")
    ]
    assert tables() == before


def test_a_school_staff_member_cannot_import(make_user, place, django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied

    staff = make_user(Role.SCHOOL_STAFF, school=place["schools"]["lucngan"])

    with pytest.raises(PermissionDenied):
        job_start(actor=staff, kind="schools.import", file_name="a.xlsx", payload=b"x")


# ------------------------------------------------------------------------- progress


def test_progress_is_reported_row_by_row_with_the_write_as_the_last_step(officer):
    seen = []
    table = [HEADER, good_row("T-1"), [], good_row("T-2"), good_row("T-3")]

    school_rows_check(
        actor=officer, table=table, progress=lambda done, total: seen.append((done, total))
    )

    assert seen == [(1, 4), (2, 4), (3, 4)]


def test_a_finished_job_shows_every_step_done(officer, django_capture_on_commit_callbacks):
    job = run_import(
        officer,
        builders.xlsx([HEADER, good_row("T-1")]),
        "a.xlsx",
        django_capture_on_commit_callbacks,
    )

    assert (job.done, job.total, job.percent) == (2, 2, 100)


def test_checking_a_big_file_takes_a_fixed_number_of_queries(
    officer, django_assert_max_num_queries
):
    table = [HEADER, *(good_row(f"T-{i}") for i in range(300))]

    with django_assert_max_num_queries(6):
        rows, errors = school_rows_check(actor=officer, table=table)

    assert (len(rows), errors) == (300, [])


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("Tiểu học", ["primary"]),
        ("TH&THCS", ["primary", "lower_secondary"]),
        ("Trung học cơ sở; Trung học phổ thông", ["lower_secondary", "upper_secondary"]),
        ("THCS và THPT", ["lower_secondary", "upper_secondary"]),
        ("Tiểu học VÀ trung học cơ sở", ["primary", "lower_secondary"]),
        ("giao duc thuong xuyen", ["continuing"]),
        ("GDNN-GDTX", ["continuing"]),
        ("tiểu học, TIỂU HỌC", ["primary"]),
        ("Cấp 1 + cấp 2", ["primary", "lower_secondary"]),
    ],
)
def test_levels_are_read_however_they_are_written(text, levels):
    assert parse_levels(text) == (levels, [])


def test_unknown_levels_are_returned_for_the_message():
    assert parse_levels("THCS, Mầm non") == (["lower_secondary"], ["Mầm non"])


def test_schools_import_records_one_import_entry(officer):
    rows, _ = school_rows_check(actor=officer, table=[HEADER, good_row("T-1")])

    summary = schools_import(actor=officer, rows=rows, file_name="a.xlsx")

    assert summary == ImportSummary(rows=1, created=1)
    entry = AuditEntry.objects.get(action="school.imported")
    assert entry.area == officer.area
    assert entry.target_repr == "Nhập danh sách trường từ tệp “a.xlsx”"


# ------------------------------------------------------------------------- pages


def test_the_import_page_explains_the_columns(client, officer):
    client.force_login(officer)

    response = client.get(reverse("areas:school_import"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'accept=".xlsx,.xls,.ods,.csv"' in page
    assert all(column.label in page for column in COLUMNS)
    assert reverse("areas:school_import_template") in page


@pytest.mark.parametrize("name", ["areas:school_import", "areas:school_import_template"])
def test_import_pages_need_the_right_to_add_schools(client, make_user, place, name):
    staff = make_user(Role.SCHOOL_STAFF, school=place["schools"]["lucngan"])
    assert client.get(reverse(name)).status_code == 302  # to the log-in page

    client.force_login(staff)

    assert client.get(reverse(name)).status_code == 403


def test_uploading_a_file_runs_the_job_and_shows_its_page(
    client, officer, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    upload = io.BytesIO(builders.xlsx([HEADER, good_row("T-WEB")]))
    upload.name = "danh-sach.xlsx"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("areas:school_import"), {"file": upload})

    job = Job.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("jobs:detail", args=[job.pk])
    assert (job.created_by, job.file_name) == (officer, "danh-sach.xlsx")
    assert School.objects.filter(code="T-WEB").exists()
    page = client.get(response.url).content.decode()
    assert "Hoàn thành" in page
    assert "thêm mới <strong>1</strong>" in page


def test_a_file_too_big_is_refused_before_anything_is_written(client, officer, settings):
    settings.SONGMAY_MAX_UPLOAD_BYTES = 1024
    client.force_login(officer)
    upload = io.BytesIO(builders.xlsx([HEADER, *(good_row(f"T-{i}") for i in range(50))]))
    upload.name = "lon.xlsx"
    before = tables()

    response = client.post(reverse("areas:school_import"), {"file": upload})

    assert response.status_code == 200
    assert "Tệp lớn quá" in response.content.decode()
    assert not Job.objects.exists()
    assert tables() == before


def test_a_pdf_renamed_xlsx_is_refused_on_upload(client, officer):
    client.force_login(officer)
    upload = io.BytesIO(builders.PDF)
    upload.name = "danh-sach.xlsx"

    response = client.post(reverse("areas:school_import"), {"file": upload})

    assert response.status_code == 200
    assert "không phải bảng tính" in response.content.decode()
    assert not Job.objects.exists()


def test_the_template_has_every_column_and_an_example_that_imports(
    client, commune_officer, django_capture_on_commit_callbacks
):
    client.force_login(commune_officer)

    response = client.get(reverse("areas:school_import_template"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Danh sách trường", "Hướng dẫn"]
    table = read_table(response.content, "mau.xlsx")
    assert table[0] == [column.label for column in COLUMNS]
    assert table[1][3] == "07582"  # a commune of the officer's own scope
    job = run_import(
        commune_officer, response.content, "mau.xlsx", django_capture_on_commit_callbacks
    )
    assert job.status == JobStatus.SUCCEEDED, job.errors


def test_template_sheets_without_any_commune_in_scope_still_has_an_example(make_user, db):
    admin = make_user(Role.ADMIN)

    (_, header, rows), _ = template_sheets(user=admin)

    assert len(rows[0]) == len(header) == len(COLUMNS)
