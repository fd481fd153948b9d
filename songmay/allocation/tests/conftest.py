import datetime as dt

import pytest

from songmay.accounts.scope import Role


@pytest.fixture
def alloc_world(place, make_user):
    """A Bắc Ninh campaign with five confirmed pupils (poor to none) at two schools and
    three available devices: two tablets at Lục Ngạn, one laptop at Sơn Động."""
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.inventory.services import DeviceData, device_status_change, devices_register
    from songmay.students.services import StudentData, needs_confirm, student_register

    schools = place["schools"]
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    campaign = campaign_create(
        actor=None,
        data=CampaignData(name="Sóng và máy tính cho em – phân bổ", area=place["bac_ninh"]),
    )
    pupils = [
        ("Nguyễn Văn An", "lucngan", "poor", "0981000001"),
        ("Trần Thị Bình", "lucngan", "near_poor", "0981000002"),
        ("Lê Văn Cường", "sondong", "poor", "0981000003"),
        ("Phạm Thị Dung", "sondong", "hardship", "0981000004"),
        ("Hoàng Văn Em", "lucngan", "none", ""),
    ]
    needs = [
        student_register(
            actor=None,
            campaign=campaign,
            school=schools[school],
            data=StudentData(
                full_name=name,
                date_of_birth=dt.date(2012, 1, 1 + index),
                level="primary",
                lacking="device",
                household=household,
                guardian_phone=phone,
            ),
        )
        for index, (name, school, household, phone) in enumerate(pupils)
    ]
    needs_confirm(actor=officer, needs=needs)
    devices = devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("tablet", serial="TAB-LN-1"), DeviceData("tablet", serial="TAB-LN-2")],
        school=schools["lucngan"],
    ) + devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("laptop", serial="LAP-SD-1")],
        school=schools["sondong"],
    )
    for device in devices:
        device_status_change(actor=officer, device=device, status="inspected")
        device_status_change(actor=officer, device=device, status="available")
    return {
        "campaign": campaign,
        "officer": officer,
        "officer_pt": make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]),
        "staff_ln": make_user(Role.SCHOOL_STAFF, school=schools["lucngan"]),
        "staff_sd": make_user(Role.SCHOOL_STAFF, school=schools["sondong"]),
        "needs": [need.__class__.objects.get(pk=need.pk) for need in needs],
        "devices": devices,
        "schools": schools,
    }
