import datetime as dt
from decimal import Decimal

import pytest

from songmay.accounts.scope import Role


@pytest.fixture
def stock(place, make_user):
    """A Bắc Ninh campaign with a store, a goods donation of ten tablets, a laptop minimum,
    and the people who look at the inventory."""
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.donations.models import DonorKind
    from songmay.donations.services import (
        DonationData,
        DonorData,
        ItemData,
        donation_receive,
        donor_create,
    )
    from songmay.inventory.services import minimum_spec_set, warehouse_create

    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em – kho", area=place["bac_ninh"])
    )
    donor = donor_create(
        actor=officer,
        data=DonorData(
            kind=DonorKind.COMPANY,
            name="Công ty Cổ phần Máy Tính Bảng",
            area=place["bac_ninh"],
            public_name_consent=True,
        ),
    )
    donation = donation_receive(
        actor=officer,
        campaign=campaign,
        donor=donor,
        data=DonationData(
            kind="goods",
            received_on=dt.date(2021, 9, 22),
            items=[ItemData("tablet", 10, "Samsung Galaxy Tab A7")],
        ),
    )
    warehouse = warehouse_create(
        actor=officer, name="Kho Sở GD&ĐT Bắc Ninh", area=place["bac_ninh"]
    )
    minimum_spec_set(
        actor=officer, campaign=campaign, kind="laptop", ram_gb=Decimal(4), storage_gb=64
    )
    return {
        "officer": officer,
        "officer_pt": make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]),
        "area_ln": make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"]),
        "staff_ln": make_user(Role.SCHOOL_STAFF, school=place["schools"]["lucngan"]),
        "staff_sd": make_user(Role.SCHOOL_STAFF, school=place["schools"]["sondong"]),
        "campaign": campaign,
        "donor": donor,
        "donation": donation,
        "warehouse": warehouse,
        "schools": place["schools"],
    }


@pytest.fixture
def import_world(place, make_user):
    """For the Excel import: a Bắc Ninh campaign, its officer and store, a goods receipt of
    5 laptops, 5 smartphones and 5 tablets, and an officer of another province."""
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.donations.models import DonorKind
    from songmay.donations.services import (
        DonationData,
        DonorData,
        ItemData,
        donation_receive,
        donor_create,
    )
    from songmay.inventory.services import warehouse_create

    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em – nhập", area=place["bac_ninh"])
    )
    donor = donor_create(
        actor=officer,
        data=DonorData(
            kind=DonorKind.COMPANY, name="Công ty Viễn thông Thử", area=place["bac_ninh"]
        ),
    )
    donation = donation_receive(
        actor=officer,
        campaign=campaign,
        donor=donor,
        data=DonationData(
            kind="goods",
            received_on=dt.date(2021, 9, 22),
            items=[ItemData("laptop", 5), ItemData("smartphone", 5), ItemData("tablet", 5)],
        ),
    )
    return {
        "officer": officer,
        "officer_pt": make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]),
        "admin": make_user(Role.ADMIN),
        "campaign": campaign,
        "donation": donation,
        "warehouse": warehouse_create(
            actor=officer, name="Kho Sở Bắc Ninh", area=place["bac_ninh"]
        ),
        "school": place["schools"]["lucngan"],
        "school_pt": place["schools"]["phutho"],
    }
