"""The campaign form with its three lists: phases, intake windows and contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from songmay.areas.models import Area, AreaLevel
from songmay.campaigns.models import Campaign
from songmay.campaigns.services import (
    CAMPAIGN_FIELDS,
    CampaignData,
    ContactData,
    PhaseData,
    WindowData,
)
from songmay.lib.phones import display_phone

if TYPE_CHECKING:
    from songmay.accounts.models import User

DATE = forms.DateInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})


class CampaignForm(forms.Form):
    name = forms.CharField(label="Tên chương trình", max_length=255)
    plan_reference = forms.CharField(
        label="Văn bản triển khai",
        max_length=255,
        required=False,
        help_text="Ví dụ: Kế hoạch số 242/KH-UBND.",
    )
    launched_on = forms.DateField(label="Ngày phát động", required=False, widget=DATE)
    focal_point = forms.CharField(
        label="Đầu mối tiếp nhận",
        max_length=255,
        required=False,
        help_text="Ví dụ: Sở Giáo dục và Đào tạo.",
    )
    beneficiaries = forms.CharField(
        label="Đối tượng hỗ trợ", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    support_rule = forms.CharField(
        label="Mức hỗ trợ",
        max_length=255,
        required=False,
        help_text="Ví dụ: Hỗ trợ 1 lần/1 học sinh.",
    )
    description = forms.CharField(
        label="Mô tả", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provinces = Area.objects.filter(level=AreaLevel.PROVINCE)
        if not user.scope.is_national:
            provinces = provinces.filter(path__in=[user.scope.area_path])
        self.fields["area"] = forms.ModelChoiceField(
            label="Tỉnh/thành phố",
            queryset=provinces.order_by("name_folded"),
            required=user.scope.is_national is False,
            empty_label="Toàn quốc" if user.scope.is_national else None,
        )
        self.order_fields(["name", "area"])


class PhaseForm(forms.Form):
    number = forms.IntegerField(label="Giai đoạn", min_value=1, max_value=99)
    name = forms.CharField(label="Tên", max_length=255)
    starts_on = forms.DateField(label="Từ ngày", widget=DATE)
    ends_on = forms.DateField(label="Đến ngày", widget=DATE)
    target_percent = forms.IntegerField(
        label="Mục tiêu (%)", min_value=0, max_value=100, required=False
    )
    goal = forms.CharField(label="Nội dung", required=False)


class WindowForm(forms.Form):
    opens_on = forms.DateField(label="Từ ngày", widget=DATE)
    closes_on = forms.DateField(label="Đến hết ngày", widget=DATE)
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)


class ContactForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", max_length=120)
    position = forms.CharField(label="Chức vụ", max_length=255)
    phone = forms.CharField(label="Số điện thoại", max_length=30, required=False)
    email = forms.EmailField(label="Thư điện tử", required=False)


PhaseFormSet = forms.formset_factory(PhaseForm, extra=1, can_delete=True)
WindowFormSet = forms.formset_factory(WindowForm, extra=1, can_delete=True)
ContactFormSet = forms.formset_factory(ContactForm, extra=2, can_delete=True)


class CampaignEditor:
    """The campaign form and its three formsets, bound and checked together."""

    def __init__(self, data: Any, *, user: User, campaign: Campaign | None = None) -> None:
        initial: dict[str, Any] = {}
        phases: list[dict[str, Any]] = []
        windows: list[dict[str, Any]] = []
        contacts: list[dict[str, Any]] = []
        if campaign is not None:
            initial = {name: getattr(campaign, name) for name in CAMPAIGN_FIELDS}
            phase_fields = ("number", "name", "starts_on", "ends_on", "target_percent", "goal")
            phases = [dict(row) for row in campaign.phases.values(*phase_fields)]
            windows = [
                dict(row) for row in campaign.intake_windows.values("opens_on", "closes_on", "note")
            ]
            contacts = [
                {**row, "phone": display_phone(row["phone"])}
                for row in campaign.contacts.values("full_name", "position", "phone", "email")
            ]
        self.form = CampaignForm(data, user=user, initial=initial)
        self.phases = PhaseFormSet(data, prefix="phase", initial=phases)
        self.windows = WindowFormSet(data, prefix="window", initial=windows)
        self.contacts = ContactFormSet(data, prefix="contact", initial=contacts)

    def is_valid(self) -> bool:
        # Validate every part, so that all errors show at once.
        results = [self.form.is_valid()] + [
            formset.is_valid() for formset in (self.phases, self.windows, self.contacts)
        ]
        return all(results)

    @staticmethod
    def _rows(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
        return [
            form.cleaned_data
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def to_data(self) -> CampaignData:
        data = self.form.cleaned_data
        strip = lambda row: {k: v for k, v in row.items() if k != "DELETE"}  # noqa: E731
        return CampaignData(
            name=data["name"],
            area=data["area"],
            plan_reference=data["plan_reference"],
            launched_on=data["launched_on"],
            focal_point=data["focal_point"],
            beneficiaries=data["beneficiaries"],
            support_rule=data["support_rule"],
            description=data["description"],
            phases=[PhaseData(**strip(row)) for row in self._rows(self.phases)],
            windows=[WindowData(**strip(row)) for row in self._rows(self.windows)],
            contacts=[ContactData(**strip(row)) for row in self._rows(self.contacts)],
        )
