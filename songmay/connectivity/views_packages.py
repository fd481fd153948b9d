"""Pages for data packages: the catalogue, a pupil's request, the requests list, the
operator's exchange (batches out, results in) and fixed broadband requests."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.audit.services import export_record
from songmay.connectivity import package_selectors as selectors
from songmay.connectivity import package_services as services
from songmay.connectivity.exchange import batch_csv, batch_xlsx
from songmay.connectivity.forms_packages import (
    BroadbandForm,
    BroadbandUpdateForm,
    ExportForm,
    PackageForm,
    ResultsForm,
    SupportFilterForm,
    SupportRequestForm,
)
from songmay.connectivity.models import DataPackage, ExchangeBatch, SupportStatus
from songmay.forms import show_domain_error
from songmay.lib.errors import DomainError
from songmay.lib.phones import InvalidPhone, likely_operator, parse_mobile
from songmay.lib.spreadsheet import RowError
from songmay.students.models import Lacking
from songmay.students.selectors import need_get

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@requires("connectivity.view")
def package_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "connectivity/package_list.html", {
        "packages": selectors.package_list(),
        "can_change": request.user.scope.may("connectivity.change"),
    })  # fmt: skip


def _package_form(
    request: AuthenticatedRequest, package: DataPackage | None = None
) -> HttpResponse:
    form = PackageForm(request.POST or None, instance=package)
    if request.method == "POST" and form.is_valid():
        try:
            if package is None:
                services.package_create(actor=request.user, data=form.data_object())
            else:
                services.package_update(
                    actor=request.user, package=package, data=form.data_object()
                )  # fmt: skip
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, "Đã lưu gói cước.")
            return redirect("connectivity:package_list")
    return render(request, "connectivity/package_form.html", {"form": form, "package": package})


@requires("connectivity.change")
def package_create(request: AuthenticatedRequest) -> HttpResponse:
    return _package_form(request)


@requires("connectivity.change")
def package_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _package_form(request, selectors.package_get(pk=pk))


def _hint(phone: str) -> str:
    try:
        code = likely_operator(parse_mobile(phone))
    except InvalidPhone:
        return ""
    names = {"viettel": "Viettel", "vnpt": "VinaPhone (VNPT)", "mobifone": "MobiFone"}
    return names.get(code, "Vietnamobile" if code else "")


@requires("connectivity.request")
def package_request(request: AuthenticatedRequest, need_pk: int) -> HttpResponse:
    """A pupil lacking connectivity: choose a package, the guardian's phone, record consent."""
    need = need_get(user=request.user, pk=need_pk)
    if request.method == "POST":
        form = SupportRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.support_request(
                    actor=request.user, need=need, package=data["package"], phone=data["phone"],
                    consent_given=data["consent_given"], consent_on=data["consent_on"],
                )  # fmt: skip
            except DomainError as error:
                show_domain_error(form, error)
            else:
                messages.success(request, "Đã đề nghị gói cước; yêu cầu sẽ vào lô gửi nhà mạng.")
                return redirect("students:detail", pk=need.pk)
        phone = request.POST.get("phone", "")
    else:
        phone = need.student.guardian_phone
        form = SupportRequestForm(initial={"phone": phone})
    return render(request, "connectivity/package_request.html", {
        "need": need, "form": form, "hint": _hint(phone),
        "lacks_connectivity": need.lacking in (Lacking.CONNECTIVITY, Lacking.BOTH),
        "supports": selectors.need_supports(user=request.user, need=need),
    })  # fmt: skip


@requires("connectivity.view")
def support_list(request: AuthenticatedRequest) -> HttpResponse:
    form = SupportFilterForm(request.GET or None, user=request.user)
    supports = selectors.support_list(user=request.user, filters=form.filters())
    return render(request, "connectivity/package_supports.html", {
        "form": form, "page": Paginator(supports, 50).get_page(request.GET.get("page")),
        "ending_count": selectors.supports_ending(user=request.user).count(),
    })  # fmt: skip


