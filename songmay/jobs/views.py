"""Job pages: the list of one's own jobs, a job's progress and outcome, its errors as xlsx."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from songmay.accounts.decorators import AuthenticatedRequest
from songmay.jobs import selectors
from songmay.jobs.models import Job
from songmay.jobs.services import JOB_KINDS
from songmay.lib.spreadsheet import write_xlsx

# A cheap phone should not render ten thousand rows; the xlsx has them all.
ERRORS_SHOWN = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _label(job: Job) -> str:
    kind = JOB_KINDS.get(job.kind)
    return kind.label if kind else job.kind


@login_required
def job_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(selectors.job_list(user=request.user), 50).get_page(request.GET.get("page"))
    rows = [(job, _label(job)) for job in page]
    return render(request, "jobs/job_list.html", {"page": page, "rows": rows})


@login_required
def job_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    kind = JOB_KINDS.get(job.kind)
    done_url = ""
    if kind and kind.done_url:
        try:
            done_url = reverse(kind.done_url)
        except NoReverseMatch:
            done_url = ""
    errors = job.errors or []
    return render(
        request,
        "jobs/job_detail.html",
        {
            "job": job,
            "label": _label(job),
            "errors": errors[:ERRORS_SHOWN],
            "error_count": len(errors),
            "error_rows": len({error.get("row") for error in errors if error.get("row")}),
            "errors_cut": len(errors) > ERRORS_SHOWN,
            "summary": job.summary or {},
            "done_url": done_url,
        },
    )


@login_required
def job_errors_xlsx(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    if not job.errors:
        raise Http404("Tác vụ này không có lỗi.")
    rows: list[list[object]] = [
        [error.get("row") or "", error.get("column", ""), error.get("message", "")]
        for error in job.errors
    ]
    content = write_xlsx([("Lỗi", ["Dòng", "Cột", "Lỗi"], rows)])
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="loi-tac-vu-{job.pk}.xlsx"'
    return response
