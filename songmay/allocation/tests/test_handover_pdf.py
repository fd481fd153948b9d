"""The handover record (Biên bản bàn giao thiết bị): correct Vietnamese, one row per device."""

import datetime as dt
import io
import os
import re
import unicodedata

import pytest
from django.urls import reverse
from pypdf import PdfReader

from songmay.allocation.handover import handover_context, handover_pdf, place_name
from songmay.allocation.models import Assignment
from songmay.allocation.services import run_approve, run_create
from songmay.inventory.services import DeviceData, device_status_change, devices_register
from songmay.students.services import StudentData, needs_confirm, student_register

pytestmark = pytest.mark.django_db

# Given names that need Ư, Ơ, Đ, Ỳ...: a font without them would show it.
GIVEN = (
    "An Bình Cường Dũng Giang Hương Khánh Linh Mạnh Ngọc Phượng "
    "Quỳnh Sơn Thảo Uyên Vượng Xuân Yến Ánh Đức Ơn Ưng"
).split()


def imei(body: str) -> str:
    """A 14-digit body with its Luhn check digit, as on the box."""
    digits = [int(d) for d in body]
    total = sum(d if i % 2 == 0 else sum(divmod(d * 2, 10)) for i, d in enumerate(digits))
    return body + str((10 - total % 10) % 10)


def pdf_text(pdf: bytes) -> str:
    """The text a reader would copy out of the PDF, one space between words."""
    if dump := os.environ.get("SONGMAY_PDF_DUMP"):  # to look at the layout: pdftoppm -png
        with open(dump, "wb") as file:
            file.write(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


@pytest.fixture
def school_with_devices(alloc_world):
    """22 more pupils at Lục Ngạn with a tablet each: the record runs over several pages."""
    w = alloc_world
    school = w["schools"]["lucngan"]
    school.principal_name = "Đỗ Thị Hường"
    school.save()
    needs = [
        student_register(
            actor=None,
            campaign=w["campaign"],
            school=school,
            data=StudentData(
                full_name=f"Vũ Thị {given}",
                date_of_birth=dt.date(2013, 2, 1 + index),
                level="primary",
                lacking="device",
                household="poor",
                class_name=f"{3 + index % 3}A",
            ),
        )
        for index, given in enumerate(GIVEN)
    ]
    needs_confirm(actor=w["officer"], needs=needs)
    rows = [
        DeviceData("tablet", make="Samsung", model="Galaxy Tab A7 Lite", serial=f"R9TW{index:04d}",
                   imei=imei(f"35{index:012d}"))
        for index in range(len(GIVEN))
    ]  # fmt: skip
    devices = devices_register(actor=w["officer"], campaign=w["campaign"], rows=rows, school=school)
    for device in devices:
        device_status_change(actor=w["officer"], device=device, status="inspected")
        device_status_change(actor=w["officer"], device=device, status="available")
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    run_approve(actor=w["officer"], run=run)
    assignments = list(
        Assignment.objects.filter(need__school=school)
        .select_related("campaign", "student", "need", "device")
        .order_by("need__class_name", "student__sort_key", "pk")
    )
    return school, assignments


def test_the_record_is_a_formal_vietnamese_document(school_with_devices, alloc_world):
    school, assignments = school_with_devices
    text = pdf_text(handover_pdf(assignments, school))
    for expected in [
        "UBND XÃ LỤC NGẠN",
        "TRƯỜNG TIỂU HỌC XÃ LỤC NGẠN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Lục Ngạn, ngày",
        "BIÊN BẢN BÀN GIAO THIẾT BỊ HỌC TẬP TRỰC TUYẾN",
        f"Chương trình “{alloc_world['campaign'].name}”",
        "Bên giao (Bên A): Trường Tiểu học Xã Lục Ngạn",
        "Ông/Bà Đỗ Thị Hường — Chức vụ: Hiệu trưởng",
        "Bên nhận (Bên B): Cha, mẹ hoặc người giám hộ",
        "STT Họ và tên học sinh Lớp Người nhận",
        "Loại thiết bị Hãng/Model Số serial/IMEI Mã tài sản Ký nhận",
        "Máy tính bảng Samsung Galaxy Tab A7 Lite",
        f"Tổng cộng: {len(assignments)} thiết bị cho {len(assignments)} học sinh",
        "ĐẠI DIỆN BÊN NHẬN",
        "NGƯỜI LẬP BIÊN BẢN",
        "ĐẠI DIỆN BÊN GIAO HIỆU TRƯỞNG",
        "(Ký, ghi rõ họ tên và đóng dấu)",
    ]:
        assert expected in text, expected
    for assignment in assignments:
        assert assignment.student.full_name in text, assignment.student.full_name


def test_one_row_per_assignment_across_pages(school_with_devices):
    school, assignments = school_with_devices
    pdf = handover_pdf(assignments, school)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    text = pdf_text(pdf)
    for assignment in assignments:
        assert text.count(assignment.device.asset_tag) == 1, assignment.device.asset_tag
        assert text.count(assignment.device.serial) == 1
    # The table's header repeats on every page; each row is numbered once, in order.
    assert 2 <= text.count("STT Họ và tên học sinh") <= len(reader.pages)
    numbers = [int(n) for n in re.findall(r"(\d+) (?:Vũ Thị|Nguyễn Văn|Trần Thị) ", text)]
    assert numbers == list(range(1, len(assignments) + 1))


def test_the_rows_follow_class_then_name(school_with_devices):
    school, assignments = school_with_devices
    rows = handover_context(assignments, school)["rows"]
    assert len(rows) == len(assignments)
    assert [row.number for row in rows] == list(range(1, len(rows) + 1))
    classes = [row.class_name for row in rows]
    assert classes == sorted(classes)


def test_the_view_prints_every_waiting_device_of_the_school(
    client, school_with_devices, alloc_world
):
    _school, assignments = school_with_devices
    handed = assignments[0]
    handed.status = "handed_over"
    handed.save()
    client.force_login(alloc_world["staff_ln"])
    response = client.get(reverse("allocation:handover_pdf"))
    text = pdf_text(response.content)
    waiting = [a for a in assignments if a.pk != handed.pk]
    assert f"Tổng cộng: {len(waiting)} thiết bị" in text
    assert handed.device.asset_tag not in text
    for assignment in waiting:
        assert assignment.device.asset_tag in text


def test_the_record_uses_fonts_that_carry_every_vietnamese_letter(school_with_devices):
    school, assignments = school_with_devices
    pdf = handover_pdf(assignments[:3], school)
    families = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            families.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    assert families
    assert all(name.startswith("DejaVu") for name in families), families


def test_place_names_drop_the_kind_of_unit():
    assert place_name("Xã Lục Ngạn") == "Lục Ngạn"
    assert place_name("Phường Bắc Giang") == "Bắc Giang"
    assert place_name("Lục Ngạn") == "Lục Ngạn"
