"""Reads for jobs: a job is seen only by the person who started it (and national admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from songmay.jobs.models import Job, JobQuerySet
from songmay.jobs.progress import progress_apply

if TYPE_CHECKING:
    from songmay.accounts.models import User


def job_list(*, user: User) -> JobQuerySet:
    # The uploaded file and the error list can be large; a list needs neither.
    return Job.objects.visible_to(user).defer("payload", "errors")


def job_get(*, user: User, pk: int) -> Job:
    """A job as its page shows it: while it runs, with its live progress."""
    job = get_object_or_404(Job.objects.visible_to(user).defer("payload"), pk=pk)
    progress_apply([job])
    return job


def jobs_with_progress(jobs: list[Job]) -> list[Job]:
    """`jobs` (a page of `job_list`), the running ones with their live progress."""
    progress_apply(jobs)
    return jobs
