"""Importing dead spots from a spreadsheet: a preview job that writes nothing, then the
confirmed job that writes the whole file or nothing, with every error's row and column."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from songmay.audit.models import AuditEntry
from songmay.connectivity.models import DeadSpot, DeadSpotEvent
from songmay.jobs.models import JobStatus
from songmay.jobs.services import job_confirm, job_start
from songmay.lib.tests import builders

HEADER = [
    "STT", "Xã/phường", "Thôn/xóm", "Vĩ độ", "Kinh độ", "Số hộ", "Số học sinh", "Doanh nghiệp",
    "Giải pháp", "Ngày báo cáo", "Hạn phủ sóng", "Ghi chú",
]  # fmt: skip


def rows(world):
    ln, sd = world["communes"]["lucngan"], world["communes"]["sondong"]
    return [
        HEADER,
        [1, ln.code, "Thôn Na Hem", "21,41", "106,52", 30, 12, "Viettel", "Trạm phát sóng 4G",
         "15/09/2021", "31/12/2021", ""],
        [2, sd.name, "Bản Chè", "", "", "", "", "mobifone", "cáp quang", "16/09/2021", "", ""],
    ]  # fmt: skip


def counts():
    return (
        DeadSpot.objects.count(),
        DeadSpotEvent.objects.count(),
        AuditEntry.objects.filter(action="dead_spot.imported").count(),
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks, spot_world):
    """run(rows) -> the finished preview job; run(rows, confirm=True) -> the import job."""

    def run(data, *, user=None, confirm=False):
        user = user or spot_world["users"]["province"]
        payload = data if isinstance(data, bytes) else builders.xlsx(data)
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(
                actor=user, kind="dead_spots.preview", file_name="lom.xlsx", payload=payload
            )
        job.refresh_from_db()
        if not confirm:
            return job
        assert job.status == JobStatus.SUCCEEDED, job.errors
        with django_capture_on_commit_callbacks(execute=True):
            imported = job_confirm(actor=user, preview=job)
        imported.refresh_from_db()
        return imported

    return run


def test_a_good_file_is_previewed_then_imported_whole(spot_world, run):
    before = counts()
    preview = run(rows(spot_world))
    assert preview.status == JobStatus.SUCCEEDED
    assert preview.summary["created"] == 2
    assert counts() == before  # the preview writes nothing
    job = run(rows(spot_world), confirm=True)
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert job.summary["created"] == 2
    na_hem = DeadSpot.objects.get(village="Thôn Na Hem")
    assert na_hem.operator == spot_world["operators"]["viettel"]
    assert na_hem.target_on == dt.date(2021, 12, 31)
    assert str(na_hem.latitude) == "21.41000"
    che = DeadSpot.objects.get(village="Bản Chè")
    assert (che.technology, che.households, che.latitude) == ("fibre", 0, None)
    assert counts() == (before[0] + 2, before[1] + 2, before[2] + 1)


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_written(spot_world, run):
    bad = rows(spot_world)
    bad[1][9] = "31/02/2021"  # no such date
    bad[2][1] = "Xã Không Có"
    bad.append([3, spot_world["communes"]["lucngan"].code, "thon khe nghe", "", "", "", "", "",
                "", "01/10/2021", "", ""])  # fmt: skip  # already registered
    bad.append([4, spot_world["communes"]["lucngan"].code, "Thôn Mới", "95", "106", "", "",
                "Hãng Lạ", "", "01/10/2021", "", ""])  # fmt: skip
    bad.append([5, spot_world["communes"]["lucngan"].code, "Thôn Xa", "95", "106", "", "",
                "", "", "01/10/2021", "", ""])  # fmt: skip
    before = counts()
    job = run(bad)
    assert job.status == JobStatus.FAILED
    found = [(error["row"], error["column"]) for error in job.errors]
    assert found == [
        (2, "Ngày báo cáo"),
        (3, "Xã/phường"),
        (4, "Thôn/xóm"),
        (5, "Doanh nghiệp"),
        (6, "Vĩ độ"),
    ]
    messages = " ".join(error["message"] for error in job.errors)
    assert "dd/mm/yyyy" in messages and "đã có trong danh sách" in messages
    assert counts() == before


def test_a_village_twice_in_the_file_is_refused(spot_world, run):
    data = rows(spot_world)
    data.append([3, spot_world["communes"]["lucngan"].code, "THÔN NA HEM", "", "", "", "", "",
                 "", "01/10/2021", "", ""])  # fmt: skip
    job = run(data)
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "Thôn/xóm")]
    assert "trùng với dòng 2" in job.errors[0]["message"]


def test_an_officer_cannot_import_outside_the_area(spot_world, run):
    job = run(rows(spot_world), user=spot_world["users"]["area_ln"])
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "Xã/phường")]


def test_a_missing_column_is_named(spot_world, run):
    data = [[cell for index, cell in enumerate(row) if index != 9] for row in rows(spot_world)]
    job = run(data)
    assert [(e["row"], e["column"]) for e in job.errors] == [(1, "Ngày báo cáo")]


def test_the_template_imports_once_the_example_is_replaced(spot_world, run, client):
    client.force_login(spot_world["users"]["province"])
    response = client.get(reverse("connectivity:dead_spot_import_template"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert run(response.content).status == JobStatus.FAILED  # the example row is refused
    sheet.cell(row=2, column=3, value="Thôn Từ Mẫu")
    sheet.cell(row=2, column=12, value="")
    out = io.BytesIO()
    book.save(out)
    job = run(out.getvalue(), confirm=True)
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert DeadSpot.objects.filter(village="Thôn Từ Mẫu").exists()


def test_the_import_page_starts_a_preview_job(spot_world, client):
    client.force_login(spot_world["users"]["province"])
    assert client.get(reverse("connectivity:dead_spot_import")).status_code == 200
    upload = io.BytesIO(builders.xlsx(rows(spot_world)))
    upload.name = "lom.xlsx"
    response = client.post(reverse("connectivity:dead_spot_import"), {"file": upload})
    assert response.status_code == 302
    assert response["Location"].startswith("/jobs/")


def test_operators_cannot_import(spot_world, client):
    client.force_login(spot_world["users"]["viettel"])
    assert client.get(reverse("connectivity:dead_spot_import")).status_code == 403


def test_a_count_in_other_digits_is_a_cell_error():
    from songmay.connectivity.importing import CellError, parse_count

    with pytest.raises(CellError, match="số nguyên không âm"):
        parse_count("³5", "Số hộ")
    assert parse_count("1.250", "Số hộ") == 1250
