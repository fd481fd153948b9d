from typing import Any

from django.core.management.base import BaseCommand

from songmay.areas.services import areas_load_official


class Command(BaseCommand):
    help = "Nạp 34 tỉnh/thành phố và các xã/phường theo mã chính thức (chạy lại không tạo trùng)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = areas_load_official(actor=None)
        self.stdout.write(
            f"Đơn vị hành chính: thêm {result.created}, cập nhật {result.updated}, "
            f"giữ nguyên {result.unchanged}."
        )
