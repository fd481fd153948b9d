"""The whole journey as one scenario across roles, in a real browser.

A school registers its pupils from the Excel template; the province officer records a pledge,
receives laptops and makes them available; an allocation is tried, then approved; the school
prints the handover record and hands two laptops over; an outbreak closes the commune and a
laptop from the shared store travels to the pupil still waiting; Viettel covers a dead spot;
the donor's trace page and the public page show the gift without a pupil's name; and the
province report, exported from the dashboard, counts the equipped pupils.
"""

import io
import re
from unittest import mock

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from songmay.accounts.models import User
from songmay.campaigns.demo import BAC_GIANG
from songmay.campaigns.models import Campaign
from songmay.donations.models import Donation, Donor
from songmay.inventory.services import warehouse_create
from tests.e2e import test_students_import
from tests.e2e.test_allocation import equipped_on_students_list
from tests.e2e.test_connectivity import covered_count, map_statuses
from tests.e2e.test_donations import DONOR, donation_pledge
from tests.e2e.test_foundation import log_in
from tests.e2e.test_students_import import fill_template

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCHOOL = "24720101"  # Trường Tiểu học Lục Ngạn, where truong.thlucngan works
COMMUNE = "07582"  # Xã Lục Ngạn
STORE = "Kho dùng chung Sở GD&ĐT"
# Three pupils who lack a device, in the template's columns (see fill_template).
PUPILS = [
    ("Hoàng Văn Khánh", "12/02/2013", "Nam", "3A", "Tiểu học", "Hộ nghèo", "Thiết bị"),
    ("Vi Thị Duyên", "07/07/2014", "Nữ", "2B", "Tiểu học", "Hộ nghèo", "Cả hai"),
    ("Lăng Văn Phúc", "30/11/2012", "Nam", "4A", "Tiểu học", "Hộ cận nghèo", "Thiết bị"),
]
NAMES = [pupil[0] for pupil in PUPILS]
SERIALS = ["5CDJ0URNEY1", "5CDJ0URNEY2"]  # the two laptops delivered straight to the school
POOL_SERIAL = "5CDJ0URNEY3"  # the third one, kept in the department's shared store


@pytest.fixture
def store(demo):
    """The department's shared store (kho dùng chung), as the officer set it up beforehand."""
    campaign = Campaign.objects.get(name=BAC_GIANG)
    officer = User.objects.get(username="so.bacninh")
    assert campaign.area is not None  # Bắc Ninh
    return warehouse_create(actor=officer, name=STORE, area=campaign.area)


