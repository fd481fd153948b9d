"""Pages to import devices from a spreadsheet: upload (a preview job checks the file), the
template, and the confirmation that starts the job writing it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.areas.forms import SchoolCodeField
from songmay.campaigns.models import Campaign
from songmay.donations.models import Donation
from songmay.forms import SpreadsheetUploadForm
from songmay.inventory.importing import (
    COLUMNS,
    ImportTarget,
    device_import_start,
    donations_for,
    template_xlsx,
    warehouses_for,
)
from songmay.inventory.models import Warehouse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _DonationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        assert isinstance(obj, Donation)  # noqa: S101 - the queryset holds donations
        return f"{obj.code} – {obj.donor} – {obj.received_on:%d/%m/%Y} ({obj.campaign})"


class DeviceImportForm(SpreadsheetUploadForm):
    campaign = forms.ModelChoiceField(label="Chương trình", queryset=Campaign.objects.none())
    warehouse = forms.ModelChoiceField(
        label="Kho nhận",
        queryset=Warehouse.objects.none(),
        required=False,
        empty_label="— Không chọn —",
    )
    donation = _DonationChoice(
        label="Đợt tiếp nhận (nguồn)",
        queryset=Donation.objects.none(),
        required=False,
        empty_label="— Không gắn đợt tiếp nhận —",
        help_text="Biên nhận thiết bị mà các máy trong tệp thuộc về, nếu có.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"] = SchoolCodeField(
            user=user,
            label="Mã trường nhận (thay cho kho)",
            help_text="Chọn một kho hoặc ghi mã một trường: mọi thiết bị trong tệp về đó.",
        )
        campaigns = Campaign.objects.visible_to(user)
        querysets = {
            "campaign": campaigns,
            "warehouse": warehouses_for(user),
            "donation": donations_for(user),
        }
        for name, queryset in querysets.items():
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
            field.queryset = queryset
        if campaigns.count() == 1:
            self.fields["campaign"].initial = campaigns.first()
        self.fields["file"].label = "Tệp danh sách thiết bị"
        self.order_fields(["campaign", "warehouse", "school", "donation", "file"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        campaign, donation = data.get("campaign"), data.get("donation")
        if data.get("warehouse") and data.get("school"):
            self.add_error("school", "Thiết bị chỉ ở một nơi: chọn kho hoặc trường, không cả hai.")
        if campaign is not None and donation is not None and donation.campaign_id != campaign.pk:
            self.add_error(
                "donation", f"{donation} thuộc chương trình khác; hãy chọn đúng chương trình."
            )
        return data

    def target(self) -> ImportTarget:
        data = self.cleaned_data
        return ImportTarget(
            campaign=data["campaign"],
            warehouse=data.get("warehouse"),
            school=data.get("school"),
            donation=data.get("donation"),
        )


@requires("inventory.change")
def device_import(request: AuthenticatedRequest) -> HttpResponse:
    form = DeviceImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        job = device_import_start(
            actor=request.user,
            target=form.target(),
            file_name=form.file_name,
            payload=form.cleaned_data["file"],
        )
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "inventory/import.html", {"form": form, "columns": COLUMNS})


@requires("inventory.change")
def device_import_template(request: AuthenticatedRequest) -> HttpResponse:
    response = HttpResponse(template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-danh-sach-thiet-bi.xlsx"'
    return response


# Included by songmay/inventory/urls.py, inside the "inventory" namespace.
import_urlpatterns = [
    path("import/", device_import, name="import"),
    path("import/template.xlsx", device_import_template, name="import_template"),
]
