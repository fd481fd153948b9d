"""Formula injection: text a person typed that starts with =, +, -, @, a tab or a carriage
return is written to every xlsx and CSV export with a leading apostrophe, so Excel shows it
instead of running it; real numbers stay numbers; a file we exported reads back as typed."""

import csv
import datetime as dt
import io

import openpyxl
from django.urls import reverse

from songmay.lib.spreadsheet import read_table, safe_csv_row
from songmay.lib.tests import builders

FORMULAS = [
    '=HYPERLINK("http://evil.example","Bấm vào")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
]
STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cells(content: bytes) -> list[str]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [
        cell.value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]


def assert_no_formula(cells: list[str]) -> None:
    live = [cell for cell in cells if cell.startswith(STARTS)]
    assert not live, f"cells Excel would run as formulas: {live}"


def test_csv_rows_neutralise_text_and_keep_numbers():
    assert safe_csv_row([-5, 3.5, "-5", "=1+1", "@x", "Lục Ngạn", None]) == [
        -5, 3.5, "'-5", "'=1+1", "'@x", "Lục Ngạn", None,
    ]  # fmt: skip


def _register(world, name, **extra):
    from songmay.students.services import StudentData, student_register

    return student_register(
        actor=None, campaign=world["campaign_bn"], school=world["school_ln"],
        data=StudentData(
            full_name=name, date_of_birth=dt.date(2013, 1, 2), level="primary",
            lacking="device", **extra,
        ),
    )  # fmt: skip


def test_the_pupil_export_neutralises_formulas_and_reads_back_as_typed(world, client):
    for number, text in enumerate(FORMULAS):
        _register(world, text, guardian_name=text, village=f"-{number} Thôn")
    client.force_login(world["users"]["school_ln"])
    response = client.get(reverse("students:export"))
    assert response.status_code == 200
    assert_no_formula(text_cells(response.content))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert all(isinstance(row[0].value, int) for row in sheet.iter_rows(min_row=2))  # STT
    # What every importer reads (lib.spreadsheet.read_table) is the text that was typed.
    table = read_table(response.content, "hoc-sinh.xlsx")
    names = {row[1] for row in table[1:]}
    assert {text.strip() for text in FORMULAS} <= names


def test_the_audit_export_neutralises_formulas(world, client):
    for text in FORMULAS:
        _register(world, text)
    client.force_login(world["users"]["admin"])
    response = client.get(reverse("audit:export"))
    assert response.status_code == 200
    cells = text_cells(response.content)
    assert len(cells) > 1
    assert_no_formula(cells)


def test_the_operator_batch_neutralises_formulas_in_csv_and_xlsx(world, client):
    from songmay.connectivity.models import DataPackage, Operator
    from tests.test_scoping_matrix import _package, _package_batch

    other = Operator.objects.exclude(pk=world["users"]["operator"].operator_id).first()
    DataPackage.objects.filter(pk=_package(world, other.code).pk).update(name=FORMULAS[1])
    batch = _package_batch(world)
    client.force_login(world["users"]["admin"])
    as_csv = client.get(reverse("connectivity:batch_download", args=[batch.pk, "csv"]))
    assert as_csv.status_code == 200
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'" + FORMULAS[1] in cells
    assert_no_formula(cells)
    assert rows[1][3] == "12"  # months: a number, written as one
    # The operator's results file is read back without the apostrophe.
    assert read_table(as_csv.content, "ket-qua.csv")[1][2] == FORMULAS[1]
    as_xlsx = client.get(reverse("connectivity:batch_download", args=[batch.pk, "xlsx"]))
    assert_no_formula(text_cells(as_xlsx.content))


def test_the_error_sheet_of_an_import_reads_back_as_typed(
    world, client, django_capture_on_commit_callbacks
):
    """The file of rows with errors is fixed in Excel and uploaded again: the text comes back
    without the apostrophe added on the way out."""
    from songmay.jobs.models import Job
    from tests.security.test_injection import HEADER

    client.force_login(world["users"]["school_ln"])
    # No birth date: the row is refused. (A cell typed "=..." in Excel is a formula there
    # already, so the name starts with the other characters.)
    bad = [1, "-1 Nguyễn", "", "Tiểu học", "@Bố", "+Thôn", "4A", "Thiết bị"]
    upload = io.BytesIO(builders.xlsx([HEADER, bad]))
    upload.name = "loi.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("students:import"), {"campaign": world["campaign_bn"].pk, "file": upload}
        )
    job = Job.objects.get(kind="students.preview")
    assert job.errors
    sheet = client.get(reverse("jobs:errors_sheet", args=[job.pk]))
    assert sheet.status_code == 200
    cells = text_cells(sheet.content)
    assert "'-1 Nguyễn" in cells
    assert_no_formula(cells)
    assert read_table(sheet.content, "loi.xlsx")[1][1:6] == [
        "-1 Nguyễn", "", "Tiểu học", "@Bố", "+Thôn",
    ]  # fmt: skip
