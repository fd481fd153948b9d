"""Transfers through the API: request, approve, send, confirm arrivals by tag (a scanner app
posts each label it reads), close or cancel; list and read transfers in scope; the reconciling
counts. The same services as the pages."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from songmay.api.donations import _campaign
from songmay.api.schemas import ERRORS, AuthedRequest, InputSchema, NotFound, Pagination, require
from songmay.areas.models import School
from songmay.campaigns.models import Campaign
from songmay.inventory.models import Warehouse
from songmay.pool.counts import CountRow, pool_counts
from songmay.pool.models import Transfer, TransferItem, TransferStatus
from songmay.pool.transfer_selectors import (
    devices_by_tags,
    transfer_get,
    transfer_items,
    transfer_list,
)
from songmay.pool.transfer_services import (
    transfer_approve,
    transfer_cancel,
    transfer_close,
    transfer_receive,
    transfer_request,
    transfer_send,
)

router = Router(tags=["Điều chuyển"])


def _transfer(request: AuthedRequest, pk: int) -> Transfer:
    try:
        return transfer_get(user=request.user, pk=pk)
    except Http404:
        raise NotFound(f"Không tìm thấy phiếu điều chuyển số {pk} trong phạm vi của bạn.") from None


class TransferItemOut(Schema):
    device: int
    asset_tag: str
    kind: str
    received_at: dt.datetime | None
    missing: bool

    @staticmethod
    def resolve_device(obj: TransferItem) -> int:
        return obj.device_id

    @staticmethod
    def resolve_asset_tag(obj: TransferItem) -> str:
        return obj.device.asset_tag

    @staticmethod
    def resolve_kind(obj: TransferItem) -> str:
        return obj.device.kind


class TransferOut(Schema):
    id: int
    number: int = Field(description="Số phiếu trong chương trình.")
    campaign: int
    status: TransferStatus
    from_school: int | None = Field(description="Mã số (id) trường gửi.")
    from_warehouse: int | None = Field(description="Mã số (id) kho gửi.")
    to_school: int | None = Field(description="Mã số (id) trường nhận.")
    to_warehouse: int | None = Field(description="Mã số (id) kho nhận.")
    reason: str
    outbreak: int | None
    requested_at: dt.datetime
    approved_at: dt.datetime | None
    sent_at: dt.datetime | None
    received_at: dt.datetime | None

    @staticmethod
    def resolve_campaign(obj: Transfer) -> int:
        return obj.campaign_id

    @staticmethod
    def resolve_from_school(obj: Transfer) -> int | None:
        return obj.from_school_id

    @staticmethod
    def resolve_from_warehouse(obj: Transfer) -> int | None:
        return obj.from_warehouse_id

    @staticmethod
    def resolve_to_school(obj: Transfer) -> int | None:
        return obj.to_school_id

    @staticmethod
    def resolve_to_warehouse(obj: Transfer) -> int | None:
        return obj.to_warehouse_id

    @staticmethod
    def resolve_outbreak(obj: Transfer) -> int | None:
        return obj.outbreak_id


class TransferDetailOut(TransferOut):
    items: list[TransferItemOut]

    @staticmethod
    def resolve_items(obj: Transfer) -> list[TransferItem]:
        return list(transfer_items(obj))


class ReceiveIn(InputSchema):
    tags: list[str] = Field(
        min_length=1,
        description="Mã tài sản in trên nhãn, hoặc địa chỉ trang thiết bị mà mã QR chứa.",
    )


class TransferIn(InputSchema):
    campaign: int = Field(description="Mã số (id) chương trình.")
    tags: list[str] = Field(min_length=1, description="Mã tài sản các thiết bị (cùng một nơi).")
    to_school: str | None = Field(None, description="Mã trường nhận.")
    to_warehouse: int | None = Field(None, description="Mã số (id) kho nhận.")
    reason: str = ""


class CountRowOut(Schema):
    place: str
    area: str
    held: int
    lent: int
    transit: int
    repair: int
    total: int


class CountsOut(Schema):
    rows: list[CountRowOut]
    by_kind: list[CountRowOut]
    totals: CountRowOut
    inventory: int = Field(description="Số thiết bị chưa thanh lý, đếm riêng.")
    reconciles: bool = Field(description="Tổng các nơi bằng tồn kho.")


@router.get("/transfers", response={200: list[TransferOut], **ERRORS}, summary="Phiếu điều chuyển")
@paginate(Pagination)
def list_transfers(
    request: AuthedRequest, status: TransferStatus | None = None
) -> QuerySet[Transfer]:
    require(request, "pool.view")
    return transfer_list(user=request.user, status=status.value if status else "")


@router.get(
    "/transfers/{transfer_id}", response={200: TransferDetailOut, **ERRORS}, summary="Một phiếu"
)
def get_transfer(request: AuthedRequest, transfer_id: int) -> Transfer:
    require(request, "pool.view")
    return _transfer(request, transfer_id)


@router.post(
    "/transfers/{transfer_id}/receive",
    response={200: TransferDetailOut, **ERRORS},
    summary="Xác nhận thiết bị đã đến",
)
def receive_transfer(request: AuthedRequest, transfer_id: int, payload: ReceiveIn) -> Transfer:
    """Mỗi mã là một thiết bị; mã không có trong phiếu bị từ chối (400) và không gì được ghi."""
    require(request, "pool.receive")
    transfer = transfer_receive(
        actor=request.user, transfer=_transfer(request, transfer_id), tags=payload.tags
    )
    return transfer


@router.post("/transfers", response={201: TransferDetailOut, **ERRORS}, summary="Lập phiếu")
def request_transfer(request: AuthedRequest, payload: TransferIn) -> Status:
    """Thiết bị phải cùng ở một nơi, sẵn sàng, không đang cho mượn hay trên phiếu khác."""
    require(request, "pool.manage")
    campaign = _campaign(request, payload.campaign)
    devices, unknown = devices_by_tags(user=request.user, tags=payload.tags)
    if unknown:
        raise NotFound(
            f"Không tìm thấy thiết bị {', '.join(unknown)} trong phạm vi của bạn.", field="tags"
        )
    school = warehouse = None
    if payload.to_school:
        school = (
            request.user.scope.filter_schools(School.objects.all(), "")
            .filter(code=payload.to_school.strip())
            .first()
        )
        if school is None:
            raise NotFound(f"Không tìm thấy trường mã “{payload.to_school}”.", field="to_school")
    elif payload.to_warehouse is not None:
        warehouse = (
            request.user.scope.filter_areas(Warehouse.objects.all(), "area")
            .filter(pk=payload.to_warehouse)
            .first()
        )
        if warehouse is None:
            raise NotFound(f"Không tìm thấy kho số {payload.to_warehouse}.", field="to_warehouse")
    transfer = transfer_request(
        actor=request.user, campaign=campaign, devices=devices, to_school=school,
        to_warehouse=warehouse, reason=payload.reason,
    )  # fmt: skip
    return Status(201, transfer)


def _step(request: AuthedRequest, transfer_id: int, service: Any) -> Transfer:
    require(request, "pool.manage")
    transfer = _transfer(request, transfer_id)
    service(actor=request.user, transfer=transfer)
    return transfer_get(user=request.user, pk=transfer.pk)


@router.post("/transfers/{transfer_id}/approve", response={200: TransferDetailOut, **ERRORS},
             summary="Duyệt phiếu")  # fmt: skip
def approve_transfer(request: AuthedRequest, transfer_id: int) -> Transfer:
    return _step(request, transfer_id, transfer_approve)


@router.post("/transfers/{transfer_id}/send", response={200: TransferDetailOut, **ERRORS},
             summary="Gửi đi")  # fmt: skip
def send_transfer(request: AuthedRequest, transfer_id: int) -> Transfer:
    return _step(request, transfer_id, transfer_send)


@router.post("/transfers/{transfer_id}/close", response={200: TransferDetailOut, **ERRORS},
             summary="Đóng phiếu (thiết bị chưa đến ghi thất lạc)")  # fmt: skip
def close_transfer(request: AuthedRequest, transfer_id: int) -> Transfer:
    return _step(request, transfer_id, transfer_close)


@router.post("/transfers/{transfer_id}/cancel", response={200: TransferDetailOut, **ERRORS},
             summary="Huỷ phiếu chưa gửi")  # fmt: skip
def cancel_transfer(request: AuthedRequest, transfer_id: int) -> Transfer:
    return _step(request, transfer_id, transfer_cancel)


@router.get("/pool-counts", response={200: CountsOut, **ERRORS}, summary="Đối chiếu số lượng")
def get_pool_counts(
    request: AuthedRequest, campaign: int | None = None, kind: str = ""
) -> dict[str, object]:
    """Theo từng trường, kho: đang giữ, đang cho mượn, đang đến, đang sửa; mặc định chương
    trình mới nhất trong phạm vi."""
    require(request, "pool.view")
    chosen = (
        _campaign(request, campaign)
        if campaign is not None
        else Campaign.objects.visible_to(request.user).order_by("-pk").first()
    )
    if chosen is None:
        raise NotFound("Không có chương trình nào trong phạm vi của bạn.", field="campaign")
    table = pool_counts(user=request.user, campaign=chosen, kind=kind)

    def row(r: CountRow) -> dict[str, object]:
        return {
            "place": r.label, "area": r.area, "held": r.held, "lent": r.lent,
            "transit": r.transit, "repair": r.repair, "total": r.total,
        }  # fmt: skip

    return {
        "rows": [row(r) for r in table.rows],
        "by_kind": [row(r) for r in table.by_kind],
        "totals": row(table.totals),
        "inventory": table.inventory,
        "reconciles": table.reconciles,
    }
