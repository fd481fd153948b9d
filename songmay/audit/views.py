import dataclasses
import json

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.audit.forms import AuditFilterForm
from songmay.audit.selectors import audit_list
from songmay.audit.services import export_record
from songmay.lib.spreadsheet import write_xlsx

EXPORT_LIMIT = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@requires("audit.view")
def entry_list(request: AuthenticatedRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, user=request.user)
    entries = audit_list(user=request.user, filters=form.filters())
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "audit/entry_list.html", {"form": form, "page": page})


@requires("audit.view")
def entry_export(request: AuthenticatedRequest) -> HttpResponse:
    """The filtered trail as xlsx; the download itself is recorded in the trail."""
    form = AuditFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    entries = audit_list(user=request.user, filters=filters)[:EXPORT_LIMIT]
    local = timezone.localtime
    rows = [
        [
            local(e.created_at).strftime("%d/%m/%Y %H:%M:%S"),
            e.actor_name,
            e.action,
            e.target_type,
            e.target_id,
            e.target_repr,
            e.area.name if e.area else "",
            e.ip or "",
            e.get_via_display(),
            json.dumps(e.changes, ensure_ascii=False),
        ]
        for e in entries
    ]
    headers = [
        "Thời điểm",
        "Người thực hiện",
        "Hành động",
        "Loại đối tượng",
        "Mã đối tượng",
        "Đối tượng",
        "Địa bàn",
        "Địa chỉ IP",
        "Qua",
        "Thay đổi",
    ]
    export_record(
        actor=request.user,
        what="audit",
        rows=len(rows),
        filters=dataclasses.asdict(filters),
        area=filters.area,
    )
    response = HttpResponse(write_xlsx([("Nhật ký", headers, rows)]), content_type=XLSX)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="nhat-ky-{stamp}.xlsx"'
    return response
