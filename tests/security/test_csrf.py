"""Every page refuses a POST without the anti-forgery token, or with a forged one (403, the
Vietnamese "form expired" page) and writes nothing; the API takes no session cookie at all,
so it needs no token."""

import pytest
from django.apps import apps
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import reverse

from tests.security.test_url_sweep import PAGES, page_url

CSRF_PAGE = "mã chống giả mạo"


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label != "sessions.Session"
    }


@pytest.fixture
def officer_browser(world):
    """A logged-in province officer's browser that checks CSRF as a real one is checked."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["users"]["province_bn"])
    return browser


def test_every_page_refuses_a_post_without_a_token(world, officer_browser):
    # Made-up ids: the token is checked before the view looks anything up.
    urls = {name: page_url(name) for name in sorted(PAGES)}
    before = row_counts()
    accepted = []
    for name, url in urls.items():
        response = officer_browser.post(url, {"name": "Không được ghi"})
        if response.status_code != 403 or CSRF_PAGE not in response.content.decode():
            accepted.append((name, response.status_code))
    assert not accepted
    assert row_counts() == before


def test_every_page_refuses_a_forged_token(world, officer_browser):
    urls = {name: page_url(name) for name in sorted(PAGES)}
    officer_browser.cookies["csrftoken"] = _get_new_csrf_string()
    before = row_counts()
    accepted = []
    for name, url in urls.items():
        forged = {"csrfmiddlewaretoken": _get_new_csrf_string(), "name": "Không được ghi"}
        response = officer_browser.post(url, forged, HTTP_X_CSRFTOKEN=forged["csrfmiddlewaretoken"])
        if response.status_code != 403 or CSRF_PAGE not in response.content.decode():
            accepted.append((name, response.status_code))
    assert not accepted
    assert row_counts() == before


def test_the_token_of_the_page_lets_the_same_post_through(world, officer_browser):
    """The refusals above are CSRF's: with the token the page gave, the form is accepted."""
    from songmay.accounts.models import ApiToken

    officer_browser.get(reverse("accounts:profile"))
    token = officer_browser.cookies["csrftoken"].value
    response = officer_browser.post(
        reverse("accounts:token_create"), {"name": "Máy chủ trường", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert ApiToken.objects.filter(name="Máy chủ trường").exists()


def test_the_api_ignores_the_session_cookie(world, officer_browser):
    """A page open in the same browser cannot call the API on the user's behalf."""
    response = officer_browser.post(
        reverse("api:create_donor"),
        {"kind": "company", "name": "Giả mạo", "area": "24"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["message"]
    assert officer_browser.get(reverse("api:list_donors")).status_code == 401
