"""Background work of the reports: the weekly e-mail to each campaign's focal points.

`send_weekly_reports` is meant to be enqueued once a week (or run as
`songmay send_weekly_report` from cron).
"""

from django_tasks import task

from songmay.campaigns.models import Campaign
from songmay.reports.weekly import weekly_reports_send


@task()
def send_weekly_reports(campaign_id: int | None = None) -> int:
    """E-mail the weekly report of one campaign, or of all; returns how many messages went."""
    campaign = Campaign.objects.filter(pk=campaign_id).first() if campaign_id else None
    if campaign_id and campaign is None:
        return 0
    return sum(1 for sent in weekly_reports_send(campaign=campaign) if sent.recipients)
