"""Donors, pledges and receipts (tiếp nhận) within the user's scope; writes via the services."""

import datetime as dt
from typing import Annotated

from django.db.models import QuerySet
from django.http import Http404
from ninja import Field, P, QueryEx, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BeforeValidator, field_validator

from songmay.api.schemas import (
    ERRORS,
    MAX_ID,
    AreaRef,
    AuthedRequest,
    CampaignRef,
    InputSchema,
    NotFound,
    Pagination,
    _check_email,
    area_by_code,
    require,
)
from songmay.campaigns.models import Campaign
from songmay.campaigns.selectors import campaign_get
from songmay.donations.models import (
    Donation,
    DonationKind,
    Donor,
    DonorKind,
    PaymentMethod,
    Pledge,
    PledgeStatus,
    SupportKind,
)
from songmay.donations.selectors import donation_list, donor_list, pledge_list
from songmay.donations.services import (
    DonationData,
    DonorData,
    ItemData,
    donation_receive,
    donor_create,
    pledge_cancel,
    pledge_create,
)
from songmay.lib.money import InvalidAmount, parse_vnd

donors_router = Router(tags=["Nhà tài trợ"])
pledges_router = Router(tags=["Cam kết"])
receipts_router = Router(tags=["Tiếp nhận"])


def _vnd(value: object) -> int:
    try:
        return parse_vnd(value)
    except InvalidAmount as exc:
        raise ValueError(str(exc)) from None


# Whole đồng, never negative: 1500000 or "1.500.000"; 1.5 or -5 are refused in Vietnamese.
Vnd = Annotated[int, BeforeValidator(_vnd)]


# Lookups: an id outside the user's scope is a 404 naming the field, as if it did not exist.


def _campaign(request: AuthedRequest, pk: int) -> Campaign:
    try:
        return campaign_get(user=request.user, pk=pk)
    except Http404:
        raise NotFound(
            f"Không tìm thấy chương trình số {pk} trong phạm vi của bạn.", field="campaign"
        ) from None


def _donor(request: AuthedRequest, pk: int, *, field: str = "donor") -> Donor:
    donor = donor_list(user=request.user).select_related("area").filter(pk=pk).first()
    if donor is None:
        raise NotFound(f"Không tìm thấy nhà tài trợ số {pk} trong phạm vi của bạn.", field=field)
    return donor


def _pledge(request: AuthedRequest, pk: int, *, field: str = "pledge") -> Pledge:
    pledge = pledge_list(user=request.user).filter(pk=pk).first()
    if pledge is None:
        raise NotFound(f"Không tìm thấy cam kết số {pk} trong phạm vi của bạn.", field=field)
    return pledge


def _receipt(request: AuthedRequest, pk: int, *, field: str | None = None) -> Donation:
    donation = donation_list(user=request.user).filter(pk=pk).first()
    if donation is None:
        raise NotFound(f"Không tìm thấy biên nhận số {pk} trong phạm vi của bạn.", field=field)
    return donation


# Schemas -----------------------------------------------------------------------------------


class DonorRef(Schema):
    id: int
    name: str


class DonorOut(Schema):
    id: int
    kind: DonorKind
    name: str
    area: AreaRef | None = Field(description="Tỉnh/thành phố ghi nhận; trống nếu toàn quốc.")
    tax_code: str
    contact_name: str
    phone: str = Field(description="Số điện thoại dạng E.164; có thể trống.")
    email: str
    address: str
    public_name_consent: bool = Field(
        description="Đồng ý công khai tên; nếu không, trang công khai ghi “Nhà hảo tâm”."
    )
    has_trace_link: bool = Field(description="Đã có đường dẫn theo dõi riêng còn hiệu lực.")

    @staticmethod
    def resolve_has_trace_link(obj: Donor) -> bool:
        return bool(obj.trace_token)


class DonorIn(InputSchema):
    kind: DonorKind
    name: str = Field(max_length=255)
    area: str | None = Field(None, description="Mã tỉnh/thành phố; trống nếu toàn quốc.")
    tax_code: str = Field("", max_length=14, description="Mã số thuế 10 hoặc 13 chữ số.")
    contact_name: str = Field("", max_length=120)
    phone: str = Field("", max_length=30, description="Ví dụ `0983.934.091`.")
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=255)
    public_name_consent: bool = False

    _email = field_validator("email")(_check_email)


class ItemOut(Schema):
    kind: SupportKind
    quantity: int


class PledgeItemIn(InputSchema):
    kind: SupportKind
    quantity: int = Field(ge=1, description="Số lượng, từ 1.")


