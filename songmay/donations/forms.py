"""Forms for donors, pledges, receipts and spending. They parse input; services decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from songmay.areas.forms import AreaField, SchoolCodeField
from songmay.areas.models import Area, AreaLevel
from songmay.campaigns.models import Campaign
from songmay.donations.models import (
    DEVICE_KINDS,
    Donation,
    DonationKind,
    Donor,
    DonorKind,
    PaymentMethod,
    Pledge,
    PledgeStatus,
    SpendingKind,
    SupportKind,
)
from songmay.donations.services import (
    DonationData,
    DonorData,
    ItemData,
    PurchaseLineData,
    SpendingData,
)
from songmay.inventory.models import Warehouse
from songmay.lib.money import InvalidAmount, parse_vnd
from songmay.lib.phones import display_phone

if TYPE_CHECKING:
    from songmay.accounts.models import User

DATE = forms.DateInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})


def _choices(form: forms.Form, name: str, queryset: Any) -> Any:
    """Limit a choice field to what the user may pick (its scope)."""
    field: Any = form.fields[name]
    field.queryset = queryset
    return field


class MoneyField(forms.CharField):
    """Whole đồng, typed the Vietnamese way: 1.500.000."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
        kwargs.setdefault("help_text", "Số đồng chẵn, ví dụ 1.500.000.")
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int:
        text = super().clean(value)
        if not text:
            return 0
        try:
            return parse_vnd(text)
        except InvalidAmount as error:
            raise forms.ValidationError(str(error)) from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return f"{value:,}".replace(",", ".")
        return value


def _quantity(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "narrow"}),
    )


class DonorForm(forms.Form):
    kind = forms.ChoiceField(label="Loại nhà tài trợ", choices=DonorKind.choices)
    name = forms.CharField(label="Tên", max_length=255)
    area = forms.ModelChoiceField(label="Tỉnh/thành phố ghi nhận", queryset=Area.objects.none())
    tax_code = forms.CharField(
        label="Mã số thuế", required=False, help_text="Bắt buộc với doanh nghiệp nếu có."
    )
    contact_name = forms.CharField(label="Người liên hệ", required=False)
    phone = forms.CharField(label="Điện thoại", required=False)
    email = forms.EmailField(label="Thư điện tử", required=False)
    address = forms.CharField(label="Địa chỉ", required=False)
    public_name_consent = forms.BooleanField(
        label="Đồng ý công khai tên trên trang minh bạch",
        required=False,
        help_text="Nếu không, trang công khai ghi “Nhà hảo tâm”.",
    )

    def __init__(self, *args: Any, user: User, donor: Donor | None = None, **kwargs: Any) -> None:
        if donor is not None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": donor.kind, "name": donor.name, "area": donor.area,
                    "tax_code": donor.tax_code, "contact_name": donor.contact_name,
                    "phone": display_phone(donor.phone), "email": donor.email,
                    "address": donor.address, "public_name_consent": donor.public_name_consent,
                },
            )  # fmt: skip
        super().__init__(*args, **kwargs)
        area_field = _choices(
            self, "area", user.scope.filter_areas(Area.objects.filter(level=AreaLevel.PROVINCE), "")
        )
        if user.scope.is_national:
            area_field.required = False
            area_field.empty_label = "Toàn quốc"
        elif donor is None and user.area is not None:
            area_field.initial = user.area

    def to_data(self) -> DonorData:
        data = self.cleaned_data
        return DonorData(
            kind=data["kind"], name=data["name"], area=data["area"], tax_code=data["tax_code"],
            contact_name=data["contact_name"], phone=data["phone"], email=data["email"],
            address=data["address"], public_name_consent=data["public_name_consent"],
        )  # fmt: skip


