"""Sweeps over every URL the resolver knows, so a page added tomorrow is tried without anyone
remembering to list it: no unlisted or unnamed pattern, no private page open to an anonymous
visitor, no page open to a donor or an operator that is not meant for them, and no 500 for a
missing object or a hostile query string.

The scoping matrix (tests/test_scoping_matrix.py) gives the objects and the users; a URL it
lists with an object in the scope is tried with that object, any other with made-up values.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from songmay.api.api import not_found as api_not_found
from tests.test_scoping_matrix import EXTRA, LISTS, PERSONAL_OR_FORMS, PUBLIC, SCOPED

MISSING_ID = 987_654_321


def url_patterns(
    resolver: URLResolver | None = None, namespace: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    """(namespaced name or "", pattern) for every pattern, named or not."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else ""), entry


def made_up_kwargs(pattern: URLPattern) -> dict[str, Any]:
    """Values that fit the pattern's converters and name nothing that exists."""
    kwargs: dict[str, Any] = {}
    for name, converter in pattern.pattern.converters.items():  # type: ignore[attr-defined]
        if type(converter).__name__ == "IntConverter":
            kwargs[name] = MISSING_ID
        elif name == "fmt":
            kwargs[name] = "csv"
        else:
            kwargs[name] = "khong-co-99"
    return kwargs


# Every page of the site, API excluded (tested with tokens in test_api_fuzz and test_auth).
PAGES: dict[str, URLPattern] = {}
for _name, _pattern in url_patterns():
    if _name and not _name.startswith("api:"):
        PAGES.setdefault(_name, _pattern)
PRIVATE = sorted(set(PAGES) - PUBLIC)
WITH_IDS = sorted(name for name in PRIVATE if PAGES[name].pattern.converters)  # type: ignore[attr-defined]


def page_url(name: str, world: dict[str, Any] | None = None) -> str:
    if world is not None and name in SCOPED:
        return reverse(name, kwargs=SCOPED[name].kwargs(world))
    return reverse(name, kwargs=made_up_kwargs(PAGES[name]))


def test_every_pattern_is_named_and_listed():
    """The matrix checks named URLs; an unnamed pattern would escape it, so none may exist
    (the API's JSON 404 for unknown addresses is the one exception)."""
    unnamed = [
        str(pattern.pattern)
        for name, pattern in url_patterns()
        if not name and pattern.callback is not api_not_found
    ]
    assert not unnamed, f"Unnamed URL patterns escape the scoping matrix: {unnamed}"
    listed = PUBLIC | set(SCOPED) | set(LISTS) | set(PERSONAL_OR_FORMS) | EXTRA
    assert not sorted({name for name, _ in url_patterns() if name} - listed)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_no_private_page_is_open_to_an_anonymous_visitor(method, client):
    login = reverse("accounts:login")
    open_pages = []
    for name in PRIVATE:
        response = getattr(client, method)(page_url(name))
        sent_to_log_in = response.status_code == 302 and response["Location"].startswith(login)
        if not (sent_to_log_in or response.status_code == 405):
            open_pages.append((name, response.status_code))
    assert not open_pages


def test_no_page_answers_500_for_a_missing_object(world, client):
    """As a system administrator: every id in every address names nothing."""
    client.force_login(world["users"]["admin"])
    wrong = []
    for name in WITH_IDS:
        url = page_url(name)
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            if status not in (403, 404, 405):
                wrong.append((name, method, status))
    assert not wrong


# Who may open which page is the matrix's business; this is the backstop: the pages a donor
# and an operator may open at all. A new page is closed to them unless it is listed here.
OPEN_TO = {
    "donor": {
        "home", "accounts:profile", "accounts:password", "accounts:two_factor",
        "campaigns:list", "campaigns:detail", "dashboards:home", "jobs:list",
        "donations:donor_list", "donations:pledge_list", "donations:donation_list",
    },
    "operator": {
        "home", "accounts:profile", "accounts:password", "accounts:two_factor",
        "campaigns:list", "campaigns:detail", "dashboards:home", "jobs:list",
        "connectivity:dead_spot_list", "connectivity:dead_spot_map",
        "connectivity:dead_spot_detail", "connectivity:dead_spot_evidence",
        "connectivity:support_list", "connectivity:package_list", "connectivity:exchange",
        "connectivity:broadband_list", "connectivity:broadband_edit",
    },
}  # fmt: skip


@pytest.mark.parametrize("role", sorted(OPEN_TO))
def test_donors_and_operators_reach_only_their_own_pages(role, world, client):
    assert OPEN_TO[role] <= set(PAGES), "a page listed in OPEN_TO no longer exists"
    client.force_login(world["users"][role])
    reached = []
    for name in PRIVATE:
        if name in OPEN_TO[role]:
            continue
        # Made-up ids: the matrix tries the real objects; here a page that lets the role in
        # at all shows itself by answering with anything but a refusal.
        status = client.get(page_url(name)).status_code
        if status not in (403, 404, 405):
            reached.append((name, status))
    assert not reached, f"{role} reaches staff pages: {reached}"


# Every parameter the pages read from the query string (grep request.GET), and what an
# attacker or a mangled link puts there: SQL, HTML, digits int() refuses, numbers no
# database column holds, a NUL byte PostgreSQL refuses.
PARAMS = [
    "page", "campaign", "kind", "status", "q", "last", "tier", "show", "review", "pledge",
    "missing", "donor", "area", "ids", "school", "level", "household", "lacking", "action",
    "actor", "since", "until", "operator", "consent", "next",
]  # fmt: skip
HOSTILE = [
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "²",
    "99999999999999999999999",
    "-1",
    "1,99999999999999999999",
    "a\x00b",
]


def _viewer(name: str) -> str:
    if name in SCOPED:
        return SCOPED[name].insider
    if name in LISTS:
        return LISTS[name][0]
    forbidden = PERSONAL_OR_FORMS.get(name, [])
    return next(
        role
        for role in ("province_bn", "school_ln", "area_ln", "admin", "operator", "donor")
        if role not in forbidden
    )


GETTABLE = sorted(
    name
    for name in PRIVATE
    if (name in SCOPED and SCOPED[name].method == "get")
    or name in LISTS
    or name in PERSONAL_OR_FORMS
)


@pytest.mark.parametrize("name", GETTABLE)
def test_hostile_query_strings_never_break_a_page(name, world, client):
    url = page_url(name, world)
    client.force_login(world["users"][_viewer(name)])
    broken = []
    for value in HOSTILE:
        status = client.get(url, dict.fromkeys(PARAMS, value)).status_code
        if status >= 500:
            broken.append((value, status))
    assert not broken
