"""Production settings: readiness, JSON request logs, `check --deploy`, gunicorn, replica."""

import json
import logging
import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from songmay import views
from songmay.ops import routers
from songmay.ops.logs import JsonFormatter

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_ENV = {
    "SONGMAY_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "songmay.example.vn",
    "DATABASE_URL": "sqlite:////tmp/songmay-check-deploy.sqlite3",
}


def _songmay(*args, **env):
    # The test run's own switches (conftest allows async-unsafe ORM calls) are not production's.
    drop = ("DEBUG", "DATABASE_REPLICA_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "songmay.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_check_deploy_is_clean_with_the_production_environment():
    done = _songmay("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_production_serves_hashed_compressed_static_files_and_logs_json():
    code = (
        "from django.conf import settings as s; print(s.STORAGES['staticfiles']['BACKEND'],"
        " s.LOGGING['handlers']['console']['formatter'], s.SECURE_PROXY_SSL_HEADER,"
        " s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE)"
    )
    done = _songmay("shell", "--no-imports", "-c", code, **PRODUCTION_ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "json",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "31536000",
        "True",
    ]


def test_the_development_settings_keep_plain_static_files(settings):
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    assert backend == "django.contrib.staticfiles.storage.StaticFilesStorage"


@pytest.mark.django_db
def test_readyz_is_ready_when_database_schema_and_cache_answer(client):
    views._migrated = False
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.django_db
def test_readyz_is_not_ready_while_migrations_are_pending(client, monkeypatch):
    monkeypatch.setattr(views, "_unapplied_migrations", lambda: 3)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "migrations pending", "unapplied": 3}


@pytest.mark.django_db
def test_readyz_is_not_ready_without_the_cache(client, monkeypatch):
    class Unreachable:
        def set(self, *args, **kwargs):
            raise ConnectionError("cache down")

    monkeypatch.setattr(views, "cache", Unreachable())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "cache unreachable"}


@pytest.mark.django_db
def test_readyz_is_not_ready_without_the_database(client, monkeypatch):
    def broken():
        raise connection.Database.OperationalError("down")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "database unreachable"}


@pytest.mark.django_db
def test_each_request_logs_one_json_line_without_personal_data(client, make_user, caplog):
    from songmay.accounts.scope import Role

    user = make_user(Role.AUDITOR)
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="songmay.request"):
        client.get("/healthz?q=Nguyễn Văn An&phone=0981234561")
    records = [record for record in caplog.records if record.name == "songmay.request"]
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["method"] == "GET" and entry["path"] == "/healthz"
    assert entry["status"] == 200 and entry["user_id"] == user.pk
    assert isinstance(entry["duration_ms"], float) and entry["level"] == "INFO"
    assert "Nguyễn" not in line and "0981234561" not in line


def test_an_error_is_logged_as_json_with_its_traceback():
    logger = logging.getLogger("songmay.test")
    try:
        raise ValueError("hỏng")
    except ValueError:
        record = logger.makeRecord(
            "songmay.test", logging.ERROR, __file__, 1, "lỗi %s", ("x",), sys.exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "lỗi x" and entry["level"] == "ERROR"
    assert "ValueError: hỏng" in entry["exception"]


def test_gunicorn_takes_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["workers"] == 3
    assert config["accesslog"] is None and config["timeout"] == 60
    monkeypatch.delenv("WEB_CONCURRENCY")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["workers"] == 2 * (os.cpu_count() or 1) + 1


def test_a_replica_url_adds_a_mirrored_replica_and_its_router():
    code = (
        "from django.conf import settings as s; r = s.DATABASES['replica'];"
        " print(r['NAME'], r['TEST']['MIRROR'], s.DATABASE_ROUTERS[0])"
    )
    done = _songmay(
        "shell",
        "--no-imports",
        "-c",
        code,
        DATABASE_REPLICA_URL="postgres://reader@10.0.0.2:5432/songmay",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["songmay", "default", "songmay.ops.routers.ReplicaRouter"]
    done = _songmay(
        "shell", "--no-imports", "-c", "from django.conf import settings as s; print(s.DATABASES)"
    )
    assert "replica" not in done.stdout


def test_only_reads_asked_for_go_to_the_replica(monkeypatch):
    router = routers.ReplicaRouter()
    monkeypatch.setattr(routers, "replica_configured", lambda: True)
    assert router.db_for_read(object) is None
    with routers.read_replica():
        assert router.db_for_read(object) == "replica"
        assert router.db_for_write(object) == "default"

    @routers.use_replica
    def dashboard():
        return router.db_for_read(object)

    assert dashboard() == "replica"
    assert router.allow_migrate("replica", "students") is False
    assert router.allow_migrate("default", "students") is True
    monkeypatch.setattr(routers, "replica_configured", lambda: False)
    with routers.read_replica():
        assert router.db_for_read(object) is None


def test_web_processes_share_the_cache_named_by_songmay_cache_url():
    """Two processes with SONGMAY_CACHE_URL see one cache: figures computed by one are the other's,
    and a write noted by one makes the other's figures stale (audit.freshness)."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("Redis is not answering on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379")
    env = {"SONGMAY_CACHE_URL": "redis://127.0.0.1:6379/15", "DATABASE_URL": "sqlite://"}
    key = f"test-{secrets.token_hex(4)}"
    write = (
        "from django.core.cache import cache; from songmay.audit.freshness import DATA;"
        f"from django.core.cache import caches; from django.conf import settings;"
        "print(type(caches['default']).__name__, settings.SESSION_ENGINE);"
        f"cache.set('{key}', 42, 30); DATA.bump()"
    )
    read = (
        "from django.core.cache import cache; from songmay.audit.freshness import DATA;"
        f"print(cache.get('{key}'), cache.get(DATA.key) > 0); cache.delete('{key}')"
    )
    first = _songmay("shell", "--no-imports", "-c", write, **env)
    second = _songmay("shell", "--no-imports", "-c", read, **env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == ["RedisCache", "django.contrib.sessions.backends.cached_db"]
    assert second.stdout.split() == ["42", "True"], second.stderr
