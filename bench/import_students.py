"""Benchmark: import N pupils from one xlsx through the real code path, and compare with the
floor measured in the same run.

    .venv/bin/python bench/import_students.py --rows 20000
    .venv/bin/python bench/import_students.py --rows 20000 \\
        --database-url postgres://postgres@127.0.0.1:5432/

Sets up a fresh database (SQLite: a temporary file; PostgreSQL: a database `songmay_bench`
created on the server and dropped afterwards), migrates, loads the official areas, creates a
campaign and several schools, writes a realistic xlsx of N pupils (Vietnamese names, several
schools, about half with a personal ID), then:

- floor: read the file with python-calamine and bulk-insert the equivalent Student and Need
  rows (rolled back afterwards);
- preview: the `students.preview` job (read, check every row, match with the registry);
- import: the `students.import` job (read and check again, match, write, queue duplicates,
  audit), i.e. what runs after the user confirms;
- re-import: the same file again, where every row is unchanged.

Prints seconds, rows per second, the ratio to the floor and the process's peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import support  # noqa: E402

BENCH_DB = "songmay_bench"

FAMILY = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Hà Thân Giáp".split()
MIDDLE = {
    "Nam": "Văn Đức Minh Quang Hữu Thành Gia Công Xuân Tiến Mạnh".split(),
    "Nữ": "Thị Ngọc Thu Minh Thanh Hồng Khánh Phương Thùy Bích".split(),
}
GIVEN = {
    "Nam": "An Bình Cường Dũng Đạt Hải Hiếu Hoàng Huy Khánh Long Minh Nam Phúc Quân Sơn Thắng "
    "Tuấn Việt Khôi Kiên Lâm Nghĩa Phong Toàn Trung Tùng Vinh".split(),
    "Nữ": "Anh Ánh Chi Diệp Giang Hà Hằng Hoa Hương Lan Linh Mai Ngân Nhung Phương Thảo Trang "
    "Yến Vân Uyên Quỳnh Ngọc Nhi My Loan Hạnh Huyền Dung".split(),
}
VILLAGES = "Thôn Đồng Thôn Kép Thôn Trại Thôn Chùa Xóm Mới Xóm Bãi Thôn Cầu Thôn Hạ".split(" T")
HOUSEHOLDS = ["Hộ nghèo"] * 28 + ["Hộ cận nghèo"] * 22 + ["Khó khăn khác"] * 49 + [""]
PREFIXES = "098 097 096 091 094 090 093 086 088 035 036 037 038 039 070 079 077".split()
LACKING = ["Thiết bị"] * 6 + ["Kết nối"] * 2 + ["Cả hai"] * 2
HEADER = [
    "STT", "Họ và tên", "Ngày sinh", "Giới tính", "Lớp", "Cấp học", "Số định danh",
    "Họ tên cha/mẹ/người giám hộ", "Điện thoại", "Thôn/xóm", "Xã/phường", "Hoàn cảnh",
    "Mồ côi do COVID-19", "Khuyết tật", "Dân tộc thiểu số", "Vùng sâu, vùng xa", "Còn thiếu",
    "Đồng ý xử lý dữ liệu", "Mã trường",
]  # fmt: skip


def _setup(school_count: int) -> tuple[Any, Any, list[Any]]:
    """An admin, a campaign for Bắc Ninh and `school_count` schools across its communes."""
    from django.core.management import call_command

    from songmay.accounts.scope import Role
    from songmay.accounts.services import UserData, user_create
    from songmay.areas.models import Area, AreaLevel
    from songmay.areas.services import SchoolData, areas_load_official, school_create
    from songmay.campaigns.services import CampaignData, campaign_create

    call_command("migrate", verbosity=0)
    areas_load_official(actor=None)
    province = Area.objects.get(code="24")
    communes = list(
        Area.objects.filter(path__startswith=province.path, level=AreaLevel.COMMUNE).order_by(
            "code"
        )[:school_count]
    )
    schools = [
        school_create(
            actor=None,
            data=SchoolData(
                code=f"B{index:04d}",
                name=f"Trường TH&THCS {commune.name.split(' ', 1)[-1]}",
                area=commune,
                levels=["primary", "lower_secondary"],
            ),
        )
        for index, commune in enumerate(communes)
    ]
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Chương trình thử tải", area=province)
    )
    admin = user_create(
        actor=None,
        data=UserData(username="bench", full_name="Bench", role=Role.ADMIN),
        password="bench-only-password-2021",  # noqa: S106 - a throw-away database
    )
    return admin, campaign, schools


def _pupils(count: int, schools: list[Any], seed: int = 2021) -> Iterator[list[object]]:
    from songmay.lib.vietnamese import fold

    rng = random.Random(seed)
    used_ids: set[str] = set()
    seen: set[tuple[str, str, dt.date]] = set()
    for number in range(1, count + 1):
        school = schools[number % len(schools)]
        gender = rng.choice(("Nam", "Nữ"))
        grade = rng.randint(1, 9)
        born = dt.date(2021 - 6 - grade, 1, 1) + dt.timedelta(days=rng.randrange(365))
        family = name = ""
        # Namesakes born the same day in one school need their IDs to be told apart; the
        # generator's few names would make more of them than real schools have.
        # The import compares names without diacritics ("Ánh" is "Anh"), so must this.
        while not name or (school.code, fold(name), born) in seen:
            family = rng.choice(FAMILY)
            name = f"{family} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"
        seen.add((school.code, fold(name), born))
        personal_id = ""
        if rng.random() < 0.5:
            century = 2 + (gender == "Nữ")
            while not personal_id or personal_id in used_ids:
                personal_id = f"024{century}{born.year % 100:02d}{rng.randrange(10**6):06d}"
            used_ids.add(personal_id)
        flags = ["x" if rng.random() < share else "" for share in (0.01, 0.03, 0.15, 0.2)]
        yield (
            [
                number, name, born, gender, f"{grade}{rng.choice('ABCDE')}",
                "Tiểu học" if grade <= 5 else "THCS", personal_id,
                f"{family} {rng.choice(MIDDLE['Nam'])} {rng.choice(GIVEN['Nam'])}",
                f"{rng.choice(PREFIXES)}{rng.randrange(10**7):07d}", rng.choice(VILLAGES).strip(),
                school.area.name, rng.choice(HOUSEHOLDS), *flags, rng.choice(LACKING),
                "x", school.code,
            ]
        )  # fmt: skip


def _xlsx(rows: Iterable[list[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách")
    sheet.append(["DANH SÁCH HỌC SINH CÒN THIẾU THIẾT BỊ, KẾT NỐI"])
    sheet.append(HEADER)
    for row in rows:
        cells: list[object] = []
        for value in row:
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "DD/MM/YYYY"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


_HOUSEHOLD_CODES = {
    "Hộ nghèo": "poor",
    "Hộ cận nghèo": "near_poor",
    "Khó khăn khác": "hardship",
    "": "none",
}
_LACKING_CODES = {"Thiết bị": "device", "Kết nối": "connectivity", "Cả hai": "both"}


def _floor(data: bytes, campaign: Any, schools: list[Any]) -> float:
    """Read the file with python-calamine and bulk-insert the same rows; rolled back."""
    import python_calamine
    from django.db import transaction

    from songmay.lib.vietnamese import fold, name_sort_key
    from songmay.students.models import Need, Student

    by_code = {school.code: school for school in schools}
    started = time.perf_counter()
    with transaction.atomic():
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        values = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)[2:]
        students, needs = [], []
        for row in values:
            name = str(row[1])
            student = Student(
                full_name=name, name_folded=fold(name), sort_key=name_sort_key(name),
                date_of_birth=row[2], gender="male" if row[3] == "Nam" else "female",
                personal_id=str(row[6]), guardian_name=str(row[7]), guardian_phone=str(row[8]),
                village=str(row[9]), ethnic_minority=row[14] == "x", remote_area=row[15] == "x",
                consent_given=True, consent_on=dt.date(2021, 9, 12),
            )  # fmt: skip
            students.append(student)
            needs.append(
                Need(
                    campaign=campaign,
                    student=student,
                    school=by_code[str(row[18])],
                    class_name=str(row[4]),
                    level="primary" if row[5] == "Tiểu học" else "lower_secondary",
                    household=_HOUSEHOLD_CODES[str(row[11])],
                    lacking=_LACKING_CODES[str(row[16])],
                )
            )
        Student.objects.bulk_create(students, batch_size=500)
        for need in needs:
            need.student_id = need.student.pk
        Need.objects.bulk_create(needs, batch_size=500)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def _job(kind: str, admin: Any, campaign: Any, data: bytes) -> tuple[float, Any]:
    elapsed, job = support.run_job(kind, admin, {"campaign": campaign.pk, "school": None}, data)
    support.expect(not job.errors, f"{kind} failed: {job.errors[:5]}")
    return elapsed, job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument(
        "--skip-floor",
        action="store_true",
        help="measure memory only: the floor's calamine load (3+ GiB at 1M rows) would otherwise"
        " stay in the process and blur the peak",
    )
    parser.add_argument("--database-url", default="", help="postgres://user@host:port/ or empty")
    options = parser.parse_args()

    url, server = support.database(options.database_url, BENCH_DB)
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"  # as in production: no query log kept in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "songmay.settings")
    import django

    django.setup()
    from django.db import connection

    from songmay.students.models import DuplicateCandidate, Need

    try:
        admin, campaign, schools = _setup(options.schools)
        data = _xlsx(_pupils(options.rows, schools))
        baseline = support.peak_mib()
        print(
            f"{connection.vendor}: {options.rows:,} pupils, {len(schools)} schools, "
            f"xlsx {len(data) / 1024 / 1024:.1f} MiB"
        )
        floor = float("nan") if options.skip_floor else _floor(data, campaign, schools)
        floor_peak = support.peak_mib()
        support.reset_peak()
        preview, job = _job("students.preview", admin, campaign, data)
        support.expect(job.summary["created"] == options.rows, job.summary)
        written, job = _job("students.import", admin, campaign, data)
        support.expect(Need.objects.count() == options.rows, "every pupil registered once")
        again, job = _job("students.import", admin, campaign, data)
        support.expect(job.summary["unchanged"] == options.rows, job.summary)
        peak = support.peak_mib()
        pairs = DuplicateCandidate.objects.count()

        def line(label: str, seconds: float) -> str:
            return (
                f"  {label:<28}{seconds:8.2f} s {options.rows / seconds:10,.0f} rows/s "
                f"{seconds / floor:6.2f}× floor"
            )

        if options.skip_floor:
            print("  floor skipped (--skip-floor): ratios are not meaningful in this run")
        print(line("floor (calamine + bulk)", floor))
        print(line("preview job", preview))
        print(line("import job (after confirm)", written))
        print(line("preview + import", preview + written))
        print(line("re-import, all unchanged", again))
        print(f"  likely duplicates queued: {pairs:,}")
        print(
            f"  peak memory of preview, import and re-import: {peak:,.0f} MiB "
            f"(floor: {floor_peak:,.0f} MiB; before the runs: {baseline:,.0f} MiB)"
        )
    finally:
        if server is not None:
            support.drop(server, BENCH_DB)


if __name__ == "__main__":
    main()
