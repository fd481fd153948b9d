"""The demo: the Bắc Giang campaign of the seeds (now in Bắc Ninh province), the Vĩnh Phúc
plan (now in Phú Thọ), schools across several communes, and one log-in per role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from songmay.accounts.models import User
from songmay.accounts.scope import Role
from songmay.accounts.services import UserData, user_create
from songmay.areas.models import Area, School
from songmay.areas.services import SchoolData, school_create
from songmay.campaigns.models import Campaign
from songmay.campaigns.services import (
    CampaignData,
    ContactData,
    PhaseData,
    WindowData,
    campaign_create,
)
from songmay.connectivity.models import Operator
from songmay.donations.demo import load_demo_donations
from songmay.donations.models import Donor, DonorKind
from songmay.students.demo import load_demo_students
from songmay.students.models import Need

DEMO_PASSWORD = "songmay-demo-2021"  # noqa: S105 - printed for the local demo only

BAC_GIANG = "Chương trình “Sóng và máy tính cho em” tỉnh Bắc Giang"
VINH_PHUC = "Chương trình “Sóng và máy tính cho em” tỉnh Vĩnh Phúc"

# (code, name, levels, commune code): communes of the former Bắc Giang province.
SCHOOLS = [
    ("24710101", "Trường Tiểu học Ngô Sĩ Liên", ["primary"], "07210"),
    ("24710201", "Trường THCS Lê Lợi", ["lower_secondary"], "07210"),
    ("24710301", "Trường THPT Ngô Sĩ Liên", ["upper_secondary"], "07228"),
    ("24720101", "Trường Tiểu học Lục Ngạn", ["primary"], "07582"),
    ("24720201", "Trường TH&THCS Biển Động", ["primary", "lower_secondary"], "07573"),
    ("24730101", "Trường Tiểu học Sơn Động", ["primary"], "07615"),
    ("24730201", "Trường PTDTBT THCS Tây Yên Tử", ["lower_secondary"], "07616"),
    ("24740101", "Trường THCS Yên Thế", ["lower_secondary"], "07288"),
    ("24750101", "Trung tâm GDNN-GDTX Hiệp Hòa", ["continuing"], "07840"),
    ("24760101", "Trường Tiểu học Việt Yên", ["primary"], "07777"),
]


@dataclass
class DemoLogin:
    username: str
    role: str
    scope: str


def _ensure_user(username: str, full_name: str, role: Role, **scope: object) -> DemoLogin:
    user = User.objects.filter(username=username).first()
    if user is None:
        data = UserData(username=username, full_name=full_name, role=role, **scope)  # type: ignore[arg-type]
        user = user_create(actor=None, data=data, password=DEMO_PASSWORD)
    return DemoLogin(username, str(role.label), user.scope_label)


def load_demo(*, students: bool = True, gifts: bool | None = None) -> list[DemoLogin]:
    """Create what is missing of the demo; a second run creates nothing.

    `gifts` (donations, the ledger and a thousand devices) come with the pupils unless asked
    otherwise: tests that only need the organisations skip both.
    """
    bac_ninh = Area.objects.get(code="24")
    phu_tho = Area.objects.get(code="25")
    for code, name, levels, commune in SCHOOLS:
        if not School.objects.filter(code=code).exists():
            school_create(
                actor=None,
                data=SchoolData(
                    code=code,
                    name=name,
                    levels=levels,
                    area=Area.objects.get(code=commune),
                    address=f"{Area.objects.get(code=commune).name}, tỉnh Bắc Ninh",
                ),
            )
    if not Campaign.objects.filter(name=BAC_GIANG).exists():
        campaign_create(
            actor=None,
            data=CampaignData(
                name=BAC_GIANG,
                area=bac_ninh,
                launched_on=dt.date(2021, 9, 12),
                focal_point="Sở Giáo dục và Đào tạo tỉnh Bắc Giang",
                beneficiaries="Học sinh, sinh viên thuộc hộ nghèo, hộ cận nghèo, gặp khó khăn do "
                "ảnh hưởng của dịch COVID-19 và chưa có thiết bị học trực tuyến.",
                support_rule="Hỗ trợ 1 lần/1 học sinh",
                description="Ưu tiên các địa phương thực hiện giãn cách xã hội và tổ chức dạy học "
                "trực tuyến. Thiết lập kho thiết bị dạy học trực tuyến dùng chung để điều tiết "
                "giữa "
                "các trường trong địa bàn khi có dịch bệnh xảy ra.",
                phases=[
                    PhaseData(
                        1,
                        "Huy động thiết bị cho học sinh ở địa phương giãn cách, dạy học trực tuyến",
                        dt.date(2021, 9, 12),
                        dt.date(2021, 12, 31),
                    ),
                    PhaseData(
                        2,
                        "Hướng tới 100% học sinh thuộc đối tượng hỗ trợ có thiết bị",
                        dt.date(2022, 1, 1),
                        dt.date(2023, 12, 31),
                        target_percent=100,
                    ),
                ],
                contacts=[ContactData("Nguyễn Văn Thêm", "Phó Giám đốc Sở Giáo dục và Đào tạo")],
            ),
        )
    if not Campaign.objects.filter(name=VINH_PHUC).exists():
        campaign_create(
            actor=None,
            data=CampaignData(
                name=VINH_PHUC,
                area=phu_tho,
                plan_reference="Kế hoạch số 242/KH-UBND",
                launched_on=dt.date(2021, 9, 12),
                focal_point="Sở Giáo dục và Đào tạo tỉnh Vĩnh Phúc",
                beneficiaries="Học sinh tiểu học, trung học cơ sở, trung học phổ thông "
                "trên địa bàn "
                "tỉnh mà gia đình chưa bảo đảm được các điều kiện học trực tuyến.",
                support_rule="Hỗ trợ 1 lần/1 học sinh",
                phases=[
                    PhaseData(
                        1,
                        "Triển khai Chương trình trên địa bàn tỉnh",
                        dt.date(2021, 9, 21),
                        dt.date(2021, 9, 26),
                        target_percent=100,
                    )
                ],
                windows=[WindowData(dt.date(2021, 9, 21), dt.date(2021, 9, 26))],
                contacts=[
                    ContactData(
                        "Đặng Công Hòa", "Phó Giám đốc Sở Giáo dục và Đào tạo", "0983.934.091"
                    ),
                    ContactData(
                        "Hà Thị Kim Dung", "Chủ tịch Công đoàn ngành Giáo dục", "0985.131.568"
                    ),
                    ContactData(
                        "Nguyễn Việt Hà",
                        "Phó Trưởng phòng phụ trách phòng Chính trị tư tưởng",
                        "0983.121.482",
                    ),
                    ContactData(
                        "Tống Thị Thu", "Phó Trưởng phòng Giáo dục Trung học", "0915.262.928"
                    ),
                ],
            ),
        )
    for code, name in [
        ("viettel", "Viettel"),
        ("vnpt", "VNPT (VinaPhone)"),
        ("mobifone", "MobiFone"),
        ("vietnamobile", "Vietnamobile"),
    ]:
        Operator.objects.get_or_create(code=code, defaults={"name": name})
    donor, _ = Donor.objects.get_or_create(
        name="Công ty Cổ phần Công nghệ Bắc Giang (demo)",
        defaults={"kind": DonorKind.COMPANY, "tax_code": "0100109106", "public_name_consent": True},
    )
    bac_giang = Campaign.objects.get(name=BAC_GIANG)
    if students and not Need.objects.filter(campaign=bac_giang).exists():
        load_demo_students(campaign=bac_giang)
    if students if gifts is None else gifts:
        load_demo_donations(campaign=bac_giang)
    school = School.objects.get(code="24720101")
    return [
        _ensure_user("admin", "Quản trị hệ thống", Role.ADMIN),
        _ensure_user("so.bacninh", "Nguyễn Văn Thêm", Role.PROVINCE_OFFICER, area=bac_ninh),
        _ensure_user(
            "xa.lucngan",
            "Cán bộ xã Lục Ngạn",
            Role.AREA_OFFICER,
            area=Area.objects.get(code="07582"),
        ),
        _ensure_user(
            "truong.thlucngan", "Cán bộ Trường TH Lục Ngạn", Role.SCHOOL_STAFF, school=school
        ),
        _ensure_user("nhataitro", "Nhà tài trợ demo", Role.DONOR, donor=donor),
        _ensure_user(
            "viettel",
            "Viettel Bắc Ninh",
            Role.OPERATOR,
            operator=Operator.objects.get(code="viettel"),
        ),
        _ensure_user("thanhtra", "Thanh tra Sở", Role.AUDITOR),
    ]
