import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from songmay.accounts.models import User
from songmay.allocation.models import AllocationRun
from songmay.allocation.services import run_approve, run_create
from songmay.campaigns.models import Campaign
from songmay.lib.errors import DomainError


class _DryRunError(Exception):
    """Raised to roll back a dry run, carrying its result out."""

    def __init__(self, run: AllocationRun) -> None:
        self.run = run


def _n(number: int) -> str:
    return f"{number:,}".replace(",", ".")  # 1.234.567, as Vietnamese write it


def one_line(run: AllocationRun) -> str:
    """“Lượt 3 (Bản nháp): 1.200/1.500 em có máy, còn 300 em, 12 thiết bị chưa dùng; ...”"""
    summary = run.summary
    tiers = "; ".join(
        f"{tier['label']}: {_n(tier['served'])}/{_n(tier['need'])}" for tier in summary["by_tier"]
    )
    head = (
        f"{_n(summary['served'])}/{_n(summary['pupils'])} em có máy, còn {_n(summary['left'])}"
        f" em, {_n(summary['idle'])} thiết bị chưa dùng"
    )
    return f"Lượt {run.number} ({run.get_status_display()}): {head}" + (
        f" — theo nhóm: {tiers}" if tiers else ""
    )


class Command(BaseCommand):
    help = (
        "Chạy phân bổ thiết bị cho một chương trình, theo đúng đường đi của trang “Phân bổ”. "
        "Mặc định: lưu một lượt nháp để xem lại trên trang hoặc qua API, rồi phê duyệt ở đó "
        "(POST /api/v1/allocation-runs/<số>/approve). --dry-run: chỉ tính và in kết quả, "
        "không lưu gì. --approve: lưu lượt và phê duyệt ngay (giữ chỗ thiết bị, tạo phân bổ). "
        "Lệnh chạy với quyền hệ thống, hoặc của tài khoản --user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", type=int, help="mã số (id) chương trình")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--dry-run", action="store_true", help="chỉ tính và in kết quả, không lưu gì"
        )
        mode.add_argument("--approve", action="store_true", help="lưu lượt và phê duyệt ngay")
        parser.add_argument(
            "--json", action="store_true", help="in bảng tổng hợp dạng JSON thay cho một dòng"
        )
        parser.add_argument("--user", help="chạy với quyền và phạm vi của tài khoản này")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"Không có tài khoản “{options['user']}”.")
        campaign = Campaign.objects.select_related("area").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"Không có chương trình số {options['campaign']}.")
        try:
            run = self._run(actor, campaign, options)
        except DomainError as error:
            raise CommandError(error.message) from None
        except PermissionDenied:
            raise CommandError("Tài khoản này không được chạy phân bổ.") from None
        if options["json"]:
            body = {"run": None if options["dry_run"] else run.pk, "number": run.number,
                    "status": run.status, **run.summary}  # fmt: skip
            self.stdout.write(json.dumps(body, ensure_ascii=False))
            return
        self.stdout.write(one_line(run))
        if options["dry_run"]:
            self.stdout.write("Chạy thử: chưa lưu gì.")
        elif run.status == "draft":
            self.stdout.write(
                f"Đã lưu lượt nháp số {run.number} (id {run.pk}). Để phê duyệt: mở trang Phân bổ,"
                f" gọi POST /api/v1/allocation-runs/{run.pk}/approve, hoặc chạy lại lệnh"
                " với --approve."
            )

    def _run(self, actor: User | None, campaign: Campaign, options: dict[str, Any]) -> Any:
        if options["dry_run"]:
            try:
                with transaction.atomic():
                    raise _DryRunError(run_create(actor=actor, campaign=campaign))
            except _DryRunError as dry:
                return dry.run
        with transaction.atomic():  # --approve: the draft and its approval, or neither
            run = run_create(actor=actor, campaign=campaign)
            if options["approve"]:
                run = run_approve(actor=actor, run=run)
        return run
