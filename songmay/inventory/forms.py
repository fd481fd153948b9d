"""Forms for the inventory: the filter bar, the scanner-friendly device form, status and
place changes, stores and the minimum configuration."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet

from songmay.areas.forms import AreaField, SchoolCodeField
from songmay.campaigns.models import Campaign
from songmay.donations.models import Donation, DonationKind
from songmay.inventory.models import (
    IMEI_KINDS,
    Condition,
    Device,
    DeviceKind,
    DeviceStatus,
    Warehouse,
)
from songmay.inventory.selectors import DeviceFilters
from songmay.inventory.services import TRANSITIONS, DeviceData

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import School


def _all(choices: Any) -> list[tuple[str, str]]:
    return [("", "Tất cả"), *choices]


def warehouses_for(user: User) -> QuerySet[Warehouse]:
    return user.scope.filter_areas(Warehouse.objects.all(), "area")


class DecimalCommaField(forms.DecimalField):
    """A decimal typed the Vietnamese way (10,1) or the English way (10.1)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 6})

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)


class DeviceFilterForm(forms.Form):
    q = forms.CharField(
        label="Mã tài sản, serial, IMEI, model",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label="Loại", required=False, choices=_all(DeviceKind.choices))
    status = forms.ChoiceField(
        label="Trạng thái", required=False, choices=_all(DeviceStatus.choices)
    )
    condition = forms.ChoiceField(
        label="Tình trạng", required=False, choices=_all(Condition.choices)
    )
    meets = forms.ChoiceField(
        label="Cấu hình tối thiểu",
        required=False,
        choices=_all([("yes", "Đạt"), ("no", "Chưa đạt"), ("unset", "Chưa có tiêu chuẩn")]),
    )
    location = forms.ChoiceField(
        label="Vị trí",
        required=False,
        choices=_all([("warehouse", "Trong kho"), ("school", "Ở trường"), ("none", "Chưa xếp")]),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"] = forms.ModelChoiceField(
            label="Chương trình", required=False, empty_label="Tất cả",
            queryset=Campaign.objects.visible_to(user),
        )  # fmt: skip
        self.fields["warehouse"] = forms.ModelChoiceField(
            label="Kho", required=False, empty_label="Tất cả", queryset=warehouses_for(user)
        )
        self.fields["school"] = SchoolCodeField(user=user, label="Mã trường")
        self.order_fields(["q", "campaign", "kind", "status", "condition", "meets", "location"])

    def filters(self) -> DeviceFilters:
        if not self.is_bound or not self.is_valid():
            return DeviceFilters()
        data = self.cleaned_data
        return DeviceFilters(
            campaign=data["campaign"], kind=data["kind"], status=data["status"],
            condition=data["condition"], meets=data["meets"], location=data["location"],
            warehouse=data["warehouse"], school=data["school"], query=data["q"],
        )  # fmt: skip


# What a scanner fills: it types the code and presses Enter, which submits the form.
CODE = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}


class DeviceForm(forms.Form):
    """The description of one device (DeviceData)."""

    serial = forms.CharField(
        label="Số serial", max_length=64, required=False, widget=forms.TextInput(attrs=CODE)
    )
    imei = forms.CharField(
        label="IMEI",
        max_length=20,
        required=False,
        help_text="15 chữ số, cho điện thoại, máy tính bảng, bộ phát 4G (bấm *#06#).",
        widget=forms.TextInput(attrs={**CODE, "inputmode": "numeric"}),
    )
    kind = forms.ChoiceField(label="Loại thiết bị", choices=DeviceKind.choices)
    make = forms.CharField(label="Hãng", max_length=64, required=False)
    model = forms.CharField(label="Model", max_length=120, required=False)
    ram_gb = DecimalCommaField(label="RAM (GB)", required=False, max_digits=5, decimal_places=1)
    storage_gb = forms.IntegerField(
        label="Bộ nhớ (GB)",
        required=False,
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
    )
    os = forms.CharField(label="Hệ điều hành", max_length=64, required=False)
    screen_inches = DecimalCommaField(
        label="Màn hình (inch)", required=False, max_digits=4, decimal_places=1
    )
    condition = forms.ChoiceField(
        label="Tình trạng", choices=Condition.choices, initial=Condition.NEW
    )
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)

    def __init__(self, *args: Any, device: Device | None = None, **kwargs: Any) -> None:
        if device is not None:
            kwargs.setdefault("initial", {name: getattr(device, name) for name in DEVICE_DATA})
        super().__init__(*args, **kwargs)

    def to_data(self) -> DeviceData:
        data = self.cleaned_data
        return DeviceData(
            kind=data["kind"], make=data["make"], model=data["model"], serial=data["serial"],
            imei=data["imei"], ram_gb=data["ram_gb"], storage_gb=data["storage_gb"],
            os=data["os"], screen_inches=data["screen_inches"], condition=data["condition"],
            note=data["note"],
        )  # fmt: skip


