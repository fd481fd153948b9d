"""Pages to import a school list from a spreadsheet; the import itself runs as a job."""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.areas.importing import COLUMNS, template_sheets
from songmay.forms import SpreadsheetUploadForm
from songmay.jobs.services import job_start
from songmay.lib.spreadsheet import write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SchoolImportForm(SpreadsheetUploadForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = "Tệp danh sách trường"


@requires("schools.add")
def school_import(request: AuthenticatedRequest) -> HttpResponse:
    form = SchoolImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = job_start(
            actor=request.user,
            kind="schools.import",
            file_name=form.file_name,
            payload=form.cleaned_data["file"],
        )
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "areas/school_import.html", {"form": form, "columns": COLUMNS})


@requires("schools.add")
def school_import_template(request: AuthenticatedRequest) -> HttpResponse:
    content = write_xlsx(template_sheets(user=request.user))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-danh-sach-truong.xlsx"'
    return response


# Included by songmay/areas/urls.py, inside the "areas" namespace.
import_urlpatterns = [
    path("schools/import/", school_import, name="school_import"),
    path("schools/import/template.xlsx", school_import_template, name="school_import_template"),
]
