"""Page guards: log-in first, then the role must be allowed to use the feature at all."""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

if TYPE_CHECKING:
    from songmay.accounts.models import User

View = Callable[..., HttpResponseBase]


class AuthenticatedRequest(HttpRequest):
    """The request a guarded view receives: `user` is a logged-in Songmay user."""

    user: "User"


def requires(permission: str) -> Callable[[View], View]:
    """Anonymous → log-in page; a role without `permission` → 403. Rows are scoped by selectors."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.scope.may(permission):  # type: ignore[union-attr]
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return login_required(wrapper)

    return decorator
