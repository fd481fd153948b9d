"""`songmay export_report CAMPAIGN --format xlsx|pdf|csv|json --output FILE`: the report of a
campaign (or of an area or school inside it) as a file, with the system's national scope."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from songmay.areas.models import Area, School
from songmay.campaigns.models import Campaign
from songmay.lib.errors import DomainError
from songmay.reports.exports import FORMATS, campaign_report, report_file


class Command(BaseCommand):
    help = (
        "Xuất báo cáo tiến độ của một chương trình (hoặc một địa bàn, một trường trong chương "
        "trình) ra tệp xlsx, pdf, csv (dữ liệu mở, đã ẩn số nhỏ hơn 5) hoặc json. Lệnh chạy với "
        "quyền hệ thống."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", type=int, help="mã số (id) chương trình")
        # Checked in handle(), so that a wrong format gets one Vietnamese line.
        parser.add_argument("--format", required=True, help="xlsx, pdf, csv hoặc json")
        parser.add_argument("--output", required=True, help="tệp sẽ ghi ra")
        place = parser.add_mutually_exclusive_group()
        place.add_argument("--area", help="mã đơn vị hành chính (báo cáo của địa bàn này)")
        place.add_argument("--school", help="mã trường (báo cáo của trường này)")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"].strip().lower()
        if fmt not in FORMATS:
            raise CommandError(
                f"Không hỗ trợ định dạng “{options['format']}”; hãy chọn xlsx, pdf, csv hoặc json."
            )
        campaign = Campaign.objects.select_related("area").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"Không có chương trình số {options['campaign']}.")
        area = school = None
        if options["area"]:
            area = Area.objects.select_related("parent").filter(code=options["area"]).first()
            if area is None:
                raise CommandError(f"Không có đơn vị hành chính mã “{options['area']}”.")
        if options["school"]:
            school = School.objects.select_related("area").filter(code=options["school"]).first()
            if school is None:
                raise CommandError(f"Không có trường mã “{options['school']}”.")
        try:
            report = campaign_report(campaign=campaign, area=area, school=school)
        except DomainError as error:
            raise CommandError(error.message) from None
        content = report_file(report, fmt)
        path = Path(options["output"])
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"Không ghi được tệp {path}: {error.strerror}.") from None
        size = f"{len(content):,}".replace(",", ".")
        self.stdout.write(f"Đã ghi báo cáo “{report.title}” ({fmt}, {size} byte) vào {path}.")
