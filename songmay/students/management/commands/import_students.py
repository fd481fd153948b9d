from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from songmay.accounts.models import User
from songmay.areas.models import School
from songmay.campaigns.models import Campaign
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import RowError, SpreadsheetError, read_table
from songmay.students.importing import (
    ImportRejectedError,
    import_plan,
    pupil_rows_check,
    students_import,
)


class Command(BaseCommand):
    help = (
        "Nhập danh sách học sinh cần hỗ trợ từ tệp .xlsx/.xls/.ods/.csv: kiểm tra mọi dòng, "
        "rồi ghi cả tệp hoặc không ghi gì."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="tệp danh sách học sinh")
        parser.add_argument("--campaign", type=int, required=True, help="mã số chương trình")
        parser.add_argument("--school", help="mã trường (khi tệp không có cột Mã trường)")
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
            if not actor.scope.may("students.add"):
                raise CommandError(f"Tài khoản “{actor.username}” không được nhập học sinh.")
        campaigns = Campaign.objects.all() if actor is None else Campaign.objects.visible_to(actor)
        campaign = campaigns.filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"Không có chương trình số {options['campaign']}.")
        school = actor.school if actor is not None else None
        if options["school"]:
            schools = School.objects.all() if actor is None else School.objects.visible_to(actor)
            school = schools.filter(code=options["school"]).select_related("area").first()
            if school is None:
                raise CommandError(f"Không có trường mã “{options['school']}”.")
        path = Path(options["file"])
        try:
            table = read_table(path.read_bytes(), path.name)
        except OSError as error:
            raise CommandError(f"Không đọc được tệp {path}: {error.strerror}.") from None
        except SpreadsheetError as error:
            raise CommandError(error.message) from None

        checked = pupil_rows_check(actor=actor, campaign=campaign, school=school, table=table)
        for notice in checked.notices:
            self.stdout.write(notice)
        plan = import_plan(campaign, checked.rows)
        self._fail_on(checked.errors + plan.errors)
        if options["dry_run"]:
            self.stdout.write(
                f"Kiểm tra {checked.row_count} dòng, không có lỗi; chưa ghi gì. Nếu nhập: "
                f"thêm mới {plan.count('created')}, cập nhật {plan.count('updated')}, "
                f"không đổi {plan.count('unchanged')}."
            )
            return
        try:
            summary = students_import(
                actor=actor, campaign=campaign, school=school, rows=checked.rows,
                file_name=path.name,
            )  # fmt: skip
        except ImportRejectedError as rejected:
            self._fail_on(rejected.errors)
            raise
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Đã nhập {summary.rows} dòng: thêm mới {summary.created}, cập nhật "
            f"{summary.updated}, không đổi {summary.unchanged}; {summary.review} cặp nghi trùng "
            "chờ xem xét."
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
