"""`songmay send_weekly_report [CAMPAIGN]`: e-mail the weekly report to the focal points of one
campaign, or of every campaign that has a focal point's e-mail address. Weekly, from cron."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from songmay.campaigns.models import Campaign
from songmay.reports.weekly import weekly_reports_send


class Command(BaseCommand):
    help = (
        "Gửi báo cáo tuần (tóm tắt và tệp xlsx) cho những người liên hệ có thư điện tử của một "
        "chương trình, hoặc của mọi chương trình nếu không ghi mã số."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", type=int, nargs="?", help="mã số (id) chương trình")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = None
        if options["campaign"] is not None:
            campaign = Campaign.objects.filter(pk=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"Không có chương trình số {options['campaign']}.")
        sent = weekly_reports_send(campaign=campaign)
        for item in sent:
            if item.recipients:
                self.stdout.write(
                    f"Đã gửi báo cáo tuần của “{item.campaign.name}” tới "
                    f"{len(item.recipients)} địa chỉ."
                )
            else:
                self.stdout.write(
                    f"“{item.campaign.name}”: chưa có người liên hệ nào có thư điện tử; không gửi."
                )
        if not sent:
            self.stdout.write("Không có chương trình nào có người liên hệ với thư điện tử.")
