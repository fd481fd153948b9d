"""The weekly report: a short Vietnamese summary to each campaign's focal points, xlsx attached."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from songmay.campaigns.models import Contact
from songmay.reports.tasks import send_weekly_reports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def focal_points(gifts):
    campaign = gifts["campaign"]
    Contact.objects.bulk_create([
        Contact(campaign=campaign, order=1, full_name="Nguyễn Văn Thêm",
                position="Phó Giám đốc Sở", email="Them.NV@bacninh.edu.vn"),
        Contact(campaign=campaign, order=2, full_name="Lê Thị Hoa",
                position="Chuyên viên", email="hoa.lt@bacninh.edu.vn"),
        Contact(campaign=campaign, order=3, full_name="Trần Văn Không Thư", position="Kế toán"),
    ])  # fmt: skip
    return campaign


def test_focal_points_get_the_summary_with_the_xlsx(focal_points, pupils, capsys):
    call_command("send_weekly_report", str(focal_points.pk))
    assert "tới 2 địa chỉ" in capsys.readouterr().out
    [message] = mail.outbox
    assert message.to == ["hoa.lt@bacninh.edu.vn", "them.nv@bacninh.edu.vn"]
    assert message.subject.startswith("Báo cáo tuần ")
    assert focal_points.name in message.subject
    body = message.body
    assert "Học sinh có nhu cầu hỗ trợ: 5 em" in body
    assert "đã nhận thiết bị: 0 em (0,0 %)" in body
    assert "Còn thiếu thiết bị: 5 em" in body
    assert "Tiền ủng hộ đã nhận: 70.000.000 đ; đã chi: 30.000.000 đ" in body
    assert "Dự kiến đạt mục tiêu 100%" in body
    [(name, content, mimetype)] = message.attachments
    assert name.endswith(".xlsx")
    assert name in body
    assert mimetype == XLSX
    cover = load_workbook(io.BytesIO(content))["Tổng hợp"]
    figures = {row[0].value: row[1].value for row in cover.iter_rows() if row[0].value}
    assert figures["Học sinh có nhu cầu hỗ trợ"] == 5
    assert figures["Tiền ủng hộ đã nhận"] == 70_000_000


def test_a_campaign_without_a_focal_point_email_gets_nothing(gifts, capsys):
    call_command("send_weekly_report", str(gifts["campaign"].pk))
    assert "chưa có người liên hệ nào có thư điện tử" in capsys.readouterr().out
    call_command("send_weekly_report")
    assert "Không có chương trình nào" in capsys.readouterr().out
    assert mail.outbox == []


def test_the_weekly_task_mails_every_campaign_with_a_focal_point(focal_points, place):
    from songmay.campaigns.services import CampaignData, campaign_create

    campaign_create(
        actor=None, data=CampaignData(name="Chương trình Phú Thọ", area=place["phu_tho"])
    )
    result = send_weekly_reports.enqueue()
    assert result.return_value == 1
    assert [message.to for message in mail.outbox] == [
        ["hoa.lt@bacninh.edu.vn", "them.nv@bacninh.edu.vn"]
    ]
    assert send_weekly_reports.enqueue(focal_points.pk + 999).return_value == 0


def test_unknown_campaign_is_an_error(gifts):
    with pytest.raises(CommandError, match="Không có chương trình số"):
        call_command("send_weekly_report", str(gifts["campaign"].pk + 999))
