"""Forms for the needs registry: the filter bar, the pupil form and the review decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from songmay.areas.forms import AreaField, SchoolCodeField
from songmay.areas.models import School, SchoolLevel
from songmay.campaigns.models import Campaign
from songmay.lib.phones import display_phone
from songmay.students.models import CIRCUMSTANCES, Gender, Household, Lacking, Need, NeedStatus
from songmay.students.selectors import NeedFilters
from songmay.students.services import StudentData

if TYPE_CHECKING:
    from songmay.accounts.models import User

DATE = forms.DateInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})


def _all(choices: Any) -> list[tuple[str, str]]:
    return [("", "Tất cả"), *choices]


class NeedFilterForm(forms.Form):
    q = forms.CharField(label="Tên học sinh", required=False)
    level = forms.ChoiceField(label="Cấp học", required=False, choices=_all(SchoolLevel.choices))
    household = forms.ChoiceField(
        label="Hoàn cảnh", required=False, choices=_all(Household.choices)
    )
    lacking = forms.ChoiceField(label="Còn thiếu", required=False, choices=_all(Lacking.choices))
    status = forms.ChoiceField(label="Trạng thái", required=False, choices=_all(NeedStatus.choices))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"] = forms.ModelChoiceField(
            label="Chương trình", required=False, empty_label="Tất cả",
            queryset=Campaign.objects.visible_to(user),
        )  # fmt: skip
        self.fields["school"] = SchoolCodeField(user=user, label="Mã trường")
        self.fields["area"] = AreaField(user=user, label="Địa bàn", required=False, help_text="")
        self.user = user
        self.order_fields(["q", "campaign", "school", "area"])

    def filters(self) -> NeedFilters:
        if not self.is_bound or not self.is_valid():
            return NeedFilters()
        data = self.cleaned_data
        return NeedFilters(
            campaign=data["campaign"], school=data["school"], area=data["area"],
            level=data["level"], household=data["household"], lacking=data["lacking"],
            status=data["status"], query=data["q"],
        )  # fmt: skip


class StudentForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", max_length=120)
    date_of_birth = forms.DateField(label="Ngày sinh", widget=DATE)
    gender = forms.ChoiceField(label="Giới tính", required=False,
                               choices=[("", "—"), *Gender.choices])  # fmt: skip
    class_name = forms.CharField(label="Lớp", max_length=20, required=False)
    level = forms.ChoiceField(label="Cấp học", choices=SchoolLevel.choices)
    personal_id = forms.CharField(label="Số định danh cá nhân (12 số)", max_length=14,
                                  required=False)  # fmt: skip
    guardian_name = forms.CharField(label="Họ tên cha/mẹ/người giám hộ", max_length=120,
                                    required=False)  # fmt: skip
    guardian_phone = forms.CharField(label="Điện thoại người giám hộ", max_length=30,
                                     required=False)  # fmt: skip
    village = forms.CharField(label="Thôn/xóm", max_length=120, required=False)
    household = forms.ChoiceField(label="Hoàn cảnh gia đình", choices=Household.choices,
                                  initial=Household.NONE)  # fmt: skip
    circumstances = forms.MultipleChoiceField(
        label="Hoàn cảnh đặc biệt", required=False, choices=list(CIRCUMSTANCES.items()),
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    lacking = forms.ChoiceField(label="Còn thiếu", choices=Lacking.choices)
    consent_given = forms.BooleanField(label="Người giám hộ đã đồng ý cho xử lý dữ liệu",
                                       required=False)  # fmt: skip
    consent_on = forms.DateField(label="Ngày đồng ý", required=False, widget=DATE)

    def __init__(self, *args: Any, user: User, need: Need | None = None, **kwargs: Any) -> None:
        if need is not None:
            current = StudentData.of(need)
            kwargs["initial"] = {
                **vars(current), "commune": current.commune,
                "guardian_phone": display_phone(current.guardian_phone),
            }  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["commune"] = AreaField(user=user, label="Xã/phường nơi ở", required=False)
        self.order_fields(["full_name", "date_of_birth", "gender", "class_name", "level"])
        if need is None:
            schools = School.objects.visible_to(user).filter(is_active=True)
            self.fields["campaign"] = forms.ModelChoiceField(
                label="Chương trình", queryset=Campaign.objects.visible_to(user)
            )
            self.fields["school"] = forms.ModelChoiceField(label="Trường", queryset=schools)
            if schools.count() == 1:
                self.fields["school"].initial = schools.first()
            self.order_fields(["campaign", "school", "full_name"])

    def to_data(self) -> StudentData:
        data = self.cleaned_data
        return StudentData(
            full_name=data["full_name"], date_of_birth=data["date_of_birth"], level=data["level"],
            lacking=data["lacking"], gender=data["gender"], class_name=data["class_name"],
            personal_id=data["personal_id"], guardian_name=data["guardian_name"],
            guardian_phone=data["guardian_phone"], village=data["village"],
            commune=data["commune"], household=data["household"],
            circumstances=data["circumstances"], consent_given=data["consent_given"],
            consent_on=data["consent_on"],
        )  # fmt: skip


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Lý do rút khỏi danh sách", max_length=255)
