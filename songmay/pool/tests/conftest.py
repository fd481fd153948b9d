import pytest

from songmay.accounts.scope import Role


@pytest.fixture
def transfer_world(place, make_user):
    """Transfers: a Bắc Ninh campaign with a store holding four available tablets, one
    available laptop at Lục Ngạn, and the people who send and receive."""
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.inventory.services import (
        DeviceData,
        device_status_change,
        devices_register,
        warehouse_create,
    )

    schools = place["schools"]
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    campaign = campaign_create(
        actor=None,
        data=CampaignData(name="Sóng và máy tính cho em – điều chuyển", area=place["bac_ninh"]),
    )
    store = warehouse_create(actor=officer, name="Kho Sở GD&ĐT Bắc Ninh", area=place["bac_ninh"])
    tablets = devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("tablet", serial=f"TAB-KHO-{n}") for n in range(4)],
        warehouse=store,
    )
    laptops = devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("laptop", serial="LAP-LN-1")],
        school=schools["lucngan"],
    )
    for device in [*tablets, *laptops]:
        device_status_change(actor=officer, device=device, status="inspected")
        device_status_change(actor=officer, device=device, status="available")
    return {
        "campaign": campaign,
        "officer": officer,
        "officer_pt": make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]),
        "staff_ln": make_user(Role.SCHOOL_STAFF, school=schools["lucngan"]),
        "staff_sd": make_user(Role.SCHOOL_STAFF, school=schools["sondong"]),
        "store": store,
        "tablets": [tablet.__class__.objects.get(pk=tablet.pk) for tablet in tablets],
        "laptop": laptops[0].__class__.objects.get(pk=laptops[0].pk),
        "schools": schools,
    }


@pytest.fixture
def pool_world(place, make_user):
    """Loans: a Bắc Ninh campaign whose store holds four available tablets and one laptop
    below the minimum, a confirmed and an unconfirmed pupil at Lục Ngạn, two province
    officers (a write-off needs a second person) and the staff of both Bắc Ninh schools."""
    import datetime as dt
    from decimal import Decimal

    from songmay.accounts.services import UserData, user_create
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.inventory.services import (
        DeviceData,
        device_status_change,
        devices_register,
        minimum_spec_set,
        warehouse_create,
    )
    from songmay.students.services import StudentData, needs_confirm, student_register

    schools = place["schools"]
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    campaign = campaign_create(
        actor=None,
        data=CampaignData(name="Sóng và máy tính cho em – cho mượn", area=place["bac_ninh"]),
    )
    store = warehouse_create(actor=officer, name="Kho dùng chung Bắc Ninh", area=place["bac_ninh"])
    minimum_spec_set(
        actor=officer, campaign=campaign, kind="laptop", ram_gb=Decimal(4), storage_gb=64
    )
    tablets = devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("tablet", make="Samsung", serial=f"POOL-TAB-{n}") for n in range(4)],
        warehouse=store,
    )
    weak = devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("laptop", serial="POOL-LAP-OLD", ram_gb=Decimal(2), storage_gb=32)],
        warehouse=store,
    )[0]
    for device in tablets:
        device_status_change(actor=officer, device=device, status="inspected")
        device_status_change(actor=officer, device=device, status="available")
    device_status_change(actor=officer, device=weak, status="inspected")
    needs = [
        student_register(
            actor=None,
            campaign=campaign,
            school=schools["lucngan"],
            data=StudentData(
                full_name=name,
                date_of_birth=dt.date(2012, 2, day),
                level="primary",
                lacking="device",
                household="poor",
            ),
        )
        for name, day in (("Vi Thị Mượn", 1), ("La Văn Chờ", 2))
    ]
    needs_confirm(actor=officer, needs=needs[:1])

    def staff(school, email):
        return user_create(
            actor=None,
            data=UserData(
                username=f"pool-{school.code}", full_name=f"Cán bộ {school.name}",
                role=Role.SCHOOL_STAFF, school=school, email=email,
            ),
            password="mật-khẩu-đủ-dài-2021",
        )  # fmt: skip

    from songmay.inventory.models import Device
    from songmay.students.models import Need

    return {
        "campaign": campaign,
        "officer": officer,
        "officer2": make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"]),
        "officer_pt": make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]),
        "area_ln": make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"]),
        "auditor": make_user(Role.AUDITOR),
        "staff_ln": staff(schools["lucngan"], "thlucngan@example.vn"),
        "staff_sd": staff(schools["sondong"], ""),
        "store": store,
        "tablets": list(Device.objects.filter(pk__in=[t.pk for t in tablets]).order_by("pk")),
        "weak": Device.objects.get(pk=weak.pk),
        "need": Need.objects.get(pk=needs[0].pk),
        "need_unconfirmed": Need.objects.get(pk=needs[1].pk),
        "schools": schools,
    }
