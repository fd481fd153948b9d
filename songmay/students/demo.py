"""The seeds' registry for the demo: 17,049 pupils of Bắc Giang, by level and by household
exactly as the article counts them (11,967 primary, 4,482 lower secondary, 600 upper secondary
and continuing education; 4,700 poor, 3,800 near-poor, 8,400 other hardship, 149 none)."""

from __future__ import annotations

import datetime as dt
import random

from songmay.areas.models import School, SchoolLevel
from songmay.audit.services import audit_record, audited
from songmay.campaigns.models import Campaign
from songmay.lib.vietnamese import fold, name_sort_key
from songmay.students.models import Gender, Household, Lacking, Need, NeedStatus, Student

BY_LEVEL = {
    SchoolLevel.PRIMARY: 11_967,
    SchoolLevel.LOWER_SECONDARY: 4_482,
    SchoolLevel.UPPER_SECONDARY: 450,
    SchoolLevel.CONTINUING: 150,
}
BY_HOUSEHOLD = {
    Household.POOR: 4_700,
    Household.NEAR_POOR: 3_800,
    Household.HARDSHIP: 8_400,
    Household.NONE: 149,
}
# Birth years of pupils at each level in the school year 2021–2022.
BIRTH_YEARS = {
    SchoolLevel.PRIMARY: (2011, 2015),
    SchoolLevel.LOWER_SECONDARY: (2007, 2010),
    SchoolLevel.UPPER_SECONDARY: (2004, 2006),
    SchoolLevel.CONTINUING: (2004, 2006),
}
FAMILY = (
    "Nguyễn Trần Lê Phạm Hoàng Vũ Đặng Bùi Đỗ Ngô Dương Lý Hà Thân Giáp Lương Nông La Chu".split()
)
MIDDLE = {
    Gender.MALE: "Văn Đức Minh Quang Hữu Thành Gia".split(),
    Gender.FEMALE: "Thị Ngọc Thu Minh Thanh Hồng Khánh".split(),
}
GIVEN = {
    Gender.MALE: "An Bình Cường Dũng Đạt Hải Hiếu Hoàng Huy Khánh Long Minh Nam Phúc Quân Sơn "
    "Thắng Tuấn".split(),
    Gender.FEMALE: "Anh Ánh Chi Diệp Giang Hà Hằng Hoa Hương Lan Linh Mai Ngân Nhung Phương Thảo "
    "Trang Yến".split(),
}


@audited
def load_demo_students(*, campaign: Campaign, seed: int = 2021) -> int:
    """Register the 17,049 demo pupils in the demo schools of `campaign`'s province."""
    rng = random.Random(seed)  # noqa: S311 - made-up demo data, reproducible
    schools = {
        level: list(
            School.objects.teaching(level)
            .filter(area__path__startswith=campaign.area.path if campaign.area else "/")
            .order_by("code")
        )
        for level in BY_LEVEL
    }
    households = [kind for kind, count in BY_HOUSEHOLD.items() for _ in range(count)]
    rng.shuffle(households)
    students, needs = [], []
    for level, count in BY_LEVEL.items():
        first, last = BIRTH_YEARS[level]
        for _ in range(count):
            gender = rng.choice([Gender.MALE, Gender.FEMALE])
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"
            born = dt.date(rng.randint(first, last), rng.randint(1, 12), rng.randint(1, 28))
            school = rng.choice(schools[level])
            students.append(
                Student(
                    full_name=name,
                    name_folded=fold(name),
                    sort_key=name_sort_key(name),
                    date_of_birth=born,
                    gender=gender,
                    commune=school.area,
                    ethnic_minority=rng.random() < 0.12,
                    orphaned_by_covid=rng.random() < 0.004,
                )
            )
            grade = 2021 - born.year - 5
            needs.append(
                Need(
                    campaign=campaign,
                    school=school,
                    level=level,
                    class_name=f"{grade}{rng.choice('ABCD')}",
                    household=households.pop(),
                    status=NeedStatus.CONFIRMED,
                    lacking=rng.choice([Lacking.DEVICE] * 4 + [Lacking.BOTH]),
                )
            )
    created = Student.objects.bulk_create(students, batch_size=2000)
    for need, student in zip(needs, created, strict=True):
        need.student = student
    Need.objects.bulk_create(needs, batch_size=2000)
    audit_record(
        actor=None,
        action="student.demo_loaded",
        target=campaign,
        area=campaign.area,
        changes={"rows": len(needs)},
    )
    return len(needs)