class PledgeForm(forms.Form):
    campaign = forms.ModelChoiceField(label="Chương trình", queryset=Campaign.objects.none())
    donor = forms.ModelChoiceField(label="Nhà tài trợ", queryset=Donor.objects.none())
    pledged_on = forms.DateField(label="Ngày cam kết", widget=DATE)
    due_on = forms.DateField(label="Hạn thực hiện", required=False, widget=DATE)
    amount = MoneyField(label="Số tiền cam kết (đồng)", required=False)
    note = forms.CharField(label="Ghi chú", required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit(self, user)
        for kind, label in SupportKind.choices:
            self.fields[f"qty_{kind}"] = _quantity(f"{label} (số lượng)")

    def items(self) -> dict[str, int]:
        return {
            kind: self.cleaned_data.get(f"qty_{kind}") or 0
            for kind in SupportKind.values
            if self.cleaned_data.get(f"qty_{kind}")
        }


def _limit(form: forms.Form, user: User) -> None:
    _choices(form, "campaign", Campaign.objects.visible_to(user))
    _choices(form, "donor", Donor.objects.visible_to(user))


class DonationForm(forms.Form):
    campaign = forms.ModelChoiceField(label="Chương trình", queryset=Campaign.objects.none())
    donor = forms.ModelChoiceField(label="Nhà tài trợ", queryset=Donor.objects.none())
    pledge = forms.ModelChoiceField(
        label="Theo cam kết", required=False, queryset=Pledge.objects.none(),
        empty_label="Không theo cam kết",
    )  # fmt: skip
    kind = forms.ChoiceField(label="Loại tiếp nhận", choices=DonationKind.choices)
    received_on = forms.DateField(label="Ngày nhận", widget=DATE)
    amount = MoneyField(label="Số tiền (đồng)", required=False)
    method = forms.ChoiceField(
        label="Hình thức", required=False, choices=[("", "—"), *PaymentMethod.choices]
    )
    bank_reference = forms.CharField(label="Mã giao dịch ngân hàng", required=False)
    earmark = forms.CharField(
        label="Mục đích nhà tài trợ chỉ định",
        required=False,
        help_text="Để trống nếu nhà tài trợ không chỉ định; tiền chỉ định chỉ được chi đúng"
        " mục đích.",
    )
    description = forms.CharField(
        label="Nội dung", required=False, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit(self, user)
        self.fields["earmark_area"] = AreaField(
            user=user, label="Thiết bị chỉ định cho địa bàn", required=False
        )
        self.fields["earmark_school"] = SchoolCodeField(
            user=user, label="hoặc cho trường (mã trường)"
        )
        _choices(
            self,
            "pledge",
            Pledge.objects.visible_to(user)
            .exclude(status=PledgeStatus.CANCELLED)
            .select_related("donor"),
        )
        for kind, label in SupportKind.choices:
            self.fields[f"qty_{kind}"] = _quantity(f"{label} (số lượng)")

    def groups(self) -> dict[str, list[forms.BoundField]]:
        """The fields as the page lays them out: what, then money, then goods."""
        return {
            "main": [self[n] for n in ("campaign", "donor", "pledge", "kind", "received_on")],
            "money": [self[n] for n in ("amount", "method", "bank_reference", "earmark")],
            "items": [
                *(self[f"qty_{kind}"] for kind in SupportKind.values),
                self["earmark_area"],
                self["earmark_school"],
            ],
        }

    def to_data(self) -> DonationData:
        data = self.cleaned_data
        items = [
            ItemData(kind, data[f"qty_{kind}"])
            for kind in SupportKind.values
            if data.get(f"qty_{kind}")
        ]
        return DonationData(
            kind=data["kind"], received_on=data["received_on"], amount=data["amount"],
            method=data["method"], bank_reference=data["bank_reference"],
            earmark=data["earmark"], description=data["description"], items=items,
            earmark_area=data["earmark_area"], earmark_school=data["earmark_school"],
        )  # fmt: skip


class PurchaseLineForm(forms.Form):
    kind = forms.ChoiceField(
        label="Loại thiết bị",
        choices=[("", "—"), *((k, v) for k, v in SupportKind.choices if k in DEVICE_KINDS)],
        required=False,
    )
    make = forms.CharField(label="Hãng", required=False)
    model = forms.CharField(label="Model", required=False)
    unit_price = MoneyField(label="Đơn giá (đồng)", required=False, help_text="")
    quantity = forms.IntegerField(label="Số lượng", required=False, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = data.get("kind") or data.get("unit_price") or data.get("quantity")
        if filled:
            for name in ("kind", "unit_price", "quantity"):
                if not data.get(name):
                    self.add_error(name, "Dòng thiết bị cần loại, đơn giá và số lượng.")
        return data


PurchaseLineFormSet = forms.formset_factory(PurchaseLineForm, extra=3, max_num=20)


class SpendingForm(forms.Form):
    campaign = forms.ModelChoiceField(label="Chương trình", queryset=Campaign.objects.none())
    kind = forms.ChoiceField(label="Loại khoản chi", choices=SpendingKind.choices)
    spent_on = forms.DateField(label="Ngày chi", widget=DATE)
    description = forms.CharField(label="Nội dung chi")
    approved_by = forms.CharField(label="Người duyệt", help_text="Ví dụ: Giám đốc Sở GD&ĐT.")
    approval_reference = forms.CharField(label="Văn bản phê duyệt", required=False)
    supplier = forms.CharField(label="Nhà cung cấp", required=False)
    invoice_number = forms.CharField(label="Số hoá đơn", required=False)
    amount = MoneyField(
        label="Số tiền (đồng)",
        required=False,
        help_text="Với mua thiết bị, để trống: số tiền là tổng các dòng.",
    )
    warehouse = forms.ModelChoiceField(
        label="Nhập thiết bị vào kho", required=False, queryset=Warehouse.objects.none()
    )
    funded_by = forms.ModelMultipleChoiceField(
        label="Dùng tiền được chỉ định",
        required=False,
        queryset=Donation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Chỉ chọn khi khoản chi đúng mục đích nhà tài trợ chỉ định.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "campaign", Campaign.objects.visible_to(user))
        _choices(self, "warehouse", user.scope.filter_areas(Warehouse.objects.all(), "area"))
        funded_by = _choices(
            self,
            "funded_by",
            Donation.objects.visible_to(user)
            .filter(kind=DonationKind.MONEY)
            .exclude(earmark="")
            .select_related("donor"),
        )
        funded_by.label_from_instance = lambda d: f"{d.code} – {d.donor} – {d.earmark}"

    def to_data(self, lines: list[PurchaseLineData]) -> SpendingData:
        data = self.cleaned_data
        return SpendingData(
            kind=data["kind"], spent_on=data["spent_on"], description=data["description"],
            approved_by=data["approved_by"], amount=data["amount"], supplier=data["supplier"],
            invoice_number=data["invoice_number"],
            approval_reference=data["approval_reference"], lines=lines,
            funded_by=[donation.pk for donation in data["funded_by"]],
        )  # fmt: skip


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Lý do", max_length=255)


class ReviewForm(forms.Form):
    note = forms.CharField(label="Ghi chú xem xét", max_length=255, required=False)
