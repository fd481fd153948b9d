"""One page of a long list."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def page_of(
    items: Any, request: HttpRequest, *, per_page: int = 50, count: int | None = None
) -> Page:
    """The page asked for by `?page=`; `count`: the list's length when the page already counted
    it (the figures at its top), so that the paginator does not count a second time."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # a cached property: set, it is never computed
    return paginator.get_page(request.GET.get("page"))
