"""`songmay pool <subcommand>`: the shared pool's loans from the command line.

    songmay pool lend TB001-000001 TB001-000002 --school 24720101 --due 31/05/2022
    songmay pool lend TB001-000003 --need 42 --due 31/05/2022
    songmay pool return TB001-000001 --condition needs_repair --note "Hỏng loa"
    songmay pool overdue [--all]
    songmay pool remind            # daily from cron; one e-mail per school per interval
    songmay pool recall 3 --due 31/05/2022 --reason "Kết thúc năm học"

One command with subcommands rather than several: they share the device and date parsing and
`--user`. Without `--user` the command acts as the system (no scope limit), as other commands.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone

from songmay.accounts.models import User
from songmay.areas.models import School
from songmay.campaigns.models import Campaign
from songmay.inventory.models import Condition, Device, Warehouse
from songmay.lib.errors import DomainError
from songmay.pool.models import Loan, LoanStatus
from songmay.pool.selectors import loan_list
from songmay.pool.services import loan_out, loan_return, recall_start, remind_overdue
from songmay.students.models import Need


def _date(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y").date()  # noqa: DTZ007 - a date
    except ValueError:
        raise CommandError(f"Ngày “{text}” không hợp lệ; hãy viết dạng dd/mm/yyyy.") from None


def _device(code: str) -> Device:
    text = code.strip().upper()
    device = Device.objects.filter(Q(asset_tag=text) | Q(serial=text) | Q(imei=text)).first()
    if device is None:
        raise CommandError(f"Không có thiết bị mã “{code}”.")
    return device


class Command(BaseCommand):
    help = (
        "Kho dùng chung: cho mượn (lend), ghi nhận trả (return), liệt kê lượt mượn quá hạn"
        " (overdue), gửi thư nhắc trả (remind) và gửi đề nghị thu hồi (recall). Ngày viết"
        " dd/mm/yyyy. Chạy với quyền hệ thống, hoặc của tài khoản --user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="chạy với quyền và phạm vi của tài khoản này")
        sub = parser.add_subparsers(dest="action", required=True)
        lend = sub.add_parser("lend", help="cho một trường hoặc một học sinh mượn thiết bị")
        lend.add_argument("devices", nargs="+", help="mã tài sản, số serial hoặc IMEI")
        who = lend.add_mutually_exclusive_group(required=True)
        who.add_argument("--school", help="mã trường mượn")
        who.add_argument("--need", type=int, help="mã hồ sơ học sinh mượn")
        lend.add_argument("--due", required=True, help="hạn trả, dd/mm/yyyy")
        lend.add_argument("--note", default="")
        back = sub.add_parser("return", help="ghi nhận trả một thiết bị")
        back.add_argument("device", help="mã tài sản, số serial hoặc IMEI")
        back.add_argument("--condition", required=True, choices=Condition.values)
        back.add_argument("--date", help="ngày trả, dd/mm/yyyy (mặc định hôm nay)")
        back.add_argument("--warehouse", type=int, help="mã số (id) kho nhập lại")
        back.add_argument("--note", default="", help="bắt buộc khi không sử dụng được")
        overdue = sub.add_parser("overdue", help="liệt kê lượt mượn quá hạn")
        overdue.add_argument("--all", action="store_true", help="mọi lượt đang mượn")
        remind = sub.add_parser("remind", help="gửi thư nhắc các trường có thiết bị quá hạn")
        remind.add_argument("--today", help="tính quá hạn như ngày này, dd/mm/yyyy")
        recall = sub.add_parser("recall", help="đề nghị trả mọi thiết bị đang cho mượn")
        recall.add_argument("campaign", type=int, help="mã số (id) chương trình")
        recall.add_argument("--due", required=True, help="hạn trả, dd/mm/yyyy")
        recall.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"Không có tài khoản “{options['user']}”.")
        action = getattr(self, f"_{options['action']}")
        try:
            action(actor, options)
        except DomainError as error:
            raise CommandError(error.message) from None
        except PermissionDenied:
            raise CommandError("Tài khoản này không được dùng chức năng này.") from None

    def _lend(self, actor: User | None, options: dict[str, Any]) -> None:
        devices = [_device(code) for code in options["devices"]]
        school = need = None
        if options["school"]:
            school = School.objects.filter(code=options["school"].strip()).first()
            if school is None:
                raise CommandError(f"Không có trường mã “{options['school']}”.")
        else:
            need = Need.objects.filter(pk=options["need"]).first()
            if need is None:
                raise CommandError(f"Không có hồ sơ học sinh số {options['need']}.")
        loans = loan_out(
            actor=actor, devices=devices, due_on=_date(options["due"]), school=school,
            need=need, note=options["note"],
        )  # fmt: skip
        self.stdout.write(
            f"Đã cho mượn {len(loans)} thiết bị, đợt {loans[0].batch}, hạn trả"
            f" {loans[0].due_on:%d/%m/%Y}."
        )

    def _return(self, actor: User | None, options: dict[str, Any]) -> None:
        device = _device(options["device"])
        loan = Loan.objects.filter(device=device, status=LoanStatus.OUT).first()
        if loan is None:
            raise CommandError(f"Thiết bị {device.asset_tag} không có lượt mượn nào đang mở.")
        warehouse = None
        if options["warehouse"] is not None:
            warehouse = Warehouse.objects.filter(pk=options["warehouse"]).first()
            if warehouse is None:
                raise CommandError(f"Không có kho số {options['warehouse']}.")
        returned_on = _date(options["date"]) if options["date"] else timezone.localdate()
        loan_return(
            actor=actor, loan=loan, returned_on=returned_on, condition=options["condition"],
            note=options["note"], warehouse=warehouse,
        )  # fmt: skip
        device.refresh_from_db()
        where = {
            "available": "sẵn sàng cho mượn tiếp",
            "in_repair": "vào hàng chờ sửa chữa",
        }.get(device.status, device.get_status_display())
        self.stdout.write(f"Đã nhận lại {device.asset_tag}: {where}.")

    def _overdue(self, actor: User | None, options: dict[str, Any]) -> None:
        loans = (
            loan_list(user=actor, status=LoanStatus.OUT, overdue=not options["all"])
            if actor is not None
            else Loan.objects.filter(status=LoanStatus.OUT).select_related(
                "device", "school", "need__school"
            )
        )
        if actor is None and not options["all"]:
            loans = loans.filter(due_on__lt=timezone.localdate())
        count = 0
        for loan in loans.order_by("due_on", "pk"):
            school = loan.school or loan.need.school  # type: ignore[union-attr]
            self.stdout.write(
                f"{loan.device.asset_tag}\t{school.code}\t{school.name}\thạn {loan.due_on:%d/%m/%Y}"
            )
            count += 1
        self.stdout.write(f"{count} lượt mượn.")

    def _remind(self, actor: User | None, options: dict[str, Any]) -> None:
        today = _date(options["today"]) if options["today"] else None
        reminded = remind_overdue(today=today)
        self.stdout.write(f"Đã gửi thư nhắc trả thiết bị quá hạn cho {reminded} trường.")

    def _recall(self, actor: User | None, options: dict[str, Any]) -> None:
        campaign = Campaign.objects.select_related("area").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"Không có chương trình số {options['campaign']}.")
        recall = recall_start(
            actor=actor, campaign=campaign, due_on=_date(options["due"]),
            reason=options["reason"],
        )  # fmt: skip
        self.stdout.write(
            f"Đã gửi đề nghị thu hồi {recall.items.count()} thiết bị, hạn trả"
            f" {recall.due_on:%d/%m/%Y} (đợt thu hồi số {recall.pk})."
        )
