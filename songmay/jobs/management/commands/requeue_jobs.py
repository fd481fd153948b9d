from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from songmay.jobs.models import Job
from songmay.jobs.services import job_requeue
from songmay.lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Chạy lại các tác vụ mà tiến trình xử lý (db_worker) đã chết giữa chừng (bị tắt, máy "
        "khởi động lại): tác vụ làm lại từ đầu với tệp đã lưu; lần chạy dở không ghi gì. "
        "Chỉ dùng khi chắc chắn tiến trình đang xử lý tác vụ đó không còn chạy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("jobs", nargs="+", type=int, help="mã số (id) các tác vụ")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = False
        for pk in options["jobs"]:
            job = Job.objects.filter(pk=pk).first()
            if job is None:
                self.stderr.write(f"Không có tác vụ số {pk}.")
                failed = True
                continue
            try:
                job_requeue(actor=None, job=job)
            except DomainError as error:
                self.stderr.write(error.message)
                failed = True
                continue
            self.stdout.write(f"Đã xếp lại tác vụ #{pk} ({job.kind}: {job.file_name}).")
        if failed:
            raise CommandError("Có tác vụ không xếp lại được (xem trên).")
