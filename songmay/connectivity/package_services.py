"""Writes for data packages (gói cước), their exchange with operators and fixed broadband
support. Every public function records who did what in the audit trail, in its transaction."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Max
from django.utils import timezone

from songmay.accounts.scope import Role, authorize
from songmay.audit.services import audit_record, audited, diff, snapshot
from songmay.connectivity.exchange import ResultLine, read_results
from songmay.connectivity.models import (
    LIVE_SUPPORT,
    BroadbandRequest,
    BroadbandStatus,
    ConnectivitySupport,
    DataPackage,
    ExchangeBatch,
    Operator,
    SupportStatus,
)
from songmay.connectivity.selectors import dead_spot_of
from songmay.lib.errors import DomainError
from songmay.lib.phones import InvalidMobile, InvalidPhone, parse_mobile, parse_phone
from songmay.lib.spreadsheet import RowError
from songmay.students.models import Lacking, Need, NeedStatus

if TYPE_CHECKING:
    from songmay.accounts.models import User

PACKAGE_FIELDS = [
    "operator", "name", "data_gb_per_month", "months", "price", "discounted_price", "free",
    "active",
]  # fmt: skip
# Where a broadband request may go next; installed and refused are final.
BROADBAND_STEPS: dict[str, set[str]] = {
    BroadbandStatus.REQUESTED: {
        BroadbandStatus.ACCEPTED, BroadbandStatus.INSTALLED, BroadbandStatus.REFUSED
    },
    BroadbandStatus.ACCEPTED: {BroadbandStatus.INSTALLED, BroadbandStatus.REFUSED},
    BroadbandStatus.INSTALLED: set(),
    BroadbandStatus.REFUSED: set(),
}  # fmt: skip


class ResultsRejected(DomainError):
    """A results file or list with at least one bad line: nothing was applied."""

    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        where = f"dòng {first.row}" if first.row else "tệp"
        super().__init__(
            f"Không cập nhật kết quả nào: {len(errors)} lỗi, lỗi đầu tiên ở {where}"
            f"{f' (cột “{first.column}”)' if first.column else ''}: {first.message}"
        )
        self.errors = errors


@dataclass(frozen=True)
class PackageData:
    operator: Operator
    name: str
    data_gb_per_month: Decimal
    months: int
    price: int
    discounted_price: int = 0
    free: bool = False
    active: bool = True


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (31/1 + 1 month = 28/2 or 29/2)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _is_operator(actor: User | None) -> bool:
    return actor is not None and actor.scope.role == Role.OPERATOR


def _check_operator(actor: User | None, operator: Operator) -> None:
    # An operator's users act for that operator only.
    if _is_operator(actor) and actor is not None and actor.operator_id != operator.pk:
        raise DomainError("Bạn chỉ làm việc được với yêu cầu của doanh nghiệp mình.")


def _package_clean(data: PackageData, package: DataPackage | None = None) -> None:
    if not data.name.strip():
        raise DomainError("Hãy nhập tên gói cước.", field="name")
    if data.months < 1:
        raise DomainError("Số tháng phải từ 1 trở lên.", field="months")
    if data.data_gb_per_month <= 0:
        raise DomainError("Dung lượng mỗi tháng phải lớn hơn 0.", field="data_gb_per_month")
    if not data.free and data.discounted_price > data.price:
        raise DomainError("Giá ưu đãi không được cao hơn giá gốc.", field="discounted_price")
    clash = DataPackage.objects.filter(operator=data.operator, name__iexact=data.name.strip())
    if package is not None:
        clash = clash.exclude(pk=package.pk)
    if clash.exists():
        raise DomainError(f"{data.operator} đã có gói “{data.name.strip()}”.", field="name")


@audited
def package_create(*, actor: User | None, data: PackageData) -> DataPackage:
    """Add an operator's offer to the catalogue."""
    authorize(actor, "connectivity.change")
    _package_clean(data)
    values = asdict(data) | {"name": data.name.strip()}
    package = DataPackage.objects.create(**values)
    audit_record(
        actor=actor, action="package.created", target=package,
        changes=diff({}, snapshot(package, PACKAGE_FIELDS)),
    )  # fmt: skip
    return package


