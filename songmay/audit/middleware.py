from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from songmay.audit.context import origin


class AuditContextMiddleware:
    """Tells the audit trail each write's address and whether it came by page or API."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # REMOTE_ADDR is the proxy's in production; gunicorn is run behind one that sets it.
        ip = request.META.get("REMOTE_ADDR") or None
        via = "api" if request.path.startswith("/api/") else "web"
        with origin(via, ip):
            return self.get_response(request)
