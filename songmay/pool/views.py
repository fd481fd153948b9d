"""Pages of the shared pool's loans: the list, lending, returns, the repair queue, write-offs
and recalls. Each page parses, authorises, calls one service and renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.forms import show_domain_error
from songmay.inventory.models import Condition, DeviceStatus
from songmay.lib.errors import DomainError
from songmay.pool import selectors, services
from songmay.pool.forms import (
    LendForm,
    LoanFilterForm,
    RecallAnswerForm,
    RecallForm,
    RepairFinishForm,
    ReturnForm,
    WriteOffDecideForm,
    WriteOffRequestForm,
)
from songmay.pool.models import LoanStatus, RecallAnswer, WriteOffStatus

PER_PAGE = 50
CONDITIONS = dict(Condition.choices)


def _nav(request: AuthenticatedRequest, current: str) -> dict[str, Any]:
    return {"pool_tab": current, "can_manage": request.user.scope.may("pool.manage")}


@requires("pool.view")
def loan_list(request: AuthenticatedRequest) -> HttpResponse:
    form = LoanFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    today = timezone.localdate()
    counts = selectors.loan_list(user=request.user, school=filters["school"]).aggregate(
        out=Count("pk", filter=Q(status=LoanStatus.OUT)),
        overdue=Count("pk", filter=Q(status=LoanStatus.OUT, due_on__lt=today)),
        returned=Count("pk", filter=Q(status=LoanStatus.RETURNED)),
    )
    page = Paginator(selectors.loan_list(user=request.user, **filters), PER_PAGE).get_page(
        request.GET.get("page")
    )
    overdue = {loan.pk for loan in page if loan.status == LoanStatus.OUT and loan.due_on < today}
    return render(request, "pool/loan_list.html", {
        "form": form, "page": page, "counts": counts, "overdue": overdue,
        **_nav(request, "loans"),
    })  # fmt: skip


@requires("pool.manage")
def loan_create(request: AuthenticatedRequest) -> HttpResponse:
    form = LendForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            loans = services.loan_out(
                actor=request.user, devices=data["devices"], due_on=data["due_on"],
                school=data["school"], need=data["need"], note=data["note"],
            )  # fmt: skip
        except DomainError as error:
            show_domain_error(form, error)
        else:
            tags = ", ".join(loan.device.asset_tag for loan in loans)
            messages.success(
                request,
                f"Đã cho mượn {len(loans)} thiết bị ({tags}), đợt {loans[0].batch}, hạn trả"
                f" {loans[0].due_on:%d/%m/%Y}.",
            )
            if len(loans) == 1:
                return redirect("pool:loan_detail", pk=loans[0].pk)
            return redirect("pool:loan_list")
    return render(request, "pool/loan_form.html", {"form": form, **_nav(request, "lend")})


@requires("pool.view")
def loan_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The loan's page, with the return form for those who take devices back."""
    loan = selectors.loan_get(user=request.user, pk=pk)
    can_receive = request.user.scope.may("pool.receive")
    if request.method == "POST" and not can_receive:
        raise PermissionDenied
    form = ReturnForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"returned_on": timezone.localdate(), "condition": Condition.GOOD},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            loan = services.loan_return(
                actor=request.user, loan=loan, returned_on=data["returned_on"],
                condition=data["condition"], photo=data["photo"], note=data["note"],
                warehouse=data.get("warehouse"),
            )  # fmt: skip
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _returned_message(loan))
            return redirect("pool:loan_detail", pk=loan.pk)
    events = loan.device.events.select_related("actor").order_by("-at", "-pk")[:20]
    return render(request, "pool/loan_detail.html", {
        "loan": loan, "form": form, "can_receive": can_receive, "events": events,
        "condition_out_label": CONDITIONS.get(loan.condition_out, loan.condition_out),
        "condition_back_label": CONDITIONS.get(loan.condition_back, loan.condition_back),
        "overdue": loan.status == LoanStatus.OUT and loan.due_on < timezone.localdate(),
        **_nav(request, "loans"),
    })  # fmt: skip


def _returned_message(loan: Any) -> str:
    tag = loan.device.asset_tag
    if loan.condition_back == Condition.UNUSABLE:
        return f"Đã nhận lại {tag}: không sử dụng được, đã đề nghị thanh lý (chờ người khác duyệt)."
    if loan.device.status == DeviceStatus.IN_REPAIR:
        return f"Đã nhận lại {tag}: thiết bị vào hàng chờ sửa chữa."
    return f"Đã nhận lại {tag}: thiết bị sẵn sàng cho mượn tiếp."


