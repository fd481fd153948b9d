from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from songmay.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Sao lưu cơ sở dữ liệu và các tệp tải lên (SONGMAY_MEDIA_ROOT) vào một tệp .tar.gz. "
        "SQLite: bản sao nhất quán khi trang vẫn chạy; PostgreSQL: pg_dump --format=custom. "
        "Xem docs/deployment.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="tệp sao lưu sẽ ghi, ví dụ songmay-2025-10-01.tar.gz")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            manifest = backup_create(path)
        except BackupError as error:
            raise CommandError(error.message) from None
        size = path.stat().st_size
        self.stdout.write(
            f"Đã sao lưu {manifest.engine} và {manifest.media_files} tệp tải lên vào “{path}” "
            f"({size:,} byte).".replace(",", ".")
        )
