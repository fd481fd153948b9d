"""Dead spots (điểm lõm sóng) within the user's scope: an operator's own system reads its dead
spots and moves them forward with its token; officers also report new ones."""

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from ninja import Field, P, QueryEx, Router, Schema
from ninja import Status as HttpStatus
from ninja.pagination import paginate

from songmay.api.schemas import (
    ERRORS,
    AreaRef,
    AuthedRequest,
    InputSchema,
    NotFound,
    Pagination,
    area_by_code,
    require,
)
from songmay.connectivity.models import DeadSpot, DeadSpotStatus, Operator, Technology
from songmay.connectivity.selectors import DeadSpotFilters, dead_spot_list
from songmay.connectivity.services import (
    DONE,
    DeadSpotData,
    dead_spot_report,
    dead_spot_status_change,
)

router = Router(tags=["Điểm lõm sóng"])


class OperatorRef(Schema):
    code: str
    name: str


class DeadSpotOut(Schema):
    id: int
    area: AreaRef = Field(description="Xã/phường.")
    village: str = Field(description="Thôn/xóm.")
    latitude: float | None
    longitude: float | None
    households: int = Field(description="Số hộ bị ảnh hưởng.")
    pupils: int = Field(description="Số học sinh bị ảnh hưởng (theo báo cáo).")
    operator: OperatorRef | None = Field(description="Doanh nghiệp chịu trách nhiệm.")
    technology: Technology
    status: DeadSpotStatus
    reported_on: dt.date
    target_on: dt.date | None = Field(description="Hạn phủ sóng.")
    covered_on: dt.date | None = Field(description="Ngày phủ sóng.")
    overdue: bool = Field(description="Đã qua hạn phủ sóng mà chưa phủ sóng.")
    notes: str
    updated_at: dt.datetime

    @staticmethod
    def resolve_overdue(obj: DeadSpot) -> bool:
        return bool(
            obj.target_on and obj.target_on < timezone.localdate() and obj.status not in DONE
        )


class DeadSpotIn(InputSchema):
    area: str = Field(description="Mã xã/phường, ví dụ `07582`.")
    village: str = Field(max_length=120)
    reported_on: dt.date
    latitude: Decimal | None = Field(None, max_digits=8, decimal_places=5)
    longitude: Decimal | None = Field(None, max_digits=8, decimal_places=5)
    households: int = Field(0, ge=0)
    pupils: int = Field(0, ge=0)
    operator: str | None = Field(None, description="Mã doanh nghiệp, ví dụ `viettel`.")
    technology: Technology = Technology.MOBILE_4G
    target_on: dt.date | None = None
    notes: str = ""


class DeadSpotStatusIn(InputSchema):
    status: DeadSpotStatus = Field(
        description="Chỉ chuyển tiếp; doanh nghiệp cập nhật đến `covered`, cán bộ xác nhận "
        "`verified`."
    )
    comment: str = Field("", max_length=2000)


def _spots(request: AuthedRequest) -> QuerySet[DeadSpot]:
    return dead_spot_list(user=request.user)


def _spot(request: AuthedRequest, pk: int) -> DeadSpot:
    spot = _spots(request).filter(pk=pk).first()
    if spot is None:
        raise NotFound(f"Không tìm thấy điểm lõm sóng số {pk} trong phạm vi của bạn.")
    return spot


def _operator(code: str) -> Operator:
    operator = Operator.objects.filter(code=code.strip()).first()
    if operator is None:
        raise NotFound(f"Không có doanh nghiệp mã “{code}”.", field="operator")
    return operator


@router.get("", response={200: list[DeadSpotOut], **ERRORS}, summary="Danh sách điểm lõm sóng")
@paginate(Pagination)
def list_dead_spots(
    request: AuthedRequest,
    *,
    status: QueryEx[DeadSpotStatus | None, P(description="Trạng thái.")] = None,
    area: QueryEx[str | None, P(description="Mã xã/phường (gồm cả các đơn vị trực thuộc).")] = None,
    overdue: QueryEx[bool, P(description="Chỉ các điểm quá hạn.")] = False,
) -> QuerySet[DeadSpot]:
    """Doanh nghiệp chỉ thấy các điểm được giao cho mình."""
    require(request, "connectivity.view")
    filters = DeadSpotFilters(
        area=area_by_code(request, area, field="area") if area else None,
        status=status.value if status else "",
        overdue=overdue,
    )
    return dead_spot_list(user=request.user, filters=filters)


@router.get("/{dead_spot_id}", response={200: DeadSpotOut, **ERRORS}, summary="Một điểm lõm sóng")
def get_dead_spot(request: AuthedRequest, dead_spot_id: int) -> DeadSpot:
    require(request, "connectivity.view")
    return _spot(request, dead_spot_id)


@router.post("", response={201: DeadSpotOut, **ERRORS}, summary="Báo cáo một điểm lõm sóng")
def report_dead_spot(request: AuthedRequest, payload: DeadSpotIn) -> HttpStatus[DeadSpot]:
    """Nhiều điểm thì nhập bằng tệp Excel trên trang Điểm lõm sóng."""
    require(request, "connectivity.change")
    spot = dead_spot_report(
        actor=request.user,
        data=DeadSpotData(
            area=area_by_code(request, payload.area, field="area"),
            village=payload.village,
            reported_on=payload.reported_on,
            latitude=payload.latitude,
            longitude=payload.longitude,
            households=payload.households,
            pupils=payload.pupils,
            operator=_operator(payload.operator) if payload.operator else None,
            technology=payload.technology.value,
            target_on=payload.target_on,
            notes=payload.notes,
        ),
    )
    return HttpStatus(201, _spot(request, spot.pk))


@router.post(
    "/{dead_spot_id}/status",
    response={200: DeadSpotOut, **ERRORS},
    summary="Cập nhật trạng thái điểm lõm sóng",
)
def change_dead_spot_status(
    request: AuthedRequest, dead_spot_id: int, payload: DeadSpotStatusIn
) -> DeadSpot:
    """Trạng thái chỉ đi tiếp: đã khảo sát, có kế hoạch, đang xây dựng, đã phủ sóng (doanh
    nghiệp), đã kiểm tra xác nhận (cán bộ). Đã phủ sóng cần kèm nhận xét."""
    scope = request.user.scope
    if not (scope.may("connectivity.operate") or scope.may("connectivity.change")):
        require(request, "connectivity.operate")
    spot = _spot(request, dead_spot_id)
    dead_spot_status_change(
        actor=request.user, dead_spot=spot, status=payload.status.value, comment=payload.comment
    )
    return _spot(request, spot.pk)
