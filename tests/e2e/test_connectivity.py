"""An officer reports a dead spot; its operator marks it covered and the counts and the map
follow. A school requests a data package; the operator downloads its batch, fills in the
result and uploads it, and the package is active."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from songmay.areas.models import School
from songmay.campaigns.demo import BAC_GIANG
from songmay.campaigns.models import Campaign
from songmay.connectivity.models import DataPackage, Operator
from songmay.students.services import StudentData, needs_confirm, student_register
from tests.e2e.test_foundation import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def covered_count(page):
    return page.locator(".card", has_text="đã phủ sóng").first.locator(".stat").inner_text()


def map_statuses(page):
    page.goto("/connectivity/dead-spots/map/")
    data = json.loads(page.locator("#dead-spot-data").inner_text())
    points = data["points"] if isinstance(data, dict) else data
    return sorted(str(point) for point in points)


@pytest.mark.usefixtures("demo")
def test_a_dead_spot_is_covered_and_a_package_activated_by_upload(
    page, browser, live_server, shoot, tmp_path
):
    log_in(page, "so.bacninh")
    page.goto("/connectivity/dead-spots/new/")
    page.get_by_label("Xã/phường").fill("07582")
    page.get_by_label("Thôn/xóm").fill("Thôn Khe Nghè")
    page.get_by_label("Vĩ độ").fill("21,38560")
    page.get_by_label("Kinh độ").fill("106,56120")
    page.get_by_label("Số hộ bị ảnh hưởng").fill("42")
    page.get_by_label("Số học sinh bị ảnh hưởng").fill("17")
    page.get_by_label("Doanh nghiệp chịu trách nhiệm").select_option(label="Viettel")
    page.get_by_label("Ngày báo cáo").fill("15/09/2021")
    page.get_by_label("Hạn phủ sóng").fill("31/12/2030")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thôn Khe Nghè")
    spot_url = page.url
    page.goto("/connectivity/dead-spots/")
    assert covered_count(page) == "0"
    before = map_statuses(page)

    operator = browser.new_context(base_url=live_server.url).new_page()
    log_in(operator, "viettel")
    operator.goto(spot_url)
    operator.get_by_label("Chuyển sang").select_option(label="Đã phủ sóng")
    operator.get_by_label("Nhận xét").fill("Trạm 4G Khe Nghè đã phát sóng")
    operator.get_by_role("button", name="Cập nhật").click()
    expect(operator.locator("main")).to_contain_text("Đã phủ sóng")
    shoot(operator, "80-dead-spot-covered")

    page.goto("/connectivity/dead-spots/")
    assert covered_count(page) == "1"
    assert map_statuses(page) != before
    shoot(page, "81-dead-spot-map")

    # A pupil lacking connectivity, and Viettel's package for online learning.
    package = DataPackage.objects.create(
        operator=Operator.objects.get(code="viettel"), name="Học trực tuyến 4G", months=6,
        data_gb_per_month=Decimal(4), price=70_000, free=True,
    )  # fmt: skip
    need = student_register(
        actor=None,
        campaign=Campaign.objects.get(name=BAC_GIANG),
        school=School.objects.get(code="24720101"),
        data=StudentData(
            full_name="Nông Văn Sóng", date_of_birth=dt.date(2012, 3, 4), level="primary",
            lacking="connectivity", guardian_phone="0983934091",
        ),
    )  # fmt: skip
    needs_confirm(actor=None, needs=[need])
    school = browser.new_context(base_url=live_server.url).new_page()
    log_in(school, "truong.thlucngan")
    school.goto(f"/students/{need.pk}/")
    school.get_by_role("link", name="Đề nghị gói cước").click()
    school.locator("select[name=package]").select_option(str(package.pk))
    school.get_by_label("Số điện thoại di động nhận gói").fill("0983 934 091")
    school.get_by_label("Cha mẹ hoặc người giám hộ đã đồng ý").check()
    school.get_by_role("button", name="Đề nghị").click()
    expect(school.locator("main")).to_contain_text("Đã đề nghị")

    operator.goto("/connectivity/exchange/")
    operator.get_by_label("Định dạng").select_option("csv")
    with operator.expect_download() as download:
        operator.get_by_role("button", name="Tải lô mới").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for row in rows[1:]:
        row[header.index("Kết quả")] = "kích hoạt"
        row[header.index("Ngày kích hoạt")] = "01/10/2021"
    results = tmp_path / "ket-qua.csv"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    results.write_text(out.getvalue(), encoding="utf-8")
    operator.get_by_label("Tệp kết quả").set_input_files(str(results))
    operator.get_by_role("button", name="Tải lên kết quả").click()
    expect(operator.locator("main")).not_to_contain_text("Lỗi trong tệp kết quả")
    shoot(operator, "82-operator-results-uploaded")

    school.goto(f"/students/{need.pk}/")
    expect(school.locator("main")).to_contain_text("Đang sử dụng")
    expect(school.get_by_role("link", name="Đề nghị gói cước")).to_have_count(0)
    shoot(school, "83-pupil-package-active")
