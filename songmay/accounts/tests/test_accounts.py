import os
import subprocess
import sys

import pytest
from django.urls import reverse
from django_otp.oath import TOTP

from songmay.accounts.scope import Role
from songmay.accounts.services import UserData, user_create
from songmay.lib.errors import DomainError


def test_passwords_are_hashed_with_argon2():
    from songmay import settings as project_settings  # the tests themselves use a fast hasher

    assert (
        project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    )


@pytest.mark.django_db
def test_argon2_hash_is_stored(place, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = user_create(
        actor=None,
        password="mật-khẩu-đủ-dài-2021",
        data=UserData(
            username="canbo",
            full_name="Cán bộ",
            role=Role.AREA_OFFICER,
            area=place["communes"]["lucngan"],
        ),
    )
    assert user.password.startswith("argon2")


@pytest.mark.django_db
def test_a_role_must_come_with_its_scope(place):
    with pytest.raises(DomainError, match="cần chọn trường"):
        user_create(
            actor=None,
            password="mật-khẩu-đủ-dài-2021",
            data=UserData(username="gv", full_name="Giáo viên", role=Role.SCHOOL_STAFF),
        )


@pytest.mark.django_db
def test_province_officer_cannot_grant_an_account_outside_the_province(place, make_user):
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    with pytest.raises(DomainError, match="ngoài phạm vi"):
        user_create(
            actor=officer,
            password="mật-khẩu-đủ-dài-2021",
            data=UserData(
                username="x",
                full_name="X",
                role=Role.SCHOOL_STAFF,
                school=place["schools"]["phutho"],
            ),
        )


@pytest.mark.django_db
def test_repeated_failed_log_ins_lock_the_account(place, make_user, client, settings):
    user = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": user.username, "password": "sai"})
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": "mật-khẩu-đủ-dài-2021"}
    )
    assert response.status_code == 429
    assert "Tạm khoá đăng nhập" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_correct_password_logs_in(place, make_user, client):
    user = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": "mật-khẩu-đủ-dài-2021"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def _code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@pytest.mark.django_db
def test_two_factor_is_required_for_province_officers_when_configured(
    place, make_user, client, settings
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.SONGMAY_REQUIRE_2FA = True
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    client.force_login(officer)
    assert client.get("/schools/")["Location"] == reverse("accounts:two_factor")
    setup = client.get(reverse("accounts:two_factor"))
    assert "data:image/svg+xml;base64," in setup.content.decode()
    assert 'href="/students/"' not in setup.content.decode()  # no menu leading back here
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert client.post(reverse("accounts:two_factor"), {"code": "000000"}).status_code == 200
    response = client.post(reverse("accounts:two_factor"), {"code": _code(device)})
    assert response.status_code == 302
    assert client.get("/schools/").status_code == 200
    # Next log-in: the password alone no longer opens the pages.
    client.logout()
    client.post(
        reverse("accounts:login"),
        {"username": officer.username, "password": "mật-khẩu-đủ-dài-2021"},
    )
    assert client.get("/schools/")["Location"] == reverse("accounts:two_factor")
    device.refresh_from_db()
    device.last_t = -1
    device.save()
    client.post(reverse("accounts:two_factor"), {"code": _code(device)})
    assert client.get("/schools/").status_code == 200


@pytest.mark.django_db
def test_area_officer_is_not_forced_into_two_factor(place, make_user, client, settings):
    settings.SONGMAY_REQUIRE_2FA = True
    client.force_login(make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"]))
    assert client.get("/schools/").status_code == 200


def test_production_settings_pass_check_deploy():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **env,
        "SONGMAY_ENV": "production",
        "ALLOWED_HOSTS": "songmay.example.vn",
        "SECRET_KEY": "k" * 20 + "production-secret-for-the-deploy-check-0123456789",
    }
    result = subprocess.run(
        [sys.executable, "-m", "songmay.cli", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_pages_carry_security_headers(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_interface_is_vietnamese_even_for_an_english_browser_and_english_on_request(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="vi"' in page.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    english = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in english
    assert "Log in" in english
    assert "Skip to main content" in english


@pytest.mark.django_db
def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_create_admin_makes_an_audited_admin_and_refuses_a_weak_password(monkeypatch):
    from django.core.management import CommandError, call_command

    from songmay.accounts.models import User
    from songmay.audit.models import AuditEntry

    monkeypatch.setenv("SONGMAY_ADMIN_PASSWORD", "12345678")
    with pytest.raises(CommandError, match=r"Mật khẩu này|This password"):
        call_command("create_admin", "quantri")
    assert not User.objects.filter(username="quantri").exists()
    monkeypatch.setenv("SONGMAY_ADMIN_PASSWORD", "một-mật-khẩu-đủ-dài")
    call_command("create_admin", "quantri")
    admin = User.objects.get(username="quantri")
    assert admin.role == Role.ADMIN
    assert AuditEntry.objects.filter(action="user.created", target_id=str(admin.pk)).exists()


@pytest.mark.django_db
def test_the_menu_marks_the_current_section_in_the_language_chosen(client, make_user, place):
    client.force_login(make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"]))
    page = client.get("/students/duplicates/").content.decode()
    assert '<a href="/students/duplicates/" aria-current="page">Hồ sơ trùng</a>' in page
    assert '<a href="/students/">Học sinh</a>' in page  # the longest matching address only
    assert "Cán bộ Sở GD&amp;ĐT" in page  # the role, beside the name
    # The switch names the other language in that language.
    assert 'lang="en">English</button>' in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/students/"})
    english = client.get("/students/").content.decode()
    assert '<a href="/students/" aria-current="page">Pupils</a>' in english
    assert 'lang="vi">Tiếng Việt</button>' in english


@pytest.mark.django_db
def test_school_staff_see_only_their_entries_in_the_menu(client, make_user, place):
    staff = make_user(Role.SCHOOL_STAFF, school=place["schools"]["lucngan"])
    client.force_login(staff)
    page = client.get("/").content.decode()
    assert 'href="/students/"' in page
    assert 'href="/accounts/users/"' not in page
    assert 'href="/audit/"' not in page
