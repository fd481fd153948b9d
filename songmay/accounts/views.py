import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from songmay.accounts import services
from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.accounts.forms import CodeForm, PasswordForm, TokenForm, UserForm
from songmay.accounts.middleware import PENDING as TWO_FACTOR_PENDING
from songmay.accounts.models import User
from songmay.forms import show_domain_error
from songmay.lib.errors import DomainError


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        if user_has_device(form.get_user()):
            self.request.session[TWO_FACTOR_PENDING] = True
        return response


def _safe_next(request: AuthenticatedRequest) -> str:
    """?next= when it is an address on this site; never another site (an open redirect)."""
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
def two_factor(request: AuthenticatedRequest) -> HttpResponse:
    """Enter a code from the app; without a confirmed device, set one up first."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    form = CodeForm(request.POST or None)
    if device is not None:
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["code"].strip()):
                otp_login(request, device)
                request.session.pop(TWO_FACTOR_PENDING, None)
                return redirect(_safe_next(request))
            form.add_error("code", "Mã xác thực không đúng hoặc đã hết hạn.")
        return render(request, "accounts/two_factor_verify.html", {"form": form})
    pending = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if pending is None or request.method == "GET":
        pending = services.two_factor_begin(actor=request.user)
    elif form.is_valid():
        try:
            device = services.two_factor_confirm(
                actor=request.user, device=pending, code=form.cleaned_data["code"]
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            otp_login(request, device)
            request.session.pop(TWO_FACTOR_PENDING, None)
            messages.success(request, "Đã bật xác thực hai bước.")
            return redirect("accounts:profile")
    image = qrcode.make(pending.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    secret = base64.b32encode(pending.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "secret": secret,
            "qr": "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode(),
        },
    )


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "accounts/profile.html",
        {
            "tokens": request.user.api_tokens.filter(revoked_at__isnull=True),
            "token_form": TokenForm(),
            "password_form": PasswordForm(user=request.user),
            "has_2fa": user_has_device(request.user),
            "new_key": request.session.pop("new_api_key", None),
        },
    )


@login_required
@require_POST
def token_create(request: AuthenticatedRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        _token, key = services.api_token_create(actor=request.user, name=form.cleaned_data["name"])
        request.session["new_api_key"] = key  # shown once, on the next page
    else:
        messages.error(request, "Hãy đặt tên cho mã truy cập.")
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(request.user.api_tokens.filter(revoked_at__isnull=True), pk=pk)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Đã thu hồi mã “{token.name}”.")
    return redirect("accounts:profile")


@login_required
def password_change(request: AuthenticatedRequest) -> HttpResponse:
    form = PasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                actor=request.user, user=request.user, password=form.cleaned_data["new_password"]
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "Đã đổi mật khẩu.")
            return redirect("accounts:profile")
    return render(request, "accounts/password.html", {"form": form})


@requires("users.view")
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    users = (
        User.objects.visible_to(request.user)
        .select_related("area", "school", "donor", "operator")
        .order_by("username")
    )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {
            "page": page,
            "can_change": request.user.scope.may("users.change"),
        },
    )


@requires("users.change")
def user_create(request: AuthenticatedRequest) -> HttpResponse:
    form = UserForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_create(
                actor=request.user, data=form.to_data(), password=form.cleaned_data["password"]
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Đã tạo tài khoản.")
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form})


@requires("users.change")
def user_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
    form = UserForm(request.POST or None, user=request.user, instance=target)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=target, data=form.to_data())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Đã lưu tài khoản.")
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "target": target})