@audited
def package_update(*, actor: User | None, package: DataPackage, data: PackageData) -> DataPackage:
    """Change an offer in the catalogue (requests made already keep their package)."""
    authorize(actor, "connectivity.change")
    package = DataPackage.objects.select_for_update().get(pk=package.pk)
    before = snapshot(package, PACKAGE_FIELDS)
    _package_clean(data, package)
    for name, value in (asdict(data) | {"name": data.name.strip()}).items():
        setattr(package, name, value)
    package.save()
    audit_record(
        actor=actor, action="package.updated", target=package,
        changes=diff(before, snapshot(package, PACKAGE_FIELDS)),
    )  # fmt: skip
    return package


@audited
def support_request(
    *,
    actor: User | None,
    need: Need,
    package: DataPackage,
    phone: str,
    consent_given: bool,
    consent_on: dt.date | None,
) -> ConnectivitySupport:
    """Ask the package's operator to give a pupil lacking connectivity its data package."""
    authorize(actor, "connectivity.request", need.school.area)
    need = Need.objects.select_for_update().select_related("school").get(pk=need.pk)
    if need.lacking not in (Lacking.CONNECTIVITY, Lacking.BOTH):
        raise DomainError("Học sinh này không thiếu kết nối: không đề nghị gói cước được.")
    if need.status == NeedStatus.WITHDRAWN:
        raise DomainError("Hồ sơ này đã rút khỏi chương trình.")
    if not package.active:
        raise DomainError("Gói cước này không còn áp dụng; hãy chọn gói khác.", field="package")
    spot = dead_spot_of(need.student)
    if spot is not None:
        state = spot.get_status_display().lower()
        raise DomainError(
            f"Em ở {spot}, một điểm lõm sóng chưa được phủ sóng ({state}): gói cước chưa dùng"
            " được cho đến khi được phủ sóng. Hãy theo dõi điểm lõm sóng này, hoặc đề nghị"
            " Internet cố định."
        )
    try:
        e164 = parse_mobile(phone)
    except InvalidMobile as error:
        raise DomainError(error.message, field="phone") from None
    if not consent_given:
        raise DomainError(
            "Cần có sự đồng ý của cha mẹ hoặc người giám hộ trước khi đề nghị gói cước.",
            field="consent_given",
        )
    today = timezone.localdate()
    consent_on = consent_on or today
    if consent_on > today:
        raise DomainError("Ngày đồng ý không được sau hôm nay.", field="consent_on")
    live = need.data_supports.filter(status__in=LIVE_SUPPORT).select_related("package").first()
    if live is not None:
        raise DomainError(
            f"Học sinh đã có gói “{live.package.name}” ({live.get_status_display().lower()}); "
            "mỗi học sinh chỉ một gói cước đang hiệu lực."
        )
    support = ConnectivitySupport.objects.create(
        need=need, package=package, operator_id=package.operator_id, phone=e164,
        consent_given=True, consent_on=consent_on, requested_by=actor,
    )  # fmt: skip
    audit_record(
        actor=actor, action="package.requested", target=support, area=need.school.area,
        changes={"need": need.pk, "package": package.pk, "phone_number": e164},
    )  # fmt: skip
    return support


@audited
def batch_export(*, actor: User | None, operator: Operator) -> ExchangeBatch:
    """Put the operator's new requests into a numbered batch, sent to the operator."""
    authorize(actor, "connectivity.operate")
    _check_operator(actor, operator)
    Operator.objects.select_for_update().get(pk=operator.pk)  # one batch number at a time
    pending = ConnectivitySupport.objects.select_for_update().filter(
        operator=operator, status=SupportStatus.REQUESTED
    )
    ids = list(pending.values_list("pk", flat=True))
    if not ids:
        raise DomainError(f"Không có yêu cầu mới nào cho {operator}.")
    last = ExchangeBatch.objects.filter(operator=operator).aggregate(n=Max("number"))["n"] or 0
    batch = ExchangeBatch.objects.create(operator=operator, number=last + 1, created_by=actor)
    ConnectivitySupport.objects.filter(pk__in=ids).update(batch=batch, status=SupportStatus.SENT)
    audit_record(
        actor=actor, action="package.batch_exported", target=batch,
        changes={"supports": len(ids)},
    )  # fmt: skip
    return batch