def _file_response(batch: ExchangeBatch, fmt: str) -> HttpResponse:
    rows = selectors.batch_rows(batch)
    name = f"lo-{batch.operator.code}-{batch.number}"
    if fmt == "csv":
        response = HttpResponse(batch_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        response = HttpResponse(batch_xlsx(rows, f"Lô {batch.number}"), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@requires("connectivity.operate")
def exchange(request: AuthenticatedRequest) -> HttpResponse:
    """The operator's page: download a new batch, upload results (applied whole or not at all)."""
    user = request.user
    export_form = ExportForm(user=user)
    results_form = ResultsForm(user=user)
    errors: list[RowError] = []
    if request.method == "POST" and request.POST.get("action") == "export":
        export_form = ExportForm(request.POST, user=user)
        if export_form.is_valid():
            try:
                batch = services.batch_export(
                    actor=user, operator=export_form.cleaned_data["operator"]
                )
            except DomainError as error:
                show_domain_error(export_form, error)
            else:
                return _file_response(batch, export_form.cleaned_data["format"])
    elif request.method == "POST":
        results_form = ResultsForm(request.POST, request.FILES, user=user)
        if results_form.is_valid():
            upload = results_form.cleaned_data["file"]
            try:
                summary = services.batch_results_import(
                    actor=user, operator=results_form.cleaned_data["operator"],
                    data=upload.read(), filename=upload.name,
                )  # fmt: skip
            except services.ResultsRejected as rejected:
                errors = rejected.errors
                results_form.add_error(None, rejected.message)
            except DomainError as error:
                show_domain_error(results_form, error)
            else:
                messages.success(
                    request,
                    f"Đã cập nhật kết quả: {summary['activated']} kích hoạt, "
                    f"{summary['failed']} không kích hoạt được.",
                )
                return redirect("connectivity:exchange")
    pending = selectors.support_list(user=user).filter(status=SupportStatus.REQUESTED)
    return render(request, "connectivity/exchange.html", {
        "export_form": export_form, "results_form": results_form, "errors": errors,
        "pending": pending.count(), "batches": selectors.batch_list(user=user)[:50],
    })  # fmt: skip


@requires("connectivity.operate")
def batch_download(request: AuthenticatedRequest, pk: int, fmt: str) -> HttpResponse:
    """A batch again, as the operator downloaded it; a download of phone numbers is audited."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    batch = selectors.batch_get(user=request.user, pk=pk)
    export_record(
        actor=request.user, what="package_batch", rows=batch.supports.count(),
        filters={"batch": batch.pk, "format": fmt},
    )  # fmt: skip
    return _file_response(batch, fmt)


@requires("connectivity.view")
def broadband_list(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    requests = selectors.broadband_list(user=request.user, status=status)
    return render(request, "connectivity/broadband_list.html", {
        "page": Paginator(requests, 50).get_page(request.GET.get("page")), "status": status,
    })  # fmt: skip


@requires("connectivity.request")
def broadband_create(request: AuthenticatedRequest, need_pk: int) -> HttpResponse:
    need = need_get(user=request.user, pk=need_pk)
    form = BroadbandForm(
        request.POST or None, initial={"phone": need.student.guardian_phone, "address": ""}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.broadband_request(actor=request.user, need=need, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Đã gửi đề nghị hỗ trợ Internet cố định.")
            return redirect("connectivity:broadband_list")
    return render(request, "connectivity/broadband_form.html", {"form": form, "need": need})


@requires("connectivity.view")
def broadband_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The operator (or the school's officers) move a request on, up to installed."""
    scope = request.user.scope
    if not (scope.may("connectivity.operate") or scope.may("connectivity.request")):
        raise PermissionDenied
    broadband = selectors.broadband_get(user=request.user, pk=pk)
    form = BroadbandUpdateForm(request.POST or None, initial={"status": broadband.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.broadband_update(actor=request.user, request=broadband, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Đã cập nhật đề nghị.")
            return redirect(reverse("connectivity:broadband_list"))
    return render(request, "connectivity/broadband_edit.html", {
        "form": form, "broadband": broadband,
    })  # fmt: skip
