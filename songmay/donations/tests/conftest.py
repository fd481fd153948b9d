import datetime as dt

import pytest

from songmay.accounts.scope import Role


@pytest.fixture
def fund(place, make_user):
    """A Bắc Ninh campaign with an officer, two donors and a warehouse."""
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.donations.models import DonorKind
    from songmay.donations.services import DonorData, donor_create
    from songmay.inventory.services import warehouse_create

    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Sóng và máy tính cho em – thử", area=place["bac_ninh"])
    )
    company = donor_create(
        actor=officer,
        data=DonorData(
            kind=DonorKind.COMPANY,
            name="Công ty Cổ phần Thử nghiệm",
            area=place["bac_ninh"],
            tax_code="0100109106",
            public_name_consent=True,
        ),
    )
    person = donor_create(
        actor=officer,
        data=DonorData(kind=DonorKind.INDIVIDUAL, name="Trần Thị Ẩn Danh", area=place["bac_ninh"]),
    )
    warehouse = warehouse_create(actor=officer, name="Kho Sở GD&ĐT", area=place["bac_ninh"])
    return {
        "officer": officer,
        "campaign": campaign,
        "company": company,
        "person": person,
        "warehouse": warehouse,
        "day": dt.date(2021, 9, 22),
    }
