"""Allocation through the API: start a draft run, read its results, approve it, list the
assignments in scope and record handovers. The same services as the pages and the command."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from ninja import Field, P, QueryEx, Router, Schema, Status
from ninja.pagination import paginate

from songmay.allocation.models import (
    AllocationRun,
    Assignment,
    AssignmentStatus,
    Handover,
    Proposal,
    Relation,
    RunStatus,
)
from songmay.allocation.selectors import assignment_list, run_get
from songmay.allocation.services import handover_record, run_approve, run_create
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
from songmay.inventory.models import DeviceKind

router = Router(tags=["Phân bổ"])


def _run(request: AuthedRequest, pk: int) -> AllocationRun:
    try:
        return run_get(user=request.user, pk=pk)
    except Http404:
        raise NotFound(f"Không tìm thấy lượt phân bổ số {pk} trong phạm vi của bạn.") from None


def _assignment(request: AuthedRequest, pk: int) -> Assignment:
    assignment = assignment_list(user=request.user).filter(pk=pk).first()
    if assignment is None:
        raise NotFound(f"Không tìm thấy phân bổ số {pk} trong phạm vi của bạn.")
    return assignment


# Schemas -----------------------------------------------------------------------------------


class TierOut(Schema):
    tier: int
    label: str
    need: int
    served: int


class AreaRowOut(Schema):
    area_id: int
    area: str
    need: int
    served: int


class KindRowOut(Schema):
    kind: str
    label: str
    available: int
    given: int


class LevelRowOut(Schema):
    level: str
    label: str
    need: int
    served: int


class ChangesOut(Schema):
    previous: int | None = Field(description="Lượt phân bổ trước đó của chương trình, nếu có.")
    added: int = Field(description="Cặp học sinh–thiết bị mới so với lượt trước.")
    removed: int = Field(description="Cặp của lượt trước không còn trong lượt này.")
    kept: int


class SummaryOut(Schema):
    served: int = Field(description="Số em được phân bổ máy.")
    left: int = Field(description="Số em chưa có máy trong lượt này.")
    idle: int = Field(description="Số thiết bị chưa dùng đến.")
    pupils: int
    devices: int
    by_tier: list[TierOut]
    by_area: list[AreaRowOut] = Field(description="Theo xã/phường nơi em học.")
    by_kind: list[KindRowOut]
    by_level: list[LevelRowOut]
    changes: ChangesOut


class RunOut(Schema):
    id: int
    campaign: CampaignRef
    number: int = Field(description="Lượt số mấy của chương trình.")
    status: RunStatus
    excluded_needs: list[int] = Field(description="Mã nhu cầu (học sinh) loại khỏi lượt.")
    excluded_devices: list[int] = Field(description="Mã thiết bị loại khỏi lượt.")
    summary: SummaryOut
    inputs_digest: str = Field(description="SHA-256 của dữ liệu đầu vào đã lưu.")
    created_at: dt.datetime
    approved_at: dt.datetime | None


class RunIn(InputSchema):
    excluded_needs: list[int] = Field(
        default_factory=list, description="Mã nhu cầu (học sinh) không xét trong lượt này."
    )
    excluded_devices: list[int] = Field(
        default_factory=list, description="Mã thiết bị không xét trong lượt này."
    )


class DeviceRef(Schema):
    id: int
    asset_tag: str
    kind: DeviceKind


class ProposalOut(Schema):
    id: int
    need: int = Field(description="Mã nhu cầu của em.")
    student: str = Field(description="Họ và tên học sinh.")
    school: SchoolRef
    device: DeviceRef
    tier: int = Field(description="Nhóm ưu tiên, 0 là nhóm đầu.")
    preference: int = Field(description="0: loại thiết bị hợp nhất với cấp học của em.")
    distance: int = Field(description="0 cùng trường, 1 cùng xã/phường, 2 cùng tỉnh.")
    why: str

    @staticmethod
    def resolve_need(obj: Proposal) -> int:
        return obj.need_id

    @staticmethod
    def resolve_student(obj: Proposal) -> str:
        return obj.need.student.full_name

    @staticmethod
    def resolve_school(obj: Proposal) -> Any:
        return obj.need.school


class AssignmentOut(Schema):
    id: int
    run: int = Field(description="Mã lượt phân bổ đã tạo phân bổ này.")
    need: int
    student: str
    school: SchoolRef
    device: DeviceRef
    status: AssignmentStatus
    why: str
    due_on: dt.date = Field(description="Hạn bàn giao.")
    overdue: bool = Field(description="Quá hạn mà chưa bàn giao.")
    created_at: dt.datetime

    @staticmethod
    def resolve_run(obj: Assignment) -> int:
        return obj.run_id

    @staticmethod
    def resolve_need(obj: Assignment) -> int:
        return obj.need_id

    @staticmethod
    def resolve_student(obj: Assignment) -> str:
        return obj.need.student.full_name

    @staticmethod
    def resolve_school(obj: Assignment) -> Any:
        return obj.need.school

    @staticmethod
    def resolve_overdue(obj: Assignment) -> bool:
        return obj.status == AssignmentStatus.ACTIVE and obj.due_on < timezone.localdate()


class HandoverIn(InputSchema):
    handed_over_on: dt.date = Field(description="Ngày ký biên bản bàn giao.")
    received_by: str = Field(max_length=120, description="Họ tên người nhận.")
    relation: Relation = Field(description="Quan hệ của người nhận với học sinh.")


class HandoverOut(Schema):
    id: int
    assignment: int
    handed_over_on: dt.date
    received_by: str
    relation: Relation
    recorded_at: dt.datetime

    @staticmethod
    def resolve_assignment(obj: Handover) -> int:
        return obj.assignment_id


# Endpoints ---------------------------------------------------------------------------------


@router.post(
    "/campaigns/{campaign_id}/allocation-runs",
    response={201: RunOut, **ERRORS},
    summary="Chạy một lượt phân bổ nháp",
)
def create_allocation_run(
    request: AuthedRequest, campaign_id: int, payload: RunIn
) -> Status[AllocationRun]:
    """Tính đề xuất phân bổ từ danh sách học sinh đã xác nhận và thiết bị sẵn sàng; chưa giữ
    chỗ thiết bị nào cho tới khi lượt được phê duyệt."""
    require(request, "allocation.run")
    campaign = _campaign(request, campaign_id)
    run = run_create(
        actor=request.user,
        campaign=campaign,
        excluded_needs=payload.excluded_needs,
        excluded_devices=payload.excluded_devices,
    )
    return Status(201, _run(request, run.pk))


@router.get(
    "/allocation-runs/{run_id}", response={200: RunOut, **ERRORS}, summary="Một lượt phân bổ"
)
def get_allocation_run(request: AuthedRequest, run_id: int) -> AllocationRun:
    """Bảng tổng hợp: theo nhóm ưu tiên, xã/phường, loại thiết bị, cấp học, và thay đổi so
    với lượt trước."""
    require(request, "allocation.view")
    return _run(request, run_id)


@router.get(
    "/allocation-runs/{run_id}/proposals",
    response={200: list[ProposalOut], **ERRORS},
    summary="Các cặp học sinh–thiết bị của một lượt",
)
@paginate(Pagination)
def list_allocation_proposals(request: AuthedRequest, run_id: int) -> QuerySet[Proposal]:
    require(request, "allocation.view")
    run = _run(request, run_id)
    return Proposal.objects.filter(run=run).select_related(
        "need__student", "need__school", "device"
    )


@router.post(
    "/allocation-runs/{run_id}/approve",
    response={200: RunOut, **ERRORS},
    summary="Phê duyệt một lượt phân bổ",
)
def approve_allocation_run(request: AuthedRequest, run_id: int) -> AllocationRun:
    """Giữ chỗ thiết bị và tạo phân bổ, tất cả hoặc không gì cả. Nếu lượt khác đã được phê
    duyệt trước với cùng em hoặc cùng thiết bị, trả lỗi 400 nói rõ và không ghi gì."""
    require(request, "allocation.run")
    run = run_approve(actor=request.user, run=_run(request, run_id))
    return _run(request, run.pk)


@router.get(
    "/assignments", response={200: list[AssignmentOut], **ERRORS}, summary="Danh sách phân bổ"
)
@paginate(Pagination)
def list_assignments(
    request: AuthedRequest,
    *,
    school: QueryEx[str | None, P(description="Mã trường.")] = None,
    status: QueryEx[AssignmentStatus | None, P(description="Trạng thái.")] = None,
    overdue: QueryEx[bool, P(description="Chỉ những phân bổ quá hạn chưa bàn giao.")] = False,
) -> QuerySet[Assignment]:
    require(request, "allocation.view")
    school_obj = None
    if school:
        school_obj = school_list(user=request.user).filter(code=school.strip()).first()
        if school_obj is None:
            raise NotFound(
                f"Không tìm thấy trường mã “{school}” trong phạm vi của bạn.", field="school"
            )
    return assignment_list(
        user=request.user,
        school=school_obj,
        status=status.value if status else "",
        overdue=overdue,
    )


@router.post(
    "/assignments/{assignment_id}/handover",
    response={201: HandoverOut, **ERRORS},
    summary="Ghi nhận bàn giao thiết bị",
)
def record_handover(
    request: AuthedRequest, assignment_id: int, payload: HandoverIn
) -> Status[Handover]:
    """Thiết bị chuyển sang “Đã bàn giao”, học sinh sang “Đã được trang bị”. Bản chụp biên
    bản đã ký tải lên ở trang Phân bổ."""
    require(request, "allocation.handover")
    handover = handover_record(
        actor=request.user,
        assignment=_assignment(request, assignment_id),
        handed_over_on=payload.handed_over_on,
        received_by=payload.received_by,
        relation=payload.relation.value,
    )
    return Status(201, handover)
