"""What every form shares: showing a service's DomainError beside the field it names, the
upload of a spreadsheet to import, and a scan or photo."""

from typing import Any

from django import forms
from django.conf import settings

from songmay.lib.errors import DomainError
from songmay.lib.spreadsheet import ACCEPT, SpreadsheetError, check_upload
from songmay.lib.uploads import megabytes, upload_extension


def show_domain_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class PictureField(forms.FileField):
    """A scan or photo (see songmay.lib.uploads): checked by its first bytes and its size."""

    def __init__(self, *, accept: tuple[str, ...], what: str, **kwargs: Any) -> None:
        self.accept, self.what = accept, what
        kinds = {"pdf": ".pdf", "jpg": ".jpg,.jpeg", "png": ".png"}
        kwargs.setdefault(
            "widget",
            forms.ClearableFileInput(attrs={"accept": ",".join(kinds[k] for k in accept)}),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if not upload:
            return None
        try:
            upload_extension(
                upload, accept=self.accept, max_bytes=settings.SONGMAY_MAX_UPLOAD_BYTES,
                what=self.what,
            )  # fmt: skip
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return upload


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
                f"Tệp lớn quá ({megabytes(upload.size)}); tối đa {megabytes(limit)}. "
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


MAX_ID = 2**63 - 1  # the largest id a database column holds


def query_id(value: str | None) -> int | None:
    """An id typed in a query string (?campaign=4), or None if it is not one.

    ASCII digits only: "²".isdigit() is true, but int("²") fails; and no larger than a database
    id can be, so a filter never overflows.
    """
    value = (value or "").strip()
    if value.isascii() and value.isdecimal() and int(value) <= MAX_ID:
        return int(value)
    return None
