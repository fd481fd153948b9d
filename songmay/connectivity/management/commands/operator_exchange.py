"""`songmay operator_exchange export|import OPERATOR FILE`: the operator's batch out, its
results back; the same services as the exchange page and the API."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from songmay.connectivity.exchange import batch_csv, batch_xlsx
from songmay.connectivity.models import Operator
from songmay.connectivity.package_selectors import batch_rows
from songmay.connectivity.package_services import (
    ResultsRejected,
    batch_export,
    batch_results_import,
)
from songmay.lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Trao đổi với nhà mạng: “export” ghi các yêu cầu gói cước mới thành một lô "
        "(.csv hoặc .xlsx theo đuôi tệp); “import” ghi kết quả kích hoạt, cả tệp hoặc không gì."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("operator", help="mã nhà mạng: viettel, vnpt, mobifone, vietnamobile")
        parser.add_argument("file", help="tệp .csv hoặc .xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = Operator.objects.filter(code=options["operator"].strip().lower()).first()
        if operator is None:
            codes = ", ".join(Operator.objects.values_list("code", flat=True))
            raise CommandError(f"Không có doanh nghiệp mã “{options['operator']}” (có: {codes}).")
        path = Path(options["file"])
        if path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError(f"Tệp {path} phải có đuôi .csv hoặc .xlsx.")
        if options["action"] == "export":
            self._export(operator, path)
        else:
            self._import(operator, path)

    def _export(self, operator: Operator, path: Path) -> None:
        try:
            batch = batch_export(actor=None, operator=operator)
        except DomainError as error:
            raise CommandError(error.message) from None
        rows = batch_rows(batch)
        data = batch_xlsx(rows) if path.suffix.lower() == ".xlsx" else batch_csv(rows)
        try:
            path.write_bytes(data)
        except OSError as error:
            raise CommandError(
                f"Không ghi được tệp {path}: {error.strerror}. Lô {batch.number} đã tạo; "
                "tải lại ở trang trao đổi với nhà mạng."
            ) from None
        self.stdout.write(f"Lô {batch.number} của {operator}: {len(rows)} yêu cầu, ghi vào {path}.")

    def _import(self, operator: Operator, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Không đọc được tệp {path}: {error.strerror}.") from None
        try:
            summary = batch_results_import(
                actor=None, operator=operator, data=data, filename=path.name
            )
        except ResultsRejected as rejected:
            for row_error in rejected.errors:
                self.stderr.write(str(row_error))
            rows = len({row_error.row for row_error in rejected.errors if row_error.row})
            raise CommandError(
                f"{len(rejected.errors)} lỗi"
                + (f" ở {rows} dòng" if rows else "")
                + "; chưa ghi gì."
            ) from None
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"{operator}: {summary['activated']} kích hoạt, {summary['failed']} không kích hoạt."
        )
