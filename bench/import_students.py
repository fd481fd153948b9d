"""Benchmark: import N pupils from one xlsx through the real code path, and compare with the
floor measured in the same run.

    .venv/bin/python bench/import_students.py --rows 20000
    .venv/bin/python bench/import_students.py --rows 20000 \\
        --database-url postgres://postgres@127.0.0.1:5432/ --database-name songmay_bench_import

Sets up a fresh database (SQLite: a temporary file; PostgreSQL: a database, `songmay_bench` unless
named, created on the server and dropped afterwards), migrates, loads the official areas, creates
a campaign and several schools, writes a realistic xlsx of N pupils (Vietnamese names, several
schools, about half with a personal ID), then:

- floor: read the file with python-calamine and bulk-insert the equivalent Student and Need
  rows (rolled back afterwards);
- preview: the `students.preview` job (read, check every row, match with the registry);
- import: the `students.import` job (read and check again, match, write, queue duplicates,
  audit), i.e. what runs after the user confirms;
- re-import: the same file again, where every row is unchanged.

The file is written, and the floor measured, each in a process of its own: what they leave
behind is not the jobs' memory. The jobs run one after another in this process, as one worker
runs them, and each one's peak resident memory is printed with its seconds, rows per second and
ratio to the floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import support  # noqa: E402

# Another benchmark (or engineer) may use the default name on the same server: --database-name.
BENCH_DB = os.environ.get("SONGMAY_BENCH_DB", "songmay_bench")

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


def _xlsx(rows: Iterable[list[object]], path: Path) -> None:
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
    workbook.save(path)


def _bench_schools() -> list[Any]:
    """The schools `_setup` created, in the same order: for a stage run in its own process."""
    from songmay.areas.models import School

    return list(School.objects.select_related("area").filter(code__startswith="B").order_by("code"))


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


def _job(
    kind: str, admin: Any, campaign: Any, path: Path
) -> tuple[float, float, float, dict[str, Any]]:
    """(seconds, CPU seconds, peak MiB, summary) of one job: the peak is measured from just
    before the job runs, once the upload is saved, so it is what the worker needs (the file
    included). CPU seconds are this process's only: a database server's are not counted."""
    job_id = support.job_create(
        kind, admin, {"campaign": campaign.pk, "school": None}, path.read_bytes()
    )
    support.reset_peak()
    cpu = time.process_time()
    elapsed, job = support.job_time(kind, job_id)
    cpu = time.process_time() - cpu
    peak = support.peak_mib()
    support.expect(not job.errors, f"{kind} failed: {job.errors[:5]}")
    return elapsed, cpu, peak, job.summary


def _in_own_process(stage: str, path: Path, rows: int) -> str:
    """Run one stage of this benchmark in a fresh process; the last line it prints."""
    command = [sys.executable, __file__, "--stage", stage, "--file", str(path), "--rows", str(rows)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    return done.stdout.strip().splitlines()[-1]


def _stage(stage: str, path: Path, rows: int) -> None:
    """A stage run by `_in_own_process`, on the database the parent set up."""
    from songmay.campaigns.models import Campaign

    schools = _bench_schools()
    if stage == "write":
        _xlsx(_pupils(rows, schools), path)
        print(support.peak_mib())
    else:
        cpu = time.process_time()
        elapsed = _floor(path.read_bytes(), Campaign.objects.get(), schools)
        print(elapsed, time.process_time() - cpu)


def _django() -> None:
    os.environ["DEBUG"] = "false"  # as in production: no query log kept in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "songmay.settings")
    import django

    django.setup()


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument(
        "--skip-floor",
        action="store_true",
        help="measure the jobs only: the floor's calamine load takes 3+ GiB at 1M rows",
    )
    parser.add_argument("--database-url", default="", help="postgres://user@host:port/ or empty")
    parser.add_argument("--database-name", default=BENCH_DB, help="PostgreSQL database to use")
    parser.add_argument("--stage", choices=("write", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    options = _options()
    if options.stage:
        _django()
        _stage(options.stage, options.file, options.rows)
        return

    url, server = support.database(options.database_url, options.database_name)
    os.environ["DATABASE_URL"] = url
    _django()
    from django.db import connection

    from songmay.students.models import DuplicateCandidate, Need

    folder = tempfile.TemporaryDirectory(prefix="songmay-bench-")
    path = Path(folder.name) / "pupils.xlsx"
    try:
        admin, campaign, schools = _setup(options.schools)
        connection.close()  # the stages' processes use the database too
        writer_peak = float(_in_own_process("write", path, options.rows))
        print(
            f"{connection.vendor}: {options.rows:,} pupils, {len(schools)} schools, "
            f"xlsx {path.stat().st_size / 1024 / 1024:.1f} MiB "
            f"(written in its own process, peak {writer_peak:,.0f} MiB)",
            flush=True,
        )
        floor = floor_cpu = float("nan")
        if options.skip_floor:
            print("  floor skipped (--skip-floor): ratios are not meaningful in this run")
        else:
            floor, floor_cpu = map(float, _in_own_process("floor", path, options.rows).split())

        def line(label: str, seconds: float, cpu: float, peak: float | None = None) -> None:
            memory = f"{peak:8,.0f} MiB peak" if peak is not None else ""
            # Each stage as it ends: a long run tells what it has measured so far. CPU seconds
            # tell a slow stage from a busy machine (the server's share is not in them).
            print(
                f"  {label:<28}{seconds:8.2f} s {options.rows / seconds:10,.0f} rows/s "
                f"{seconds / floor:6.2f}× floor {cpu:8.2f} s CPU {memory}",
                flush=True,
            )

        line("floor (calamine + bulk)", floor, floor_cpu)
        support.reset_peak()
        baseline = support.peak_mib()
        preview, preview_cpu, preview_peak, summary = _job(
            "students.preview", admin, campaign, path
        )
        support.expect(summary["created"] == options.rows, summary)
        line("preview job", preview, preview_cpu, preview_peak)
        written, written_cpu, import_peak, summary = _job("students.import", admin, campaign, path)
        support.expect(Need.objects.count() == options.rows, "every pupil registered once")
        line("import job (after confirm)", written, written_cpu, import_peak)
        line("preview + import", preview + written, preview_cpu + written_cpu)
        again, again_cpu, again_peak, summary = _job("students.import", admin, campaign, path)
        support.expect(summary["unchanged"] == options.rows, summary)
        line("re-import, all unchanged", again, again_cpu, again_peak)
        print(f"  likely duplicates queued: {DuplicateCandidate.objects.count():,}")
        print(
            f"  peak memory of the jobs: {max(preview_peak, import_peak, again_peak):,.0f} MiB "
            f"(this process before them: {baseline:,.0f} MiB)"
        )
    finally:
        folder.cleanup()
        if server is not None:
            support.drop(server, options.database_name)


if __name__ == "__main__":
    main()
