"""Every address of the site is either a page checked by the accessibility browser test or
listed there as something else (a download, a POST-only action, a probe, the API), with why.

A new page fails `test_every_address_is_a_checked_page_or_says_why_not` until it is added to
`PAGES` in tests/e2e/test_accessibility.py, which then opens it with real objects behind it.
The exclusions are checked too, so that a page cannot hide among them: actions refuse GET,
the probes, the language switch and the API answer with no HTML page, and the downloads are
fetched as files in the browser test.
"""

from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from songmay.accounts.scope import Role, Scope
from tests.e2e.test_accessibility import ACTIONS, DOWNLOADS, NOT_PAGES, PAGES

LISTS = {"PAGES": set(PAGES), "DOWNLOADS": set(DOWNLOADS), "ACTIONS": set(ACTIONS)}
LISTS["NOT_PAGES"] = set(NOT_PAGES)
PREFIXES = tuple(key for key in NOT_PAGES if key.endswith("/"))  # routes, not names


def addresses(
    resolver: URLResolver | None = None, namespace: str = "", prefix: str = ""
) -> Iterator[tuple[str | None, str, URLPattern]]:
    """(qualified name or None, full route, pattern) of every URL pattern.

    Unlike tests/test_scoping_matrix.py's `named_urls`, unnamed patterns are kept: one of them
    could serve a page that no list names.
    """
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from addresses(entry, inner, route)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else None), route, entry


def test_every_address_is_a_checked_page_or_says_why_not():
    listed = set().union(*LISTS.values())
    missing = sorted(
        name or route
        for name, route, _pattern in addresses()
        if name not in listed and not route.startswith(PREFIXES)
    )
    assert not missing, (
        "Addresses that the accessibility test neither checks nor excludes: add each page to"
        f" PAGES in tests/e2e/test_accessibility.py, or list it there with why not: {missing}"
    )


def test_the_lists_are_disjoint_and_name_only_real_addresses():
    known = {name for name, _route, _pattern in addresses() if name}
    routes = [route for _name, route, _pattern in addresses()]
    for title, names in LISTS.items():
        stale = sorted(name for name in names - known if name not in PREFIXES)
        assert not stale, f"{title} names addresses that no longer exist: {stale}"
        for other, more in LISTS.items():
            assert title == other or not names & more, f"in {title} and {other}: {names & more}"
    for prefix in PREFIXES:
        assert any(route.startswith(prefix) for route in routes), f"no route under {prefix}"


def _any_address(name: str) -> str:
    """The address with made-up arguments: an action must refuse GET before looking them up."""
    pattern = next(pattern for key, _route, pattern in addresses() if key == name)
    return reverse(name, kwargs={
        key: 1 if isinstance(converter, IntConverter) else "x"
        for key, converter in pattern.pattern.converters.items()
    })  # fmt: skip


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_actions_refuse_get(name, client, make_user, monkeypatch):
    # Every role gate opens, so what answers is the view's own rule on methods.
    monkeypatch.setattr(Scope, "may", lambda self, permission: True)
    client.force_login(make_user(Role.ADMIN))
    assert client.get(_any_address(name)).status_code == 405


@pytest.mark.django_db
def test_the_probes_the_language_switch_and_the_api_serve_no_html_page(client):
    for url in (reverse("healthz"), reverse("readyz"), "/api/v1/", "/api/v1/openapi.json"):
        response = client.get(url)
        assert response["Content-Type"] == "application/json", url
    assert client.get("/api/v1/no-such-endpoint/")["Content-Type"] == "application/json"
    response = client.get(reverse("set_language"), {"next": "/public/"})
    assert response.status_code == 302
