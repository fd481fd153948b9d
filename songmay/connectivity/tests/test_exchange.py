"""Batches out to operators and results back: CSV and xlsx, whole or nothing."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from songmay.connectivity.exchange import batch_csv, batch_xlsx, read_results
from songmay.connectivity.models import ConnectivitySupport, ExchangeBatch, SupportStatus
from songmay.connectivity.package_selectors import batch_rows
from songmay.connectivity.package_services import (
    ResultsRejected,
    batch_export,
    batch_results_import,
    support_request,
)
from songmay.lib.errors import DomainError
from songmay.students.services import StudentData, student_register

pytestmark = pytest.mark.django_db


def _request(world, need, code="viettel", phone="0983934091"):
    return support_request(
        actor=world["users"]["school_ln"] if need.school == world["schools"]["lucngan"] else None,
        need=need, package=world["packages"][code], phone=phone, consent_given=True,
        consent_on=dt.date(2021, 9, 20),
    )  # fmt: skip


def _results_csv(lines):
    text = "Mã yêu cầu,Số điện thoại,Kết quả,Ngày kích hoạt,Lý do\r\n" + "".join(
        ",".join(line) + "\r\n" for line in lines
    )
    return text.encode("utf-8")


@pytest.fixture
def sent(package_world):
    """Two Viettel requests in batch 1 and one MobiFone request, all sent."""
    first = _request(package_world, package_world["need_ln"])
    second = _request(package_world, package_world["need_ln2"], phone="0912345678")
    other = _request(package_world, package_world["need_sd"], code="mobifone")
    viettel = package_world["users"]["viettel"]
    batch = batch_export(actor=viettel, operator=package_world["operators"]["viettel"])
    batch_export(actor=None, operator=package_world["operators"]["mobifone"])
    return {"first": first, "second": second, "other": other, "batch": batch}


def test_a_batch_takes_the_operators_new_requests_only(package_world, sent):
    batch = sent["batch"]
    assert batch.number == 1
    assert set(batch.supports.values_list("pk", flat=True)) == {
        sent["first"].pk, sent["second"].pk,
    }  # fmt: skip
    assert set(batch.supports.values_list("status", flat=True)) == {SupportStatus.SENT}
    with pytest.raises(DomainError, match="Không có yêu cầu mới"):
        batch_export(actor=None, operator=package_world["operators"]["viettel"])


def test_an_operator_cannot_export_another_operators_batch(package_world):
    _request(package_world, package_world["need_ln"])
    with pytest.raises(DomainError):
        batch_export(
            actor=package_world["users"]["mobifone"], operator=package_world["operators"]["viettel"]
        )
    assert not ExchangeBatch.objects.exists()


def test_the_csv_has_a_bom_and_reads_back_in_excel_order(sent):
    data = batch_csv(batch_rows(sent["batch"]))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Mã yêu cầu,Số điện thoại,Gói cước")
    assert f"{sent['first'].pk},0983934091," in text
    assert "20/09/2021" in text


def test_export_then_import_round_trip_in_xlsx(package_world, sent):
    data = batch_xlsx(batch_rows(sent["batch"]))
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        by_name = dict(zip(header, row, strict=False))
        if by_name["Mã yêu cầu"].value == sent["first"].pk:
            by_name["Kết quả"].value = "kích hoạt"
            by_name["Ngày kích hoạt"].value = dt.date(2021, 10, 1)
        else:
            by_name["Kết quả"].value = "không"
            by_name["Lý do"].value = "Thuê bao đã chuyển mạng"
    out = io.BytesIO()
    workbook.save(out)
    summary = batch_results_import(
        actor=package_world["users"]["viettel"], operator=package_world["operators"]["viettel"],
        data=out.getvalue(), filename="ket-qua.xlsx",
    )  # fmt: skip
    assert (summary["activated"], summary["failed"]) == (1, 1)
    first, second = (ConnectivitySupport.objects.get(pk=sent[k].pk) for k in ("first", "second"))
    assert first.status == SupportStatus.ACTIVE
    assert (first.activated_on, first.ends_on) == (dt.date(2021, 10, 1), dt.date(2022, 10, 1))
    assert second.status == SupportStatus.FAILED
    assert second.failure_reason == "Thuê bao đã chuyển mạng"
    sent["batch"].refresh_from_db()
    assert sent["batch"].results_at is not None


def test_a_results_file_with_one_bad_line_changes_nothing_and_names_the_line(package_world, sent):
    data = _results_csv(
        [
            [str(sent["first"].pk), "0983934091", "kích hoạt", "01/10/2021", ""],
            [str(sent["second"].pk), "", "kích hoạt", "31/02/2021", ""],
        ]
    )
    with pytest.raises(ResultsRejected) as caught:
        batch_results_import(
            actor=package_world["users"]["viettel"],
            operator=package_world["operators"]["viettel"], data=data, filename="kq.csv",
        )  # fmt: skip
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "Ngày kích hoạt")]
    assert "dòng 3" in caught.value.message
    statuses = ConnectivitySupport.objects.filter(pk__in=[sent["first"].pk, sent["second"].pk])
    assert set(statuses.values_list("status", flat=True)) == {SupportStatus.SENT}


def test_unknown_foreign_and_unsent_requests_are_each_named(package_world, sent):
    need = student_register(
        actor=None, campaign=package_world["campaign"], school=package_world["schools"]["lucngan"],
        data=StudentData(
            full_name="Vũ Thị Mới", date_of_birth=dt.date(2013, 1, 1), level="primary",
            lacking="connectivity",
        ),
    )  # fmt: skip
    not_sent = _request(package_world, need)
    data = _results_csv(
        [
            ["999999", "", "kích hoạt", "01/10/2021", ""],
            [str(sent["other"].pk), "", "kích hoạt", "01/10/2021", ""],
            [str(not_sent.pk), "", "không", "", "Sai số"],
            ["abc", "", "có lẽ", "", ""],
        ]
    )
    with pytest.raises(ResultsRejected) as caught:
        batch_results_import(
            actor=None, operator=package_world["operators"]["viettel"], data=data,
            filename="kq.csv",
        )  # fmt: skip
    rows = [(e.row, e.column) for e in caught.value.errors]
    assert rows == [
        (2, "Mã yêu cầu"), (3, "Mã yêu cầu"), (4, "Mã yêu cầu"), (5, "Mã yêu cầu"), (5, "Kết quả"),
    ]  # fmt: skip
    assert "Viettel" in caught.value.errors[1].message
    assert not ConnectivitySupport.objects.filter(status=SupportStatus.ACTIVE).exists()


def test_a_failed_line_needs_its_reason(package_world, sent):
    lines, errors = read_results(
        _results_csv([[str(sent["first"].pk), "", "không", "", ""]]), "kq.csv"
    )
    assert not lines
    assert [(e.row, e.column) for e in errors] == [(2, "Lý do")]


def test_the_command_exports_and_imports(package_world, tmp_path, capsys):
    _request(package_world, package_world["need_ln"])
    path = tmp_path / "lo.csv"
    call_command("operator_exchange", "export", "viettel", str(path))
    text = path.read_bytes().decode("utf-8-sig")
    support = ConnectivitySupport.objects.get(need=package_world["need_ln"])
    assert support.status == SupportStatus.SENT
    today = timezone.localdate().strftime("%d/%m/%Y")
    rows = text.splitlines()
    rows[1] = rows[1].rstrip(",") + f",kích hoạt,{today},"
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    call_command("operator_exchange", "import", "viettel", str(path))
    assert "1 kích hoạt" in capsys.readouterr().out
    support.refresh_from_db()
    assert support.status == SupportStatus.ACTIVE


def test_the_command_refuses_a_bad_file_with_row_errors(package_world, sent, tmp_path, capsys):
    path = tmp_path / "kq.csv"
    path.write_bytes(_results_csv([["999999", "", "kích hoạt", "01/10/2021", ""]]))
    with pytest.raises(CommandError):
        call_command("operator_exchange", "import", "viettel", str(path))
    assert "Dòng 2" in capsys.readouterr().err
    with pytest.raises(CommandError, match="Không có doanh nghiệp"):
        call_command("operator_exchange", "export", "khong-co", str(tmp_path / "x.csv"))


def test_the_daily_command_ends_packages_past_their_last_day(db, capsys):
    from django.core.management import call_command

    call_command("end_packages")
    assert "Đã kết thúc 0 gói cước hết hạn." in capsys.readouterr().out
