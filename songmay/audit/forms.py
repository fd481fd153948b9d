from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from songmay.areas.forms import AreaField
from songmay.audit.selectors import AuditFilters

if TYPE_CHECKING:
    from songmay.accounts.models import User

DATE = forms.DateInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="Người thực hiện", required=False)
    action = forms.CharField(
        label="Hành động", required=False, help_text="Ví dụ: school hoặc school.created"
    )
    date_from = forms.DateField(label="Từ ngày", required=False, widget=DATE)
    date_to = forms.DateField(label="Đến ngày", required=False, widget=DATE)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = AreaField(user=user, label="Địa bàn", required=False, help_text="")
        self.order_fields(["actor", "action", "area"])

    def filters(self) -> AuditFilters:
        if not self.is_bound or not self.is_valid():
            return AuditFilters()
        data = self.cleaned_data
        return AuditFilters(
            data["actor"].strip(),
            data["action"].strip(),
            data["area"],
            data["date_from"],
            data["date_to"],
        )
