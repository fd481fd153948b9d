"""Data packages and broadband through the API, for an operator's own system with its token:
list its requests, take a new batch (JSON rows), post results (all or nothing), list and move
on broadband requests. The same services as the exchange page and the command."""

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from songmay.api.schemas import ERRORS, AuthedRequest, InputSchema, NotFound, Pagination, require
from songmay.connectivity.exchange import ResultLine, check_line
from songmay.connectivity.models import (
    BroadbandRequest,
    BroadbandStatus,
    ConnectivitySupport,
    ExchangeBatch,
    Operator,
    SupportStatus,
)
from songmay.connectivity.package_selectors import (
    SupportFilters,
    batch_rows,
    broadband_get,
    broadband_list,
    operators_for,
    support_list,
)
from songmay.connectivity.package_services import (
    ResultsRejected,
    batch_export,
    batch_results_record,
    broadband_update,
)
from songmay.lib.spreadsheet import RowError

router = Router(tags=["Gói cước và Internet cố định"])


def _operator(request: AuthedRequest, code: str | None) -> Operator:
    """The caller's own operator; a national user names one by its code."""
    operators = operators_for(request.user)
    if code:
        operator = operators.filter(code=code.strip().lower()).first()
    else:
        operator = operators.first() if operators.count() == 1 else None
    if operator is None:
        raise NotFound(
            f"Không tìm thấy nhà mạng “{code}” trong phạm vi của bạn."
            if code
            else "Hãy cho biết mã nhà mạng (operator).",
            field="operator",
        )
    return operator


class SupportOut(Schema):
    id: int = Field(description="Mã yêu cầu, dùng khi gửi kết quả.")
    operator: str
    package: str
    months: int
    phone: str = Field(description="Số điện thoại nhận gói, dạng E.164 (+84...).")
    status: SupportStatus
    batch: int | None = Field(description="Số lô đã gửi.")
    consent_on: dt.date | None
    activated_on: dt.date | None
    ends_on: dt.date | None
    failure_reason: str

    @staticmethod
    def resolve_operator(obj: ConnectivitySupport) -> str:
        return obj.operator.code

    @staticmethod
    def resolve_package(obj: ConnectivitySupport) -> str:
        return obj.package.name

    @staticmethod
    def resolve_months(obj: ConnectivitySupport) -> int:
        return obj.package.months

    @staticmethod
    def resolve_batch(obj: ConnectivitySupport) -> int | None:
        return obj.batch.number if obj.batch else None


class BatchRowOut(Schema):
    request_id: int
    phone: str
    package: str
    months: int
    consent_on: dt.date | None


class BatchOut(Schema):
    operator: str
    number: int
    rows: list[BatchRowOut]


class BatchIn(InputSchema):
    operator: str | None = Field(None, description="Mã nhà mạng; tài khoản nhà mạng bỏ trống.")


class ResultIn(InputSchema):
    request_id: int = Field(description="Mã yêu cầu trong lô.")
    result: Literal["activated", "failed"]
    activated_on: dt.date | None = Field(None, description="Ngày kích hoạt, khi activated.")
    reason: str = Field("", max_length=255, description="Lý do, khi failed.")
    phone: str = ""


class ResultsIn(InputSchema):
    operator: str | None = None
    results: list[ResultIn] = Field(min_length=1)


class ResultsOut(Schema):
    activated: int
    failed: int
    batches: list[int]


class RowErrorOut(Schema):
    row: int = Field(description="Thứ tự kết quả trong danh sách gửi lên, từ 1.")
    column: str
    message: str


class ResultsErrorOut(Schema):
    message: str
    errors: list[RowErrorOut]


class BroadbandOut(Schema):
    id: int
    need: int
    operator: str
    kind: str
    address: str
    phone: str
    status: BroadbandStatus
    requested_on: dt.date
    installed_on: dt.date | None
    note: str

    @staticmethod
    def resolve_need(obj: BroadbandRequest) -> int:
        return obj.need_id

    @staticmethod
    def resolve_operator(obj: BroadbandRequest) -> str:
        return obj.operator.code


