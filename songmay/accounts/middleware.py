from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from songmay.accounts.caching import cached_device, prefetched
from songmay.accounts.scope import Role

# Roles that hold the keys to a whole province; with SONGMAY_REQUIRE_2FA (on in production)
# they must set up and pass a one-time password before any other page.
TWO_FACTOR_ROLES = frozenset({Role.ADMIN, Role.PROVINCE_OFFICER})
OPEN_PATHS = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/healthz", "/i18n/", "/api/")
PENDING = "songmay_2fa_pending"  # set at log-in when the user has a confirmed device


def second_factor_owed(request: HttpRequest) -> bool:
    """Whether the logged-in user must still pass (or set up) a one-time password."""
    user = request.user
    return bool(
        user.is_authenticated
        and not user.is_verified()  # type: ignore[attr-defined]  # added by OTPMiddleware
        and (
            request.session.get(PENDING)
            or (settings.SONGMAY_REQUIRE_2FA and getattr(user, "role", "") in TWO_FACTOR_ROLES)
        )
    )


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(OPEN_PATHS) and second_factor_owed(request):
            return redirect("accounts:two_factor")
        return self.get_response(request)


class VietnameseFirstMiddleware:
    """The interface opens in Vietnamese whatever the browser asks for; English is a choice
    the person makes (Django's language cookie), not a guess from Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class CachedOTPMiddleware(OTPMiddleware):
    """django-otp's middleware, with the session's device read from the shared cache, in the
    same round trip as the logged-in user (songmay.accounts.caching)."""

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        session = request.session
        with prefetched(session.get(SESSION_KEY), session.get(DEVICE_ID_SESSION_KEY)):
            return super()._verify_user_sync(request, user)

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        return cached_device(persistent_id, lambda: super(CachedOTPMiddleware, self)
                             ._device_from_persistent_id(persistent_id))  # fmt: skip
