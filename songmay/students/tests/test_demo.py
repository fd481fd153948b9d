import pytest
from django.db.models import Count

from songmay.campaigns.demo import BAC_GIANG, load_demo
from songmay.campaigns.models import Campaign
from songmay.students.models import Need


@pytest.mark.django_db
def test_demo_registry_matches_the_seed_figures_exactly(areas):
    load_demo()
    needs = Need.objects.filter(campaign=Campaign.objects.get(name=BAC_GIANG)).counted()
    assert needs.count() == 17_049
    by_level = dict(needs.values_list("level").annotate(n=Count("pk")))
    assert by_level["primary"] == 11_967
    assert by_level["lower_secondary"] == 4_482
    assert by_level["upper_secondary"] + by_level["continuing"] == 600
    by_household = dict(needs.values_list("household").annotate(n=Count("pk")))
    assert by_household == {"poor": 4_700, "near_poor": 3_800, "hardship": 8_400, "none": 149}
    load_demo()  # a second run loads nothing twice
    assert Need.objects.count() == 17_049
