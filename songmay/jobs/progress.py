"""How far a running job has got, kept in a cache every web and worker process shares.

Not in the job's row: an import writes in one transaction, all or nothing, and a row updated
inside it stays unseen (and locked) until the end, while SQLite lets no other connection
write beside it at all. The row gets the final figures when the job ends (`job_run`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.cache import caches

from songmay.jobs.models import Job, JobStatus

logger = logging.getLogger(__name__)

# settings.CACHES["jobs"]: the shared Redis cache when there is one, else a folder.
CACHE = "jobs"
# A job's entry is deleted when it ends; this only bounds what a killed worker leaves behind.
TIMEOUT = 7 * 24 * 3600


def progress_key(job: Job) -> str:
    # The creation time too: two databases (a benchmark's and the site's) may share the cache,
    # and each has its job #1.
    return f"job-progress:{job.pk}:{job.created_at.timestamp():.6f}"


class JobProgress:
    """Given to a runner: `progress(done, total)` after each step, `progress.phase(text)`.

    Updates are thinned to about one per percent. A cache that is down costs the progress
    bar, never the job.
    """

    def __init__(self, job: Job) -> None:
        self.key = progress_key(job)
        self.done = self.total = 0
        self.text = ""
        self._written = -1

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = min(done, total), total
        step = max(1, total // 100)
        if done >= total or self._written < 0 or done - self._written >= step:
            self._write()
            self._written = done

    def phase(self, text: str) -> None:
        self.text = text
        self._write()

    def _write(self) -> None:
        value = {"done": self.done, "total": self.total, "phase": self.text}
        try:
            caches[CACHE].set(self.key, value, TIMEOUT)
        except Exception:  # whatever the cache backend raises
            logger.warning("Progress of %s not recorded", self.key, exc_info=True)


def progress_clear(job: Job) -> None:
    """Forget a job's progress: it starts over, or its row now holds the final figures."""
    try:
        caches[CACHE].delete(progress_key(job))
    except Exception:
        logger.warning("Progress of job %s not cleared", job.pk, exc_info=True)


def progress_apply(jobs: Iterable[Job]) -> None:
    """Give the running ones among `jobs` their live progress (`done`, `total`, the phase in
    `summary`), as a page shows it; the others keep what their row holds."""
    running = {progress_key(job): job for job in jobs if job.status == JobStatus.RUNNING}
    if not running:
        return
    try:
        found: dict[str, Any] = caches[CACHE].get_many(list(running))
    except Exception:
        logger.warning("Progress of running jobs not read", exc_info=True)
        return
    for key, value in found.items():
        job = running[key]
        job.done, job.total = value["done"], value["total"]
        if value["phase"]:
            job.summary = {**(job.summary or {}), "phase": value["phase"]}
