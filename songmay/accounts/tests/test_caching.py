"""A logged-in request reads its user and second-factor device from the shared cache, and
every change to them, or to the user's area or school, is seen on the next request."""

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from songmay.accounts.scope import Role
from songmay.accounts.services import UserData, user_set_password, user_update

pytestmark = pytest.mark.django_db
PAGE = "/schools/"


@pytest.fixture(autouse=True)
def shared_cache(settings):
    # The tests' cache lives in this one process, so it is as shared as Redis is in production.
    settings.SONGMAY_SHARED_CACHE = True


@pytest.fixture
def officer(place, make_user, client, settings):
    """A province officer logged in with a confirmed authenticator (2FA required)."""
    settings.SONGMAY_REQUIRE_2FA = True
    user = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    device = TOTPDevice.objects.create(user=user, name="Ứng dụng xác thực", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(PAGE).status_code == 200  # fills the cache
    return user


def _tables(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE)
    assert response.status_code == 200
    return " ".join(query["sql"] for query in queries.captured_queries)


def test_the_user_and_the_device_come_from_the_cache(officer, client):
    sql = _tables(client)
    assert '"accounts_user"' not in sql
    assert '"otp_totp_totpdevice"' not in sql
    assert '"areas_area"."path" = ' not in sql  # the scope's area came with the user


def test_the_user_and_the_device_take_one_round_trip_to_the_cache(officer, client, monkeypatch):
    user_key = f"songmay:auth:user:{officer.pk}"
    device_key = f"songmay:auth:device:{client.session[DEVICE_ID_SESSION_KEY]}"
    reads = []
    get_many = cache.get_many
    monkeypatch.setattr(
        caches["default"], "get_many", lambda keys: reads.append(keys) or get_many(keys)
    )
    assert client.get(PAGE).status_code == 200
    auth_reads = [keys for keys in reads if user_key in keys or device_key in keys]
    assert auth_reads == [["songmay:auth-generation", user_key, device_key]]


def test_the_cached_device_holds_no_secret(officer, client):
    device = TOTPDevice.objects.get(user=officer)
    _generation, cached = cache.get(f"songmay:auth:device:{device.persistent_id}")
    assert "key" in cached.get_deferred_fields()
    assert cached.confirmed and cached.user_id == officer.pk


def test_a_disabled_user_is_logged_out_on_the_next_request(officer, client, place):
    data = UserData(username=officer.username, full_name=officer.full_name,
                    role=officer.role, area=place["bac_ninh"], is_active=False)  # fmt: skip
    user_update(actor=None, user=officer, data=data)
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_new_password_ends_the_other_sessions(officer, client):
    user_set_password(actor=None, user=officer, password="một-mật-khẩu-mới-2026")
    assert client.get(PAGE)["Location"].startswith(reverse("accounts:login"))


def test_a_removed_authenticator_asks_for_the_second_factor_again(officer, client):
    TOTPDevice.objects.filter(user=officer).delete()
    assert client.get(PAGE)["Location"] == reverse("accounts:two_factor")


def test_a_moved_user_sees_the_new_scope(officer, client, place):
    lucngan = place["communes"]["lucngan"]
    data = UserData(username=officer.username, full_name=officer.full_name,
                    role=Role.AREA_OFFICER, area=lucngan)  # fmt: skip
    user_update(actor=None, user=officer, data=data)
    assert lucngan.name in client.get(PAGE).content.decode()
    lucngan.name = "Xã Lục Ngạn Mới"
    lucngan.save()
    assert "Xã Lục Ngạn Mới" in client.get(PAGE).content.decode()
