import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from songmay.jobs.services import job_files_purge


class Command(BaseCommand):
    help = "Xoá các tệp tải lên mà tác vụ đã xong còn giữ (có dữ liệu cá nhân). Nên chạy hằng ngày."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=7, help="giữ tệp bao nhiêu ngày (mặc định 7)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = job_files_purge(actor=None, older_than=dt.timedelta(days=options["days"]))
        self.stdout.write(f"Đã xoá {count} tệp tải lên cũ hơn {options['days']} ngày.")
