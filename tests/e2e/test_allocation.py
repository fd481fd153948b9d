"""A province officer runs a dry run, reviews and approves it; the school prints the handover
record, records two handovers, and the count of equipped pupils rises by two."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from songmay.accounts.models import User
from songmay.areas.models import School
from songmay.campaigns.demo import BAC_GIANG
from songmay.campaigns.models import Campaign
from songmay.inventory.services import DeviceData, device_status_change, devices_register
from songmay.students.services import StudentData, needs_confirm, student_register
from tests.e2e.test_foundation import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PUPILS = [("Nguyễn Thị Hoà", "3A", "poor"), ("Lường Văn Được", "4B", "poor"),
          ("Đặng Thị Ước", "5A", "near_poor")]  # fmt: skip


@pytest.fixture
def lucngan(demo):
    """Three confirmed pupils at Trường Tiểu học Lục Ngạn and three tablets ready there."""
    campaign = Campaign.objects.get(name=BAC_GIANG)
    school = School.objects.get(code="24720101")
    officer = User.objects.get(username="so.bacninh")
    needs = [
        student_register(
            actor=None,
            campaign=campaign,
            school=school,
            data=StudentData(
                full_name=name,
                date_of_birth=dt.date(2013, 5, 1 + index),
                level="primary",
                lacking="device",
                household=household,
                class_name=class_name,
            ),
        )
        for index, (name, class_name, household) in enumerate(PUPILS)
    ]
    needs_confirm(actor=officer, needs=needs)
    rows = [DeviceData("tablet", make="Samsung", model="Galaxy Tab A7 Lite", serial=f"R9TW10{n}")
            for n in range(len(PUPILS))]  # fmt: skip
    for device in devices_register(actor=officer, campaign=campaign, rows=rows, school=school):
        device_status_change(actor=officer, device=device, status="inspected")
        device_status_change(actor=officer, device=device, status="available")
    return school


def equipped_on_students_list(page) -> int:
    page.goto("/students/")
    card = page.locator(".card", has_text="đã được trang bị")
    return int(card.locator(".stat").inner_text())


def equipped_on_dashboard(page) -> int:
    page.goto("/dashboard/")
    return int(page.locator("#equipped-count").inner_text().replace(".", ""))


def test_a_run_from_dry_run_to_two_handovers(page, browser, live_server, lucngan, shoot):
    log_in(page, "so.bacninh")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Phân bổ"
    ).click()
    page.get_by_role("link", name="Các lượt phân bổ").click()
    page.get_by_role("button", name=f"Chạy thử cho {BAC_GIANG}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lượt phân bổ số 1")
    expect(page.get_by_text("Đây là bản chạy thử.")).to_be_visible()
    by_kind = page.locator("section", has=page.get_by_role("heading", name="Theo loại thiết bị"))
    expect(by_kind).to_contain_text("Máy tính bảng")
    for name, _class, _household in PUPILS:
        expect(page.locator("main")).to_contain_text(name)
    shoot(page, "50-allocation-dry-run")

    page.get_by_role("button", name="Phê duyệt lượt phân bổ").click()
    expect(page.locator(".messages")).to_contain_text("Đã phê duyệt Lượt phân bổ số 1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Đã phê duyệt")
    shoot(page, "51-allocation-approved")

    school = browser.new_context(
        base_url=live_server.url, viewport={"width": 1200, "height": 900}
    ).new_page()
    log_in(school, "truong.thlucngan")
    before = equipped_on_students_list(school)
    on_dashboard = equipped_on_dashboard(school)
    school.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Phân bổ"
    ).click()
    expect(school.get_by_role("heading", level=1)).to_contain_text(lucngan.name)
    rows = school.locator("tbody tr")
    expect(rows).to_have_count(len(PUPILS))
    shoot(school, "52-school-assignments")

    record = school.get_by_role("link", name=re.compile("In biên bản bàn giao"))
    pdf = school.context.request.get(record.get_attribute("href"))
    assert pdf.ok
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    today = timezone.localdate().strftime("%d/%m/%Y")
    for receiver, relation in [("Nguyễn Văn Hùng", "Cha"), ("Lường Thị Mai", "Mẹ")]:
        school.get_by_role("link", name="Ghi nhận bàn giao").first.click()
        expect(school.get_by_role("heading", level=1)).to_contain_text("Bàn giao thiết bị cho em")
        school.get_by_label("Ngày bàn giao").fill(today)
        school.get_by_label("Người nhận").fill(receiver)
        school.get_by_label("Quan hệ với học sinh").select_option(label=relation)
        if relation == "Cha":
            shoot(school, "53-handover-form")
        school.get_by_role("button", name="Ghi nhận đã bàn giao").click()
        expect(school.locator(".messages")).to_contain_text("Đã ghi nhận bàn giao")
    school.goto("/allocation/")
    expect(school.locator("tbody")).to_contain_text("Nguyễn Văn Hùng (cha)")
    expect(school.locator("tbody")).to_contain_text("Lường Thị Mai (mẹ)")
    expect(school.locator("#equipped")).to_have_text(str(before + 2))
    shoot(school, "54-two-handovers")

    assert equipped_on_students_list(school) == before + 2
    shoot(school, "55-students-equipped")
    assert equipped_on_dashboard(school) == on_dashboard + 2
    shoot(school, "56-school-dashboard-equipped")
    school.context.close()
