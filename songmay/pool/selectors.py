"""Reads for the pool's loans, repairs, write-offs and recalls, always through the user's scope.

A loan belongs to its borrowing school (a pupil's loan: the pupil's school); whoever may see
that school sees the loan. A recall is seen through the loans it asks back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from songmay.areas.models import School
from songmay.inventory.models import Device, DeviceStatus
from songmay.pool.models import (
    Loan,
    LoanStatus,
    Recall,
    RecallAnswer,
    RecallItem,
    WriteOff,
    WriteOffStatus,
)

if TYPE_CHECKING:
    from songmay.accounts.models import User


def _loans(user: User) -> QuerySet[Loan]:
    if user.scope.is_national:
        return Loan.objects.all()
    schools = School.objects.visible_to(user).values("pk")
    return Loan.objects.filter(Q(school__in=schools) | Q(need__school__in=schools))


def loan_list(
    *, user: User, status: str = "", overdue: bool = False, school: School | None = None
) -> QuerySet[Loan]:
    """Loans in scope, newest first; `overdue`: still out after the due date."""
    loans = _loans(user).select_related(
        "device", "school", "need__student", "need__school", "lent_by"
    )
    if school is not None:
        loans = loans.filter(Q(school=school) | Q(need__school=school))
    if status:
        loans = loans.filter(status=status)
    if overdue:
        loans = loans.filter(status=LoanStatus.OUT, due_on__lt=timezone.localdate())
    return loans


def loan_get(*, user: User, pk: int) -> Loan:
    """One loan in scope; a loan outside it is a 404."""
    return get_object_or_404(loan_list(user=user), pk=pk)


def repair_list(*, user: User) -> QuerySet[Device]:
    """Devices in repair in scope, with whether a write-off waits for a decision."""
    pending = WriteOff.objects.filter(device=OuterRef("pk"), status=WriteOffStatus.PENDING)
    return (
        Device.objects.visible_to(user)
        .filter(status=DeviceStatus.IN_REPAIR)
        .select_related("school", "warehouse", "campaign")
        .annotate(write_off_pending=Exists(pending))
        .order_by("updated_at", "pk")
    )


def repair_get(*, user: User, pk: int) -> Device:
    """One device in scope (in repair or not: the service says what may be done with it)."""
    return get_object_or_404(
        Device.objects.visible_to(user).select_related("school", "warehouse", "campaign"), pk=pk
    )


def write_off_list(*, user: User) -> QuerySet[WriteOff]:
    """Write-off requests for devices in scope, pending first."""
    return (
        WriteOff.objects.filter(device__in=Device.objects.visible_to(user).values("pk"))
        .select_related("device__school", "device__warehouse", "requested_by", "decided_by")
        .annotate(waiting=Case(When(status=WriteOffStatus.PENDING, then=0), default=1))
        .order_by("waiting", "-requested_at", "-pk")
    )


def write_off_get(*, user: User, pk: int) -> WriteOff:
    return get_object_or_404(write_off_list(user=user), pk=pk)


def recall_list(*, user: User) -> QuerySet[Recall]:
    """Recalls that ask back at least one loan in scope, with the answers counted."""
    visible = RecallItem.objects.filter(loan__in=_loans(user).values("pk"))
    mine = Q(items__in=visible.values("pk"))
    counts = {
        "total": Count("items", filter=mine),
        **{
            answer: Count("items", filter=mine & Q(items__answer=answer))
            for answer in RecallAnswer.values
        },
    }
    return (
        Recall.objects.filter(Exists(visible.filter(recall=OuterRef("pk"))))
        .select_related("campaign", "created_by", "outbreak")
        .annotate(**counts)
        .order_by("-created_at", "-pk")
    )


def recall_get(*, user: User, pk: int) -> Recall:
    """One recall in scope; a recall with none of the user's loans is a 404."""
    return get_object_or_404(recall_list(user=user), pk=pk)


def recall_items(*, user: User, recall: Recall) -> QuerySet[RecallItem]:
    """The recall's loans the user may see, by school then asset tag."""
    return (
        RecallItem.objects.filter(recall=recall, loan__in=_loans(user).values("pk"))
        .select_related("loan__device", "loan__school", "loan__need__school", "loan__need__student")
        .order_by("loan__school__name", "loan__need__school__name", "loan__device__asset_tag")
    )


def recall_item_get(*, user: User, pk: int) -> RecallItem:
    return get_object_or_404(
        RecallItem.objects.filter(loan__in=_loans(user).values("pk")).select_related(
            "recall", "loan__device"
        ),
        pk=pk,
    )