@requires("pool.view")
def loan_photo(request: AuthenticatedRequest, pk: int) -> FileResponse:
    loan = selectors.loan_get(user=request.user, pk=pk)
    if not loan.photo:
        raise Http404
    name = loan.photo.name.rsplit("/", 1)[-1]
    return FileResponse(loan.photo.open("rb"), filename=name)


@requires("pool.view")
def repair_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(selectors.repair_list(user=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "pool/repair_list.html", {
        "page": page, "finish_form": RepairFinishForm(initial={"condition": Condition.GOOD}),
        "write_off_form": WriteOffRequestForm(), **_nav(request, "repairs"),
    })  # fmt: skip


@require_POST
@requires("pool.manage")
def repair_finish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    device = selectors.repair_get(user=request.user, pk=pk)
    form = RepairFinishForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Hãy chọn tình trạng sau khi sửa: mới, tốt hoặc trung bình.")
        services.repair_finish(
            actor=request.user, device=device, condition=form.cleaned_data["condition"],
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Đã đưa {device.asset_tag} lại vào kho, sẵn sàng cho mượn.")
    return redirect("pool:repair_list")


@require_POST
@requires("pool.manage")
def write_off_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    device = selectors.repair_get(user=request.user, pk=pk)
    form = WriteOffRequestForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Hãy ghi lý do thanh lý.")
        services.write_off_request(
            actor=request.user, device=device, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("pool:repair_list")
    messages.success(request, f"Đã đề nghị thanh lý {device.asset_tag}; cần một người khác duyệt.")
    return redirect("pool:write_off_list")


@requires("pool.view")
def write_off_list(request: AuthenticatedRequest) -> HttpResponse:
    write_offs = selectors.write_off_list(user=request.user)
    page = Paginator(write_offs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "pool/write_off_list.html", {
        "page": page, "pending": write_offs.filter(status=WriteOffStatus.PENDING).count(),
        "decide_form": WriteOffDecideForm(), **_nav(request, "write_offs"),
    })  # fmt: skip


@require_POST
@requires("pool.manage")
def write_off_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    write_off = selectors.write_off_get(user=request.user, pk=pk)
    form = WriteOffDecideForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Hãy chọn duyệt hoặc không duyệt.")
        approve = form.cleaned_data["decision"] == "approve"
        services.write_off_decide(
            actor=request.user, write_off=write_off, approve=approve,
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except DomainError as error:
        messages.error(request, error.message)
    else:
        tag = write_off.device.asset_tag
        messages.success(
            request,
            f"Đã duyệt thanh lý {tag}." if approve
            else f"Không duyệt thanh lý {tag}; thiết bị vẫn ở hàng chờ sửa chữa.",
        )  # fmt: skip
    return redirect("pool:write_off_list")


@requires("pool.view")
def recall_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(selectors.recall_list(user=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "pool/recall_list.html", {"page": page, **_nav(request, "recalls")})


@requires("pool.manage")
def recall_create(request: AuthenticatedRequest) -> HttpResponse:
    form = RecallForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recall = services.recall_start(
                actor=request.user, campaign=data["campaign"], due_on=data["due_on"],
                reason=data["reason"], outbreak=data["outbreak"],
            )  # fmt: skip
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(
                request,
                f"Đã gửi đề nghị thu hồi {recall.items.count()} thiết bị, hạn trả"
                f" {recall.due_on:%d/%m/%Y}; các trường có thư điện tử đã được báo.",
            )
            return redirect("pool:recall_detail", pk=recall.pk)
    return render(request, "pool/recall_form.html", {"form": form, **_nav(request, "recalls")})


@requires("pool.view")
def recall_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    recall = selectors.recall_get(user=request.user, pk=pk)
    items = list(selectors.recall_items(user=request.user, recall=recall))
    return render(request, "pool/recall_detail.html", {
        "recall": recall, "items": items, "answer_form": RecallAnswerForm(),
        "can_answer": request.user.scope.may("pool.receive"),
        "answers": [
            (label, getattr(recall, value)) for value, label in RecallAnswer.choices
        ],
        **_nav(request, "recalls"),
    })  # fmt: skip


@require_POST
@requires("pool.receive")
def recall_answer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = selectors.recall_item_get(user=request.user, pk=pk)
    form = RecallAnswerForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Hãy chọn câu trả lời.")
        services.recall_answer(
            actor=request.user, item=item, answer=form.cleaned_data["answer"],
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Đã ghi câu trả lời cho thiết bị {item.loan.device.asset_tag}.")
    return redirect("pool:recall_detail", pk=item.recall_id)