DEVICE_DATA = [
    "kind", "make", "model", "serial", "imei", "ram_gb", "storage_gb", "os", "screen_inches",
    "condition", "note",
]  # fmt: skip
# Kept from one registration to the next: a batch is usually many boxes of one model.
BATCH = ["campaign", "warehouse", "school", "donation"]
STICKY = ["kind", "make", "model", "ram_gb", "storage_gb", "os", "screen_inches", "condition"]


class DonationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Donation) -> str:
        return f"{obj.code} – {obj.donor} ({obj.received_on:%d/%m/%Y})"


class RegisterForm(DeviceForm):
    """The scanner-friendly form: the batch (campaign, place, origin) and one device."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaigns = Campaign.objects.visible_to(user)
        self.fields["campaign"] = forms.ModelChoiceField(
            label="Chương trình", queryset=campaigns, empty_label="— chọn chương trình —"
        )
        if not self.is_bound and not self.initial.get("campaign") and campaigns.count() == 1:
            self.initial["campaign"] = campaigns.get().pk
        self.fields["warehouse"] = forms.ModelChoiceField(
            label="Nhập vào kho", required=False, empty_label="—", queryset=warehouses_for(user)
        )
        self.fields["school"] = SchoolCodeField(
            user=user, label="hoặc giao thẳng cho trường (mã trường)"
        )
        self.fields["donation"] = DonationChoiceField(
            label="Từ đợt tiếp nhận",
            required=False,
            empty_label="— không ghi —",
            queryset=Donation.objects.visible_to(user)
            .filter(kind=DonationKind.GOODS)
            .select_related("donor"),
        )
        self.order_fields([*BATCH, "serial", "imei", "kind"])
        kind = self["kind"].value()
        # The scanner types into whichever field has the focus: the IMEI for phones.
        first = "imei" if kind in IMEI_KINDS else "serial"
        self.fields[first].widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("warehouse") and data.get("school"):
            self.add_error("school", "Chọn kho hoặc trường, không chọn cả hai.")
        return data

    def batch_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in BATCH]

    def device_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in BATCH]

    def ready_for_rescan(self, field: str | None) -> None:
        """After a refused code: empty its field and put the cursor there for the next scan
        (the message quotes what was scanned)."""
        if field not in ("serial", "imei"):
            return
        self.data = {**self.data, field: ""}
        for name in ("serial", "imei"):
            self.fields[name].widget.attrs.pop("autofocus", None)
        self.fields[field].widget.attrs["autofocus"] = True

    @cached_property
    def batch_summary(self) -> str:
        """The batch in words, for the folded header; empty until a campaign is chosen."""
        if any(self[name].errors for name in BATCH):
            return ""
        parts = []
        for name in BATCH:
            field, value = self.fields[name], self[name].value()
            if value in (None, ""):
                continue
            try:
                chosen = field.clean(value)
            except forms.ValidationError:
                return ""
            if chosen is not None:
                label = getattr(field, "label_from_instance", str)
                parts.append(str(label(chosen)))
        return " · ".join(parts) if self["campaign"].value() else ""


class StatusForm(forms.Form):
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)

    def __init__(self, *args: Any, device: Device, **kwargs: Any) -> None:
        # The device page shows this form beside MoveForm: ids of their own, not two "id_note".
        kwargs.setdefault("auto_id", "id_status_%s")
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS[device.status]
        self.fields["status"] = forms.ChoiceField(
            label="Chuyển sang",
            choices=[(value, label) for value, label in DeviceStatus.choices if value in allowed],
        )
        self.order_fields(["status", "note"])


class MoveForm(forms.Form):
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_move_%s")  # beside StatusForm on the device page
        super().__init__(*args, **kwargs)
        self.fields["warehouse"] = forms.ModelChoiceField(
            label="Về kho", required=False, empty_label="—", queryset=warehouses_for(user)
        )
        self.fields["school"] = SchoolCodeField(user=user, label="hoặc đến trường (mã trường)")
        self.order_fields(["warehouse", "school", "note"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if bool(data.get("warehouse")) == bool(data.get("school")):
            raise forms.ValidationError("Chọn một kho hoặc ghi mã một trường.")
        return data

    def place(self) -> tuple[Warehouse | None, School | None]:
        return self.cleaned_data["warehouse"], self.cleaned_data["school"]


class WarehouseForm(forms.Form):
    name = forms.CharField(label="Tên kho", max_length=255)
    address = forms.CharField(label="Địa chỉ", max_length=255, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = AreaField(user=user, label="Địa bàn")
        self.order_fields(["name", "area", "address"])


class MinimumSpecForm(forms.Form):
    kind = forms.ChoiceField(label="Loại thiết bị", choices=DeviceKind.choices)
    ram_gb = DecimalCommaField(label="RAM tối thiểu (GB)", max_digits=5, decimal_places=1)
    storage_gb = forms.IntegerField(
        label="Bộ nhớ tối thiểu (GB)",
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
    )
    screen_inches = DecimalCommaField(
        label="Màn hình tối thiểu (inch)", required=False, max_digits=4, decimal_places=1
    )
    note = forms.CharField(label="Yêu cầu khác", max_length=255, required=False)