def _check_lines(
    operator: Operator, lines: list[ResultLine]
) -> tuple[list[RowError], dict[int, ConnectivitySupport]]:
    errors: list[RowError] = []
    ids = [line.request_id for line in lines]
    supports = ConnectivitySupport.objects.select_for_update().select_related("package")
    found = {support.pk: support for support in supports.filter(pk__in=ids)}
    seen: set[int] = set()
    for line in lines:
        support = found.get(line.request_id)
        if line.request_id in seen:
            errors.append(RowError(line.row, "Mã yêu cầu", "Mã yêu cầu lặp lại trong tệp."))
            continue
        seen.add(line.request_id)
        if support is None:
            errors.append(
                RowError(line.row, "Mã yêu cầu", f"Không có yêu cầu số {line.request_id}.")
            )
        elif support.operator_id != operator.pk:
            errors.append(
                RowError(
                    line.row,
                    "Mã yêu cầu",
                    f"Yêu cầu số {line.request_id} không phải của {operator}.",
                )
            )
        elif support.status != SupportStatus.SENT:
            errors.append(
                RowError(
                    line.row,
                    "Mã yêu cầu",
                    f"Yêu cầu số {line.request_id} đang ở trạng thái "
                    f"“{support.get_status_display()}”, không chờ kết quả.",
                )
            )
        elif line.phone and line.phone != support.phone:
            errors.append(
                RowError(
                    line.row,
                    "Số điện thoại",
                    "Số điện thoại khác với số trong yêu cầu; hãy giữ nguyên số đã gửi.",
                )
            )
        elif line.activated and line.activated_on and line.activated_on > timezone.localdate():
            errors.append(
                RowError(line.row, "Ngày kích hoạt", "Ngày kích hoạt không được sau hôm nay.")
            )
    return errors, found


def _apply(
    actor: User | None, operator: Operator, lines: list[ResultLine], errors: list[RowError]
) -> dict[str, Any]:
    authorize(actor, "connectivity.operate")
    _check_operator(actor, operator)
    if not lines and not errors:
        errors = [RowError(0, "", "Không có dòng kết quả nào.")]
    more, supports = _check_lines(operator, lines)
    errors = sorted([*errors, *more], key=lambda error: error.row)
    if errors:
        raise ResultsRejected(errors)
    now = timezone.now()
    activated = failed = 0
    batches: set[int] = set()
    for line in lines:
        support = supports[line.request_id]
        if line.activated and line.activated_on is not None:
            support.status = SupportStatus.ACTIVE
            support.activated_on = line.activated_on
            support.ends_on = _add_months(line.activated_on, support.package.months)
            activated += 1
        else:
            support.status = SupportStatus.FAILED
            support.failure_reason = line.reason[:255]
            failed += 1
        if support.batch_id:
            batches.add(support.batch_id)
    ConnectivitySupport.objects.bulk_update(
        [supports[line.request_id] for line in lines],
        ["status", "activated_on", "ends_on", "failure_reason"],
    )
    ExchangeBatch.objects.filter(pk__in=batches).update(results_at=now, results_by=actor)
    audit_record(
        actor=actor, action="package.results_recorded", target=operator,
        changes={"activated": activated, "failed": failed, "batches": sorted(batches)},
    )  # fmt: skip
    return {"activated": activated, "failed": failed, "batches": sorted(batches)}


@audited
def batch_results_import(
    *, actor: User | None, operator: Operator, data: bytes, filename: str
) -> dict[str, Any]:
    """Apply an operator's results file (CSV or xlsx) whole, or nothing (ResultsRejected)."""
    lines, errors = read_results(data, filename)
    return _apply(actor, operator, lines, errors)


