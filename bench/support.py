"""What every benchmark needs: a throw-away database, peak memory, and timing a job the way
a worker runs it. Imports of Django happen inside the functions: a benchmark sets
DATABASE_URL before Django starts."""

from __future__ import annotations

import resource
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def database(url: str | None, name: str) -> tuple[str, str | None]:
    """(DATABASE_URL to use, PostgreSQL server URL to drop the database on afterwards).

    Without `url`, a fresh SQLite file; with one, a fresh PostgreSQL database called `name`
    (each benchmark its own, so two can run at once).
    """
    if not url:
        folder = tempfile.mkdtemp(prefix="songmay-bench-")
        return f"sqlite:///{folder}/bench.sqlite3", None
    import psycopg

    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}")), server


def drop(server: str, name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def peak_mib() -> float:
    """The process's peak resident memory since the last `reset_peak` (Linux: VmHWM)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def reset_peak() -> None:
    """Start measuring the peak afresh (Linux), so an earlier stage is not counted."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass


def run_job(kind: str, admin: Any, params: dict[str, Any], data: bytes) -> tuple[float, Any]:
    """(seconds, finished job) for one job run in this process, as a worker would run it."""
    return job_time(kind, job_create(kind, admin, params, data))


def job_create(kind: str, admin: Any, params: dict[str, Any], data: bytes) -> int:
    """The id of a new job with `data` as its upload; only the id is kept, so the file's bytes
    in memory are those the worker reads, as in a real one."""
    from songmay.jobs.models import Job

    return Job.objects.create(
        kind=kind, created_by=admin, file_name="bench.xlsx", payload=data, params=params
    ).pk


def job_time(kind: str, job_id: int) -> tuple[float, Any]:
    """(seconds, finished job) for running a created job in this process."""
    from songmay.jobs.services import job_run

    started = time.perf_counter()
    finished = job_run(job_id=job_id)
    elapsed = time.perf_counter() - started
    if finished is None:
        raise SystemExit(f"{kind}: the job disappeared")
    return elapsed, finished


def expect(condition: bool, what: object) -> None:
    if not condition:
        raise SystemExit(f"unexpected outcome: {what}")
