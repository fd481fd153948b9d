from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from songmay.accounts.scope import Role
from songmay.accounts.services import UserData
from songmay.areas.forms import AreaField, SchoolCodeField
from songmay.connectivity.models import Operator
from songmay.donations.models import Donor

if TYPE_CHECKING:
    from songmay.accounts.models import User


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Mã xác thực (6 số trên ứng dụng)",
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Tên mã truy cập", max_length=80, help_text="Ví dụ: Đồng bộ danh sách trường."
    )


class PasswordForm(forms.Form):
    old_password = forms.CharField(label="Mật khẩu hiện tại", widget=forms.PasswordInput)
    new_password = forms.CharField(label="Mật khẩu mới", widget=forms.PasswordInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_old_password(self) -> str:
        value: str = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError("Mật khẩu hiện tại không đúng.")
        return value


class UserForm(forms.Form):
    username = forms.CharField(label="Tên đăng nhập", max_length=150)
    full_name = forms.CharField(label="Họ và tên", max_length=120)
    email = forms.EmailField(label="Thư điện tử", required=False)
    role = forms.ChoiceField(label="Vai trò", choices=Role.choices)
    donor = forms.ModelChoiceField(
        label="Nhà tài trợ", queryset=Donor.objects.all(), required=False
    )
    operator = forms.ModelChoiceField(
        label="Doanh nghiệp viễn thông", queryset=Operator.objects.all(), required=False
    )
    is_active = forms.BooleanField(label="Đang hoạt động", required=False, initial=True)
    password = forms.CharField(
        label="Mật khẩu ban đầu",
        widget=forms.PasswordInput,
        required=False,
        help_text="Ít nhất 8 ký tự, không toàn số.",
    )

    def __init__(self, *args: Any, user: User, instance: User | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {
                "username": instance.username,
                "full_name": instance.full_name,
                "email": instance.email,
                "role": instance.role,
                "area": instance.area,
                "school": instance.school.code if instance.school else "",
                "donor": instance.donor,
                "operator": instance.operator,
                "is_active": instance.is_active,
            }
        super().__init__(*args, **kwargs)
        self.user, self.instance = user, instance
        self.fields["school"] = SchoolCodeField(user=user, label="Mã trường (với cán bộ trường)")
        self.fields["area"] = AreaField(
            user=user, label="Địa bàn (với cán bộ Sở, xã/phường)", required=False
        )
        self.order_fields(["username", "full_name", "email", "role", "area", "school"])
        if instance is not None:
            self.fields["username"].disabled = True
            del self.fields["password"]
        else:
            self.fields["password"].required = True

    def to_data(self) -> UserData:
        data = self.cleaned_data
        return UserData(
            username=data["username"],
            full_name=data["full_name"],
            email=data["email"],
            role=data["role"],
            area=data["area"],
            school=data["school"],
            donor=data["donor"],
            operator=data["operator"],
            is_active=data["is_active"],
        )