def new_page(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    log_in(page, username)
    return page


def equipped_in_report(page) -> int:
    """Open the dashboard, follow its "Báo cáo Excel" link and read the equipped count."""
    page.goto("/dashboard/")  # one campaign in scope: straight to its dashboard
    link = page.get_by_role("link", name="Báo cáo Excel")
    response = page.context.request.get(link.get_attribute("href"))
    assert response.ok
    assert response.body().startswith(b"PK")  # a zip, as every xlsx is
    book = openpyxl.load_workbook(io.BytesIO(response.body()), read_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells = [cell for cell in row if cell is not None]
            if cells and cells[0] == "Đã nhận thiết bị":
                return int(cells[1])
    raise AssertionError("no “Đã nhận thiết bị” row in the exported report")


def make_available(page, device_url):
    """Inspect, then release one registered device from its detail page."""
    page.goto(device_url)
    for status in ("Đã kiểm tra", "Sẵn sàng cấp phát"):
        page.get_by_label("Chuyển sang").select_option(label=status)
        page.get_by_role("button", name="Đổi trạng thái").click()
        expect(page.locator("main .badge").first).to_have_text(status)


def register_laptop(page, serial, *, school="", warehouse=""):
    """One laptop from the goods receipt TN-00002, scanned into the register form."""
    goods = Donation.objects.get(number=2, campaign__name=BAC_GIANG)
    page.goto("/inventory/devices/new/")
    page.get_by_label("Chương trình").select_option(label=BAC_GIANG)
    page.get_by_label("Từ đợt tiếp nhận").select_option(str(goods.pk))
    if school:
        page.get_by_label("hoặc giao thẳng cho trường (mã trường)").fill(school)
    if warehouse:
        page.get_by_label("Nhập vào kho").select_option(label=warehouse)
    page.get_by_label("Loại thiết bị").select_option(label="Máy tính xách tay")
    page.get_by_label("Số serial").fill(serial)
    page.get_by_label("Số serial").press("Enter")  # what a barcode scanner does
    expect(page.locator("#last")).to_contain_text(serial)
    link = page.locator("#last a").first
    return link.get_attribute("href"), link.inner_text()


@pytest.mark.usefixtures("store")
def test_the_whole_journey_across_roles(page, browser, live_server, shoot, tmp_path):
    campaign = Campaign.objects.get(name=BAC_GIANG)
    donor = Donor.objects.get(name=DONOR)
    officer = page
    log_in(officer, "so.bacninh")
    equipped_before = equipped_in_report(officer)

    # (a) The school downloads the template, fills it, uploads, previews and confirms.
    school = new_page(browser, live_server, "truong.thlucngan")
    shoot(school, "j01-school-home")
    school.goto("/students/import/")
    with school.expect_download() as download:
        school.get_by_role("link", name="Tải tệp mẫu (.xlsx)").click()
    filled = tmp_path / "danh-sach-hoc-sinh.xlsx"
    with mock.patch.object(test_students_import, "PUPILS", PUPILS):  # this journey's pupils
        filled.write_bytes(fill_template(download.value.path().read_bytes()))
    school.get_by_label("Chương trình").select_option(label=BAC_GIANG)
    school.locator("input[type=file]").set_input_files(str(filled))
    shoot(school, "j02-import-form")
    school.get_by_role("button", name="Tải lên và kiểm tra").click()
    expect(school.get_by_text("Chưa ghi gì vào hệ thống.")).to_be_visible(timeout=20_000)
    expect(school.locator("section.card")).to_contain_text("thêm mới 3")
    shoot(school, "j03-import-preview")
    school.get_by_role("button", name="Xác nhận nhập").click()
    school.get_by_role("link", name="Xem danh sách").click(timeout=20_000)
    for name in NAMES:
        expect(school.locator("table")).to_contain_text(name)
    shoot(school, "j04-school-finds-its-pupils")

    # The officer confirms the school's list: only confirmed pupils are allocated.
    officer.goto("/students/")
    for name in NAMES:
        officer.get_by_label(f"Chọn {name}").check()
        expect(officer.get_by_label(f"Chọn {name}")).to_be_checked()
    officer.get_by_role("button", name="Xác nhận các em đã chọn").click()
    expect(officer.locator(".messages")).to_contain_text("Đã xác nhận 3 em")
    shoot(officer, "j05-officer-confirms-pupils")

    # (b) A pledge, a receipt of four laptops, and two registered straight to the school.
    officer.goto("/donations/pledges/new/")
    officer.get_by_label("Chương trình").select_option(label=BAC_GIANG)
    officer.get_by_label("Nhà tài trợ").select_option(label=DONOR)
    officer.get_by_label("Ngày cam kết").fill("14/09/2021")
    officer.get_by_label("Số tiền cam kết (đồng)").fill("200.000.000")
    officer.get_by_label("Máy tính xách tay (số lượng)").fill("4")
    officer.get_by_role("button", name="Lưu").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Cam kết của")
    shoot(officer, "j06-pledge")
    officer.get_by_role("link", name="Ghi nhận tiếp nhận theo cam kết này").click()
    officer.get_by_label("Loại tiếp nhận").select_option(label="Tiền")
    officer.get_by_label("Ngày nhận").fill("22/09/2021")
    officer.get_by_label("Số tiền (đồng)").fill("120.000.000")
    officer.get_by_label("Hình thức").select_option(label="Chuyển khoản")
    officer.get_by_label("Mã giao dịch ngân hàng").fill("FT2109220001")
    officer.get_by_role("button", name="Lưu và cấp số biên nhận").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("TN-00001")
    officer.goto(f"/donations/receipts/new/?pledge={donation_pledge(donor)}")
    officer.get_by_label("Loại tiếp nhận").select_option(label="Thiết bị")
    officer.get_by_label("Ngày nhận").fill("23/09/2021")
    officer.get_by_label("Máy tính xách tay (số lượng)").fill("4")
    officer.get_by_role("button", name="Lưu và cấp số biên nhận").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("TN-00002")
    shoot(officer, "j07-goods-received")
    devices = [register_laptop(officer, serial, school=SCHOOL) for serial in SERIALS]
    shoot(officer, "j08-laptops-registered")
    for url, _tag in devices:
        make_available(officer, url)
    officer.goto("/inventory/devices/?status=available")
    for _url, tag in devices:
        expect(officer.locator("main")).to_contain_text(tag)
    shoot(officer, "j09-laptops-available")

    # (c) A dry run, reviewed, then approved.
    officer.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Phân bổ"
    ).click()
    officer.get_by_role("link", name="Các lượt phân bổ").click()
    officer.get_by_role("button", name=f"Chạy thử cho {BAC_GIANG}").click()
    expect(officer.get_by_text("Đây là bản chạy thử.")).to_be_visible()
    by_kind = officer.locator(
        "section", has=officer.get_by_role("heading", name="Theo loại thiết bị")
    )
    expect(by_kind).to_contain_text("Máy tính xách tay")
    shoot(officer, "j10-allocation-dry-run")
    officer.get_by_role("button", name="Phê duyệt lượt phân bổ").click()
    expect(officer.locator(".messages")).to_contain_text("Đã phê duyệt")
    shoot(officer, "j11-allocation-approved")

    # (d) The school prints the handover record and hands both laptops over.
    school.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Phân bổ"
    ).click()
    expect(school.locator("tbody tr")).to_have_count(len(SERIALS))
    before = int(school.locator("#equipped").inner_text())
    record = school.get_by_role("link", name=re.compile("In biên bản bàn giao"))
    pdf = school.context.request.get(record.get_attribute("href"))
    assert pdf.ok
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    shoot(school, "j12-school-assignments")
    today = timezone.localdate().strftime("%d/%m/%Y")
    for receiver, relation in [("Hoàng Văn Toàn", "Cha"), ("Vi Thị Hạnh", "Mẹ")]:
        school.get_by_role("link", name="Ghi nhận bàn giao").first.click()
        school.get_by_label("Ngày bàn giao").fill(today)
        school.get_by_label("Người nhận").fill(receiver)
        school.get_by_label("Quan hệ với học sinh").select_option(label=relation)
        school.get_by_role("button", name="Ghi nhận đã bàn giao").click()
        expect(school.locator(".messages")).to_contain_text("Đã ghi nhận bàn giao")
    school.goto("/allocation/")
    expect(school.locator("#equipped")).to_have_text(str(before + 2))
    shoot(school, "j13-two-handovers")
    waiting = [name for name in NAMES if name not in school.locator("tbody").inner_text()]
    assert len(waiting) == 1  # one pupil still has no laptop

    # (e) An outbreak closes the commune; the laptop in the shared store goes to that pupil.
    pool_url, pool_tag = register_laptop(officer, POOL_SERIAL, warehouse=STORE)
    make_available(officer, pool_url)
    officer.goto("/pool/outbreaks/new/")
    officer.get_by_label("Chương trình").select_option(label=BAC_GIANG)
    officer.get_by_label("Xã/phường học trực tuyến (mã, cách nhau bởi dấu phẩy)").fill(COMMUNE)
    officer.get_by_label("Từ ngày (dd/mm/yyyy)").fill(today)
    officer.get_by_label("Quyết định (số, ngày, cơ quan)").fill("Quyết định 1234/QĐ-UBND")
    shoot(officer, "j14-outbreak-form")
    officer.get_by_role("button", name="Ghi nhận").click()
    expect(officer.locator(".messages")).to_contain_text("Đã ghi nhận đợt dạy học trực tuyến")
    moves = officer.locator("table").nth(1).locator("tbody tr").first
    expect(moves).to_contain_text(STORE)
    expect(moves).to_contain_text("Trường Tiểu học Lục Ngạn")
    shoot(officer, "j15-rebalance-proposal")
    officer.get_by_role("button", name="Duyệt đề xuất: lập phiếu điều chuyển").click()
    expect(officer.locator(".messages")).to_contain_text("Đã duyệt điều chuyển: 1 phiếu")
    officer.locator("main ul a").first.click()
    officer.get_by_role("button", name="Gửi đi").click()
    expect(officer.locator(".messages")).to_contain_text("đã gửi đi")
    transfer_url = officer.url
    shoot(officer, "j16-transfer-sent")
    school.goto(transfer_url)
    school.get_by_role("link", name="Quét mã nhận thiết bị").click()
    school.get_by_label("Mã thiết bị").fill(pool_tag)
    school.get_by_role("button", name="Xác nhận đã nhận").click()
    expect(school.locator("tbody")).to_contain_text("✓")
    shoot(school, "j17-school-receives-pool-laptop")
    school.goto("/pool/")
    expect(school.locator("tbody")).to_contain_text(pool_tag)
    shoot(school, "j18-pool-laptop-lent")

    # (f) The officer reports a dead spot; Viettel covers it.
    officer.goto("/connectivity/dead-spots/new/")
    officer.get_by_label("Xã/phường").fill(COMMUNE)
    officer.get_by_label("Thôn/xóm").fill("Thôn Khe Nghè")
    officer.get_by_label("Vĩ độ").fill("21,38560")
    officer.get_by_label("Kinh độ").fill("106,56120")
    officer.get_by_label("Số hộ bị ảnh hưởng").fill("42")
    officer.get_by_label("Số học sinh bị ảnh hưởng").fill("17")
    officer.get_by_label("Doanh nghiệp chịu trách nhiệm").select_option(label="Viettel")
    officer.get_by_label("Ngày báo cáo").fill("15/09/2021")
    officer.get_by_label("Hạn phủ sóng").fill("31/12/2030")
    officer.get_by_role("button", name="Lưu").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Thôn Khe Nghè")
    spot_url = officer.url
    map_before = map_statuses(officer)
    operator = new_page(browser, live_server, "viettel")
    operator.goto(spot_url)
    operator.get_by_label("Chuyển sang").select_option(label="Đã phủ sóng")
    operator.get_by_label("Nhận xét").fill("Trạm 4G Khe Nghè đã phát sóng")
    operator.get_by_role("button", name="Cập nhật").click()
    expect(operator.locator("main")).to_contain_text("Đã phủ sóng")
    shoot(operator, "j19-operator-covers-dead-spot")
    officer.goto("/connectivity/dead-spots/")
    assert covered_count(officer) == "1"
    assert map_statuses(officer) != map_before
    shoot(officer, "j20-dead-spot-map")
    operator.context.close()

    # (g) The donor's trace page and the public page show the gift, never a pupil's name.
    officer.goto(f"/donations/donors/{donor.pk}/")
    officer.get_by_role("button", name="Tạo đường dẫn theo dõi").click()
    trace_url = officer.get_by_label("Đường dẫn theo dõi").input_value()
    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.goto(trace_url)
    expect(visitor.get_by_role("heading", level=1)).to_contain_text(DONOR)
    expect(visitor.locator("main")).to_contain_text("120.000.000 đ")
    expect(visitor.locator("main")).to_contain_text("Trường Tiểu học Lục Ngạn")
    shoot(visitor, "j21-donor-trace")
    public_pages = [visitor.content()]
    visitor.goto(f"/public/campaigns/{campaign.pk}/")
    expect(visitor.locator("main")).to_contain_text("120.000.000 đ")
    expect(visitor.locator("main")).to_contain_text(DONOR)
    shoot(visitor, "j22-public-campaign")
    public_pages.append(visitor.content())
    for html in public_pages:
        for name in [*NAMES, "Hoàng Văn Toàn", "Vi Thị Hạnh"]:
            assert name not in html
    visitor.context.close()

    # (h) The province report, exported from the dashboard, counts the equipped pupils.
    equipped_after = equipped_in_report(officer)
    shoot(officer, "j23-dashboard-report-links")
    assert equipped_after == equipped_before + 2
    assert equipped_on_students_list(school) == 2
    school.context.close()
