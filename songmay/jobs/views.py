"""Job pages: the list of one's own jobs, a job's progress and outcome, its errors as xlsx."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from songmay.accounts.decorators import AuthenticatedRequest
from songmay.jobs import selectors, services
from songmay.jobs.models import Job
from songmay.jobs.services import JOB_KINDS
from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import (
    RowError,
    SpreadsheetError,
    read_table,
    with_error_column,
    write_xlsx,
)

# A cheap phone should not render ten thousand rows; the xlsx has them all.
ERRORS_SHOWN = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _label(job: Job) -> str:
    kind = JOB_KINDS.get(job.kind)
    return kind.label if kind else job.kind


@login_required
def job_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(selectors.job_list(user=request.user), 50).get_page(request.GET.get("page"))
    jobs = selectors.jobs_with_progress(list(page))
    rows = [(job, _label(job)) for job in jobs]
    return render(request, "jobs/job_list.html", {"page": page, "rows": rows})


@login_required
def job_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    kind = JOB_KINDS.get(job.kind)
    done_url = confirm_url = ""
    try:
        if kind and kind.done_url:
            done_url = reverse(kind.done_url)
        if kind and kind.confirms_into and job.created_by_id == request.user.pk:
            confirm_url = reverse("jobs:confirm", kwargs={"pk": job.pk})
    except NoReverseMatch:
        pass
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
            "confirm_url": confirm_url,
        },
    )


@require_POST
@login_required
def job_confirm(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Write a checked file: its owner confirms the preview; the import job starts."""
    preview = selectors.job_get(user=request.user, pk=pk)
    try:
        job = services.job_confirm(actor=request.user, preview=preview)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("jobs:detail", pk=preview.pk)
    return redirect("jobs:detail", pk=job.pk)


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


@login_required
def job_errors_sheet(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The file the user uploaded, as xlsx, with a "Lỗi" column beside each faulty row."""
    job = selectors.job_get(user=request.user, pk=pk)
    if not job.errors:
        raise Http404("Tác vụ này không giữ tệp có lỗi.")
    with services.job_upload(job) as upload:
        if not upload.read(1):
            raise Http404("Tác vụ này không giữ tệp có lỗi.")
        try:
            table = read_table(upload, job.file_name)
        except SpreadsheetError:
            table = []  # the file itself could not be read: the sheet lists the errors alone
    errors = [
        RowError(error.get("row") or 0, error.get("column", ""), error.get("message", ""))
        for error in job.errors
    ]
    header_row = int((job.summary or {}).get("header_row") or 1)
    header, rows = with_error_column(table, errors, header_row=header_row)
    content = write_xlsx([("Danh sách có lỗi", header, rows)])
    stem = job.file_name.rsplit(".", 1)[0] or f"tac-vu-{job.pk}"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = _attachment(f"{stem}-loi.xlsx")
    return response


def _attachment(file_name: str) -> str:
    """A Content-Disposition that keeps a Vietnamese file name (RFC 6266) with an ASCII twin."""
    ascii_name = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in file_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"
