"""Shared test fixtures: official areas, the demo data and one user per role and place."""

import os

import pytest
from hypothesis import settings as hypothesis_settings

# No timing assertion in a test, Hypothesis's per-example deadline included: CI machines are
# shared, and a slow example is not a wrong one.
hypothesis_settings.register_profile("songmay", deadline=None)
hypothesis_settings.load_profile("songmay")

# Playwright runs its own event loop in the test thread; Django's async guard would refuse
# the ORM calls the tests make beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Cached figures are keyed by campaign id, which a rolled-back test hands to the next one.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Uploaded scans land in the test's own folder, never in the working tree.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _private_job_progress(settings, tmp_path):
    # Jobs' progress goes to the test's own folder, as it goes to one folder shared by the
    # processes of a machine without Redis; a worker process the test starts is given it too.
    settings.CACHES = {
        **settings.CACHES,
        "jobs": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "progress"),
        },
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (see test_security); tests need speed, not strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the 3,355 official areas once per run; each test's transaction rolls back above it."""
    from songmay.areas.services import areas_load_official

    with django_db_blocker.unblock():
        areas_load_official(actor=None)


@pytest.fixture
def areas(db):
    """The official 34 provinces and their communes, loaded through the real service."""
    from songmay.areas.models import Area
    from songmay.areas.services import areas_load_official

    if not Area.objects.filter(code="24").exists():  # a browser test flushed the database
        areas_load_official(actor=None)


@pytest.fixture
def demo(areas):
    """The demo campaigns, schools and one log-in per role."""
    from songmay.campaigns.demo import load_demo

    return {login.username: login for login in load_demo(students=False)}


@pytest.fixture
def make_user(db):
    """make_user(role, **scope) -> a saved user made through the real service."""
    from songmay.accounts.services import UserData, user_create

    counter = iter(range(10_000))

    def make(role, **scope):
        data = UserData(
            username=f"u{next(counter)}-{role}", full_name=f"Người dùng {role}", role=role, **scope
        )
        return user_create(actor=None, data=data, password="mật-khẩu-đủ-dài-2021")

    return make


@pytest.fixture
def place(areas):
    """Two communes in Bắc Ninh and one in Phú Thọ, with a school each."""
    from songmay.areas.models import Area
    from songmay.areas.services import SchoolData, school_create

    communes = {
        "lucngan": Area.objects.get(code="07582"),
        "sondong": Area.objects.get(code="07615"),
        "phutho": Area.objects.filter(parent__code="25").order_by("code").first(),
    }
    schools = {
        key: school_create(
            actor=None,
            data=SchoolData(
                code=f"T-{area.code}",
                name=f"Trường Tiểu học {area.name}",
                area=area,
                levels=["primary"],
            ),
        )
        for key, area in communes.items()
    }
    return {
        "bac_ninh": Area.objects.get(code="24"),
        "phu_tho": Area.objects.get(code="25"),
        "communes": communes,
        "schools": schools,
    }
