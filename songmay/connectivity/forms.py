"""Forms for dead spots: the filter bar, the report/edit form, the status update and the import."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone

from songmay.areas.forms import AreaField
from songmay.areas.models import Area
from songmay.connectivity.models import DeadSpot, DeadSpotStatus, Operator, Technology
from songmay.connectivity.selectors import DeadSpotFilters
from songmay.connectivity.services import DeadSpotData, allowed_statuses
from songmay.forms import PictureField, SpreadsheetUploadForm
from songmay.lib.uploads import SCANS

if TYPE_CHECKING:
    from songmay.accounts.models import User

DATE = forms.DateInput(
    format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}
)


class DecimalCommaField(forms.DecimalField):
    """A coordinate typed the Vietnamese way (21,3856) or the English way (21.3856)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 10})

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)


class DeadSpotFilterForm(forms.Form):
    q = forms.CharField(
        label="Thôn/xóm", required=False, widget=forms.TextInput(attrs={"type": "search"})
    )
    area = forms.ModelChoiceField(
        label="Xã/phường", required=False, queryset=Area.objects.none(), empty_label="Tất cả"
    )
    operator = forms.ModelChoiceField(
        label="Doanh nghiệp", required=False, queryset=Operator.objects.none(),
        empty_label="Tất cả",
    )  # fmt: skip
    status = forms.ChoiceField(
        label="Trạng thái", required=False, choices=[("", "Tất cả"), *DeadSpotStatus.choices]
    )
    overdue = forms.BooleanField(label="Chỉ điểm quá hạn", required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spots = DeadSpot.objects.visible_to(user)
        area_field = self.fields["area"]
        operator_field = self.fields["operator"]
        assert isinstance(area_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        assert isinstance(operator_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        # Only the communes and operators that have a dead spot the user may see.
        area_field.queryset = Area.objects.filter(pk__in=spots.values("area_id")).order_by("name")
        operator_field.queryset = Operator.objects.filter(pk__in=spots.values("operator_id"))

    def filters(self) -> DeadSpotFilters:
        if not self.is_bound or not self.is_valid():
            return DeadSpotFilters()
        data = self.cleaned_data
        return DeadSpotFilters(
            area=data["area"],
            operator=data["operator"],
            status=data["status"],
            overdue=data["overdue"],
            query=data["q"],
        )


class DeadSpotForm(forms.Form):
    village = forms.CharField(label="Thôn/xóm", max_length=120)
    latitude = DecimalCommaField(
        label="Vĩ độ", required=False, max_digits=8, decimal_places=5,
        help_text="Ví dụ 21,38560 (để trống nếu chưa đo).",
    )  # fmt: skip
    longitude = DecimalCommaField(
        label="Kinh độ", required=False, max_digits=8, decimal_places=5,
        help_text="Ví dụ 106,56120.",
    )  # fmt: skip
    households = forms.IntegerField(label="Số hộ bị ảnh hưởng", min_value=0, initial=0)
    pupils = forms.IntegerField(label="Số học sinh bị ảnh hưởng", min_value=0, initial=0)
    operator = forms.ModelChoiceField(
        label="Doanh nghiệp chịu trách nhiệm", required=False,
        queryset=Operator.objects.all(), empty_label="— Chưa giao —",
    )  # fmt: skip
    technology = forms.ChoiceField(label="Giải pháp", choices=Technology.choices)
    reported_on = forms.DateField(label="Ngày báo cáo", widget=DATE)
    target_on = forms.DateField(label="Hạn phủ sóng", required=False, widget=DATE)
    notes = forms.CharField(
        label="Ghi chú", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: User, dead_spot: DeadSpot | None = None, **kwargs: Any):
        if dead_spot is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "area": dead_spot.area,
                **{name: getattr(dead_spot, name) for name in self.base_fields},
            }
        kwargs.setdefault("initial", {"reported_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["area"] = AreaField(user=user, label="Xã/phường")
        self.order_fields(["area", "village"])

    def to_data(self) -> DeadSpotData:
        data = self.cleaned_data
        return DeadSpotData(
            area=data["area"], village=data["village"], reported_on=data["reported_on"],
            latitude=data["latitude"], longitude=data["longitude"],
            households=data["households"], pupils=data["pupils"], operator=data["operator"],
            technology=data["technology"], target_on=data["target_on"], notes=data["notes"],
        )  # fmt: skip


class DeadSpotStatusForm(forms.Form):
    status = forms.ChoiceField(label="Chuyển sang")
    comment = forms.CharField(
        label="Nhận xét", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Tiến độ, kết quả đo sóng, lý do chậm...",
    )  # fmt: skip
    evidence = PictureField(
        accept=SCANS, what="Tệp minh chứng", label="Minh chứng", required=False,
        help_text="Tệp PDF hoặc ảnh JPEG/PNG (ảnh trạm, kết quả đo sóng).",
    )  # fmt: skip

    def __init__(self, *args: Any, user: User, dead_spot: DeadSpot, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = [
            (status, DeadSpotStatus(status).label) for status in allowed_statuses(user, dead_spot)
        ]


class DeadSpotImportForm(SpreadsheetUploadForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = "Tệp danh sách điểm lõm sóng"
