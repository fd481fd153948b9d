"""Devices in the inventory within the user's scope: list, read, register one, change status."""

import datetime as dt
from decimal import Decimal

from django.db.models import Q, QuerySet
from ninja import Field, P, QueryEx, Router, Schema, Status
from ninja.pagination import paginate

from songmay.api.donations import _campaign, _receipt
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
from songmay.areas.models import School
from songmay.areas.selectors import school_list
from songmay.inventory.models import Condition, Device, DeviceKind, DeviceStatus, Warehouse
from songmay.inventory.services import DeviceData, device_register, device_status_change

router = Router(tags=["Thiết bị"])


def _device(request: AuthedRequest, pk: int) -> Device:
    device = _devices(request).filter(pk=pk).first()
    if device is None:
        raise NotFound(f"Không tìm thấy thiết bị số {pk} trong phạm vi của bạn.")
    return device


def _devices(request: AuthedRequest) -> QuerySet[Device]:
    return Device.objects.visible_to(request.user).select_related(
        "campaign", "school", "warehouse", "origin_purchase"
    )


def _school(request: AuthedRequest, code: str) -> School:
    school = school_list(user=request.user).filter(code=code.strip()).first()
    if school is None:
        raise NotFound(f"Không tìm thấy trường mã “{code}” trong phạm vi của bạn.", field="school")
    return school


def _warehouse(request: AuthedRequest, pk: int) -> Warehouse:
    warehouse = request.user.scope.filter_areas(Warehouse.objects.all(), "area").filter(pk=pk)
    if not warehouse:
        raise NotFound(f"Không tìm thấy kho số {pk} trong phạm vi của bạn.", field="warehouse")
    return warehouse[0]


class WarehouseRef(Schema):
    id: int
    name: str


class DeviceOut(Schema):
    id: int
    asset_tag: str = Field(description="Mã tài sản in trên nhãn, ví dụ `TB001-000042`.")
    campaign: CampaignRef
    kind: DeviceKind
    make: str
    model: str
    serial: str
    imei: str
    ram_gb: float | None
    storage_gb: int | None
    os: str
    screen_inches: float | None
    condition: Condition
    meets_minimum: bool | None = Field(
        description="Đạt cấu hình tối thiểu; trống khi chương trình chưa đặt cấu hình."
    )
    status: DeviceStatus
    school: SchoolRef | None = Field(description="Trường đang giữ thiết bị.")
    warehouse: WarehouseRef | None = Field(description="Kho đang giữ thiết bị.")
    origin_receipt: int | None = Field(description="Mã số (id) biên nhận nếu là hàng tặng.")
    origin_spending: int | None = Field(description="Mã số (id) khoản chi nếu mua bằng tiền.")
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_origin_receipt(obj: Device) -> int | None:
        return obj.origin_donation_id

    @staticmethod
    def resolve_origin_spending(obj: Device) -> int | None:
        return obj.origin_purchase.spending_id if obj.origin_purchase else None


class DeviceIn(InputSchema):
    campaign: int = Field(description="Mã số (id) chương trình.")
    kind: DeviceKind
    make: str = Field("", max_length=64)
    model: str = Field("", max_length=120)
    serial: str = Field("", max_length=64)
    imei: str = Field("", max_length=20, description="15 chữ số; chỉ điện thoại, máy tính bảng.")
    ram_gb: Decimal | None = Field(None, max_digits=5, decimal_places=1)
    storage_gb: int | None = Field(None, ge=1)
    os: str = Field("", max_length=64)
    screen_inches: Decimal | None = Field(None, max_digits=4, decimal_places=1)
    condition: Condition = Condition.NEW
    note: str = Field("", max_length=255)
    origin_receipt: int | None = Field(None, description="Mã số (id) biên nhận thiết bị tặng.")
    warehouse: int | None = Field(None, description="Mã số (id) kho đang giữ thiết bị.")
    school: str | None = Field(None, description="Mã trường đang giữ thiết bị.")


class StatusIn(InputSchema):
    status: DeviceStatus
    note: str = Field("", max_length=255)


@router.get("", response={200: list[DeviceOut], **ERRORS}, summary="Danh sách thiết bị")
@paginate(Pagination)
def list_devices(
    request: AuthedRequest,
    *,
    campaign: QueryEx[int | None, P(description="Mã số (id) chương trình.")] = None,
    kind: QueryEx[DeviceKind | None, P(description="Loại thiết bị.")] = None,
    status: QueryEx[DeviceStatus | None, P(description="Trạng thái.")] = None,
    school: QueryEx[str | None, P(description="Mã trường đang giữ thiết bị.")] = None,
    warehouse: QueryEx[int | None, P(description="Mã số (id) kho.")] = None,
    q: QueryEx[str, P(description="Tìm theo mã tài sản, số serial hoặc IMEI.")] = "",
) -> QuerySet[Device]:
    require(request, "inventory.view")
    devices = _devices(request)
    if campaign is not None:
        devices = devices.filter(campaign=_campaign(request, campaign))
    if kind is not None:
        devices = devices.filter(kind=kind.value)
    if status is not None:
        devices = devices.filter(status=status.value)
    if school:
        devices = devices.filter(school=_school(request, school))
    if warehouse is not None:
        devices = devices.filter(warehouse=_warehouse(request, warehouse))
    if q.strip():
        text = q.strip().upper().replace(" ", "")
        devices = devices.filter(Q(asset_tag=text) | Q(serial=text) | Q(imei=text))
    return devices


@router.get("/{device_id}", response={200: DeviceOut, **ERRORS}, summary="Một thiết bị")
def get_device(request: AuthedRequest, device_id: int) -> Device:
    require(request, "inventory.view")
    return _device(request, device_id)


@router.post("", response={201: DeviceOut, **ERRORS}, summary="Nhập một thiết bị")
def create_device(request: AuthedRequest, payload: DeviceIn) -> Status[Device]:
    """Thiết bị tặng ghi kèm biên nhận (`origin_receipt`); nhiều thiết bị thì nhập bằng tệp
    Excel. Số serial và IMEI không được trùng với thiết bị đã có."""
    require(request, "inventory.change")
    data = DeviceData(
        **payload.dict(exclude={"campaign", "origin_receipt", "warehouse", "school"})
        | {"kind": payload.kind.value, "condition": payload.condition.value}
    )
    device = device_register(
        actor=request.user,
        campaign=_campaign(request, payload.campaign),
        data=data,
        origin_donation=(
            _receipt(request, payload.origin_receipt, field="origin_receipt")
            if payload.origin_receipt is not None
            else None
        ),
        warehouse=_warehouse(request, payload.warehouse) if payload.warehouse else None,
        school=_school(request, payload.school) if payload.school else None,
    )
    return Status(201, _device(request, device.pk))


@router.post(
    "/{device_id}/status", response={200: DeviceOut, **ERRORS}, summary="Đổi trạng thái thiết bị"
)
def change_device_status(request: AuthedRequest, device_id: int, payload: StatusIn) -> Device:
    """Ví dụ: đã kiểm tra, sẵn sàng cấp phát, đang sửa chữa, đã thanh lý; chỉ theo các bước
    cho phép."""
    require(request, "inventory.change")
    device = _device(request, device_id)
    device_status_change(
        actor=request.user, device=device, status=payload.status.value, note=payload.note
    )
    return _device(request, device.pk)
