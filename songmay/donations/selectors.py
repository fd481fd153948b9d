"""Reads for donations and the ledger, always given the acting user."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet, Sum

from songmay.donations.models import (
    Donation,
    DonationItem,
    DonationKind,
    Donor,
    Funding,
    Pledge,
    Spending,
    SupportKind,
)

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.campaigns.models import Campaign
    from songmay.inventory.models import Device


def donor_list(*, user: User, query: str = "") -> QuerySet[Donor]:
    donors = Donor.objects.visible_to(user)
    if query:
        donors = donors.filter(name__icontains=query.strip())
    return donors


def pledge_list(*, user: User, campaign: Campaign | None = None) -> QuerySet[Pledge]:
    pledges = Pledge.objects.visible_to(user).select_related("donor", "campaign")
    if campaign is not None:
        pledges = pledges.filter(campaign=campaign)
    return pledges.prefetch_related("items")


def donation_list(
    *, user: User, campaign: Campaign | None = None, kind: str = "", needs_review: bool = False
) -> QuerySet[Donation]:
    donations = Donation.objects.visible_to(user).select_related("donor", "campaign", "pledge")
    if campaign is not None:
        donations = donations.filter(campaign=campaign)
    if kind:
        donations = donations.filter(kind=kind)
    if needs_review:
        donations = donations.filter(outside_intake_window=True, reviewed_at__isnull=True)
    return donations.prefetch_related("items")


def pledge_progress(pledge: Pledge) -> dict[str, tuple[int, int]]:
    """{"money" or a kind: (promised, received)} for what the pledge named."""
    donations = Donation.objects.filter(pledge=pledge)
    received_money = donations.aggregate(total=Sum("amount"))["total"] or 0
    received = Counter[str]()
    for kind, quantity in DonationItem.objects.filter(donation__pledge=pledge).values_list(
        "kind", "quantity"
    ):
        received[kind] += quantity
    progress = {"money": (pledge.amount, received_money)} if pledge.amount else {}
    for item in pledge.items.all():
        progress[item.kind] = (item.quantity, received[item.kind])
    return progress


def pledge_progress_rows(pledge: Pledge) -> list[tuple[str, int, int, bool]]:
    """(what, promised, received, done) for the pledge page."""
    labels = {"money": "Tiền (đồng)", **dict(SupportKind.choices)}
    return [
        (str(labels[key]), promised, received, received >= promised)
        for key, (promised, received) in pledge_progress(pledge).items()
    ]


@dataclass(frozen=True)
class LedgerRow:
    day: dt.date
    code: str
    text: str
    money_in: int
    money_out: int
    balance: int
    # For spendings: (donation code, part) pairs that paid for it.
    funded_by: tuple[tuple[str, int], ...] = ()
    url_pk: int = 0
    is_spending: bool = False


@dataclass(frozen=True)
class Ledger:
    rows: list[LedgerRow]
    received: int
    spent: int

    @property
    def balance(self) -> int:
        return self.received - self.spent


def ledger(*, campaign: Campaign) -> Ledger:
    """The campaign's cash book: money in and out by date, with the running balance."""
    donations = list(
        Donation.objects.filter(campaign=campaign, kind=DonationKind.MONEY)
        .select_related("donor")
        .order_by("received_on", "number")
    )
    spendings = list(Spending.objects.filter(campaign=campaign).order_by("spent_on", "number"))
    codes = {donation.pk: donation.code for donation in donations}
    fundings: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for spending_id, donation_id, amount in (
        Funding.objects.filter(spending__campaign=campaign)
        .order_by("donation__received_on", "donation__number")
        .values_list("spending_id", "donation_id", "amount")
    ):
        fundings[spending_id].append((codes[donation_id], amount))
    events: list[tuple[dt.date, int, int, LedgerRow]] = []
    for donation in donations:
        events.append(
            (
                donation.received_on,
                0,
                donation.number,
                LedgerRow(
                    donation.received_on,
                    donation.code,
                    f"Nhận của {donation.donor}"
                    + (f" – {donation.get_method_display()}" if donation.method else "")
                    + (f" – chỉ định: {donation.earmark}" if donation.earmark else ""),
                    donation.amount,
                    0,
                    0,
                    url_pk=donation.pk,
                ),
            )
        )
    for spending in spendings:
        events.append(
            (
                spending.spent_on,
                1,
                spending.number,
                LedgerRow(
                    spending.spent_on,
                    spending.code,
                    spending.description
                    + (
                        f" – {spending.supplier}, HĐ {spending.invoice_number}"
                        if spending.supplier
                        else ""
                    ),
                    0,
                    spending.amount,
                    0,
                    tuple(fundings[spending.pk]),
                    url_pk=spending.pk,
                    is_spending=True,
                ),
            )
        )
    events.sort(key=lambda event: event[:3])
    rows: list[LedgerRow] = []
    balance = 0
    for _day, _order, _number, row in events:
        balance += row.money_in - row.money_out
        rows.append(
            LedgerRow(
                row.day, row.code, row.text, row.money_in, row.money_out, balance,
                row.funded_by, row.url_pk, row.is_spending,
            )
        )  # fmt: skip
    received = sum(donation.amount for donation in donations)
    spent = sum(spending.amount for spending in spendings)
    return Ledger(rows=rows, received=received, spent=spent)


def device_donors(device: Device) -> list[tuple[Donor, int]]:
    """Who paid for a device: its donation's donor, or the donors whose money bought it."""
    if device.origin_donation_id is not None and device.origin_donation is not None:
        return [(device.origin_donation.donor, 0)]
    if device.origin_purchase_id is None or device.origin_purchase is None:
        return []
    spending = device.origin_purchase.spending
    shares: dict[int, int] = defaultdict(int)
    donors: dict[int, Donor] = {}
    for funding in Funding.objects.filter(spending=spending).select_related("donation__donor"):
        donor = funding.donation.donor
        donors[donor.pk] = donor
        shares[donor.pk] += funding.amount
    return [(donors[pk], amount) for pk, amount in sorted(shares.items(), key=lambda i: -i[1])]


def money_spent_of(donation: Donation) -> int:
    return Funding.objects.filter(donation=donation).aggregate(total=Sum("amount"))["total"] or 0
