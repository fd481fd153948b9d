"""Ledger invariants, on the pure attribution and through the real services."""

import datetime as dt

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from songmay.donations.ledger import InsufficientFundsError, Source, attribute
from songmay.donations.models import Donation, Funding, Spending
from songmay.donations.selectors import ledger
from songmay.donations.services import (
    DonationData,
    SpendingData,
    donation_receive,
    spending_record,
)
from songmay.lib.errors import DomainError

sources_strategy = st.lists(
    st.builds(
        Source,
        donation_id=st.integers(1, 10_000),
        remaining=st.integers(0, 10**9),
        earmarked=st.booleans(),
    ),
    max_size=12,
    unique_by=lambda source: source.donation_id,
)


@given(sources=sources_strategy, amount=st.integers(1, 3 * 10**9), data=st.data())
def test_attribution_sums_to_the_amount_and_respects_every_source(sources, amount, data):
    named = data.draw(st.sets(st.sampled_from([s.donation_id for s in sources] or [0])))
    usable = sum(s.remaining for s in sources if not s.earmarked or s.donation_id in named)
    if usable < amount:
        with pytest.raises(InsufficientFundsError):
            attribute(amount, sources, named)
        return
    parts = attribute(amount, sources, named)
    by_id = {s.donation_id: s for s in sources}
    assert sum(part for _pk, part in parts) == amount
    assert all(0 < part <= by_id[pk].remaining for pk, part in parts)
    assert len({pk for pk, _ in parts}) == len(parts)
    assert all(not by_id[pk].earmarked or pk in named for pk, _ in parts)


@given(
    remaining=st.lists(st.integers(1, 1000), min_size=1, max_size=8),
    amount=st.integers(1, 8000),
)
def test_attribution_takes_the_oldest_money_first(remaining, amount):
    sources = [Source(pk, left) for pk, left in enumerate(remaining, start=1)]
    if amount > sum(remaining):
        return
    parts = attribute(amount, sources)
    # Every source but the last one used is spent in full, in the order received.
    assert [pk for pk, _ in parts] == list(range(1, len(parts) + 1))
    assert all(part == remaining[pk - 1] for pk, part in parts[:-1])


operations = st.lists(
    st.tuples(st.sampled_from(["in", "out"]), st.integers(1, 50).map(lambda n: n * 100_000)),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=operations)
def test_the_balance_is_receipts_minus_spending_whatever_happens(fund, steps):
    Funding.objects.all().delete()
    Spending.objects.all().delete()
    Donation.objects.all().delete()
    campaign, officer = fund["campaign"], fund["officer"]
    day = dt.date(2021, 10, 1)
    for kind, amount in steps:
        if kind == "in":
            donation_receive(
                actor=officer,
                campaign=campaign,
                donor=fund["company"],
                data=DonationData(kind="money", received_on=day, amount=amount, method="cash"),
            )
            continue
        before = ledger(campaign=campaign).balance
        try:
            spending_record(
                actor=officer,
                campaign=campaign,
                data=SpendingData(
                    kind="other",
                    spent_on=day,
                    amount=amount,
                    description="Chi thử",
                    approved_by="Giám đốc Sở",
                ),
            )
        except DomainError:
            assert amount > before  # refused only when the balance could not cover it
    book = ledger(campaign=campaign)
    received = Donation.objects.aggregate(t=Sum("amount"))["t"] or 0
    spent = Spending.objects.aggregate(t=Sum("amount"))["t"] or 0
    assert book.balance == received - spent >= 0
    assert book.rows == [] or book.rows[-1].balance == book.balance
    for spending in Spending.objects.all():
        assert spending.fundings.aggregate(t=Sum("amount"))["t"] == spending.amount
    for donation in Donation.objects.all():
        assert (donation.fundings.aggregate(t=Sum("amount"))["t"] or 0) <= donation.amount
