"""Downloads of the report the dashboard shows: xlsx, PDF, open-data CSV and JSON.

The place comes from `?area=<pk>` or `?school=<pk>`, as on the dashboard; `dashboard_report`
limits it to the user's scope (a place outside it is a 404).
"""

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.forms import query_id
from songmay.reports.dashboards import dashboard_report
from songmay.reports.exports import CONTENT_TYPES, report_file, report_filename


def _place(request: AuthenticatedRequest, name: str) -> int | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    if (pk := query_id(value)) is None:
        raise Http404
    return pk


@require_safe
@requires("reports.view")
def report_export(request: AuthenticatedRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    report = dashboard_report(
        user=request.user,
        campaign_pk=pk,
        area_pk=_place(request, "area"),
        school_pk=_place(request, "school"),
    )
    response = HttpResponse(report_file(report, fmt), content_type=CONTENT_TYPES[fmt])
    # The PDF opens in the browser to print; the others are saved.
    disposition = content_disposition_header(fmt != "pdf", report_filename(report, fmt))
    if disposition:
        response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response
