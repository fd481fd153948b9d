"""Forms for data packages, the operator exchange and broadband requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from songmay.connectivity.models import (
    BroadbandKind,
    BroadbandStatus,
    DataPackage,
    Operator,
    SupportStatus,
)
from songmay.connectivity.package_selectors import SupportFilters, operators_for, package_list
from songmay.connectivity.package_services import PackageData
from songmay.lib.spreadsheet import ACCEPT

if TYPE_CHECKING:
    from songmay.accounts.models import User

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def _date_field(label: str, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, input_formats=DATE_FORMATS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}),
    )  # fmt: skip


class PackageForm(forms.ModelForm):
    class Meta:
        model = DataPackage
        fields = [
            "operator", "name", "data_gb_per_month", "months", "price", "discounted_price",
            "free", "active",
        ]  # fmt: skip

    def data_object(self) -> PackageData:
        data = self.cleaned_data
        return PackageData(**{name: data[name] for name in self.Meta.fields})

    def _post_clean(self) -> None:
        # The service checks the constraints and says what is wrong; no model validation here.
        pass


class SupportRequestForm(forms.Form):
    package = forms.ModelChoiceField(label="Gói cước", queryset=DataPackage.objects.none())
    phone = forms.CharField(
        label="Số điện thoại di động nhận gói", max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text="Ví dụ 0983.934.091. Nhà mạng gợi ý theo đầu số chỉ để tham khảo: "
        "số đã chuyển mạng vẫn được nhận.",
    )  # fmt: skip
    consent_given = forms.BooleanField(
        label="Cha mẹ hoặc người giám hộ đã đồng ý nhận gói cước cho học sinh", required=False
    )
    consent_on = _date_field("Ngày đồng ý")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = package_list(active_only=True)  # type: ignore[attr-defined]


class SupportFilterForm(forms.Form):
    operator = forms.ModelChoiceField(
        label="Nhà mạng", required=False, empty_label="Tất cả", queryset=Operator.objects.all()
    )
    status = forms.ChoiceField(
        label="Trạng thái", required=False, choices=[("", "Tất cả"), *SupportStatus.choices]
    )
    ending = forms.BooleanField(label="Hết hạn trong 30 ngày tới", required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = operators_for(user)  # type: ignore[attr-defined]

    def filters(self) -> SupportFilters:
        if not self.is_bound or not self.is_valid():
            return SupportFilters()
        data = self.cleaned_data
        return SupportFilters(
            operator=data["operator"], status=data["status"],
            ending_within=30 if data["ending"] else None,
        )  # fmt: skip


class ExportForm(forms.Form):
    operator = forms.ModelChoiceField(label="Nhà mạng", queryset=Operator.objects.all())
    format = forms.ChoiceField(
        label="Định dạng", choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV (UTF-8)")]
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        # The exchange page shows this form beside ResultsForm: ids of its own for each.
        kwargs.setdefault("auto_id", "id_export_%s")
        super().__init__(*args, **kwargs)
        operators = operators_for(user)
        self.fields["operator"].queryset = operators  # type: ignore[attr-defined]
        if operators.count() == 1:
            self.fields["operator"].initial = operators.first()
            self.fields["operator"].widget = forms.HiddenInput()


class ResultsForm(ExportForm):
    file = forms.FileField(
        label="Tệp kết quả", help_text="Tệp đã tải về, điền cột Kết quả, Ngày kích hoạt, Lý do.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )  # fmt: skip

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_results_%s")
        super().__init__(*args, user=user, **kwargs)
        del self.fields["format"]


class BroadbandForm(forms.Form):
    operator = forms.ModelChoiceField(label="Nhà mạng", queryset=Operator.objects.all())
    kind = forms.ChoiceField(label="Loại hỗ trợ", choices=BroadbandKind.choices)
    address = forms.CharField(label="Địa chỉ lắp đặt", max_length=255)
    phone = forms.CharField(label="Điện thoại liên hệ", max_length=30)


class BroadbandUpdateForm(forms.Form):
    status = forms.ChoiceField(label="Trạng thái mới", choices=BroadbandStatus.choices)
    installed_on = _date_field("Ngày lắp đặt")
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)
