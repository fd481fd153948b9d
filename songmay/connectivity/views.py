"""Pages for dead spots (điểm lõm sóng): list with counts, detail with history and affected
pupils, report and edit (officers), status updates (operators for their own), map, import."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.audit.services import export_record
from songmay.connectivity import selectors, services
from songmay.connectivity.forms import (
    DeadSpotFilterForm,
    DeadSpotForm,
    DeadSpotImportForm,
    DeadSpotStatusForm,
)
from songmay.connectivity.importing import (
    COLUMNS,
    dead_spot_import_start,
    template_xlsx,
)
from songmay.forms import show_domain_error
from songmay.lib.errors import DomainError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _may_update_status(request: AuthenticatedRequest) -> bool:
    scope = request.user.scope
    return scope.may("connectivity.change") or scope.may("connectivity.operate")


@requires("connectivity.view")
def dead_spot_list(request: AuthenticatedRequest) -> HttpResponse:
    form = DeadSpotFilterForm(request.GET or None, user=request.user)
    spots = selectors.dead_spot_list(user=request.user, filters=form.filters())
    return render(request, "connectivity/dead_spot_list.html", {
        "form": form, "counts": selectors.dead_spot_counts(user=request.user, spots=spots),
        "page": Paginator(spots, 50).get_page(request.GET.get("page")),
        "today": timezone.localdate(),
        "can_change": request.user.scope.may("connectivity.change"),
    })  # fmt: skip


@requires("connectivity.view")
def dead_spot_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    spot = selectors.dead_spot_get(user=request.user, pk=pk)
    pupils = selectors.affected_pupils(spot)
    status_form = None
    if _may_update_status(request) and services.allowed_statuses(request.user, spot):
        status_form = DeadSpotStatusForm(user=request.user, dead_spot=spot)
    return render(request, "connectivity/dead_spot_detail.html", {
        "spot": spot, "events": selectors.dead_spot_history(spot),
        "overdue": services.is_overdue(spot), "pupil_count": len(pupils),
        "pupils": selectors.visible_pupils(user=request.user, pupils=pupils),
        "can_change": request.user.scope.may("connectivity.change"),
        "status_form": status_form,
    })  # fmt: skip


@requires("connectivity.change")
def dead_spot_create(request: AuthenticatedRequest) -> HttpResponse:
    form = DeadSpotForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            spot = services.dead_spot_report(actor=request.user, data=form.to_data())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Đã thêm điểm lõm sóng {spot}.")
            return redirect("connectivity:dead_spot_detail", pk=spot.pk)
    return render(request, "connectivity/dead_spot_form.html", {"form": form, "spot": None})


@requires("connectivity.change")
def dead_spot_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    spot = selectors.dead_spot_get(user=request.user, pk=pk)
    form = DeadSpotForm(request.POST or None, user=request.user, dead_spot=spot)
    if request.method == "POST" and form.is_valid():
        try:
            services.dead_spot_update(actor=request.user, dead_spot=spot, data=form.to_data())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Đã lưu điểm lõm sóng {spot.village}.")
            return redirect("connectivity:dead_spot_detail", pk=spot.pk)
    return render(request, "connectivity/dead_spot_form.html", {"form": form, "spot": spot})


@requires("connectivity.view")
@require_POST
def dead_spot_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    if not _may_update_status(request):
        raise PermissionDenied
    spot = selectors.dead_spot_get(user=request.user, pk=pk)
    form = DeadSpotStatusForm(request.POST, request.FILES, user=request.user, dead_spot=spot)
    try:
        if not form.is_valid():
            raise DomainError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        services.dead_spot_status_change(
            actor=request.user, dead_spot=spot, status=form.cleaned_data["status"],
            comment=form.cleaned_data["comment"], evidence=form.cleaned_data["evidence"],
        )  # fmt: skip
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Đã cập nhật trạng thái.")
    return redirect("connectivity:dead_spot_detail", pk=spot.pk)


@requires("connectivity.view")
def dead_spot_evidence(request: AuthenticatedRequest, pk: int, event_pk: int) -> FileResponse:
    """One piece of evidence, for those who may see the dead spot; each view is recorded."""
    spot = selectors.dead_spot_get(user=request.user, pk=pk)
    event = spot.events.filter(pk=event_pk).exclude(evidence="").first()
    if event is None:
        raise Http404
    export_record(
        actor=request.user, what="dead_spot_evidence", rows=1,
        filters={"dead_spot": spot.pk, "event": event.pk}, area=spot.area,
    )  # fmt: skip
    name = event.evidence.name.rsplit("/", 1)[-1]
    return FileResponse(event.evidence.open("rb"), as_attachment=True, filename=name)


def tile_settings() -> dict[str, str]:
    """The tile server from SONGMAY_MAP_TILES, or none: the map then draws on a plain ground."""
    url = settings.SONGMAY_MAP_TILES
    return {"tiles": url, "attribution": settings.SONGMAY_MAP_ATTRIBUTION if url else ""}


@requires("connectivity.view")
def dead_spot_map(request: AuthenticatedRequest) -> HttpResponse:
    form = DeadSpotFilterForm(request.GET or None, user=request.user)
    spots = selectors.dead_spot_list(user=request.user, filters=form.filters())
    return render(request, "connectivity/map.html", {
        "form": form,
        "map_data": {"points": selectors.map_points(spots), **tile_settings()},
    })  # fmt: skip


@requires("connectivity.change")
def dead_spot_import(request: AuthenticatedRequest) -> HttpResponse:
    form = DeadSpotImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = dead_spot_import_start(
            actor=request.user, file_name=form.file_name, payload=form.cleaned_data["file"]
        )
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "connectivity/dead_spot_import.html", {"form": form, "columns": COLUMNS})


@requires("connectivity.change")
def dead_spot_import_template(request: AuthenticatedRequest) -> HttpResponse:
    response = HttpResponse(template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-diem-lom-song.xlsx"'
    return response
