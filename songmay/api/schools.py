"""Schools within the user's scope: list, read, register and change."""

import dataclasses

from django.db.models import QuerySet
from ninja import P, QueryEx, Router, Status
from ninja.pagination import paginate

from songmay.api.schemas import (
    ERRORS,
    AuthedRequest,
    Pagination,
    SchoolIn,
    SchoolOut,
    SchoolPatch,
    area_by_code,
    require,
)
from songmay.areas.models import School, SchoolLevel
from songmay.areas.selectors import SchoolFilters, school_get, school_list
from songmay.areas.services import SchoolData, school_create, school_update

router = Router(tags=["Trường học"])


@router.get("", response={200: list[SchoolOut], **ERRORS}, summary="Danh sách trường")
@paginate(Pagination)
def list_schools(
    request: AuthedRequest,
    q: QueryEx[str, P(description="Tìm theo tên (có dấu hay không dấu) hoặc mã trường.")] = "",
    area: QueryEx[
        str | None, P(description="Mã đơn vị hành chính: các trường thuộc đơn vị này.")
    ] = None,
    level: QueryEx[SchoolLevel | None, P(description="Chỉ các trường dạy cấp học này.")] = None,
    active: QueryEx[bool | None, P(description="true: đang hoạt động; false: đã ngừng.")] = None,
) -> QuerySet[School]:
    require(request, "schools.view")
    filters = SchoolFilters(
        query=q,
        area=area_by_code(request, area, field="area") if area else None,
        level=level.value if level else "",
        active=active,
    )
    return school_list(user=request.user, filters=filters)


@router.get("/{school_id}", response={200: SchoolOut, **ERRORS}, summary="Thông tin một trường")
def get_school(request: AuthedRequest, school_id: int) -> School:
    require(request, "schools.view")
    return school_get(user=request.user, pk=school_id)


@router.post("", response={201: SchoolOut, **ERRORS}, summary="Thêm trường")
def create_school(request: AuthedRequest, payload: SchoolIn) -> Status[School]:
    """Đơn vị hành chính ghi bằng mã; mã ngoài phạm vi của bạn trả về 404."""
    require(request, "schools.add")
    values = payload.dict()
    values["area"] = area_by_code(request, payload.area, field="area")
    values["levels"] = [level.value for level in payload.levels]
    school = school_create(actor=request.user, data=SchoolData(**values))
    return Status(201, school)


@router.patch("/{school_id}", response={200: SchoolOut, **ERRORS}, summary="Sửa thông tin trường")
def update_school(request: AuthedRequest, school_id: int, payload: SchoolPatch) -> School:
    """Chỉ đổi các trường được gửi; gửi chuỗi rỗng để xoá một trường chữ."""
    require(request, "schools.change")
    school = school_get(user=request.user, pk=school_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    if "area" in changes:
        changes["area"] = area_by_code(request, changes["area"], field="area")
    if "levels" in changes:
        changes["levels"] = [SchoolLevel(level).value for level in changes["levels"]]
    data = dataclasses.replace(SchoolData.of(school), **changes)
    return school_update(actor=request.user, school=school, data=data)
