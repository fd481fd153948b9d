"""`songmay export_report`: every format, a place inside the campaign, one line on bad input."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook


def export(campaign_id, fmt, output, *extra):
    call_command("export_report", str(campaign_id), "--format", fmt, "--output", str(output),
                 *extra)  # fmt: skip


def failing(*argv):
    """(exit code, line printed) of a failing run. Django prints "CommandError: <message>" on
    stderr and exits with the error's return code (run_from_argv), which would also close the
    test's database connection: so the error is caught here, before that."""
    with pytest.raises(CommandError) as error:
        call_command("export_report", *argv)
    return error.value.returncode, f"CommandError: {error.value}\n"


def test_export_writes_each_format(gifts, tmp_path):
    campaign = gifts["campaign"]
    for fmt in ("xlsx", "pdf", "csv", "json"):
        export(campaign.pk, fmt, tmp_path / f"bao-cao.{fmt}")
    book = load_workbook(tmp_path / "bao-cao.xlsx")
    assert book["Tiền và hiện vật"]["B5"].value == 70_000_000
    assert (tmp_path / "bao-cao.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "bao-cao.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    data = json.loads((tmp_path / "bao-cao.json").read_text("utf-8"))
    assert data["money"]["received"] == 70_000_000
    assert data["campaign"]["id"] == campaign.pk


def test_export_of_the_demo_reproduces_the_seeds(areas, tmp_path, capsys):
    from songmay.campaigns.demo import BAC_GIANG, load_demo
    from songmay.campaigns.models import Campaign

    load_demo()
    campaign = Campaign.objects.get(name=BAC_GIANG)
    export(campaign.pk, "json", tmp_path / "seeds.json")
    assert "Đã ghi báo cáo" in capsys.readouterr().out
    data = json.loads((tmp_path / "seeds.json").read_text("utf-8"))
    assert data["pupils_in_need"]["total"] == 17_049
    assert list(data["pupils_in_need"]["by_level"].values()) == [11_967, 4_482, 600]
    assert data["money"]["received"] == 977_000_000
    devices = [data["devices"][kind]["total"] for kind in ("desktop", "laptop", "tablet",
                                                           "smartphone")]  # fmt: skip
    assert devices == [114, 122, 119, 651]
    export(campaign.pk, "xlsx", tmp_path / "seeds.xlsx")
    cover = load_workbook(tmp_path / "seeds.xlsx")["Tổng hợp"]
    figures = {row[0].value: row[1].value for row in cover.iter_rows() if row[0].value}
    assert figures["Học sinh có nhu cầu hỗ trợ"] == 17_049
    assert figures["Tiền ủng hộ đã nhận"] == 977_000_000


def test_export_of_an_area_or_a_school_inside_the_campaign(gifts, pupils, place, tmp_path):
    lucngan, school = place["communes"]["lucngan"], place["schools"]["lucngan"]
    export(gifts["campaign"].pk, "json", tmp_path / "xa.json", "--area", lucngan.code)
    data = json.loads((tmp_path / "xa.json").read_text("utf-8"))
    assert data["place"] == {"kind": "area", "id": lucngan.pk, "name": lucngan.name}
    assert data["pupils_in_need"]["total"] == 3  # An, Châu and Lan study at Lục Ngạn
    assert data["money"] is None  # money is known for the whole campaign only
    export(gifts["campaign"].pk, "json", tmp_path / "truong.json", "--school", school.code)
    data = json.loads((tmp_path / "truong.json").read_text("utf-8"))
    assert data["place"]["kind"] == "school"
    assert data["pupils_in_need"]["total"] == 3


def test_bad_input_gets_one_vietnamese_line_and_a_failing_exit_code(gifts, place, tmp_path):
    campaign = str(gifts["campaign"].pk)
    output = str(tmp_path / "x.xlsx")
    cases = [
        ((str(gifts["campaign"].pk + 999), "--format", "xlsx", "--output", output),
         "Không có chương trình số"),
        ((campaign, "--format", "docx", "--output", output),
         "Không hỗ trợ định dạng “docx”; hãy chọn xlsx, pdf, csv hoặc json."),
        ((campaign, "--format", "xlsx", "--output", output, "--area", "00000"),
         "Không có đơn vị hành chính mã “00000”."),
        ((campaign, "--format", "xlsx", "--output", output, "--area", place["phu_tho"].code),
         "“Phú Thọ” không thuộc địa bàn của chương trình."),
        ((campaign, "--format", "xlsx", "--output", output, "--school", "KHONG-CO"),
         "Không có trường mã “KHONG-CO”."),
        ((campaign, "--format", "xlsx", "--output", str(tmp_path / "no" / "such" / "x.xlsx")),
         "Không ghi được tệp"),
    ]  # fmt: skip
    for argv, message in cases:
        code, err = failing(*argv)
        assert code != 0, argv
        assert err.count("\n") == 1, err
        assert message in err, err
    assert not (tmp_path / "x.xlsx").exists()
