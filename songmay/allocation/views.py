"""Pages of allocation: the policy, dry runs and their review, assignments and handovers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.accounts.scope import Role
from songmay.allocation import selectors, services
from songmay.allocation.forms import (
    LEVEL_KINDS,
    AssignmentFilterForm,
    HandoverForm,
    PolicyForm,
    ReturnForm,
)
from songmay.allocation.handover import handover_pdf as render_handover
from songmay.allocation.models import (
    DEFAULT_HOUSEHOLD_ORDER,
    DEFAULT_LEVEL_PREFERENCES,
    Assignment,
    AssignmentStatus,
    Proposal,
    RunStatus,
    Unserved,
)
from songmay.areas.models import Area, School, SchoolLevel
from songmay.audit.services import export_record
from songmay.campaigns.models import Campaign
from songmay.forms import query_id, show_domain_error
from songmay.inventory.models import DeviceKind
from songmay.lib.errors import DomainError
from songmay.students.models import Household

PER_PAGE = 50
# The roles that read runs (they hold every pupil of the province); others see assignments.
RUN_READERS = frozenset({Role.ADMIN, Role.PROVINCE_OFFICER, Role.AUDITOR})


def _campaign(request: AuthenticatedRequest, pk: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.visible_to(request.user).select_related("area"), pk=pk
    )


def _assignment(request: AuthenticatedRequest, pk: int) -> Assignment:
    assignments = Assignment.objects.visible_to(request.user).select_related(
        "campaign", "student", "need__school", "device", "run"
    )
    return get_object_or_404(assignments, pk=pk)


def _ids(values: list[str]) -> list[int]:
    return sorted({pk for value in values if (pk := query_id(value)) is not None})


@requires("allocation.view")
def policy(request: AuthenticatedRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign(request, campaign_pk)
    current = selectors.policy_for(campaign)
    can_run = request.user.scope.may("allocation.run")
    form = PolicyForm(
        request.POST if can_run and request.method == "POST" else None,
        user=request.user,
        policy=current,
    )
    if request.method == "POST" and can_run and form.is_valid():
        try:
            services.policy_update(actor=request.user, campaign=campaign, data=form.to_data())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Đã lưu chính sách phân bổ; lượt chạy sau sẽ áp dụng.")
            return redirect("allocation:policy", campaign_pk=campaign.pk)
    kinds = dict(DeviceKind.choices)
    preferences = current.level_preferences or DEFAULT_LEVEL_PREFERENCES
    return render(request, "allocation/policy.html", {
        "campaign": campaign, "policy": current, "form": form, "can_run": can_run,
        "kinds": LEVEL_KINDS, "online_areas": current.online_areas.all(),
        "households": [
            Household(value).label
            for value in current.household_order or DEFAULT_HOUSEHOLD_ORDER
            if value in Household.values
        ],
        "preferences": [
            (label, [kinds.get(kind, kind) for kind in preferences.get(level, [])])
            for level, label in SchoolLevel.choices
        ],
        **_nav(request),
    })  # fmt: skip


@requires("allocation.view")
def run_list(request: AuthenticatedRequest) -> HttpResponse:
    runs = selectors.run_list(user=request.user).select_related(
        "campaign", "created_by", "approved_by"
    )
    campaigns = (
        Campaign.objects.visible_to(request.user).order_by("name")
        if request.user.scope.may("allocation.run")
        else Campaign.objects.none()
    )
    return render(request, "allocation/run_list.html", {
        "page": Paginator(runs, PER_PAGE).get_page(request.GET.get("page")),
        "campaigns": campaigns, **_nav(request),
    })  # fmt: skip


@require_POST
@requires("allocation.run")
def run_create(request: AuthenticatedRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign(request, campaign_pk)
    try:
        run = services.run_create(actor=request.user, campaign=campaign)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("allocation:run_list")
    messages.success(request, f"Đã chạy thử {run}: hãy xem lại trước khi phê duyệt.")
    return redirect("allocation:run_detail", pk=run.pk)


def _nav(request: AuthenticatedRequest) -> dict[str, bool]:
    return {"can_see_runs": request.user.scope.role in RUN_READERS}


def _summary_tables(summary: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The run's totals with what is still missing (or left over) worked out per row."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in ("by_tier", "by_level"):
        tables[name] = [
            {**row, "left": row.get("need", 0) - row.get("served", 0)}
            for row in summary.get(name, [])
        ]
    tables["by_area"] = [
        {**row, "label": row.get("area", ""), "left": row.get("need", 0) - row.get("served", 0)}
        for row in summary.get("by_area", [])
    ]
    tables["by_kind"] = [
        {**row, "idle": row.get("available", 0) - row.get("given", 0)}
        for row in summary.get("by_kind", [])
    ]
    return tables


@requires("allocation.view")
def run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(user=request.user, pk=pk)
    summary = run.summary or {}
    show = "unserved" if request.GET.get("show") == "unserved" else "proposals"
    tier = request.GET.get("tier", "")
    area_id = request.GET.get("area", "")
    rows: QuerySet[Any] = (
        Unserved.objects.filter(run=run).select_related("need__student", "need__school")
        if show == "unserved"
        else Proposal.objects.filter(run=run).select_related(
            "need__student", "need__school", "device__school", "device__warehouse"
        )
    )
    if (tier_number := query_id(tier)) is not None:
        rows = rows.filter(tier=tier_number)
    area_pk = query_id(area_id)
    area = Area.objects.filter(pk=area_pk).first() if area_pk is not None else None
    if area is not None:
        rows = rows.filter(need__school__area__path__startswith=area.path)
    page = Paginator(rows.order_by("tier", "pk"), PER_PAGE).get_page(request.GET.get("page"))
    tier_labels = {row["tier"]: row["label"] for row in summary.get("by_tier", [])}
    for row in page:
        row.tier_label = tier_labels.get(row.tier, f"Nhóm {row.tier + 1}")
    counts = {
        "proposals": Proposal.objects.filter(run=run).count(),
        "unserved": Unserved.objects.filter(run=run).count(),
    }
    return render(request, "allocation/run_detail.html", {
        "run": run, "summary": summary, "tables": _summary_tables(summary), "show": show,
        "counts": counts, "page": page, "tier": tier, "area_id": area_id,
        "areas": [(str(row["area_id"]), row["area"]) for row in summary.get("by_area", [])],
        "tiers": [(str(row["tier"]), row["label"]) for row in summary.get("by_tier", [])],
        "can_decide": run.status == RunStatus.DRAFT and request.user.scope.may("allocation.run"),
        "excluded": {"needs": len(run.excluded_needs), "devices": len(run.excluded_devices)},
        **_nav(request),
    })  # fmt: skip


@require_POST
@requires("allocation.run")
def run_rerun(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(user=request.user, pk=pk)
    needs, devices = _ids(request.POST.getlist("need")), _ids(request.POST.getlist("device"))
    if not needs and not devices:
        messages.error(request, "Hãy đánh dấu học sinh hoặc thiết bị cần loại trước khi chạy lại.")
        return redirect("allocation:run_detail", pk=run.pk)
    try:
        new = services.run_rerun(
            actor=request.user, run=run, exclude_needs=needs, exclude_devices=devices
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("allocation:run_detail", pk=run.pk)
    messages.success(
        request,
        f"Đã loại {len(needs)} học sinh, {len(devices)} thiết bị và chạy lại thành {new}.",
    )
    return redirect("allocation:run_detail", pk=new.pk)


@require_POST
@requires("allocation.run")
def run_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(user=request.user, pk=pk)
    try:
        run = services.run_approve(actor=request.user, run=run)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        served = run.summary.get("served", 0)
        messages.success(
            request,
            f"Đã phê duyệt {run}: {served} học sinh được phân bổ thiết bị; "
            "các trường đã thấy danh sách để bàn giao.",
        )
    return redirect("allocation:run_detail", pk=run.pk)


@require_POST
@requires("allocation.run")
def run_discard(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(user=request.user, pk=pk)
    try:
        services.run_discard(actor=request.user, run=run)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("allocation:run_detail", pk=run.pk)
    messages.success(request, f"Đã bỏ {run}.")
    return redirect("allocation:run_list")


@requires("allocation.view")
def assignment_list(request: AuthenticatedRequest) -> HttpResponse:
    scope = request.user.scope
    form = AssignmentFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    assignments = selectors.assignment_list(user=request.user, **filters).select_related(
        "campaign", "student", "need__school", "device", "handover"
    )
    counts = selectors.assignment_list(user=request.user, school=filters["school"]).aggregate(
        active=Count("pk", filter=Q(status=AssignmentStatus.ACTIVE)),
        handed_over=Count("pk", filter=Q(status=AssignmentStatus.HANDED_OVER)),
        overdue=Count(
            "pk", filter=Q(status=AssignmentStatus.ACTIVE, due_on__lt=timezone.localdate())
        ),
    )
    # The record is printed for one school: the user's own, or the one filtered on.
    school = filters["school"]
    if school is None and scope.school_id is not None:
        school = request.user.school
    today = timezone.localdate()
    page = Paginator(assignments, PER_PAGE).get_page(request.GET.get("page"))
    overdue = {
        assignment.pk
        for assignment in page
        if assignment.status == AssignmentStatus.ACTIVE and assignment.due_on < today
    }
    return render(request, "allocation/assignment_list.html", {
        "form": form, "counts": counts, "page": page, "overdue": overdue,
        "school": school, "can_hand_over": scope.may("allocation.handover"),
        **_nav(request),
        "equipped": selectors.equipped_count(user=request.user),
    })  # fmt: skip


@requires("allocation.handover")
def handover_pdf(request: AuthenticatedRequest, school_code: str = "") -> HttpResponse:
    """The record for a school's families to sign: pupils' names, so the download is audited."""
    if school_code:
        school = get_object_or_404(
            School.objects.visible_to(request.user).select_related("area"), code=school_code
        )
    elif request.user.school_id is not None:
        school = get_object_or_404(
            School.objects.visible_to(request.user).select_related("area"),
            pk=request.user.school_id,
        )
    else:
        raise Http404("Hãy chọn trường cần in biên bản.")
    assignments = (
        selectors.assignment_list(user=request.user, school=school, status=AssignmentStatus.ACTIVE)
        .select_related("campaign", "student", "need", "device")
        .order_by("need__class_name", "student__sort_key", "pk")
    )
    rows = list(assignments)
    if not rows:
        messages.info(request, f"{school.name} không còn thiết bị nào chờ bàn giao.")
        return redirect(reverse("allocation:assignment_list") + f"?school={school.code}")
    filters = {"school": school.code, "status": AssignmentStatus.ACTIVE}
    export_record(
        actor=request.user, what="handover", rows=len(rows), filters=filters, area=school.area
    )
    response = HttpResponse(render_handover(rows, school), content_type="application/pdf")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'inline; filename="bien-ban-ban-giao-{school.code}-{stamp}.pdf"'
    )
    return response


@requires("allocation.view")
def handover_record(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The assignment's page: record its handover, or take the device back."""
    assignment = _assignment(request, pk)
    can_hand_over = request.user.scope.may("allocation.handover")
    if request.method == "POST" and not can_hand_over:
        raise PermissionDenied
    form = HandoverForm(
        request.POST or None,
        request.FILES or None,
        initial={"handed_over_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.handover_record(
                actor=request.user, assignment=assignment,
                handed_over_on=data["handed_over_on"], received_by=data["received_by"],
                relation=data["relation"], scan=data["scan"],
            )  # fmt: skip
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(
                request,
                f"Đã ghi nhận bàn giao {assignment.device.asset_tag} "
                f"cho em {assignment.student.full_name}.",
            )
            return redirect(
                reverse("allocation:assignment_list")
                + f"?school={assignment.need.school.code}&status=active"
            )
    handover = getattr(assignment, "handover", None)
    return render(request, "allocation/handover_form.html", {
        "assignment": assignment, "form": form, "handover": handover,
        "return_form": ReturnForm(), "can_hand_over": can_hand_over,
        "overdue": assignment.status == AssignmentStatus.ACTIVE
        and assignment.due_on < timezone.localdate(),
        **_nav(request),
    })  # fmt: skip


@require_POST
@requires("allocation.handover")
def assignment_return(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assignment = _assignment(request, pk)
    form = ReturnForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Hãy ghi lý do thu hồi thiết bị.")
        services.assignment_return(
            actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"],
            pupil_left=form.cleaned_data["pupil_left"],
        )  # fmt: skip
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("allocation:handover_record", pk=assignment.pk)
    messages.success(
        request,
        f"Đã thu hồi thiết bị {assignment.device.asset_tag} của em {assignment.student.full_name}.",
    )
    return redirect("allocation:assignment_list")


@requires("allocation.view")
def handover_scan(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The signed handover page, for those who may see the assignment; each view is recorded."""
    assignment = _assignment(request, pk)
    handover = getattr(assignment, "handover", None)
    if handover is None or not handover.scan:
        raise Http404
    export_record(
        actor=request.user, what="handover_scan", rows=1,
        filters={"assignment": assignment.pk}, area=assignment.need.school.area,
    )  # fmt: skip
    name = handover.scan.name.rsplit("/", 1)[-1]
    return FileResponse(handover.scan.open("rb"), as_attachment=True, filename=name)