class PledgeOut(Schema):
    id: int
    campaign: CampaignRef
    donor: DonorRef
    pledged_on: dt.date
    due_on: dt.date | None
    amount: int = Field(description="Số tiền cam kết, đồng.")
    items: list[ItemOut]
    status: PledgeStatus
    note: str
    cancel_reason: str
    created_at: dt.datetime


class PledgeIn(InputSchema):
    campaign: int = Field(description="Mã số (id) chương trình.")
    donor: int = Field(description="Mã số (id) nhà tài trợ.")
    pledged_on: dt.date
    due_on: dt.date | None = None
    amount: Vnd = Field(0, description="Số tiền cam kết, đồng chẵn, ví dụ 50000000.")
    items: list[PledgeItemIn] = Field([], description="Thiết bị, hỗ trợ viễn thông cam kết.")
    note: str = ""


class CancelIn(InputSchema):
    reason: str = Field(max_length=255, description="Lý do huỷ cam kết.")


class ReceiptItemOut(Schema):
    kind: SupportKind
    quantity: int
    description: str


class ReceiptItemIn(InputSchema):
    kind: SupportKind
    quantity: int = Field(ge=1, description="Số lượng, từ 1.")
    description: str = Field("", max_length=255)


class ReceiptOut(Schema):
    id: int
    code: str = Field(description="Số biên nhận, ví dụ `TN-00012`.")
    campaign: CampaignRef
    donor: DonorRef
    pledge: int | None = Field(description="Mã số (id) cam kết, nếu nhận theo cam kết.")
    kind: DonationKind
    received_on: dt.date
    amount: int = Field(description="Số tiền, đồng; 0 với thiết bị và hỗ trợ viễn thông.")
    method: PaymentMethod | None
    bank_reference: str
    earmark: str
    description: str
    items: list[ReceiptItemOut]
    outside_intake_window: bool
    needs_review: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_pledge(obj: Donation) -> int | None:
        return obj.pledge_id

    @staticmethod
    def resolve_method(obj: Donation) -> str | None:
        return obj.method or None


class ReceiptIn(InputSchema):
    campaign: int = Field(description="Mã số (id) chương trình.")
    donor: int = Field(description="Mã số (id) nhà tài trợ.")
    pledge: int | None = Field(None, description="Mã số (id) cam kết, nếu nhận theo cam kết.")
    kind: DonationKind
    received_on: dt.date
    amount: Vnd = Field(0, description="Chỉ với tiền: đồng chẵn, ví dụ 50000000.")
    method: PaymentMethod | None = Field(None, description="Chỉ với tiền.")
    bank_reference: str = Field("", max_length=64, description="Bắt buộc khi chuyển khoản.")
    earmark: str = Field("", max_length=255, description="Mục đích nhà tài trợ chỉ định.")
    description: str = ""
    items: list[ReceiptItemIn] = Field([], description="Chỉ với thiết bị, hỗ trợ viễn thông.")


# Donors ------------------------------------------------------------------------------------


@donors_router.get("", response={200: list[DonorOut], **ERRORS}, summary="Danh sách nhà tài trợ")
@paginate(Pagination)
def list_donors(
    request: AuthedRequest, q: QueryEx[str, P(description="Tìm theo tên.")] = ""
) -> QuerySet[Donor]:
    require(request, "donations.view")
    return donor_list(user=request.user, query=q).select_related("area")


@donors_router.get("/{donor_id}", response={200: DonorOut, **ERRORS}, summary="Một nhà tài trợ")
def get_donor(request: AuthedRequest, donor_id: int) -> Donor:
    require(request, "donations.view")
    return _donor(request, donor_id, field="")


@donors_router.post("", response={201: DonorOut, **ERRORS}, summary="Thêm nhà tài trợ")
def create_donor(request: AuthedRequest, payload: DonorIn) -> Status[Donor]:
    require(request, "donations.change")
    values = payload.dict()
    values["kind"] = payload.kind.value
    values["area"] = area_by_code(request, payload.area, field="area") if payload.area else None
    donor = donor_create(actor=request.user, data=DonorData(**values))
    return Status(201, _donor(request, donor.pk))


# Pledges -----------------------------------------------------------------------------------


@pledges_router.get("", response={200: list[PledgeOut], **ERRORS}, summary="Danh sách cam kết")
@paginate(Pagination)
def list_pledges(
    request: AuthedRequest,
    campaign: QueryEx[int | None, P(description="Mã số (id) chương trình.")] = None,
    donor: QueryEx[int | None, P(description="Mã số (id) nhà tài trợ.", ge=1, le=MAX_ID)] = None,
    status: QueryEx[PledgeStatus | None, P(description="Trạng thái.")] = None,
) -> QuerySet[Pledge]:
    require(request, "donations.view")
    pledges = pledge_list(
        user=request.user, campaign=_campaign(request, campaign) if campaign else None
    )
    if donor is not None:
        pledges = pledges.filter(donor_id=donor)
    if status is not None:
        pledges = pledges.filter(status=status.value)
    return pledges


