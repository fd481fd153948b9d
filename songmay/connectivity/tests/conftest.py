"""Fixtures for the connectivity tests."""

import pytest


@pytest.fixture
def package_world(place, make_user):
    """Operators, packages of Viettel and MobiFone, pupils lacking connectivity at two schools,
    and one user per role that deals with packages."""
    import datetime as dt
    from decimal import Decimal

    from songmay.accounts.scope import Role
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.connectivity.models import Operator
    from songmay.connectivity.package_services import PackageData, package_create
    from songmay.students.services import StudentData, student_register

    operators = {
        code: Operator.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in [
            ("viettel", "Viettel"), ("vnpt", "VNPT (VinaPhone)"), ("mobifone", "MobiFone"),
            ("vietnamobile", "Vietnamobile"),
        ]
    }  # fmt: skip
    packages = {
        code: package_create(
            actor=None,
            data=PackageData(
                operator=operators[code],
                name=f"Học trực tuyến {code}",
                data_gb_per_month=Decimal("4"),
                months=months,
                price=70_000,
                free=True,
            ),
        )
        for code, months in (("viettel", 12), ("mobifone", 6))
    }
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Kết nối Bắc Ninh", area=place["bac_ninh"])
    )
    schools = place["schools"]

    def pupil(name, school, lacking="connectivity"):
        return student_register(
            actor=None, campaign=campaign, school=schools[school],
            data=StudentData(
                full_name=name, date_of_birth=dt.date(2012, 5, 6), level="primary",
                lacking=lacking, guardian_phone="0983934091",
            ),
        )  # fmt: skip

    users = {
        "admin": make_user(Role.ADMIN),
        "province": make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"]),
        "school_ln": make_user(Role.SCHOOL_STAFF, school=schools["lucngan"]),
        "school_sd": make_user(Role.SCHOOL_STAFF, school=schools["sondong"]),
        "viettel": make_user(Role.OPERATOR, operator=operators["viettel"]),
        "mobifone": make_user(Role.OPERATOR, operator=operators["mobifone"]),
        "auditor": make_user(Role.AUDITOR),
    }
    return {
        "operators": operators,
        "packages": packages,
        "campaign": campaign,
        "schools": schools,
        "users": users,
        "need_ln": pupil("Lê Thị Sóng", "lucngan"),
        "need_ln2": pupil("Phạm Văn Mạng", "lucngan", "both"),
        "need_sd": pupil("Hoàng Văn Xa", "sondong"),
        "need_device": pupil("Đỗ Thị Máy", "lucngan", "device"),
    }


@pytest.fixture
def spot_world(place, make_user):
    """Dead spots in Lục Ngạn (Viettel, one overdue) and Sơn Động (MobiFone), a pupil living in
    the Lục Ngạn village, and one user per role that deals with dead spots."""
    import datetime as dt
    from decimal import Decimal

    from songmay.accounts.scope import Role
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.connectivity.models import Operator
    from songmay.connectivity.services import DeadSpotData, dead_spot_report
    from songmay.students.services import StudentData, student_register

    operators = {
        code: Operator.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in [("viettel", "Viettel"), ("mobifone", "MobiFone")]
    }
    communes, schools = place["communes"], place["schools"]
    ln = dead_spot_report(
        actor=None,
        data=DeadSpotData(
            area=communes["lucngan"], village="Thôn Khe Nghè", reported_on=dt.date(2021, 9, 15),
            latitude=Decimal("21.38560"), longitude=Decimal("106.56120"), households=42,
            pupils=17, operator=operators["viettel"], target_on=dt.date(2021, 12, 31),
        ),
    )  # fmt: skip
    sd = dead_spot_report(
        actor=None,
        data=DeadSpotData(
            area=communes["sondong"], village="Bản Ké", reported_on=dt.date(2021, 9, 16),
            latitude=Decimal("21.30000"), longitude=Decimal("106.80000"), households=20,
            pupils=8, operator=operators["mobifone"],
        ),
    )  # fmt: skip
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Lõm sóng Bắc Ninh", area=place["bac_ninh"])
    )
    need = student_register(
        actor=None, campaign=campaign, school=schools["lucngan"],
        data=StudentData(
            full_name="Nông Thị Sóng", date_of_birth=dt.date(2012, 3, 4), level="primary",
            lacking="connectivity", village="thon khe nghe", commune=communes["lucngan"],
        ),
    )  # fmt: skip
    users = {
        "admin": make_user(Role.ADMIN),
        "province": make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"]),
        "area_ln": make_user(Role.AREA_OFFICER, area=communes["lucngan"]),
        "area_sd": make_user(Role.AREA_OFFICER, area=communes["sondong"]),
        "school_ln": make_user(Role.SCHOOL_STAFF, school=schools["lucngan"]),
        "school_sd": make_user(Role.SCHOOL_STAFF, school=schools["sondong"]),
        "viettel": make_user(Role.OPERATOR, operator=operators["viettel"]),
        "mobifone": make_user(Role.OPERATOR, operator=operators["mobifone"]),
        "auditor": make_user(Role.AUDITOR),
    }
    return {
        "operators": operators,
        "communes": communes,
        "spot_ln": ln,
        "spot_sd": sd,
        "need": need,
        "users": users,
    }
