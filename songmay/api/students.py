"""The needs registry: pupils registered by schools, within the user's scope."""

import dataclasses
from typing import Any

from django.http import Http404
from ninja import P, QueryEx, Router, Status
from ninja.pagination import paginate

from songmay.api.schemas import (
    ERRORS,
    AuthedRequest,
    NeedOut,
    NotFound,
    Pagination,
    StudentIn,
    StudentPatch,
    WithdrawIn,
    area_by_code,
    require,
)
from songmay.areas.models import School, SchoolLevel
from songmay.areas.selectors import school_list
from songmay.campaigns.models import Campaign
from songmay.campaigns.selectors import campaign_get
from songmay.students.models import Household, Lacking, Need, NeedQuerySet, NeedStatus
from songmay.students.selectors import NeedFilters, need_get, need_list
from songmay.students.services import (
    StudentData,
    need_update,
    need_withdraw,
    needs_confirm,
    student_register,
)

router = Router(tags=["Học sinh"])

# A patch may send null for these to clear them; null elsewhere leaves the field as it is.
CLEARABLE = {"gender", "commune", "consent_on"}


def _campaign(request: AuthedRequest, pk: int) -> Campaign:
    try:
        return campaign_get(user=request.user, pk=pk)
    except Http404:
        raise NotFound(
            f"Không tìm thấy chương trình số {pk} trong phạm vi của bạn.", field="campaign"
        ) from None


def _school(request: AuthedRequest, code: str) -> School:
    school = school_list(user=request.user).filter(code=code.strip()).first()
    if school is None:
        raise NotFound(f"Không tìm thấy trường mã “{code}” trong phạm vi của bạn.", field="school")
    return school


def _values(request: AuthedRequest, values: dict[str, Any]) -> dict[str, Any]:
    """The API's input as StudentData fields: codes to objects, enums to their values."""
    for name in ("level", "lacking", "household"):
        if name in values:
            values[name] = values[name].value
    if "gender" in values:
        values["gender"] = values["gender"].value if values["gender"] else ""
    if values.get("commune"):
        values["commune"] = area_by_code(request, values["commune"], field="commune")
    return values


@router.get("", response={200: list[NeedOut], **ERRORS}, summary="Danh sách học sinh cần hỗ trợ")
@paginate(Pagination)
def list_students(
    request: AuthedRequest,
    *,
    campaign: QueryEx[int | None, P(description="Mã số (id) chương trình.")] = None,
    school: QueryEx[str | None, P(description="Mã trường.")] = None,
    area: QueryEx[
        str | None, P(description="Mã đơn vị hành chính: học sinh các trường ở đó.")
    ] = None,
    level: QueryEx[SchoolLevel | None, P(description="Cấp học.")] = None,
    household: QueryEx[Household | None, P(description="Hoàn cảnh gia đình.")] = None,
    lacking: QueryEx[Lacking | None, P(description="Còn thiếu gì.")] = None,
    status: QueryEx[NeedStatus | None, P(description="Trạng thái.")] = None,
    q: QueryEx[str, P(description="Tìm theo tên học sinh, có dấu hay không dấu.")] = "",
) -> NeedQuerySet:
    """Mỗi dòng là một em trong một chương trình, theo thứ tự tên trong danh sách lớp."""
    require(request, "students.view")
    filters = NeedFilters(
        campaign=_campaign(request, campaign) if campaign is not None else None,
        school=_school(request, school) if school else None,
        area=area_by_code(request, area, field="area") if area else None,
        level=level.value if level else "",
        household=household.value if household else "",
        lacking=lacking.value if lacking else "",
        status=status.value if status else "",
        query=q,
    )
    return need_list(user=request.user, filters=filters).select_related("student__commune")


@router.get("/{need_id}", response={200: NeedOut, **ERRORS}, summary="Một học sinh cần hỗ trợ")
def get_student(request: AuthedRequest, need_id: int) -> Need:
    require(request, "students.view")
    return need_get(user=request.user, pk=need_id)


@router.post("", response={201: NeedOut, **ERRORS}, summary="Đăng ký học sinh cần hỗ trợ")
def create_student(request: AuthedRequest, payload: StudentIn) -> Status[Need]:
    """Mỗi em chỉ đăng ký một lần trong một chương trình: gửi lại cùng số định danh thì cập
    nhật nhu cầu đã có (và chuyển về trường vừa gửi) chứ không tạo thêm."""
    require(request, "students.add")
    campaign = _campaign(request, payload.campaign)
    school = _school(request, payload.school)
    values = _values(request, payload.dict(exclude={"campaign", "school"}))
    need = student_register(
        actor=request.user, campaign=campaign, school=school, data=StudentData(**values)
    )
    return Status(201, need_get(user=request.user, pk=need.pk))


@router.patch("/{need_id}", response={200: NeedOut, **ERRORS}, summary="Sửa thông tin học sinh")
def update_student(request: AuthedRequest, need_id: int, payload: StudentPatch) -> Need:
    """Chỉ đổi các trường được gửi; gửi `null` để xoá giới tính, xã/phường hoặc ngày đồng ý."""
    require(request, "students.change")
    need = need_get(user=request.user, pk=need_id)
    changes = {
        name: value
        for name, value in payload.dict(exclude_unset=True).items()
        if value is not None or name in CLEARABLE
    }
    data = dataclasses.replace(StudentData.of(need), **_values(request, changes))
    need = need_update(actor=request.user, need=need, data=data)
    return need_get(user=request.user, pk=need.pk)


@router.post("/{need_id}/confirm", response={200: NeedOut, **ERRORS}, summary="Xác nhận học sinh")
def confirm_student(request: AuthedRequest, need_id: int) -> Need:
    """Chỉ xác nhận được em đang ở trạng thái “Đã đăng ký”."""
    require(request, "students.confirm")
    need = need_get(user=request.user, pk=need_id)
    needs_confirm(actor=request.user, needs=[need])
    return need_get(user=request.user, pk=need.pk)


@router.post(
    "/{need_id}/withdraw",
    response={200: NeedOut, **ERRORS},
    summary="Rút học sinh khỏi danh sách",
)
def withdraw_student(request: AuthedRequest, need_id: int, payload: WithdrawIn) -> Need:
    """Ghi rõ lý do, ví dụ “Gia đình đã tự mua máy”; em đã được trang bị thì không rút được."""
    require(request, "students.change")
    need = need_get(user=request.user, pk=need_id)
    need = need_withdraw(actor=request.user, need=need, reason=payload.reason)
    return need_get(user=request.user, pk=need.pk)
