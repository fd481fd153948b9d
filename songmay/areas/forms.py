"""Forms for areas and schools; an area is typed by code or name and checked against scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from songmay.areas.models import Area, AreaLevel, School, SchoolLevel
from songmay.areas.services import SchoolData
from songmay.lib.phones import display_phone
from songmay.lib.vietnamese import fold

if TYPE_CHECKING:
    from songmay.accounts.models import User


class AreaField(forms.CharField):
    """An area the user may see, given by its official code or its exact name."""

    def __init__(self, *, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Ghi mã (ví dụ 07582) hoặc tên đầy đủ (ví dụ Xã Lục Ngạn).")
        super().__init__(**kwargs)
        self.user = user

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            area = Area.objects.filter(pk=value).first()
            return area.code if area else value
        return value.code if isinstance(value, Area) else value

    def clean(self, value: Any) -> Area | None:
        text = super().clean(value)
        if not text:
            return None
        areas = Area.objects.visible_to(self.user)
        by_code = areas.filter(code=text.strip()).first()
        if by_code:
            return by_code
        matches = list(areas.filter(name_folded=fold(text))[:2])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise forms.ValidationError(f"Có nhiều địa bàn tên “{text}”. Hãy ghi mã địa bàn.")
        raise forms.ValidationError(
            f"Không tìm thấy địa bàn “{text}” trong phạm vi của bạn. Hãy tra mã ở trang Địa bàn."
        )


class SchoolCodeField(forms.CharField):
    """A school the user may see, given by its official code; empty means none."""

    def __init__(self, *, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.user = user

    def prepare_value(self, value: Any) -> Any:
        return value.code if isinstance(value, School) else value

    def clean(self, value: Any) -> School | None:
        code = (super().clean(value) or "").strip()
        if not code:
            return None
        school = School.objects.visible_to(self.user).filter(code=code).first()
        if school is None:
            raise forms.ValidationError(f"Không có trường mã “{code}” trong phạm vi của bạn.")
        return school


class AreaForm(forms.Form):
    code = forms.CharField(label="Mã", max_length=20, help_text="Ví dụ mã huyện cũ: 213.")
    name = forms.CharField(label="Tên", max_length=200)
    level = forms.ChoiceField(label="Cấp", choices=AreaLevel.choices, initial=AreaLevel.DISTRICT)
    division_type = forms.CharField(
        label="Loại đơn vị",
        max_length=40,
        required=False,
        help_text="Ví dụ: huyện, thị xã, thành phố.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"] = AreaField(user=user, label="Trực thuộc", required=False)


class SchoolFilterForm(forms.Form):
    q = forms.CharField(label="Tên hoặc mã trường", required=False)
    level = forms.ChoiceField(
        label="Cấp học", required=False, choices=[("", "Tất cả"), *SchoolLevel.choices]
    )
    active = forms.ChoiceField(
        label="Tình trạng",
        required=False,
        choices=[("", "Tất cả"), ("1", "Đang hoạt động"), ("0", "Ngừng hoạt động")],
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = AreaField(user=user, label="Địa bàn", required=False, help_text="")


class SchoolForm(forms.Form):
    code = forms.CharField(label="Mã trường", max_length=20)
    name = forms.CharField(label="Tên trường", max_length=255)
    levels = forms.MultipleChoiceField(
        label="Cấp học", choices=SchoolLevel.choices, widget=forms.CheckboxSelectMultiple
    )
    address = forms.CharField(label="Địa chỉ", max_length=255, required=False)
    principal_name = forms.CharField(label="Hiệu trưởng", max_length=120, required=False)
    contact_name = forms.CharField(label="Người liên hệ", max_length=120, required=False)
    phone = forms.CharField(label="Điện thoại", max_length=30, required=False)
    email = forms.EmailField(label="Thư điện tử", required=False)
    is_active = forms.BooleanField(label="Đang hoạt động", required=False, initial=True)

    def __init__(self, *args: Any, user: User, school: School | None = None, **kwargs: Any) -> None:
        if school is not None:
            current = SchoolData.of(school)
            kwargs["initial"] = {**vars(current), "phone": display_phone(current.phone)}
        super().__init__(*args, **kwargs)
        self.fields["area"] = AreaField(user=user, label="Xã/phường")
        self.order_fields(["code", "name", "levels", "area"])

    def to_data(self) -> SchoolData:
        data = self.cleaned_data
        return SchoolData(
            code=data["code"],
            name=data["name"],
            area=data["area"],
            levels=data["levels"],
            address=data["address"],
            principal_name=data["principal_name"],
            contact_name=data["contact_name"],
            phone=data["phone"],
            email=data["email"],
            is_active=data["is_active"],
        )
