"""Background work of the pool: the overdue reminders and the mail the loans send.

`remind_overdue_loans` is meant to be enqueued once a day (or run as `songmay pool remind`
from cron); the service itself keeps each school to one reminder per
`SONGMAY_LOAN_REMINDER_DAYS` days, so running it more often does no harm.
"""

from django.core.mail import send_mail
from django_tasks import task

from songmay.pool import services


@task()
def remind_overdue_loans() -> int:
    """E-mail the schools whose loans are overdue; returns how many were reminded."""
    return services.remind_overdue()


@task()
def send_pool_mail(*, subject: str, body: str, recipients: list[str]) -> int:
    """Send one message about loans or a recall (queued after the transaction commits)."""
    return send_mail(subject, body, None, recipients)