@audited
def batch_results_record(
    *, actor: User | None, operator: Operator, lines: list[ResultLine]
) -> dict[str, Any]:
    """Apply results sent line by line (the API), whole or nothing, as the file import does."""
    return _apply(actor, operator, lines, [])


@audited
def support_end_due(*, today: dt.date | None = None) -> int:
    """End the packages whose last day has passed; returns how many ended."""
    today = today or timezone.localdate()
    due = ConnectivitySupport.objects.filter(status=SupportStatus.ACTIVE, ends_on__lt=today)
    ended = due.update(status=SupportStatus.ENDED)
    audit_record(
        actor=None, action="package.ended", target_repr=f"{ended} gói cước hết hạn",
        changes={"ended": ended, "today": today.isoformat()},
    )  # fmt: skip
    return ended


@audited
def broadband_request(
    *,
    actor: User | None,
    need: Need,
    operator: Operator,
    kind: str,
    address: str,
    phone: str,
) -> BroadbandRequest:
    """Ask an operator for free installation or a fee reduction for a pupil's household."""
    authorize(actor, "connectivity.request", need.school.area)
    if need.status == NeedStatus.WITHDRAWN:
        raise DomainError("Hồ sơ này đã rút khỏi chương trình.")
    if not address.strip():
        raise DomainError("Hãy nhập địa chỉ lắp đặt.", field="address")
    try:
        e164 = parse_phone(phone.strip())
    except InvalidPhone:
        raise DomainError(
            f"“{phone}” không phải số điện thoại Việt Nam hợp lệ.", field="phone"
        ) from None
    open_request = need.broadband_requests.filter(
        status__in=[BroadbandStatus.REQUESTED, BroadbandStatus.ACCEPTED]
    )
    if open_request.exists():
        raise DomainError("Hộ của học sinh này đã có một đề nghị Internet cố định đang xử lý.")
    request = BroadbandRequest.objects.create(
        need=need, operator=operator, kind=kind, address=address.strip(), phone=e164,
        requested_on=timezone.localdate(),
    )  # fmt: skip
    audit_record(
        actor=actor, action="broadband.requested", target=request, area=need.school.area,
        changes={"need": need.pk, "operator": operator.pk, "kind": kind},
    )  # fmt: skip
    return request


@audited
def broadband_update(
    *,
    actor: User | None,
    request: BroadbandRequest,
    status: str,
    installed_on: dt.date | None = None,
    note: str = "",
) -> BroadbandRequest:
    """Move a broadband request on: accepted, installed (with its date) or refused."""
    if actor is not None and not (
        actor.scope.may("connectivity.operate") or actor.scope.may("connectivity.request")
    ):
        authorize(actor, "connectivity.operate")
    request = BroadbandRequest.objects.select_for_update().get(pk=request.pk)
    _check_operator(actor, request.operator)
    if status not in BROADBAND_STEPS.get(request.status, set()):
        raise DomainError(
            f"Đề nghị đang “{request.get_status_display()}”: không chuyển sang "
            f"“{BroadbandStatus(status).label if status in BroadbandStatus.values else status}”"
            " được.",
            field="status",
        )
    if status == BroadbandStatus.INSTALLED:
        if installed_on is None:
            raise DomainError("Hãy nhập ngày lắp đặt.", field="installed_on")
        if installed_on > timezone.localdate() or installed_on < request.requested_on:
            raise DomainError(
                "Ngày lắp đặt phải trong khoảng từ ngày đề nghị đến hôm nay.",
                field="installed_on",
            )
    if status == BroadbandStatus.REFUSED and not note.strip():
        raise DomainError("Hãy ghi lý do không thực hiện được.", field="note")
    before = snapshot(request, ["status", "installed_on", "note"])
    request.status = status
    request.installed_on = installed_on if status == BroadbandStatus.INSTALLED else None
    if note.strip():
        request.note = note.strip()[:255]
    request.save(update_fields=["status", "installed_on", "note"])
    audit_record(
        actor=actor, action="broadband.updated", target=request,
        changes=diff(before, snapshot(request, ["status", "installed_on", "note"])),
    )  # fmt: skip
    return request