class BroadbandUpdateIn(InputSchema):
    status: BroadbandStatus
    installed_on: dt.date | None = None
    note: str = Field("", max_length=255)


@router.get("/supports", response={200: list[SupportOut], **ERRORS}, summary="Yêu cầu gói cước")
@paginate(Pagination)
def list_package_supports(
    request: AuthedRequest, status: SupportStatus | None = None
) -> QuerySet[ConnectivitySupport]:
    """Nhà mạng chỉ thấy yêu cầu của mình; cán bộ thấy yêu cầu của học sinh trong phạm vi."""
    require(request, "connectivity.view")
    filters = SupportFilters(status=status.value if status else "")
    return support_list(user=request.user, filters=filters).order_by("pk")


@router.post("/batches", response={201: BatchOut, **ERRORS}, summary="Lấy lô yêu cầu mới")
def export_package_batch(request: AuthedRequest, payload: BatchIn) -> Status:
    """Các yêu cầu mới của nhà mạng vào một lô mới (trạng thái “đã gửi”); 400 nếu không có."""
    require(request, "connectivity.operate")
    batch: ExchangeBatch = batch_export(
        actor=request.user, operator=_operator(request, payload.operator)
    )
    rows = [row.__dict__ for row in batch_rows(batch)]
    return Status(201, {"operator": batch.operator.code, "number": batch.number, "rows": rows})


@router.post(
    "/results",
    response={
        200: ResultsOut,
        400: ResultsErrorOut,
        **{k: v for k, v in ERRORS.items() if k != 400},
    },
    summary="Gửi kết quả kích hoạt",
)
def post_package_results(request: AuthedRequest, payload: ResultsIn) -> Any:
    """Kiểm tra mọi kết quả trước; một kết quả sai thì không ghi gì (400, nêu từng dòng)."""
    require(request, "connectivity.operate")
    operator = _operator(request, payload.operator)
    lines: list[ResultLine] = []
    errors: list[RowError] = []
    for number, item in enumerate(payload.results, start=1):
        line, problems = check_line(
            number, request_id=str(item.request_id),
            result="activated" if item.result == "activated" else "failed",
            activated_on=item.activated_on.strftime("%d/%m/%Y") if item.activated_on else "",
            reason=item.reason, phone=item.phone,
        )  # fmt: skip
        errors += problems
        if line is not None:
            lines.append(line)
    try:
        if errors:
            raise ResultsRejected(errors)
        return batch_results_record(actor=request.user, operator=operator, lines=lines)
    except ResultsRejected as rejected:
        body = [{"row": e.row, "column": e.column, "message": e.message} for e in rejected.errors]
        return Status(400, {"message": rejected.message, "errors": body})


@router.get("/broadband", response={200: list[BroadbandOut], **ERRORS}, summary="Internet cố định")
@paginate(Pagination)
def list_broadband_requests(
    request: AuthedRequest, status: BroadbandStatus | None = None
) -> QuerySet[BroadbandRequest]:
    require(request, "connectivity.view")
    return broadband_list(user=request.user, status=status.value if status else "").order_by("pk")


@router.post(
    "/broadband/{request_id}",
    response={200: BroadbandOut, **ERRORS},
    summary="Cập nhật đề nghị Internet cố định",
)
def update_broadband_request(
    request: AuthedRequest, request_id: int, payload: BroadbandUpdateIn
) -> BroadbandRequest:
    """Nhận, đã lắp đặt (kèm ngày) hoặc không thực hiện được (kèm lý do)."""
    scope = request.user.scope
    if not scope.may("connectivity.request"):
        require(request, "connectivity.operate")
    try:
        broadband = broadband_get(user=request.user, pk=request_id)
    except Http404:
        raise NotFound(f"Không tìm thấy đề nghị số {request_id} trong phạm vi của bạn.") from None
    return broadband_update(
        actor=request.user, request=broadband, status=payload.status.value,
        installed_on=payload.installed_on, note=payload.note,
    )  # fmt: skip
