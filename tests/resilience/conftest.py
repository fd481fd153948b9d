"""Resilience tests run real processes (workers, clients) against a real PostgreSQL.

They need a database another process can open: PostgreSQL. On SQLite the test database lives
in this process's memory, so those tests skip. The restart test brings up a PostgreSQL server
of its own (`private_postgres`), which it may restart without disturbing anyone sharing the
suite's server. They are marked `slow` (one to two minutes together) and still run in the normal
suite; `-m "not slow"` leaves them out.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


def child_env(app_name: str, *, url: str | None = None) -> dict[str, str]:
    """The environment of a child process: the test database (or the database at `url`), the
    database task backend, the test's folder for jobs' progress, and an application_name
    (libpq's PGAPPNAME) that tells its connections apart."""
    from django.conf import settings

    environ = {**os.environ}
    environ.pop("SONGMAY_CACHE_URL", None)  # progress goes to the folder this test reads
    return {
        **environ,
        "SONGMAY_PROGRESS_DIR": settings.CACHES["jobs"]["LOCATION"],
        "DATABASE_URL": url or database_url(),
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


def _postgres_bin_dir() -> Path | None:
    """Where the server's programs (initdb, pg_ctl) are: pg_config's answer, else the newest
    of Debian's /usr/lib/postgresql/<version>/bin."""
    candidates = []
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run(  # noqa: S603 - the pg_config on PATH, no input of ours
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        candidates.append(Path(found.stdout.strip()))
    versions = [
        bin_dir
        for bin_dir in Path("/usr/lib/postgresql").glob("*/bin")
        if bin_dir.parent.name.isdigit()
    ]
    candidates += sorted(versions, key=lambda bin_dir: int(bin_dir.parent.name), reverse=True)
    return next((bin_dir for bin_dir in candidates if (bin_dir / "initdb").exists()), None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    """A throwaway PostgreSQL server: its own data directory, port and log."""

    bin_dir: Path
    root: Path
    port: int
    run_as: list[str]  # `runuser -u postgres --` when we are root: the server refuses root

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, dbname: str = "songmay") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def run(self, program: str, *args: str) -> None:
        """Run one of the server's programs as the server's user; fail with its output."""
        done = subprocess.run(  # noqa: S603 - PostgreSQL's own programs, our arguments
            [*self.run_as, str(self.bin_dir / program), *args],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        if done.returncode:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            pytest.fail(f"{program} {' '.join(args)}: {done.stdout}{done.stderr}\n{log}")

    def pg_ctl(self, action: str, *args: str) -> None:
        self.run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", *args)

    def restart(self, mode: str) -> None:
        """Restart the server for real. `immediate` is a crash: no shutdown checkpoint, so
        the server replays its write-ahead log on start; `fast` is a clean shutdown that
        aborts open transactions."""
        self.pg_ctl("restart", "-m", mode)


@pytest.fixture
def private_postgres() -> Iterator[Cluster]:
    """A PostgreSQL server of the test's own on 127.0.0.1, with an empty `songmay` database:
    restarting it disturbs no one, unlike the server the suite shares. Stopped and deleted at
    the end, whatever happened. Durable as in production: fsync and synchronous_commit on."""
    if connection.vendor != "postgresql":
        pytest.skip("runs in the suite's PostgreSQL run; the SQLite run would only repeat it")
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("needs PostgreSQL's server programs (initdb, pg_ctl) on this machine")
    run_as: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and no `postgres` user to run the server as")
        run_as = ["runuser", "-u", "postgres", "--"]
    # Short and world-traversable (pytest's tmp_path is neither): the server's user must reach
    # it, and a unix socket's path is limited to about 100 bytes.
    root = Path(tempfile.mkdtemp(prefix="songmay-pg-"))
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(bin_dir=bin_dir, root=root, port=_free_port(), run_as=run_as)
    try:
        cluster.run(
            "initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        with (cluster.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                f"port = {cluster.port}\n"
                f"unix_socket_directories = '{root}'\n"
                "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
                # No timed checkpoint during a test: what committed since the last restart
                # is then in the write-ahead log only, for a crash to replay.
                "checkpoint_timeout = '1h'\nmax_connections = 30\n"
            )
        cluster.pg_ctl("start")
        cluster.run("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                    "songmay")  # fmt: skip
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            subprocess.run(  # noqa: S603 - PostgreSQL's own pg_ctl on our data directory
                [*run_as, str(bin_dir / "pg_ctl"), "stop", "-D", str(cluster.data), "-m",
                 "immediate", "-w"],
                capture_output=True, check=False, timeout=60,
            )  # fmt: skip
        if cluster.log.exists():  # shown by pytest when the test failed
            print(cluster.log.read_text(errors="replace")[-6000:])
        shutil.rmtree(root)
