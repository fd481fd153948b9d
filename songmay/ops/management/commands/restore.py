import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from songmay.ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Khôi phục cơ sở dữ liệu và các tệp tải lên từ một tệp của lệnh backup: THAY THẾ toàn "
        "bộ dữ liệu hiện có. Dừng trang web và các worker trước khi chạy. Xem docs/deployment.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="tệp sao lưu (.tar.gz) do lệnh backup tạo")
        parser.add_argument(
            "--yes", action="store_true", help="không hỏi lại (dùng trong kịch bản tự động)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("Khôi phục thay thế toàn bộ dữ liệu: thêm --yes để xác nhận.")
            answer = input(f"Mọi dữ liệu sẽ được thay bằng “{path}”. Gõ “yes” để tiếp tục: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Đã huỷ: chưa khôi phục gì.")
        try:
            manifest = backup_restore(path)
        except BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Đã khôi phục bản sao lưu {manifest.engine} lúc {manifest.created_at} "
            f"({manifest.media_files} tệp tải lên). Hãy chạy `songmay migrate` nếu mã nguồn "
            "mới hơn bản sao lưu."
        )