@pledges_router.get("/{pledge_id}", response={200: PledgeOut, **ERRORS}, summary="Một cam kết")
def get_pledge(request: AuthedRequest, pledge_id: int) -> Pledge:
    require(request, "donations.view")
    return _pledge(request, pledge_id, field="")


@pledges_router.post("", response={201: PledgeOut, **ERRORS}, summary="Ghi nhận cam kết")
def create_pledge(request: AuthedRequest, payload: PledgeIn) -> Status[Pledge]:
    """Tiền, thiết bị hoặc hỗ trợ viễn thông nhà tài trợ hứa; mỗi loại ghi một lần."""
    require(request, "donations.change")
    items: dict[str, int] = {}
    for item in payload.items:
        items[item.kind.value] = items.get(item.kind.value, 0) + item.quantity
    pledge = pledge_create(
        actor=request.user,
        campaign=_campaign(request, payload.campaign),
        donor=_donor(request, payload.donor),
        pledged_on=payload.pledged_on,
        due_on=payload.due_on,
        amount=payload.amount,
        items=items,
        note=payload.note,
    )
    return Status(201, _pledge(request, pledge.pk))


@pledges_router.post(
    "/{pledge_id}/cancel", response={200: PledgeOut, **ERRORS}, summary="Huỷ cam kết"
)
def cancel_pledge(request: AuthedRequest, pledge_id: int, payload: CancelIn) -> Pledge:
    """Những gì đã nhận theo cam kết vẫn giữ nguyên."""
    require(request, "donations.change")
    pledge = _pledge(request, pledge_id, field="")
    pledge_cancel(actor=request.user, pledge=pledge, reason=payload.reason)
    return _pledge(request, pledge.pk)


# Receipts ----------------------------------------------------------------------------------


@receipts_router.get(
    "", response={200: list[ReceiptOut], **ERRORS}, summary="Danh sách biên nhận tiếp nhận"
)
@paginate(Pagination)
def list_receipts(
    request: AuthedRequest,
    campaign: QueryEx[int | None, P(description="Mã số (id) chương trình.")] = None,
    donor: QueryEx[int | None, P(description="Mã số (id) nhà tài trợ.", ge=1, le=MAX_ID)] = None,
    kind: QueryEx[DonationKind | None, P(description="Tiền, thiết bị hay viễn thông.")] = None,
    needs_review: QueryEx[
        bool, P(description="true: chỉ các khoản nhận ngoài thời gian, chưa xem xét.")
    ] = False,
) -> QuerySet[Donation]:
    require(request, "donations.view")
    donations = donation_list(
        user=request.user,
        campaign=_campaign(request, campaign) if campaign else None,
        kind=kind.value if kind else "",
        needs_review=needs_review,
    )
    if donor is not None:
        donations = donations.filter(donor_id=donor)
    return donations


@receipts_router.get(
    "/{receipt_id}", response={200: ReceiptOut, **ERRORS}, summary="Một biên nhận tiếp nhận"
)
def get_receipt(request: AuthedRequest, receipt_id: int) -> Donation:
    require(request, "donations.view")
    return _receipt(request, receipt_id)


@receipts_router.post("", response={201: ReceiptOut, **ERRORS}, summary="Ghi nhận tiếp nhận")
def create_receipt(request: AuthedRequest, payload: ReceiptIn) -> Status[Donation]:
    """Tiền (số tiền, hình thức, mã giao dịch) hoặc thiết bị, hỗ trợ viễn thông (danh sách
    loại và số lượng); biên nhận được đánh số tiếp theo của chương trình."""
    require(request, "donations.change")
    campaign = _campaign(request, payload.campaign)
    donor = _donor(request, payload.donor)
    pledge = _pledge(request, payload.pledge) if payload.pledge is not None else None
    data = DonationData(
        kind=payload.kind.value,
        received_on=payload.received_on,
        amount=payload.amount,
        method=payload.method.value if payload.method else "",
        bank_reference=payload.bank_reference,
        earmark=payload.earmark,
        description=payload.description,
        items=[
            ItemData(kind=item.kind.value, quantity=item.quantity, description=item.description)
            for item in payload.items
        ],
    )
    donation = donation_receive(
        actor=request.user, campaign=campaign, donor=donor, data=data, pledge=pledge
    )
    return Status(201, _receipt(request, donation.pk))
