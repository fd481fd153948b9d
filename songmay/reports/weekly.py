"""The weekly report: each campaign's focal points (its contacts with an e-mail address) get a
short summary of the figures, with the report's xlsx attached.

`songmay send_weekly_report` (from cron) and the `send_weekly_reports` task both call
`weekly_reports_send`. Sending mail writes nothing, so there is no audit entry; the mail log
of the server keeps what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.mail import EmailMessage
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from songmay.campaigns.models import Campaign, Contact
from songmay.lib.charts import format_number, format_percent
from songmay.lib.money import format_vnd
from songmay.reports.exports import (
    XLSX,
    as_of,
    campaign_report,
    forecast_text,
    report_filename,
    report_xlsx,
)


@dataclass(frozen=True)
class Sent:
    campaign: Campaign
    recipients: list[str]  # empty: the campaign has no contact with an e-mail address


def focal_point_emails(campaign: Campaign) -> list[str]:
    addresses = Contact.objects.filter(campaign=campaign).values_list("email", flat=True)
    return sorted({email.strip().lower() for email in addresses if email and email.strip()})


def weekly_report_send(*, campaign: Campaign) -> Sent:
    """E-mail the campaign's focal points this week's summary, with the xlsx attached."""
    recipients = focal_point_emails(campaign)
    if not recipients:
        return Sent(campaign, [])
    report = campaign_report(campaign=campaign)
    f = report.figures
    filename = report_filename(report, "xlsx")
    context = {
        "report": report,
        "as_of": as_of(report),
        "pupils_in_need": format_number(f.pupils_in_need),
        "needing_device": format_number(f.needing_device),
        "equipped": format_number(f.equipped_total),
        "equipped_percent": format_percent(f.equipped_total, f.needing_device),
        "still_lacking": format_number(f.still_lacking_device),
        "money_received": format_vnd(report.money_received),
        "money_spent": format_vnd(report.money_spent),
        "forecast": forecast_text(report),
        "devices_needed": format_number(sum(report.shortfall.devices.values())),
        "cost_needed": format_vnd(report.shortfall.cost),
        "filename": filename,
    }
    day = timezone.localtime(report.computed_at)
    message = EmailMessage(
        subject=f"Báo cáo tuần {day:%d/%m/%Y}: {campaign.name}",
        body=render_to_string("emails/weekly_report.txt", context),
        to=recipients,
    )
    message.attach(filename, report_xlsx(report), XLSX)
    message.send()
    return Sent(campaign, recipients)


def weekly_campaigns(campaign: Campaign | None = None) -> QuerySet[Campaign]:
    """The campaigns that get the weekly report: those with a focal point to write to."""
    campaigns = Campaign.objects.select_related("area").order_by("pk")
    if campaign is not None:
        return campaigns.filter(pk=campaign.pk)
    return campaigns.filter(contacts__email__gt="").distinct()


def weekly_reports_send(*, campaign: Campaign | None = None) -> list[Sent]:
    """The weekly report of one campaign, or of every campaign with a focal point's e-mail."""
    return [weekly_report_send(campaign=c) for c in weekly_campaigns(campaign)]
