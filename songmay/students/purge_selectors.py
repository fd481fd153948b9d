"""What `personal_data_purge` would do to a campaign: read-only, for the dry run and the check.

A pupil is purged with the campaign only when no campaign still running needs the pupil: a
child registered again in phase 2 of another drive keeps its name until that one ends too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Q
from django.utils import timezone

from songmay.allocation.models import Handover
from songmay.campaigns.models import Campaign
from songmay.connectivity.models import BroadbandRequest, ConnectivitySupport
from songmay.pool.models import Loan
from songmay.students.models import Need, Student, StudentQuerySet


def campaign_ends_on(campaign: Campaign) -> dt.date | None:
    """The last day of the campaign's last phase; None while it has no phase."""
    return campaign.phases.aggregate(last=Max("ends_on"))["last"]


def running_campaign_ids(today: dt.date) -> set[int]:
    """Campaigns not yet over: a phase ends today or later, or no phase has dates at all."""
    return set(
        Campaign.objects.annotate(last=Max("phases__ends_on"))
        .filter(Q(last__isnull=True) | Q(last__gte=today))
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class PurgePlan:
    campaign: Campaign
    ends_on: dt.date | None
    ended: bool
    # Pupils whose personal data goes (with the records merged into them), as a query: a
    # national campaign has a million and a half.
    students: StudentQuerySet
    count: int
    # Pupils of the campaign kept because a running campaign still needs them.
    kept: int
    # Of `students`, those that still hold a name or any other personal field.
    still_personal: int
    handovers: int
    scans: int
    data_supports: int
    broadband_requests: int
    loans: int


def pseudonym(student_id: int) -> str:
    """The name a purged pupil keeps: its record number, nothing else."""
    return f"{PSEUDONYM_PREFIX}{student_id}"


PSEUDONYM_PREFIX = "Học sinh #"


def purge_plan(*, campaign: Campaign, today: dt.date | None = None) -> PurgePlan:
    """Which pupils of `campaign` would be purged, how many are kept, and what they hold."""
    today = today or timezone.localdate()
    ends_on = campaign_ends_on(campaign)
    running = running_campaign_ids(today) - {campaign.pk}
    direct = Need.objects.filter(campaign=campaign).values("student_id")
    needed = Need.objects.filter(campaign_id__in=running).values("student_id")
    # A merged record and the record it was merged into are one child: kept together.
    kept = (
        Q(pk__in=needed)
        | Q(merged_into_id__in=needed)
        | Q(
            pk__in=Student.objects.filter(pk__in=needed, merged_into__isnull=False).values(
                "merged_into_id"
            )
        )
    )
    candidates = Student.objects.filter(Q(pk__in=direct) | Q(merged_into_id__in=direct))
    students = candidates.exclude(kept)
    personal = students.exclude(
        full_name__startswith=PSEUDONYM_PREFIX,
        date_of_birth__isnull=True,
        personal_id="",
        guardian_name="",
        guardian_phone="",
        village="",
    )
    ids = students.values("pk")
    handovers = Handover.objects.filter(assignment__student_id__in=ids)
    return PurgePlan(
        campaign=campaign,
        ends_on=ends_on,
        ended=ends_on is not None and ends_on < today,
        students=students,
        count=students.count(),
        kept=Student.objects.filter(pk__in=direct).filter(kept).count(),
        still_personal=personal.count(),
        handovers=handovers.count(),
        scans=handovers.exclude(scan="").count(),
        data_supports=ConnectivitySupport.objects.filter(need__student_id__in=ids).count(),
        broadband_requests=BroadbandRequest.objects.filter(need__student_id__in=ids).count(),
        loans=Loan.objects.filter(need__student_id__in=ids).count(),
    )


def purge_refusal(plan: PurgePlan) -> str | None:
    """Why the purge must wait (the campaign is not over), or None."""
    if plan.ended:
        return None
    if plan.ends_on is None:
        return (
            f"Chương trình “{plan.campaign}” chưa có giai đoạn nào nên chưa biết ngày kết thúc;"
            " hãy nhập các giai đoạn trước khi xoá dữ liệu cá nhân."
        )
    return (
        f"Chương trình “{plan.campaign}” chưa kết thúc (giai đoạn cuối đến hết ngày "
        f"{plan.ends_on:%d/%m/%Y}); chỉ xoá dữ liệu cá nhân sau ngày đó, hoặc thêm --force."
    )
