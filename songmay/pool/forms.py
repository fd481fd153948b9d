"""Forms for the pool's loans: lend, return, repair, write off, recall and the list filters.

They parse what was typed (asset tags as a scanner types them, dates as dd/mm/yyyy); the
services decide whether it may be done.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q, QuerySet

from songmay.areas.forms import SchoolCodeField
from songmay.campaigns.models import Campaign
from songmay.forms import PictureField
from songmay.inventory.models import Condition, Device, Warehouse
from songmay.lib.uploads import PHOTOS
from songmay.pool.models import LoanStatus, Outbreak, RecallAnswer
from songmay.students.models import Need

if TYPE_CHECKING:
    from songmay.accounts.models import User

DATE = forms.DateInput(
    format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}
)
USABLE_CHOICES = [
    (value, label)
    for value, label in Condition.choices
    if value in (Condition.NEW, Condition.GOOD, Condition.FAIR)
]
ANSWER_CHOICES = [
    (value, label)
    for value, label in RecallAnswer.choices
    if value in (RecallAnswer.WILL_RETURN, RecallAnswer.NEEDS_TIME, RecallAnswer.LOST)
]
_SEPARATORS = re.compile(r"[\s,;]+")


def warehouses_for(user: User) -> QuerySet[Warehouse]:
    return user.scope.filter_areas(Warehouse.objects.select_related("area"), "area")


class DeviceCodesField(forms.CharField):
    """Devices given by asset tag, serial or IMEI, one per line (a scanner adds the newline)."""

    widget = forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"})

    def __init__(self, *, user: User, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user

    def clean(self, value: Any) -> list[Device]:
        text = super().clean(value) or ""
        codes = list(dict.fromkeys(code.upper() for code in _SEPARATORS.split(text) if code))
        if not codes:
            raise forms.ValidationError("Hãy quét hoặc gõ mã tài sản của ít nhất một thiết bị.")
        found = Device.objects.visible_to(self.user).filter(
            Q(asset_tag__in=codes) | Q(serial__in=codes) | Q(imei__in=codes)
        )
        by_code: dict[str, Device] = {}
        for device in found:
            for code in (device.asset_tag, device.serial, device.imei):
                if code:
                    by_code[code] = device
        unknown = [code for code in codes if code not in by_code]
        if unknown:
            raise forms.ValidationError(
                f"Không tìm thấy thiết bị {', '.join(unknown)} trong phạm vi của bạn. "
                "Hãy kiểm tra lại mã trên nhãn."
            )
        return list({by_code[code].pk: by_code[code] for code in codes}.values())


class LendForm(forms.Form):
    need = forms.IntegerField(
        label="Hoặc học sinh mượn (mã hồ sơ)",
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="Cho một học sinh mượn một thiết bị: ghi mã hồ sơ ở trang Học sinh.",
    )
    due_on = forms.DateField(label="Hạn trả", widget=DATE)
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["devices"] = DeviceCodesField(
            user=user,
            label="Thiết bị cho mượn",
            help_text="Quét hoặc gõ mã tài sản (hoặc số serial, IMEI), mỗi thiết bị một dòng.",
        )
        self.fields["school"] = SchoolCodeField(
            user=user,
            label="Trường mượn (mã trường)",
            help_text="Cho trường mượn nhiều thiết bị: ghi mã trường.",
            widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 12}),
        )
        self.order_fields(["devices", "school", "need", "due_on", "note"])

    def clean_need(self) -> Need | None:
        pk = self.cleaned_data.get("need")
        if pk is None:
            return None
        need = (
            Need.objects.visible_to(self.user)
            .select_related("student", "school")
            .filter(pk=pk)
            .first()
        )
        if need is None:
            raise forms.ValidationError(f"Không có hồ sơ học sinh số {pk} trong phạm vi của bạn.")
        return need

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and (data.get("school") is None) == (data.get("need") is None):
            self.add_error("school", "Hãy ghi mã trường mượn, hoặc mã hồ sơ học sinh mượn.")
        return data


class ReturnForm(forms.Form):
    returned_on = forms.DateField(label="Ngày trả", widget=DATE)
    condition = forms.ChoiceField(
        label="Tình trạng khi trả",
        choices=Condition.choices,
        help_text="Cần sửa chữa: thiết bị vào hàng chờ sửa. Không sử dụng được: vào hàng chờ"
        " và được đề nghị thanh lý.",
    )
    photo = PictureField(
        accept=PHOTOS,
        what="Ảnh",
        label="Ảnh chụp thiết bị (không bắt buộc)",
        required=False,
        help_text="Tệp JPEG hoặc PNG.",
    )
    note = forms.CharField(
        label="Ghi chú",
        max_length=255,
        required=False,
        help_text="Bắt buộc khi thiết bị không sử dụng được: hỏng gì (lý do thanh lý).",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user.scope.may("pool.manage"):
            self.fields["warehouse"] = forms.ModelChoiceField(
                label="Nhập về kho",
                queryset=warehouses_for(user),
                required=False,
                empty_label="— để lại ở trường —",
                help_text="Để trống: thiết bị ở lại trường đã mượn, vẫn thuộc kho dùng chung.",
            )
            self.order_fields(["returned_on", "condition", "warehouse", "photo", "note"])


class RepairFinishForm(forms.Form):
    condition = forms.ChoiceField(label="Tình trạng sau khi sửa", choices=USABLE_CHOICES)
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)


class WriteOffRequestForm(forms.Form):
    reason = forms.CharField(label="Lý do thanh lý", max_length=255)


class WriteOffDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label="Quyết định", choices=[("approve", "Duyệt"), ("reject", "Không duyệt")]
    )
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)


class RecallForm(forms.Form):
    campaign = forms.ModelChoiceField(label="Chương trình", queryset=Campaign.objects.none())
    due_on = forms.DateField(label="Hạn trả", widget=DATE)
    reason = forms.CharField(
        label="Lý do", max_length=255, help_text="Ví dụ: kết thúc học kỳ II, năm học 2021–2022."
    )
    outbreak = forms.ModelChoiceField(
        label="Đợt dạy học trực tuyến (nếu có)",
        queryset=Outbreak.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaigns = Campaign.objects.visible_to(user).order_by("name")
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
        self.fields["outbreak"].queryset = Outbreak.objects.filter(  # type: ignore[attr-defined]
            campaign__in=campaigns
        ).select_related("campaign")


class RecallAnswerForm(forms.Form):
    answer = forms.ChoiceField(label="Trả lời", choices=ANSWER_CHOICES)
    note = forms.CharField(
        label="Ghi chú",
        max_length=255,
        required=False,
        help_text="Xin gia hạn đến ngày nào, hoặc thiết bị mất, hỏng thế nào.",
    )


class LoanFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Trạng thái", required=False, choices=[("", "Tất cả"), *LoanStatus.choices]
    )
    overdue = forms.BooleanField(label="Chỉ lượt mượn quá hạn", required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user.scope.school_id is None:
            self.fields["school"] = SchoolCodeField(
                user=user,
                label="Mã trường",
                widget=forms.TextInput(attrs={"size": 10, "inputmode": "numeric"}),
            )
            self.order_fields(["school", "status", "overdue"])

    def filters(self) -> dict[str, Any]:
        """school, status and overdue as the selector takes them; a bad value filters nothing."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        return {
            "school": data.get("school"),
            "status": data.get("status") or "",
            "overdue": bool(data.get("overdue")),
        }
