from typing import Any

from django.core.management.base import BaseCommand, CommandError

from songmay.areas.models import Area
from songmay.campaigns.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Nạp chương trình demo Bắc Giang (số liệu trong bài báo) và tài khoản demo."

    def handle(self, *args: Any, **options: Any) -> None:
        if not Area.objects.filter(code="24").exists():
            raise CommandError("Chưa có danh mục địa bàn. Hãy chạy `songmay load_areas` trước.")
        logins = load_demo()
        self.stdout.write(f"Tài khoản demo (mật khẩu chung: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<18} {login.role:<26} {login.scope}")
