import dataclasses

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.audit.models import AuditEntry
from songmay.audit.services import export_record
from songmay.connectivity.models import LIVE_SUPPORT
from songmay.connectivity.selectors import dead_spot_of
from songmay.forms import query_id, show_domain_error
from songmay.lib.errors import DomainError
from songmay.lib.pages import page_of
from songmay.lib.phones import display_phone
from songmay.lib.spreadsheet import write_xlsx
from songmay.students import selectors, services
from songmay.students.forms import NeedFilterForm, StudentForm, WithdrawForm
from songmay.students.models import Need, Student

EXPORT_LIMIT = 200_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@requires("students.view")
def need_list(request: AuthenticatedRequest) -> HttpResponse:
    form = NeedFilterForm(request.GET or None, user=request.user)
    needs = selectors.need_list(user=request.user, filters=form.filters())
    scope = request.user.scope
    counts = selectors.need_counts(needs)
    return render(request, "students/need_list.html", {
        "form": form, "counts": counts, "page": page_of(needs, request, count=counts["total"]),
        "can_add": scope.may("students.add"), "can_confirm": scope.may("students.confirm"),
        "can_export": scope.may("students.export"),
    })  # fmt: skip


@requires("students.view")
def need_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    need = selectors.need_get(user=request.user, pk=pk)
    history = AuditEntry.objects.filter(
        Q(target_type="students.need", target_id=str(need.pk))
        | Q(target_type="students.student", target_id=str(need.student_id))
    ).order_by("-created_at")[:50]
    scope = request.user.scope
    # A pupil in an uncovered dead spot cannot use a data package yet: say so, offer none.
    connectivity = scope.may("connectivity.view")
    dead_spot = dead_spot_of(need.student) if connectivity else None
    # One live package per pupil: no second request while one is requested or active.
    live_package = connectivity and need.data_supports.filter(status__in=LIVE_SUPPORT).exists()
    return render(request, "students/need_detail.html", {
        "need": need, "student": need.student, "history": history, "dead_spot": dead_spot,
        "live_package": live_package,
        "merged": Student.objects.filter(merged_into=need.student),
        "can_change": scope.may("students.change"), "can_confirm": scope.may("students.confirm"),
        "withdraw_form": WithdrawForm(),
    })  # fmt: skip


@requires("students.add")
def need_create(request: AuthenticatedRequest) -> HttpResponse:
    form = StudentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            need = services.student_register(
                actor=request.user, campaign=form.cleaned_data["campaign"],
                school=form.cleaned_data["school"], data=form.to_data(),
            )  # fmt: skip
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Đã đăng ký em {need.student.full_name}.")
            return redirect("students:detail", pk=need.pk)
    return render(request, "students/need_form.html", {"form": form})


@requires("students.change")
def need_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    need = selectors.need_get(user=request.user, pk=pk)
    form = StudentForm(request.POST or None, user=request.user, need=need)
    if request.method == "POST" and form.is_valid():
        try:
            services.need_update(actor=request.user, need=need, data=form.to_data())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Đã lưu thay đổi.")
            return redirect("students:detail", pk=need.pk)
    return render(request, "students/need_form.html", {"form": form, "need": need})


@requires("students.change")
@require_POST
def need_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    need = selectors.need_get(user=request.user, pk=pk)
    form = WithdrawForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Hãy ghi lý do rút, ví dụ “Gia đình đã tự mua máy”.")
        services.need_withdraw(actor=request.user, need=need, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Đã rút em {need.student.full_name} khỏi danh sách.")
    return redirect("students:detail", pk=need.pk)


@requires("students.confirm")
@require_POST
def need_confirm(request: AuthenticatedRequest) -> HttpResponse:
    """Confirm the ticked pupils (those inside the officer's scope)."""
    ids = [pk for typed in request.POST.getlist("need") if (pk := query_id(typed)) is not None]
    needs = Need.objects.visible_to(request.user).filter(pk__in=ids).select_related("school__area")
    try:
        count = services.needs_confirm(actor=request.user, needs=list(needs))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Đã xác nhận {count} em.")
    return redirect(request.POST.get("next") or "students:list")


@requires("students.export")
def need_export(request: AuthenticatedRequest) -> HttpResponse:
    """The filtered list as xlsx: personal data, so the download is recorded in the trail."""
    form = NeedFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    needs = selectors.need_list(user=request.user, filters=filters)[:EXPORT_LIMIT]
    headers = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Lớp", "Cấp học", "Trường",
               "Số định danh", "Họ tên người giám hộ", "Điện thoại", "Thôn/xóm", "Hoàn cảnh",
               "Hoàn cảnh đặc biệt", "Còn thiếu", "Trạng thái", "Chương trình"]  # fmt: skip
    rows = []
    for number, need in enumerate(needs.iterator(chunk_size=2000), start=1):
        student = need.student
        rows.append([
            number, student.full_name,
            student.date_of_birth.strftime("%d/%m/%Y") if student.date_of_birth else "",
            student.get_gender_display(), need.class_name, need.get_level_display(),
            need.school.name, student.personal_id, student.guardian_name,
            display_phone(student.guardian_phone), student.village, need.get_household_display(),
            ", ".join(student.circumstance_labels), need.get_lacking_display(),
            need.get_status_display(), need.campaign.name,
        ])  # fmt: skip
    export_record(actor=request.user, what="student", rows=len(rows),
                  filters=dataclasses.asdict(filters), area=filters.area)  # fmt: skip
    response = HttpResponse(write_xlsx([("Danh sách học sinh", headers, rows)]), content_type=XLSX)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="hoc-sinh-{stamp}.xlsx"'
    return response


@requires("students.review")
def duplicate_list(request: AuthenticatedRequest) -> HttpResponse:
    pairs = selectors.duplicate_list(user=request.user)
    return render(request, "students/duplicate_list.html", {"pairs": pairs})


@requires("students.review")
def duplicate_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pair = selectors.duplicate_get(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "distinct":
                services.duplicate_mark_distinct(actor=request.user, candidate=pair)
                messages.success(request, "Đã ghi nhận đây là hai em khác nhau.")
            else:
                keep = pair.first if request.POST.get("keep") == "first" else pair.second
                services.duplicate_merge(actor=request.user, candidate=pair, keep=keep)
                messages.success(request, f"Đã gộp hồ sơ vào hồ sơ của em {keep.full_name}.")
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("students:duplicates")
    needs = Need.objects.filter(student__in=[pair.first_id, pair.second_id]).select_related(
        "school", "campaign"
    )
    return render(request, "students/duplicate_detail.html", {"pair": pair, "needs": needs})
