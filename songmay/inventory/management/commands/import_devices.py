from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from songmay.accounts.models import User
from songmay.inventory.importing import device_rows_check, devices_import, import_target
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import RowError, SpreadsheetError, read_table


class Command(BaseCommand):
    help = (
        "Nhập danh sách thiết bị từ tệp .xlsx/.xls/.ods/.csv vào kho: kiểm tra mọi dòng, "
        "rồi ghi cả tệp hoặc không ghi gì."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="tệp danh sách thiết bị")
        parser.add_argument("--campaign", type=int, required=True, help="mã số chương trình")
        place = parser.add_mutually_exclusive_group()
        place.add_argument("--warehouse", type=int, help="mã số kho nhận thiết bị")
        place.add_argument("--school", help="mã trường nhận thiết bị")
        parser.add_argument("--donation", type=int, help="mã số đợt tiếp nhận (nguồn)")
        parser.add_argument("--user", help="nhập với quyền và phạm vi của tài khoản này")
        parser.add_argument(
            "--dry-run", action="store_true", help="chỉ kiểm tra và đếm, không ghi gì"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"Không có tài khoản “{options['user']}”.")
            if not actor.scope.may("inventory.change"):
                raise CommandError(f"Tài khoản “{actor.username}” không được nhập thiết bị.")
        try:
            target = import_target(
                actor,
                campaign=options["campaign"],
                warehouse=options["warehouse"],
                school=options["school"],
                donation=options["donation"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        path = Path(options["file"])
        try:
            table = read_table(path.read_bytes(), path.name)
        except OSError as error:
            raise CommandError(f"Không đọc được tệp {path}: {error.strerror}.") from None
        except SpreadsheetError as error:
            raise CommandError(error.message) from None

        checked = device_rows_check(
            actor=actor, campaign=target.campaign, table=table, donation=target.donation
        )
        for notice in checked.notices:
            self.stdout.write(notice)
        self._fail_on(checked.errors)
        if options["dry_run"]:
            self.stdout.write(
                f"Kiểm tra {checked.row_count} dòng, không có lỗi; chưa ghi gì. Nếu nhập: "
                f"thêm {len(checked.rows)} thiết bị vào {target.place}."
            )
            return
        try:
            devices = devices_import(
                actor=actor, target=target, checked=checked, file_name=path.name
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        except IntegrityError:
            raise CommandError(
                "Có thiết bị trùng số serial hoặc IMEI vừa được nhập cùng lúc; chưa ghi gì. "
                "Hãy chạy lại lệnh."
            ) from None
        self.stdout.write(
            f"Đã nhập {len(devices)} thiết bị vào {target.place}: mã tài sản "
            f"{devices[0].asset_tag} đến {devices[-1].asset_tag}."
        )

    def _fail_on(self, errors: list[RowError]) -> None:
        if not errors:
            return
        for error in sorted(errors, key=lambda found: found.row):
            self.stderr.write(str(error))
        rows = len({error.row for error in errors if error.row})
        raise CommandError(
            f"{len(errors)} lỗi" + (f" ở {rows} dòng" if rows else "") + "; chưa ghi gì."
        )
