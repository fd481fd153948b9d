"""`songmay end_packages`: mark active data packages whose last day has passed as ended.
Run once a day (see docs/deployment.md)."""

from typing import Any

from django.core.management.base import BaseCommand

from songmay.connectivity.package_services import support_end_due


class Command(BaseCommand):
    help = "Đánh dấu “Đã hết hạn” các gói cước đã qua ngày hết hạn; chạy mỗi ngày một lần."

    def handle(self, *args: Any, **options: Any) -> None:
        ended = support_end_due()
        self.stdout.write(f"Đã kết thúc {ended} gói cước hết hạn.")
