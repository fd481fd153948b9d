"""Pages to import a school list from a spreadsheet; the import itself runs as a job."""

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.areas.importing import COLUMNS, template_sheets
from songmay.jobs.services import job_start
from songmay.lib.spreadsheet import ACCEPT, SpreadsheetError, check_upload, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",").replace(",0", "") + " MB"


class SchoolImportForm(forms.Form):
    file = forms.FileField(
        label="Tệp danh sách trường",
        help_text="Tệp .xlsx, .xls, .ods hoặc .csv; danh sách ở trang tính đầu tiên.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        limit = settings.SONGMAY_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"Tệp lớn quá ({_megabytes(upload.size)}); tối đa {_megabytes(limit)}. "
                "Hãy xoá các trang tính, hình ảnh không cần thiết "
                "hoặc chia thành nhiều tệp nhỏ hơn."
            )
        data: bytes = upload.read()
        try:
            check_upload(data, upload.name)
        except SpreadsheetError as error:
            raise forms.ValidationError(error.message) from None
        self.file_name = upload.name
        return data


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
