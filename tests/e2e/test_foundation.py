"""A province officer sees the demo campaign's contacts; a school's staff cannot reach
another commune's school."""

import re

import pytest
from playwright.sync_api import expect

from songmay.campaigns.demo import BAC_GIANG, DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xin chào")


def test_province_officer_opens_the_demo_campaign_and_sees_its_contacts(page, demo, shoot):
    log_in(page, "so.bacninh")
    shoot(page, "01-home-province-officer")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Chương trình"
    ).click()
    page.get_by_role("link", name=BAC_GIANG).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(BAC_GIANG)
    contacts = page.locator("table", has=page.get_by_role("columnheader", name="Chức vụ"))
    expect(contacts).to_contain_text("Nguyễn Văn Thêm")
    expect(contacts).to_contain_text("Phó Giám đốc Sở Giáo dục và Đào tạo")
    expect(page.get_by_text("100% học sinh có thiết bị")).to_be_visible()
    shoot(page, "02-campaign-contacts")


def test_vinh_phuc_contacts_read_as_the_plan_prints_them(page, demo, shoot):
    log_in(page, "admin")
    page.goto("/campaigns/")
    page.get_by_role("link", name=re.compile("Vĩnh Phúc")).click()
    rows = page.locator("table").last.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Đặng Công Hòa")
    expect(rows.nth(0)).to_contain_text("0983.934.091")
    expect(rows.nth(3)).to_contain_text("0915.262.928")
    expect(page.get_by_text("Từ ngày 21/09/2021 đến hết ngày 26/09/2021")).to_be_visible()
    shoot(page, "03-vinh-phuc-contacts")


def test_school_staff_gets_404_for_a_school_in_another_commune(page, demo, shoot):
    from songmay.areas.models import School

    own = School.objects.get(code="24720101")  # Lục Ngạn, the demo staff member's school
    other = School.objects.get(code="24730101")  # Sơn Động, another commune
    log_in(page, "truong.thlucngan")
    assert page.goto(f"/schools/{own.pk}/").status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(own.name)
    response = page.goto(f"/schools/{other.pk}/")
    assert response.status == 404
    shoot(page, "04-other-school-404")


def test_phone_width_layout_has_no_horizontal_scroll(page, demo, shoot):
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, "so.bacninh")
    assert page.goto("/schools/").status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Trường học")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    shoot(page, "05-schools-360px")
