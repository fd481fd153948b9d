"""The shared pool in the browser: a province officer lends a tablet to a school, records its
return as needing repair, and sends it back to the pool from the repair queue."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from songmay.accounts.models import User
from songmay.campaigns.demo import BAC_GIANG
from songmay.campaigns.models import Campaign
from songmay.inventory.models import Device
from songmay.inventory.services import (
    DeviceData,
    device_status_change,
    devices_register,
    warehouse_create,
)
from songmay.pool.models import Loan
from tests.e2e.test_foundation import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCHOOL = "24720101"  # Trường Tiểu học Lục Ngạn in the demo


@pytest.fixture
def tablet(demo):
    """One available tablet of the demo campaign in the department's store."""
    campaign = Campaign.objects.get(name=BAC_GIANG)
    officer = User.objects.get(username="so.bacninh")
    store = warehouse_create(actor=officer, name="Kho dùng chung Sở GD&ĐT", area=campaign.area)
    [device] = devices_register(
        actor=officer, campaign=campaign, warehouse=store,
        rows=[DeviceData("tablet", make="Samsung", model="Galaxy Tab A7 Lite", serial="R9POOL01")],
    )  # fmt: skip
    device_status_change(actor=officer, device=device, status="inspected")
    device_status_change(actor=officer, device=device, status="available")
    return device


def test_lend_return_damaged_repair_and_back_to_the_pool(page, tablet, shoot):
    log_in(page, "so.bacninh")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Kho dùng chung"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kho dùng chung")
    page.get_by_role("navigation", name="Kho dùng chung").get_by_role(
        "link", name="Cho mượn", exact=True
    ).click()
    page.get_by_label("Thiết bị cho mượn").fill(tablet.asset_tag + "\n")
    page.get_by_label("Trường mượn (mã trường)").fill(SCHOOL)
    due = timezone.localdate() + dt.timedelta(days=30)
    page.get_by_label("Hạn trả").fill(due.strftime("%d/%m/%Y"))
    shoot(page, "70-pool-lend-form")
    page.get_by_role("button", name="Cho mượn").click()
    expect(page.locator(".messages")).to_contain_text("Đã cho mượn 1 thiết bị")
    expect(page.get_by_role("heading", level=1)).to_contain_text(tablet.asset_tag)
    expect(page.locator("dl.facts")).to_contain_text("Trường Tiểu học Lục Ngạn")
    expect(page.locator("dl.facts")).to_contain_text(due.strftime("%d/%m/%Y"))
    shoot(page, "71-pool-loan-detail")

    page.get_by_label("Tình trạng khi trả").select_option(label="Cần sửa chữa")
    page.get_by_label("Ghi chú").fill("Màn hình bị nứt")
    page.get_by_role("button", name="Ghi nhận đã trả").click()
    expect(page.locator(".messages")).to_contain_text("vào hàng chờ sửa chữa")
    expect(page.locator("dl.facts")).to_contain_text("Đã trả ngày")
    shoot(page, "72-pool-returned-needs-repair")

    page.get_by_role("navigation", name="Kho dùng chung").get_by_role(
        "link", name="Hàng chờ sửa chữa"
    ).click()
    row = page.locator("tbody tr", has_text=tablet.asset_tag)
    expect(row).to_contain_text("Cần sửa chữa")
    shoot(page, "73-pool-repair-queue")
    row.get_by_label("Tình trạng sau khi sửa").select_option(label="Tốt")
    row.get_by_role("button", name="Đưa lại vào kho").click()
    expect(page.locator(".messages")).to_contain_text("lại vào kho, sẵn sàng cho mượn")
    expect(page.locator("tbody")).to_contain_text("Không có thiết bị nào đang chờ sửa chữa.")
    shoot(page, "74-pool-back-in-the-pool")

    device = Device.objects.get(pk=tablet.pk)
    assert (device.status, device.condition) == ("available", "good")
    assert Loan.objects.get(device=device).condition_back == "needs_repair"
    page.goto("/pool/")
    expect(page.locator("tbody")).to_contain_text("Đã trả")
    shoot(page, "75-pool-loan-list")
