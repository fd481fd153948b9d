"""What every form shares: showing a service's DomainError beside the field it names, and
the upload of a spreadsheet to import."""

from django import forms
from django.conf import settings

from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import ACCEPT, SpreadsheetError, check_upload


def show_domain_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",").replace(",0", "") + " MB"


class SpreadsheetUploadForm(forms.Form):
    """A spreadsheet to import: `cleaned_data["file"]` is its bytes, `file_name` its name."""

    file = forms.FileField(
        label="Tệp danh sách",
        help_text="Tệp .xlsx, .xls, .ods hoặc .csv; danh sách ở trang tính đầu tiên.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    file_name = ""

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
