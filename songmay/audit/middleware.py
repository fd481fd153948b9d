from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from songmay.audit.context import origin


def client_address(request: HttpRequest) -> str | None:
    """The client's address: behind SONGMAY_PROXY_COUNT proxies, from X-Forwarded-For."""
    count = settings.SONGMAY_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if count and len(forwarded) >= count and forwarded[-count]:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Tells the audit trail each write's address and whether it came by page or API."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ip = client_address(request)
        via = "api" if request.path.startswith("/api/") else "web"
        with origin(via, ip):
            return self.get_response(request)
