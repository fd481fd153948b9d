from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from songmay.accounts.scope import Role

# Roles that hold the keys to the whole province; with SONGMAY_REQUIRE_2FA they must
# pass a one-time password before any page but log-in and 2FA set-up.
TWO_FACTOR_ROLES = frozenset({Role.ADMIN, Role.PROVINCE_OFFICER})
OPEN_PATHS = ("/accounts/", "/static/", "/healthz", "/i18n/", "/api/")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.SONGMAY_REQUIRE_2FA
            and user.is_authenticated
            and getattr(user, "role", "") in TWO_FACTOR_ROLES
            and not user.is_verified()  # type: ignore[union-attr]
            and not request.path.startswith(OPEN_PATHS)
        ):
            return redirect("accounts:two_factor")
        return self.get_response(request)
