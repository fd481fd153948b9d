"""Resilience tests run real processes (workers, clients) against the test database.

They need a database another process can open: PostgreSQL. On SQLite the test database lives
in this process's memory, so those tests skip. They are marked `slow` (about a minute
together) and still run in the normal suite; `-m "not slow"` leaves them out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SONGMAY = str(Path(sys.executable).with_name("songmay"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: runs real worker or client processes for several seconds"
    )


@pytest.fixture
def postgres():
    """Skip on SQLite: the in-memory test database cannot be shared with another process."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: other processes must open the same test database")


@pytest.fixture
def database_tasks(settings):
    """Queue tasks in the database, as in production, for a real `db_worker` to pick up."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def database_url() -> str:
    """The URL of the test database this test runs on (the connection's NAME, not the
    configured one), for a child process."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def child_env(app_name: str) -> dict[str, str]:
    """The environment of a child process: the test database, the database task backend,
    the test's folder for jobs' progress, and an application_name (libpq's PGAPPNAME) that
    tells its connections apart."""
    from django.conf import settings

    environ = {**os.environ}
    environ.pop("SONGMAY_CACHE_URL", None)  # progress goes to the folder this test reads
    return {
        **environ,
        "SONGMAY_PROGRESS_DIR": settings.CACHES["jobs"]["LOCATION"],
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "songmay.settings",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DEBUG": "false",
        "PYTHONPATH": str(ROOT),
        "PGAPPNAME": app_name,
    }


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll `condition` every 20 ms until it returns something true; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def backends(app_name: str) -> list[int]:
    """The server processes of this test database's connections opened by `app_name`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = %s AND pid <> pg_backend_pid()",
            [app_name],
        )
        return [pid for (pid,) in cursor.fetchall()]


def holds_write_lock(app_name: str, table: str) -> bool:
    """Whether a connection of `app_name` has written to `table` in its open transaction
    (it holds ROW EXCLUSIVE on it until it commits or rolls back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE a.datname = current_database() AND a.application_name = %s"
            " AND l.relation = %s::regclass AND l.mode = 'RowExclusiveLock' AND l.granted",
            [app_name, table],
        )
        return cursor.fetchone() is not None


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    """Children started by a test; any still alive at its end are killed, so none outlives it."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
