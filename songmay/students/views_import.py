"""Pages to import pupils from a spreadsheet: upload (a preview job checks the file), the
template, and the confirmation that starts the job writing it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.areas.forms import SchoolCodeField
from songmay.areas.models import School
from songmay.campaigns.models import Campaign
from songmay.forms import SpreadsheetUploadForm
from songmay.jobs.services import job_start
from songmay.students.importing import COLUMNS, template_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StudentImportForm(SpreadsheetUploadForm):
    campaign = forms.ModelChoiceField(label="Chương trình", queryset=Campaign.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["school"] = SchoolCodeField(
            user=user,
            label="Mã trường",
            help_text="Để trống nếu tệp có cột “Mã trường” ghi trường của từng em.",
        )
        campaigns = Campaign.objects.visible_to(user)
        field = self.fields["campaign"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared just above
        field.queryset = campaigns
        if campaigns.count() == 1:
            field.initial = campaigns.first()
        self.fields["file"].label = "Tệp danh sách học sinh"
        if user.school_id is not None:
            del self.fields["school"]  # school staff import into their own school
        self.order_fields(["campaign", "school", "file"])

    def school_chosen(self) -> School | None:
        if self.user.school_id is not None:
            return self.user.school
        return self.cleaned_data.get("school")


@requires("students.add")
def student_import(request: AuthenticatedRequest) -> HttpResponse:
    form = StudentImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        school = form.school_chosen()
        job = job_start(
            actor=request.user,
            kind="students.preview",
            file_name=form.file_name,
            payload=form.cleaned_data["file"],
            params={
                "campaign": form.cleaned_data["campaign"].pk,
                "school": school.pk if school is not None else None,
            },
        )
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "students/import.html", {"form": form, "columns": COLUMNS})


@requires("students.add")
def student_import_template(request: AuthenticatedRequest) -> HttpResponse:
    response = HttpResponse(template_xlsx(user=request.user), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-danh-sach-hoc-sinh.xlsx"'
    return response


# Included by songmay/students/urls.py, inside the "students" namespace.
import_urlpatterns = [
    path("import/", student_import, name="import"),
    path("import/template.xlsx", student_import_template, name="import_template"),
]
