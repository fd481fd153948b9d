import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from songmay.accounts.scope import Role
from songmay.accounts.services import UserData, user_create
from songmay.lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Tạo tài khoản quản trị hệ thống đầu tiên (thay cho createsuperuser: mỗi tài khoản "
        "cần một vai trò). Mật khẩu lấy từ SONGMAY_ADMIN_PASSWORD hoặc được hỏi khi chạy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--full-name", default="Quản trị hệ thống")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("SONGMAY_ADMIN_PASSWORD") or getpass.getpass("Mật khẩu: ")
        data = UserData(
            username=options["username"],
            full_name=options["full_name"],
            email=options["email"],
            role=Role.ADMIN,
        )
        try:
            user = user_create(actor=None, data=data, password=password)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Đã tạo tài khoản quản trị “{user.username}”.")
