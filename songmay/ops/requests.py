"""Requests refused before any view: a query string holding a NUL character.

No one types a NUL; PostgreSQL refuses it in any text it is given, so a view that filters by a
raw query parameter would fail with a 500. One answer here, for every page and the API (form
fields are checked by Django's forms).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in value for _name, values in request.GET.lists() for value in values):
            return HttpResponseBadRequest(
                "Địa chỉ có ký tự không hợp lệ (ký tự NUL). Hãy mở lại trang từ đường dẫn gốc.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
