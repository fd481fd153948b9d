"""Writes for users, their scopes, API tokens and two-factor devices."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from songmay.accounts.models import ApiToken, User
from songmay.accounts.scope import Role, authorize
from songmay.areas.models import Area, AreaLevel, School
from songmay.audit.services import audit_record, audited, diff, snapshot
from songmay.connectivity.models import Operator
from songmay.donations.models import Donor
from songmay.lib.errors import DomainError

USER_FIELDS = [
    "username",
    "full_name",
    "email",
    "role",
    "area",
    "school",
    "donor",
    "operator",
    "is_active",
]


@dataclass
class UserData:
    username: str
    full_name: str
    role: str
    email: str = ""
    area: Area | None = None
    school: School | None = None
    donor: Donor | None = None
    operator: Operator | None = None
    is_active: bool = True


def _scope_area(data: UserData) -> Area | None:
    return data.school.area if data.school is not None else data.area


def _check(actor: User | None, data: UserData) -> None:
    """The role decides which one scope field is set; the actor may only grant inside its own."""
    needed = {
        Role.PROVINCE_OFFICER: "area",
        Role.AREA_OFFICER: "area",
        Role.SCHOOL_STAFF: "school",
        Role.DONOR: "donor",
        Role.OPERATOR: "operator",
    }.get(Role(data.role))
    labels = {
        "area": "địa bàn",
        "school": "trường",
        "donor": "nhà tài trợ",
        "operator": "doanh nghiệp viễn thông",
    }
    for name, label in labels.items():
        if name == needed and getattr(data, name) is None:
            raise DomainError(f"Vai trò này cần chọn {label}.", field=name)
        if (
            name != needed
            and getattr(data, name) is not None
            and not (name == "area" and data.role == Role.AUDITOR)
        ):
            setattr(data, name, None)
    if data.role == Role.PROVINCE_OFFICER and data.area and data.area.level != AreaLevel.PROVINCE:
        raise DomainError("Cán bộ Sở phải gắn với một tỉnh/thành phố.", field="area")
    if actor is None:
        return
    authorize(actor, "users.change")
    scope = actor.scope
    if not scope.is_national:
        if data.role in (Role.ADMIN, Role.AUDITOR, Role.DONOR, Role.OPERATOR):
            raise DomainError("Chỉ quản trị hệ thống cấp được tài khoản vai trò này.", field="role")
        area = _scope_area(data)
        if area is None or not scope.covers_path(area.path):
            raise DomainError(
                "Địa bàn của tài khoản nằm ngoài phạm vi quản lý của bạn.", field="area"
            )


def _set_password(user: User, password: str) -> None:
    """Check the password against Django's validators (messages in Vietnamese), then hash it."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from None
    user.set_password(password)


@audited
def user_create(*, actor: User | None, data: UserData, password: str) -> User:
    """Open an account bound to one scope; the password is checked and hashed with Argon2."""
    _check(actor, data)
    username = data.username.strip()
    if not username:
        raise DomainError("Thiếu tên đăng nhập.", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"Tên đăng nhập “{username}” đã có người dùng.", field="username")
    user = User(
        username=username,
        full_name=data.full_name.strip(),
        email=data.email.strip().lower(),
        role=data.role,
        area=data.area,
        school=data.school,
        donor=data.donor,
        operator=data.operator,
        is_active=data.is_active,
    )
    _set_password(user, password)
    user.save()
    audit_record(
        actor=actor,
        action="user.created",
        target=user,
        area=_scope_area(data),
        changes=diff({}, {**snapshot(user, USER_FIELDS), "password": "set"}),
    )
    return user


@audited
def user_update(*, actor: User | None, user: User, data: UserData) -> User:
    """Change an account's role, scope or state; disabling it also revokes its API tokens."""
    if actor is not None and actor.pk == user.pk and (data.role != user.role or not data.is_active):
        raise DomainError("Bạn không thể tự đổi vai trò hoặc tự khoá tài khoản của mình.")
    _check(actor, data)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user, USER_FIELDS)
    user.full_name, user.email = data.full_name.strip(), data.email.strip().lower()
    user.role, user.is_active = data.role, data.is_active
    user.area, user.school, user.donor, user.operator = (
        data.area,
        data.school,
        data.donor,
        data.operator,
    )
    user.save()
    if not user.is_active:
        user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        actor=actor,
        action="user.updated",
        target=user,
        area=_scope_area(data),
        changes=diff(before, snapshot(user, USER_FIELDS)),
    )
    return user


@audited
def user_set_password(*, actor: User | None, user: User, password: str) -> User:
    """Set a new password (validated, Argon2-hashed); the value never reaches the trail."""
    _set_password(user, password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action="user.password_changed",
        target=user,
        changes={"password": ["***", "***"]},
    )
    return user


@audited
def api_token_create(*, actor: User, name: str) -> tuple[ApiToken, str]:
    """Issue a personal API token; the key is returned once and only its hash is kept."""
    if not name.strip():
        raise DomainError("Hãy đặt tên cho mã truy cập, ví dụ “Đồng bộ Excel”.", field="name")
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name.strip(), prefix=key[:8], key_hash=ApiToken.hash_key(key)
    )
    audit_record(
        actor=actor,
        action="api_token.created",
        target=token,
        changes={"name": [None, token.name], "key": ["***", "***"]},
    )
    return token, key


@audited
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token at once; requests with it fail from now on."""
    if token.user_id != actor.pk:
        raise PermissionDenied
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoked", target=token)
    return token


@audited
def two_factor_begin(*, actor: User) -> TOTPDevice:
    """Start TOTP set-up: an unconfirmed device whose secret the user scans as a QR code."""
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=actor, name="Ứng dụng xác thực", confirmed=False)
    audit_record(actor=actor, action="two_factor.started", target=actor)
    return device


@audited
def two_factor_confirm(*, actor: User, device: TOTPDevice, code: str) -> TOTPDevice:
    """Confirm set-up with a first code from the app; older devices are removed."""
    if device.user_id != actor.pk or not device.verify_token(code.strip()):
        raise DomainError(
            "Mã xác thực không đúng hoặc đã hết hạn. Hãy nhập mã mới trên ứng dụng.", field="code"
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    audit_record(actor=actor, action="two_factor.enabled", target=actor)
    return device
