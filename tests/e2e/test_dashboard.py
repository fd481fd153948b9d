"""The province officer opens the dashboard of the demo campaign and finds the seeds' figures:
17,049 pupils (11,967 / 4,482 / 600), 977 million đồng, 114 / 122 / 119 / 651 devices; then
drills down to a commune and a school, and reads it on a 360-px phone."""

import pytest
from playwright.sync_api import expect

from songmay.campaigns.demo import load_demo
from tests.e2e.test_foundation import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeds(areas):
    load_demo(students=True, gifts=True)


def test_the_province_dashboard_shows_the_seeds_figures(page, browser, live_server, seeds, shoot):
    log_in(page, "so.bacninh")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Tổng quan"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bắc Ninh")
    main = page.locator("main")
    pupils = page.get_by_role("table", name="Học sinh có nhu cầu theo cấp học")
    expect(pupils.locator("tfoot")).to_contain_text("17.049")
    for level, count in [("Tiểu học", "11.967"), ("Trung học cơ sở", "4.482"),
                         ("Trung học phổ thông và GDTX", "600")]:  # fmt: skip
        expect(pupils.get_by_role("row", name=level)).to_contain_text(count)
    gifts = page.get_by_role("table", name="Tiền và hiện vật đã tiếp nhận")
    expect(gifts.get_by_role("row", name="Tiền ủng hộ đã nhận")).to_contain_text("977.000.000 đ")
    for kind, count in [("Máy tính để bàn", "114"), ("Máy tính xách tay", "122"),
                        ("Máy tính bảng", "119"), ("Điện thoại thông minh", "651")]:  # fmt: skip
        expect(gifts.get_by_role("row", name=f"{kind} (đã nhận)")).to_contain_text(count)
    expect(main.locator("svg[role=img]").first).to_be_visible()
    shoot(page, "90-dashboard-province")

    page.get_by_role("link", name="Xã Lục Ngạn").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Xã Lục Ngạn")
    expect(page.get_by_role("navigation", name="Vị trí")).to_contain_text("Bắc Ninh")
    page.get_by_role("link", name="Trường Tiểu học Lục Ngạn").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trường Tiểu học Lục Ngạn")
    shoot(page, "91-dashboard-school")

    phone = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740})
    small = phone.new_page()
    log_in(small, "so.bacninh")
    small.goto("/dashboard/")
    expect(small.locator("#equipped-count")).to_have_text("0")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # nothing forces the phone to scroll sideways
    shoot(small, "92-dashboard-phone")
    phone.close()
