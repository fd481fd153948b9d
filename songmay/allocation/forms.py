"""Forms for allocation: the policy, the handover record, a return and the list filters.

They parse what was typed; the services decide whether it may be done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from songmay.allocation.models import (
    DEFAULT_HOUSEHOLD_ORDER,
    DEFAULT_LEVEL_PREFERENCES,
    AssignmentStatus,
    Policy,
    Reach,
    Relation,
)
from songmay.allocation.services import PolicyData
from songmay.areas.forms import SchoolCodeField
from songmay.areas.models import Area, SchoolLevel
from songmay.forms import PictureField
from songmay.inventory.models import DeviceKind
from songmay.lib.uploads import SCANS
from songmay.students.models import Household

if TYPE_CHECKING:
    from songmay.accounts.models import User

DATE = forms.DateInput(
    format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}
)
PRIORITY_SLOTS = len(Household.choices)
# Kinds a pupil's level may be given; a 4G router serves connectivity, not a level.
LEVEL_KINDS = [(value, label) for value, label in DeviceKind.choices if value != "router_4g"]


def preference_field_name(level: str, kind: str) -> str:
    return f"pref_{level}_{kind}"


class PolicyForm(forms.Form):
    """The campaign's allocation policy; the priority tiers and device suitability as grids."""

    special_first = forms.BooleanField(
        label="Trong mỗi nhóm, ưu tiên các em có hoàn cảnh đặc biệt trước",
        required=False,
        help_text="Mồ côi do COVID-19, khuyết tật, dân tộc thiểu số, vùng sâu, vùng xa.",
    )
    online_first = forms.BooleanField(
        label="Ưu tiên địa bàn đang dạy học trực tuyến", required=False
    )
    online_areas = forms.CharField(
        label="Địa bàn đang dạy học trực tuyến",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Mã địa bàn, cách nhau bởi dấu phẩy, ví dụ: 07582, 07615.",
    )
    one_per_household_first = forms.BooleanField(
        label="Mỗi hộ có một máy trước khi hộ nào nhận máy thứ hai", required=False
    )
    reach = forms.TypedChoiceField(
        label="Thiết bị được điều chuyển trong phạm vi", choices=Reach.choices, coerce=int
    )
    fair_shares = forms.BooleanField(
        label="Khi thiếu máy, chia công bằng giữa các xã/phường theo tỷ lệ nhu cầu",
        required=False,
    )
    handover_days = forms.IntegerField(
        label="Số ngày phải bàn giao sau khi phê duyệt",
        min_value=1,
        max_value=365,
        widget=forms.NumberInput(attrs={"class": "narrow", "inputmode": "numeric"}),
        help_text="Quá hạn mà chưa bàn giao thì danh sách phân bổ đánh dấu “Quá hạn”.",
    )

    def __init__(self, *args: Any, user: User, policy: Policy | None = None, **kwargs: Any):
        if policy is not None:
            kwargs.setdefault("initial", self.initial_of(policy))
        super().__init__(*args, **kwargs)
        self.user = user
        households: list[tuple[str, str]] = [("", "— không xét —"), *Household.choices]
        for slot in range(1, PRIORITY_SLOTS + 1):
            self.fields[f"tier_{slot}"] = forms.ChoiceField(
                label=f"Ưu tiên {slot}", choices=households, required=False
            )
        for level, _label in SchoolLevel.choices:
            for kind, kind_label in LEVEL_KINDS:
                self.fields[preference_field_name(level, kind)] = forms.IntegerField(
                    label=kind_label,
                    required=False,
                    min_value=1,
                    max_value=len(LEVEL_KINDS),
                    widget=forms.NumberInput(attrs={"class": "rank", "inputmode": "numeric"}),
                )

    @staticmethod
    def initial_of(policy: Policy) -> dict[str, Any]:
        order = policy.household_order or DEFAULT_HOUSEHOLD_ORDER
        preferences = policy.level_preferences or DEFAULT_LEVEL_PREFERENCES
        initial: dict[str, Any] = {
            "special_first": policy.special_first,
            "online_first": policy.online_first,
            "one_per_household_first": policy.one_per_household_first,
            "reach": policy.reach,
            "fair_shares": policy.fair_shares,
            "handover_days": policy.handover_days,
            "online_areas": ", ".join(area.code for area in policy.online_areas.all()),
        }
        for slot, household in enumerate(order, start=1):
            initial[f"tier_{slot}"] = household
        for level, kinds in preferences.items():
            for rank, kind in enumerate(kinds, start=1):
                initial[preference_field_name(level, kind)] = rank
        return initial

    def tier_fields(self) -> list[forms.BoundField]:
        return [self[f"tier_{slot}"] for slot in range(1, PRIORITY_SLOTS + 1)]

    def preference_rows(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """One row per level: (level, label, its rank field per device kind)."""
        return [
            (level, label, [self[preference_field_name(level, kind)] for kind, _ in LEVEL_KINDS])
            for level, label in SchoolLevel.choices
        ]

    def clean_online_areas(self) -> list[Area]:
        codes = [code.strip() for code in self.cleaned_data["online_areas"].split(",")]
        codes = [code for code in codes if code]
        areas = {
            area.code: area for area in Area.objects.visible_to(self.user).filter(code__in=codes)
        }
        unknown = [code for code in codes if code not in areas]
        if unknown:
            raise forms.ValidationError(
                f"Không có địa bàn mã {', '.join(unknown)} trong phạm vi của bạn. "
                "Hãy tra mã ở trang Địa bàn."
            )
        return list(dict.fromkeys(areas[code] for code in codes))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        order = [data.get(f"tier_{slot}") for slot in range(1, PRIORITY_SLOTS + 1)]
        chosen = [household for household in order if household]
        if not chosen:
            self.add_error("tier_1", "Hãy chọn ít nhất một nhóm hoàn cảnh được ưu tiên.")
        elif len(set(chosen)) < len(chosen):
            self.add_error("tier_1", "Mỗi nhóm hoàn cảnh chỉ ghi một lần trong thứ tự ưu tiên.")
        data["household_order"] = chosen
        preferences: dict[str, list[str]] = {}
        for level, label in SchoolLevel.choices:
            ranks: dict[str, int] = {}
            for kind, _kind_label in LEVEL_KINDS:
                rank = data.get(preference_field_name(level, kind))
                if rank is not None:
                    ranks[kind] = rank
            if len(set(ranks.values())) < len(ranks):
                self.add_error(
                    None, f"Cấp {label}: mỗi thứ tự (1, 2, 3…) chỉ dùng cho một loại thiết bị."
                )
            preferences[level] = sorted(ranks, key=lambda kind: ranks[kind])
        if not any(preferences.values()):
            self.add_error(None, "Hãy ghi ít nhất một loại thiết bị phù hợp cho một cấp học.")
        data["level_preferences"] = preferences
        return data

    def to_data(self) -> PolicyData:
        data = self.cleaned_data
        return PolicyData(
            household_order=data["household_order"],
            special_first=data["special_first"],
            online_first=data["online_first"],
            online_areas=data["online_areas"],
            one_per_household_first=data["one_per_household_first"],
            level_preferences=data["level_preferences"],
            reach=data["reach"],
            fair_shares=data["fair_shares"],
            handover_days=data["handover_days"],
        )


class HandoverForm(forms.Form):
    handed_over_on = forms.DateField(label="Ngày bàn giao", widget=DATE)
    received_by = forms.CharField(
        label="Người nhận", max_length=120, help_text="Họ và tên người ký nhận thiết bị."
    )
    relation = forms.ChoiceField(label="Quan hệ với học sinh", choices=Relation.choices)
    scan = PictureField(
        accept=SCANS,
        what="Tệp",
        label="Bản chụp biên bản đã ký (không bắt buộc)",
        required=False,
        help_text="Tệp PDF, JPEG hoặc PNG.",
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label="Lý do thu hồi",
        max_length=255,
        help_text="Ví dụ: học sinh chuyển trường; máy hỏng, cần đổi máy khác.",
    )
    pupil_left = forms.BooleanField(
        label="Học sinh đã chuyển trường hoặc thôi học (không phân bổ lại cho em)",
        required=False,
    )


class AssignmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Trạng thái",
        required=False,
        choices=[("", "Tất cả"), *AssignmentStatus.choices],
    )
    overdue = forms.BooleanField(label="Chỉ các máy quá hạn bàn giao", required=False)

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
            self.is_valid()  # cleaned_data then holds the fields that were valid
            data = self.cleaned_data
        return {
            "school": data.get("school"),
            "status": data.get("status") or "",
            "overdue": bool(data.get("overdue")),
        }
