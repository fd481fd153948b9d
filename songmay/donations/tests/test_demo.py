from django.db.models import Sum

from songmay.campaigns.demo import BAC_GIANG, load_demo
from songmay.campaigns.models import Campaign
from songmay.donations.models import Donation, DonationItem, Pledge, PledgeStatus
from songmay.donations.selectors import ledger
from songmay.inventory.models import Device


def test_demo_gifts_add_up_exactly_to_the_seed_figures(areas):
    load_demo(students=False, gifts=True)
    campaign = Campaign.objects.get(name=BAC_GIANG)
    assert ledger(campaign=campaign).received == 977_000_000
    received = dict(
        DonationItem.objects.filter(donation__campaign=campaign, donation__kind="goods")
        .values_list("kind")
        .annotate(n=Sum("quantity"))
    )
    assert received == {"desktop": 114, "laptop": 122, "tablet": 119, "smartphone": 651}
    devices = Device.objects.filter(campaign=campaign)
    assert devices.count() == 114 + 122 + 119 + 651
    assert not devices.filter(origin_donation__isnull=True).exists()
    assert (
        devices.filter(meets_minimum=False).count()
        == devices.filter(condition="needs_repair").count()
    )
    statuses = set(Pledge.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert statuses == {PledgeStatus.PARTLY_RECEIVED, PledgeStatus.FULFILLED}
    count = Donation.objects.count()
    load_demo(students=False, gifts=True)  # a second run adds nothing
    assert Donation.objects.count() == count
