"""A province officer records a pledge, receives part of it, registers the devices; the public
page and the donor's private trace link show where the gift went."""

import pytest
from playwright.sync_api import expect

from songmay.campaigns.demo import BAC_GIANG
from songmay.campaigns.models import Campaign
from songmay.donations.models import Donation, Donor
from tests.e2e.test_foundation import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DONOR = "Công ty Cổ phần Công nghệ Bắc Giang (demo)"


def test_a_gift_from_pledge_to_public_page_and_trace_link(page, browser, live_server, demo, shoot):
    campaign = Campaign.objects.get(name=BAC_GIANG)
    donor = Donor.objects.get(name=DONOR)
    log_in(page, "so.bacninh")

    page.goto("/donations/pledges/new/")
    page.get_by_label("Chương trình").select_option(label=BAC_GIANG)
    page.get_by_label("Nhà tài trợ").select_option(label=DONOR)
    page.get_by_label("Ngày cam kết").fill("14/09/2021")
    page.get_by_label("Số tiền cam kết (đồng)").fill("200.000.000")
    page.get_by_label("Máy tính xách tay (số lượng)").fill("10")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cam kết của")

    page.get_by_role("link", name="Ghi nhận tiếp nhận theo cam kết này").click()
    page.get_by_label("Loại tiếp nhận").select_option(label="Tiền")
    page.get_by_label("Ngày nhận").fill("22/09/2021")
    page.get_by_label("Số tiền (đồng)").fill("120.000.000")
    page.get_by_label("Hình thức").select_option(label="Chuyển khoản")
    page.get_by_label("Mã giao dịch ngân hàng").fill("FT2109220001")
    page.get_by_role("button", name="Lưu và cấp số biên nhận").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("TN-00001")
    shoot(page, "20-donation-received")

    page.goto(f"/donations/receipts/new/?pledge={donation_pledge(donor)}")
    page.get_by_label("Loại tiếp nhận").select_option(label="Thiết bị")
    page.get_by_label("Ngày nhận").fill("23/09/2021")
    page.get_by_label("Máy tính xách tay (số lượng)").fill("4")
    page.get_by_role("button", name="Lưu và cấp số biên nhận").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("TN-00002")
    goods = Donation.objects.get(number=2, campaign=campaign)

    page.goto("/inventory/devices/new/")
    page.get_by_label("Chương trình").select_option(label=BAC_GIANG)
    page.get_by_label("Từ đợt tiếp nhận").select_option(str(goods.pk))
    page.get_by_label("hoặc giao thẳng cho trường (mã trường)").fill("24720101")
    page.get_by_label("Loại thiết bị").select_option(label="Máy tính xách tay")
    for serial in ("5CD1234ABC", "5CD1234ABD"):
        page.get_by_label("Số serial").fill(serial)
        page.get_by_label("Số serial").press("Enter")  # what a barcode scanner does
        expect(page.locator("#last")).to_contain_text(serial)
    shoot(page, "21-devices-registered")

    page.goto(f"/donations/donors/{donor.pk}/")
    page.get_by_role("button", name="Tạo đường dẫn theo dõi").click()
    trace_url = page.get_by_label("Đường dẫn theo dõi").input_value()
    assert "/public/trace/" in trace_url

    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.goto(trace_url)
    expect(visitor.get_by_role("heading", level=1)).to_contain_text(DONOR)
    expect(visitor.locator("main")).to_contain_text("120.000.000 đ")
    expect(visitor.locator("main")).to_contain_text("Trường Tiểu học")
    shoot(visitor, "22-donor-trace")

    visitor.goto(f"/public/campaigns/{campaign.pk}/")
    expect(visitor.locator("main")).to_contain_text("120.000.000 đ")
    expect(visitor.locator("main")).to_contain_text(DONOR)
    shoot(visitor, "23-public-page")
    visitor.context.close()


def donation_pledge(donor):
    return donor.pledges.get().pk
