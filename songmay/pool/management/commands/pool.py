"""`songmay pool <subcommand>`: the shared pool's loans from the command line.

    songmay pool lend TB001-000001 TB001-000002 --school 24720101 --due 31/05/2022
    songmay pool lend TB001-000003 --need 42 --due 31/05/2022
    songmay pool return TB001-000001 --condition needs_repair --note "Hỏng loa"
    songmay pool overdue [--all]
    songmay pool remind            # daily from cron; one e-mail per school per interval
    songmay pool recall 3 --due 31/05/2022 --reason "Kết thúc năm học"
    songmay pool transfer 3 TB001-000001 TB001-000002 --to-school 24720101 --reason "…"
    songmay pool transfer-approve 12      # then transfer-send 12
    songmay pool transfer-receive 12 TB001-000001 TB001-000002
    songmay pool transfer-close 12        # what did not arrive is marked missing
    songmay pool transfer-cancel 12

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
from songmay.pool.models import Loan, LoanStatus, Transfer
from songmay.pool.selectors import loan_list
from songmay.pool.services import loan_out, loan_return, recall_start, remind_overdue
from songmay.pool.transfer_services import (
    transfer_approve,
    transfer_cancel,
    transfer_close,
    transfer_receive,
    transfer_request,
    transfer_send,
)
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
        " (overdue), gửi thư nhắc trả (remind), gửi đề nghị thu hồi (recall) và điều chuyển"
        " (transfer, transfer-approve/-send/-receive/-close/-cancel). Ngày viết"
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
        transfer = sub.add_parser("transfer", help="lập phiếu điều chuyển thiết bị")
        transfer.add_argument("campaign", type=int, help="mã số (id) chương trình")
        transfer.add_argument("devices", nargs="+", help="mã tài sản, số serial hoặc IMEI")
        to = transfer.add_mutually_exclusive_group(required=True)
        to.add_argument("--to-school", help="mã trường nhận")
        to.add_argument("--to-warehouse", type=int, help="mã số (id) kho nhận")
        transfer.add_argument("--reason", default="")
        for step, text in (
            ("approve", "duyệt phiếu điều chuyển"),
            ("send", "gửi đi: thiết bị rời nơi gửi"),
            ("close", "đóng phiếu; thiết bị chưa đến được ghi thất lạc"),
            ("cancel", "huỷ phiếu chưa gửi"),
        ):
            sub.add_parser(f"transfer-{step}", help=text).add_argument(
                "transfer", type=int, help="mã số (id) phiếu"
            )
        receive = sub.add_parser("transfer-receive", help="xác nhận thiết bị đã đến")
        receive.add_argument("transfer", type=int, help="mã số (id) phiếu")
        receive.add_argument("tags", nargs="+", help="mã tài sản hoặc địa chỉ trong mã QR")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"Không có tài khoản “{options['user']}”.")
        action = getattr(self, "_" + options["action"].replace("-", "_"))
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

    def _transfer(self, actor: User | None, options: dict[str, Any]) -> None:
        campaign = Campaign.objects.select_related("area").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"Không có chương trình số {options['campaign']}.")
        school = warehouse = None
        if options["to_school"]:
            school = School.objects.filter(code=options["to_school"].strip()).first()
            if school is None:
                raise CommandError(f"Không có trường mã “{options['to_school']}”.")
        else:
            warehouse = Warehouse.objects.filter(pk=options["to_warehouse"]).first()
            if warehouse is None:
                raise CommandError(f"Không có kho số {options['to_warehouse']}.")
        transfer = transfer_request(
            actor=actor, campaign=campaign, devices=[_device(c) for c in options["devices"]],
            to_school=school, to_warehouse=warehouse, reason=options["reason"],
        )  # fmt: skip
        self.stdout.write(
            f"Đã lập {transfer} (mã số {transfer.pk}) với {transfer.items.count()} thiết bị;"
            f" chờ duyệt: songmay pool transfer-approve {transfer.pk}."
        )

    def _transfer_of(self, options: dict[str, Any]) -> Transfer:
        transfer = Transfer.objects.filter(pk=options["transfer"]).first()
        if transfer is None:
            raise CommandError(f"Không có phiếu điều chuyển mã số {options['transfer']}.")
        return transfer

    def _transfer_approve(self, actor: User | None, options: dict[str, Any]) -> None:
        transfer = transfer_approve(actor=actor, transfer=self._transfer_of(options))
        self.stdout.write(f"Đã duyệt {transfer}; gửi đi: songmay pool transfer-send {transfer.pk}.")

    def _transfer_send(self, actor: User | None, options: dict[str, Any]) -> None:
        transfer = transfer_send(actor=actor, transfer=self._transfer_of(options))
        self.stdout.write(f"{transfer}: {transfer.items.count()} thiết bị đang vận chuyển.")

    def _transfer_receive(self, actor: User | None, options: dict[str, Any]) -> None:
        transfer = transfer_receive(
            actor=actor, transfer=self._transfer_of(options), tags=options["tags"]
        )
        arrived = transfer.items.filter(received_at__isnull=False).count()
        self.stdout.write(
            f"{transfer}: đã nhận {arrived}/{transfer.items.count()} thiết bị"
            f" ({transfer.get_status_display().lower()})."
        )

    def _transfer_close(self, actor: User | None, options: dict[str, Any]) -> None:
        missing = transfer_close(actor=actor, transfer=self._transfer_of(options))
        tags = ", ".join(device.asset_tag for device in missing)
        self.stdout.write(
            f"Đã đóng phiếu; {len(missing)} thiết bị thất lạc" + (f": {tags}." if tags else ".")
        )

    def _transfer_cancel(self, actor: User | None, options: dict[str, Any]) -> None:
        transfer = transfer_cancel(actor=actor, transfer=self._transfer_of(options))
        self.stdout.write(f"Đã huỷ {transfer}.")
