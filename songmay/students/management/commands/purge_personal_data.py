from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from songmay.campaigns.models import Campaign
from songmay.lib.errors import DomainError
from songmay.students.purge_selectors import purge_plan, purge_refusal
from songmay.students.purge_services import personal_data_purge


class Command(BaseCommand):
    help = (
        "Xoá dữ liệu cá nhân của học sinh một chương trình đã kết thúc: họ tên thành "
        "“Học sinh #<số>”, bỏ ngày sinh, số định danh, người giám hộ, điện thoại, thôn/xóm, "
        "người nhận và bản chụp biên bản, số điện thoại nhận gói cước. Các số liệu tổng hợp và "
        "sổ quỹ giữ nguyên. Không có --yes: chỉ in những gì sẽ xoá. Học sinh còn nhu cầu ở "
        "chương trình khác chưa kết thúc được giữ lại. Xem docs/privacy.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", type=int, help="mã số (id) chương trình")
        parser.add_argument("--yes", action="store_true", help="xoá thật (mặc định: chạy thử)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="xoá cả khi giai đoạn cuối của chương trình chưa kết thúc",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.select_related("area").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"Không có chương trình số {options['campaign']}.")
        plan = purge_plan(campaign=campaign)
        ends = f"{plan.ends_on:%d/%m/%Y}" if plan.ends_on else "chưa có giai đoạn"
        self.stdout.write(
            f"“{campaign}” (kết thúc: {ends}): {plan.count} học sinh sẽ được ẩn danh, trong đó "
            f"{plan.still_personal} còn dữ liệu cá nhân; {plan.kept} học sinh giữ lại vì còn "
            f"nhu cầu ở chương trình chưa kết thúc; {plan.handovers} biên bản bàn giao "
            f"({plan.scans} bản chụp), {plan.data_supports} đề nghị gói cước, "
            f"{plan.broadband_requests} đề nghị Internet cố định, {plan.loans} lượt cho mượn."
        )
        refusal = purge_refusal(plan)
        if refusal and not options["force"]:
            raise CommandError(refusal)
        if not options["yes"]:
            self.stdout.write("Chạy thử: chưa xoá gì. Thêm --yes để xoá.")
            return
        try:
            result = personal_data_purge(actor=None, campaign=campaign, force=options["force"])
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Đã ẩn danh {result.students} học sinh, xoá {result.files} tệp, làm sạch "
            f"{result.rows} dòng liên quan. Đã ghi nhật ký."
        )
