"""The shared pool's loans through the API: lend, return, finish repairs, write-offs and
recalls. The same services and selectors as the pages and `songmay pool`."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from ninja import Field, P, QueryEx, Router, Schema, Status
from ninja.pagination import paginate

from songmay.api.donations import _campaign
from songmay.api.schemas import (
    ERRORS,
    AuthedRequest,
    CampaignRef,
    InputSchema,
    NotFound,
    Pagination,
    SchoolRef,
    require,
)
from songmay.areas.selectors import school_list
from songmay.inventory.models import Condition, Device, DeviceKind, DeviceStatus, Warehouse
from songmay.pool import selectors
from songmay.pool.models import Loan, LoanStatus, Recall, RecallAnswer, RecallItem, WriteOff
from songmay.pool.services import (
    loan_out,
    loan_return,
    recall_answer,
    recall_start,
    repair_finish,
    write_off_decide,
    write_off_request,
)
from songmay.students.models import Need

router = Router(tags=["Kho dùng chung"])


def _loan(request: AuthedRequest, pk: int) -> Loan:
    loan = selectors.loan_list(user=request.user).filter(pk=pk).first()
    if loan is None:
        raise NotFound(f"Không tìm thấy lượt cho mượn số {pk} trong phạm vi của bạn.")
    return loan


def _device(request: AuthedRequest, pk: int) -> Device:
    try:
        return selectors.repair_get(user=request.user, pk=pk)
    except Http404:
        raise NotFound(f"Không tìm thấy thiết bị số {pk} trong phạm vi của bạn.") from None


def _devices(request: AuthedRequest, codes: list[str]) -> list[Device]:
    wanted = [code.strip().upper() for code in codes if code.strip()]
    found = Device.objects.visible_to(request.user).filter(
        Q(asset_tag__in=wanted) | Q(serial__in=wanted) | Q(imei__in=wanted)
    )
    by_code = {code: device for device in found for code in (device.asset_tag, device.serial,
               device.imei) if code}  # fmt: skip
    missing = [code for code in wanted if code not in by_code]
    if missing:
        raise NotFound(
            f"Không tìm thấy thiết bị {', '.join(missing)} trong phạm vi của bạn.", field="devices"
        )
    return list({by_code[code].pk: by_code[code] for code in wanted}.values())


def _write_off(request: AuthedRequest, pk: int) -> WriteOff:
    try:
        return selectors.write_off_get(user=request.user, pk=pk)
    except Http404:
        raise NotFound(f"Không tìm thấy đề nghị thanh lý số {pk} trong phạm vi của bạn.") from None


def _recall(request: AuthedRequest, pk: int) -> Recall:
    try:
        return selectors.recall_get(user=request.user, pk=pk)
    except Http404:
        raise NotFound(f"Không tìm thấy đợt thu hồi số {pk} trong phạm vi của bạn.") from None


# Schemas -----------------------------------------------------------------------------------


class DeviceRef(Schema):
    id: int
    asset_tag: str
    kind: DeviceKind
    status: DeviceStatus


class LoanOut(Schema):
    id: int
    device: DeviceRef
    school: SchoolRef = Field(description="Trường mượn (với học sinh mượn: trường của em).")
    need: int | None = Field(description="Mã hồ sơ học sinh mượn, nếu học sinh mượn.")
    batch: int = Field(description="Đợt cho mượn: các thiết bị cho mượn cùng lúc chung số đợt.")
    lent_on: dt.date
    due_on: dt.date
    overdue: bool
    condition_out: str
    status: LoanStatus
    returned_on: dt.date | None
    condition_back: str
    note: str

    @staticmethod
    def resolve_school(obj: Loan) -> SchoolRef:
        school = obj.school if obj.school_id else obj.need.school  # type: ignore[union-attr]
        return SchoolRef(id=school.pk, code=school.code, name=school.name)  # type: ignore[union-attr]

    @staticmethod
    def resolve_need(obj: Loan) -> int | None:
        return obj.need_id

    @staticmethod
    def resolve_overdue(obj: Loan) -> bool:
        return obj.status == LoanStatus.OUT and obj.due_on < timezone.localdate()


class LendIn(InputSchema):
    devices: list[str] = Field(
        min_length=1, description="Mã tài sản (hoặc số serial, IMEI) của các thiết bị."
    )
    due_on: dt.date = Field(description="Hạn trả, YYYY-MM-DD.")
    school: str | None = Field(None, description="Mã trường mượn.")
    need: int | None = Field(None, description="Hoặc mã hồ sơ học sinh mượn (một thiết bị).")
    note: str = Field("", max_length=255)


class ReturnIn(InputSchema):
    returned_on: dt.date
    condition: Condition = Field(
        description="Cần sửa chữa: vào hàng chờ sửa. Không sử dụng được: đề nghị thanh lý."
    )
    note: str = Field("", max_length=255, description="Bắt buộc khi không sử dụng được.")
    warehouse: int | None = Field(None, description="Mã số (id) kho nhập lại; trống: ở lại trường.")


class RepairIn(InputSchema):
    condition: Condition = Field(description="Tình trạng sau khi sửa: new, good hoặc fair.")
    note: str = Field("", max_length=255)


class WriteOffOut(Schema):
    id: int
    device: DeviceRef
    reason: str
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None


class WriteOffIn(InputSchema):
    device: int = Field(description="Mã số (id) thiết bị đang sửa chữa.")
    reason: str = Field(max_length=255)


class DecisionIn(InputSchema):
    approve: bool = Field(description="true: duyệt thanh lý; false: không duyệt.")
    note: str = Field("", max_length=255)


class RecallItemOut(Schema):
    id: int
    loan: LoanOut
    answer: RecallAnswer
    note: str
    answered_at: dt.datetime | None


class RecallOut(Schema):
    id: int
    campaign: CampaignRef
    due_on: dt.date
    reason: str
    created_at: dt.datetime
    total: int = Field(description="Số thiết bị trong phạm vi của bạn được đề nghị trả.")
    returned: int
    waiting: int


class RecallDetailOut(RecallOut):
    items: list[RecallItemOut] = Field(description="Thiết bị trong phạm vi của bạn.")

    @staticmethod
    def resolve_items(obj: Recall) -> list[RecallItem]:
        return getattr(obj, "items_in_scope", [])


class RecallIn(InputSchema):
    campaign: int = Field(description="Mã số (id) chương trình.")
    due_on: dt.date
    reason: str = Field(max_length=255)


class AnswerIn(InputSchema):
    answer: RecallAnswer = Field(description="will_return, needs_time hoặc lost.")
    note: str = Field("", max_length=255, description="Bắt buộc khi xin gia hạn hoặc báo mất.")


# Loans -------------------------------------------------------------------------------------


@router.get("/loans", response={200: list[LoanOut], **ERRORS}, summary="Các lượt cho mượn")
@paginate(Pagination)
def list_loans(
    request: AuthedRequest,
    *,
    status: QueryEx[LoanStatus | None, P(description="Trạng thái.")] = None,
    overdue: QueryEx[bool, P(description="Chỉ lượt quá hạn trả.")] = False,
    school: QueryEx[str | None, P(description="Mã trường mượn.")] = None,
) -> QuerySet[Loan]:
    require(request, "pool.view")
    borrower = None
    if school:
        borrower = school_list(user=request.user).filter(code=school.strip()).first()
        if borrower is None:
            raise NotFound(f"Không tìm thấy trường mã “{school}” trong phạm vi của bạn.")
    return selectors.loan_list(
        user=request.user, status=status.value if status else "", overdue=overdue,
        school=borrower,
    )  # fmt: skip


@router.get("/loans/{loan_id}", response={200: LoanOut, **ERRORS}, summary="Một lượt cho mượn")
def get_loan(request: AuthedRequest, loan_id: int) -> Loan:
    require(request, "pool.view")
    return _loan(request, loan_id)


@router.post("/loans", response={201: list[LoanOut], **ERRORS}, summary="Cho mượn thiết bị")
def lend_devices(request: AuthedRequest, payload: LendIn) -> Status[list[Loan]]:
    """Cho một trường mượn nhiều thiết bị (`school`), hoặc một học sinh có nhu cầu đã xác nhận
    mượn một thiết bị (`need`). Thiết bị phải “Sẵn sàng cấp phát” và không đang điều chuyển."""
    require(request, "pool.manage")
    school = need = None
    if payload.school:
        school = school_list(user=request.user).filter(code=payload.school.strip()).first()
        if school is None:
            raise NotFound(
                f"Không tìm thấy trường mã “{payload.school}” trong phạm vi của bạn.",
                field="school",
            )
    if payload.need is not None:
        need = Need.objects.visible_to(request.user).filter(pk=payload.need).first()
        if need is None:
            raise NotFound(
                f"Không tìm thấy hồ sơ học sinh số {payload.need} trong phạm vi của bạn.",
                field="need",
            )
    loans = loan_out(
        actor=request.user, devices=_devices(request, payload.devices), due_on=payload.due_on,
        school=school, need=need, note=payload.note,
    )  # fmt: skip
    return Status(201, list(selectors.loan_list(user=request.user).filter(batch=loans[0].batch)))


@router.post("/loans/{loan_id}/return", response={200: LoanOut, **ERRORS}, summary="Ghi nhận trả")
def return_loan(request: AuthedRequest, loan_id: int, payload: ReturnIn) -> Loan:
    """Tốt, mới, trung bình: thiết bị sẵn sàng cho mượn tiếp. Cần sửa chữa: vào hàng chờ sửa.
    Không sử dụng được: vào hàng chờ và được đề nghị thanh lý (ghi lý do ở `note`)."""
    require(request, "pool.receive")
    loan = _loan(request, loan_id)
    warehouse = None
    if payload.warehouse is not None:
        warehouse = (
            request.user.scope.filter_areas(Warehouse.objects.all(), "area")
            .filter(pk=payload.warehouse)
            .first()
        )
        if warehouse is None:
            raise NotFound(
                f"Không tìm thấy kho số {payload.warehouse} trong phạm vi của bạn.",
                field="warehouse",
            )
    loan_return(
        actor=request.user, loan=loan, returned_on=payload.returned_on,
        condition=payload.condition.value, note=payload.note, warehouse=warehouse,
    )  # fmt: skip
    return _loan(request, loan_id)


@router.post(
    "/devices/{device_id}/repair-finish",
    response={200: DeviceRef, **ERRORS},
    summary="Sửa xong, đưa lại vào kho",
)
def finish_repair(request: AuthedRequest, device_id: int, payload: RepairIn) -> Device:
    require(request, "pool.manage")
    return repair_finish(
        actor=request.user, device=_device(request, device_id),
        condition=payload.condition.value, note=payload.note,
    )  # fmt: skip


# Write-offs --------------------------------------------------------------------------------


@router.get("/write-offs", response={200: list[WriteOffOut], **ERRORS}, summary="Đề nghị thanh lý")
@paginate(Pagination)
def list_write_offs(request: AuthedRequest) -> QuerySet[WriteOff]:
    require(request, "pool.view")
    return selectors.write_off_list(user=request.user)


@router.post("/write-offs", response={201: WriteOffOut, **ERRORS}, summary="Đề nghị thanh lý")
def request_write_off(request: AuthedRequest, payload: WriteOffIn) -> Status[WriteOff]:
    """Chỉ thiết bị đang sửa chữa; một người khác duyệt."""
    require(request, "pool.manage")
    write_off = write_off_request(
        actor=request.user, device=_device(request, payload.device), reason=payload.reason
    )
    return Status(201, _write_off(request, write_off.pk))


@router.post(
    "/write-offs/{write_off_id}/decide",
    response={200: WriteOffOut, **ERRORS},
    summary="Duyệt hoặc không duyệt thanh lý",
)
def decide_write_off(request: AuthedRequest, write_off_id: int, payload: DecisionIn) -> WriteOff:
    """Người duyệt phải khác người đề nghị. Duyệt: thiết bị “Đã thanh lý”; không duyệt: thiết
    bị ở lại hàng chờ sửa chữa."""
    require(request, "pool.manage")
    write_off_decide(
        actor=request.user, write_off=_write_off(request, write_off_id),
        approve=payload.approve, note=payload.note,
    )  # fmt: skip
    return _write_off(request, write_off_id)


# Recalls -----------------------------------------------------------------------------------


@router.get("/recalls", response={200: list[RecallOut], **ERRORS}, summary="Các đợt thu hồi")
@paginate(Pagination)
def list_recalls(request: AuthedRequest) -> QuerySet[Recall]:
    require(request, "pool.view")
    return selectors.recall_list(user=request.user)


@router.get(
    "/recalls/{recall_id}", response={200: RecallDetailOut, **ERRORS}, summary="Đợt thu hồi"
)
def get_recall(request: AuthedRequest, recall_id: int) -> Recall:
    """Các thiết bị trong phạm vi của bạn và câu trả lời của người mượn."""
    require(request, "pool.view")
    recall = _recall(request, recall_id)
    recall.items_in_scope = list(  # type: ignore[attr-defined]
        selectors.recall_items(user=request.user, recall=recall)
    )
    return recall


@router.post("/recalls", response={201: RecallOut, **ERRORS}, summary="Gửi đề nghị thu hồi")
def start_recall(request: AuthedRequest, payload: RecallIn) -> Status[Recall]:
    """Mọi thiết bị của chương trình đang cho mượn trong phạm vi của bạn; các trường mượn nhận
    thư điện tử."""
    require(request, "pool.manage")
    recall = recall_start(
        actor=request.user, campaign=_campaign(request, payload.campaign),
        due_on=payload.due_on, reason=payload.reason,
    )  # fmt: skip
    return Status(201, _recall(request, recall.pk))


@router.post(
    "/recall-items/{item_id}/answer",
    response={200: RecallItemOut, **ERRORS},
    summary="Trả lời đề nghị thu hồi",
)
def answer_recall(request: AuthedRequest, item_id: int, payload: AnswerIn) -> RecallItem:
    require(request, "pool.receive")
    try:
        item = selectors.recall_item_get(user=request.user, pk=item_id)
    except Http404:
        raise NotFound(f"Không tìm thấy thiết bị số {item_id} của đợt thu hồi.") from None
    recall_answer(actor=request.user, item=item, answer=payload.answer.value, note=payload.note)
    return selectors.recall_item_get(user=request.user, pk=item_id)
