"""Background tasks for long jobs; a worker (`songmay db_worker`) runs them."""

from django_tasks import task

from songmay.jobs.services import job_run


@task()
def run_job(job_id: int) -> None:
    """Run job `job_id` (see `JOB_KINDS`); enqueued again, a job left running starts over."""
    job_run(job_id=job_id)
