"""A pupil import writes in one transaction, all or nothing; its progress must not wait for
the commit. The job's page reads it on a connection of its own (another process in real life,
another thread here), as the rows are checked and written."""

import threading

import pytest
from django.db import connection, connections

from songmay.accounts.scope import Role
from songmay.campaigns.services import CampaignData, campaign_create
from songmay.jobs import selectors
from songmay.jobs.models import Job, JobStatus
from songmay.jobs.services import job_start
from songmay.lib.tests import builders
from songmay.students.importing import writing
from songmay.students.models import Need
from songmay.students.tests.test_importing import ROWS

pytestmark = pytest.mark.django_db(transaction=True)


def elsewhere(read):
    """What `read()` returns on a database connection of its own."""
    found = []

    def target():
        try:
            found.append(read())
        except Exception as error:  # handed to the test's thread
            found.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    if isinstance(found[0], Exception):
        raise found[0]
    return found[0]


def test_the_job_page_shows_an_imports_progress_before_it_commits(place, make_user, monkeypatch):
    school = place["schools"]["lucngan"]
    staff = make_user(Role.SCHOOL_STAFF, school=school)
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em", area=place["bac_ninh"])
    )
    seen = []
    finish = writing._Writer.finish

    def finish_watched(self, file_name):
        # Every row is checked and the new pupils written, but nothing is committed yet.
        assert connection.in_atomic_block
        job = Job.objects.get(kind="students.import")
        seen.append(elsewhere(lambda: selectors.job_get(user=staff, pk=job.pk)))
        return finish(self, file_name)

    monkeypatch.setattr(writing._Writer, "finish", finish_watched)

    # Committed at once, the job runs (the immediate task backend) as a worker would run it.
    job = job_start(
        actor=staff, kind="students.import", file_name="ds.xlsx", payload=builders.xlsx(ROWS),
        params={"campaign": campaign.pk, "school": school.pk},
    )  # fmt: skip

    [during] = seen
    assert during.status == JobStatus.RUNNING
    assert (during.done, during.total, during.percent) == (3, 3, 100)
    assert during.summary["phase"] == "Đang kiểm tra và ghi từng dòng"
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 3, 3)
    assert Need.objects.filter(campaign=campaign).count() == 3
