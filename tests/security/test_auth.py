"""Who gets in: a disabled account's token is refused on every API operation, its session
ends; the sixth wrong password locks the log-in; a user with an authenticator app must pass
its code before any staff page, and a wrong or repeated code is refused."""

import re

import pytest
from django.urls import reverse
from django_otp.oath import TOTP

from songmay.accounts.scope import Role
from tests.security.test_api_fuzz import _operations

PASSWORD = "mật-khẩu-đủ-dài-2021"  # make_user's


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def test_a_disabled_users_token_is_refused_everywhere(world, tokens, client):
    officer = world["users"]["province_bn"]
    key = tokens["province_bn"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(reverse("api:list_schools"), **headers).status_code == 200
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    let_in = []
    for method, path in _operations():
        call = getattr(client, method.lower())
        response = (
            call(_path(path), **headers)
            if method == "GET"
            else call(_path(path), data={}, content_type="application/json", **headers)
        )
        if response.status_code != 401 or "khoá" not in response.json()["message"]:
            let_in.append((method, path, response.status_code))
    assert not let_in


def test_a_revoked_or_unknown_token_is_refused(world, tokens, client):
    from songmay.accounts.models import ApiToken
    from songmay.accounts.services import api_token_revoke

    officer = world["users"]["province_bn"]
    token = ApiToken.objects.get(key_hash=ApiToken.hash_key(tokens["province_bn"]))
    api_token_revoke(actor=officer, token=token)
    for key in (tokens["province_bn"], "khong-phai-ma-that", "' OR 1=1 --"):
        response = client.get(reverse("api:list_schools"), HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 401, key
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_disabled_users_session_ends(world, client):
    officer = world["users"]["province_bn"]
    client.force_login(officer)
    assert client.get(reverse("areas:school_list")).status_code == 200
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    response = client.get(reverse("areas:school_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def _log_in(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_the_sixth_failed_log_in_is_locked_out(place, make_user, client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    user = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    for attempt in range(1, 5):
        response = _log_in(client, user.username, f"sai-{attempt}")
        assert response.status_code == 200, attempt  # the form again, with its error
    # The fifth failure uses up the allowance and locks; the sixth attempt finds it locked.
    assert _log_in(client, user.username, "sai-5").status_code == 429
    sixth = _log_in(client, user.username, "sai-6")
    assert sixth.status_code == 429
    assert "Tạm khoá đăng nhập" in sixth.content.decode()
    # Locked means locked: the right password does not open it either.
    assert _log_in(client, user.username, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # The lockout is by account and address: a colleague at the same school still logs in.
    colleague = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    assert _log_in(client, colleague.username, PASSWORD).status_code == 302


def _code(device, offset=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():06d}"


@pytest.fixture
def officer_with_app(place, make_user, settings):
    """An area officer (2FA is not forced on the role) who turned on an authenticator app."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.SONGMAY_REQUIRE_2FA = False
    user = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    device = TOTPDevice.objects.create(user=user, name="Điện thoại", confirmed=True)
    return user, device


def test_a_user_with_an_app_must_pass_its_code_before_a_staff_page(officer_with_app, client):
    user, device = officer_with_app
    staff_page = reverse("students:list")
    assert _log_in(client, user.username, PASSWORD).status_code == 302
    assert client.get(staff_page)["Location"] == reverse("accounts:two_factor")
    # A wrong code is refused, and the pages stay closed.
    wrong = client.post(reverse("accounts:two_factor"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "Mã xác thực không đúng" in wrong.content.decode()
    assert client.get(staff_page).status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    response = client.post(reverse("accounts:two_factor"), {"code": _code(device)})
    assert response.status_code == 302
    assert client.get(staff_page).status_code == 200


def test_guessing_codes_is_throttled(officer_with_app, client):
    user, device = officer_with_app
    _log_in(client, user.username, PASSWORD)
    for guess in ("111111", "222222", "333333"):
        client.post(reverse("accounts:two_factor"), {"code": guess})
    # Right after the wrong guesses, even the right code is refused for a while.
    client.post(reverse("accounts:two_factor"), {"code": _code(device)})
    assert client.get(reverse("students:list")).status_code == 302


def test_a_used_code_cannot_be_replayed(officer_with_app, client):
    user, device = officer_with_app
    code = _code(device)
    _log_in(client, user.username, PASSWORD)
    assert client.post(reverse("accounts:two_factor"), {"code": code}).status_code == 302
    client.logout()
    _log_in(client, user.username, PASSWORD)
    client.post(reverse("accounts:two_factor"), {"code": code})
    assert client.get(reverse("students:list")).status_code == 302


def test_the_code_page_does_not_redirect_to_another_site(officer_with_app, client):
    user, device = officer_with_app
    _log_in(client, user.username, PASSWORD)
    response = client.post(
        reverse("accounts:two_factor") + "?next=https://evil.example/dang-nhap",
        {"code": _code(device)},
    )
    assert response.status_code == 302
    assert not response["Location"].startswith(("http", "//"))
