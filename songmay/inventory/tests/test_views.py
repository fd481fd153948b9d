import re
from decimal import Decimal

import pytest

from songmay.inventory.models import Device, DeviceEvent, DeviceEventKind, DeviceStatus, MinimumSpec
from songmay.inventory.services import (
    DeviceData,
    device_register,
    device_status_change,
    devices_register,
)

pytestmark = pytest.mark.django_db

IMEI = "490154203237518"


@pytest.fixture
def devices(stock):
    """Twelve tablets from the donation in the store, two laptops at two schools."""
    tablets = devices_register(
        actor=None, campaign=stock["campaign"], origin_donation=stock["donation"],
        warehouse=stock["warehouse"],
        rows=[DeviceData(kind="tablet", make="Samsung", model="Galaxy Tab A7", serial=f"R9T{n:03d}",
                         ram_gb=Decimal(3), storage_gb=32) for n in range(10)],
    )  # fmt: skip
    laptop_ln = device_register(
        actor=None, campaign=stock["campaign"], school=stock["schools"]["lucngan"],
        data=DeviceData(kind="laptop", make="Dell", model="Vostro 3400", serial="LN-LAPTOP",
                        ram_gb=Decimal(8), storage_gb=256),
    )  # fmt: skip
    laptop_sd = device_register(
        actor=None, campaign=stock["campaign"], school=stock["schools"]["sondong"],
        data=DeviceData(kind="laptop", make="HP", model="ProBook 440", serial="SD-LAPTOP",
                        ram_gb=Decimal(2), storage_gb=64),
    )  # fmt: skip
    return {"tablets": tablets, "laptop_ln": laptop_ln, "laptop_sd": laptop_sd}


def test_list_shows_counts_filters_and_only_the_users_devices(stock, devices, client):
    client.force_login(stock["officer"])
    page = client.get("/inventory/devices/").content.decode()
    assert '<div class="stat">12</div>' in page
    assert "LN-LAPTOP" in page and "SD-LAPTOP" in page
    failing = client.get("/inventory/devices/", {"kind": "laptop", "meets": "no"})
    assert "SD-LAPTOP" in failing.content.decode()
    assert "LN-LAPTOP" not in failing.content.decode()
    found = client.get("/inventory/devices/", {"q": " r9t 004 "}).content.decode()
    assert "R9T004" in found and "R9T005" not in found
    at_schools = client.get("/inventory/devices/", {"location": "school"}).content.decode()
    assert '<div class="stat">2</div>' in at_schools
    client.force_login(stock["staff_ln"])
    own = client.get("/inventory/devices/").content.decode()
    assert "LN-LAPTOP" in own
    assert "SD-LAPTOP" not in own and "R9T001" not in own
    client.force_login(stock["officer_pt"])
    assert "LN-LAPTOP" not in client.get("/inventory/devices/").content.decode()


def test_list_query_count_does_not_grow_with_rows(
    stock, devices, client, django_assert_max_num_queries
):
    client.force_login(stock["officer"])
    with django_assert_max_num_queries(12) as few:
        assert (
            client.get("/inventory/devices/", {"campaign": stock["campaign"].pk}).status_code == 200
        )
    devices_register(
        actor=None, campaign=stock["campaign"], warehouse=stock["warehouse"],
        rows=[DeviceData(kind="laptop", serial=f"MORE{n}") for n in range(60)],
    )  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert (
            client.get("/inventory/devices/", {"campaign": stock["campaign"].pk}).status_code == 200
        )


def test_detail_shows_origin_donor_and_timeline(stock, devices, client):
    tablet = devices["tablets"][0]
    device_status_change(actor=stock["officer"], device=tablet, status="inspected", note="Đủ sạc")
    client.force_login(stock["officer"])
    page = client.get(f"/inventory/devices/{tablet.pk}/").content.decode()
    assert stock["donation"].code in page
    assert f"/donations/receipts/{stock['donation'].pk}/" in page
    assert "Công ty Cổ phần Máy Tính Bảng" in page
    assert "Đã tiếp nhận → Đã kiểm tra" in page
    assert "Đủ sạc" in page
    # Only the allowed next steps are offered.
    assert 'value="available"' in page
    assert 'value="handed_over"' not in page


def test_a_purchased_device_shows_the_donors_whose_money_bought_it(stock, client):
    import datetime as dt

    from songmay.donations.services import (
        DonationData,
        PurchaseLineData,
        SpendingData,
        donation_receive,
        spending_record,
    )

    donation_receive(
        actor=stock["officer"], campaign=stock["campaign"], donor=stock["donor"],
        data=DonationData(kind="money", received_on=dt.date(2021, 9, 23), amount=30_000_000,
                          method="bank_transfer", bank_reference="FT21266001"),
    )  # fmt: skip
    spending_record(
        actor=stock["officer"], campaign=stock["campaign"], warehouse=stock["warehouse"],
        data=SpendingData(kind="purchase", spent_on=dt.date(2021, 9, 25),
                          description="Mua máy tính bảng", approved_by="Giám đốc Sở",
                          supplier="Công ty Phân phối", invoice_number="0000123",
                          lines=[PurchaseLineData("tablet", 3_000_000, 2, "Lenovo", "Tab M8")]),
    )  # fmt: skip
    device = Device.objects.get(origin_purchase__isnull=False, seq=1)
    client.force_login(stock["officer"])
    page = client.get(f"/inventory/devices/{device.pk}/").content.decode()
    assert "Mua bằng tiền tài trợ" in page
    assert "Công ty Cổ phần Máy Tính Bảng" in page
    assert "6.000.000 đ" in page
    client.force_login(stock["staff_ln"])  # the device is in the store, not at the school
    assert client.get(f"/inventory/devices/{device.pk}/").status_code == 404


def test_detail_is_404_outside_the_scope_and_read_only_without_change(stock, devices, client):
    laptop = devices["laptop_ln"]
    client.force_login(stock["staff_sd"])
    assert client.get(f"/inventory/devices/{laptop.pk}/").status_code == 404
    client.force_login(stock["officer_pt"])
    assert client.get(f"/inventory/devices/{laptop.pk}/").status_code == 404
    client.force_login(stock["staff_ln"])
    page = client.get(f"/inventory/devices/{laptop.pk}/").content.decode()
    assert "LN-LAPTOP" in page
    assert "Đổi trạng thái" not in page
    assert (
        client.post(f"/inventory/devices/{laptop.pk}/status/", {"status": "inspected"}).status_code
        == 403
    )


def test_register_keeps_the_batch_and_comes_back_empty_for_the_next_box(stock, client):
    client.force_login(stock["officer"])
    first = client.get("/inventory/devices/new/").content.decode()
    assert 'name="serial"' in first and "autofocus" in first
    batch = {
        "campaign": stock["campaign"].pk, "warehouse": stock["warehouse"].pk, "school": "",
        "donation": stock["donation"].pk, "kind": "tablet", "make": "Samsung",
        "model": "Galaxy Tab A7", "ram_gb": "3", "storage_gb": "32", "os": "Android 11",
        "screen_inches": "10,4", "condition": "new", "note": "",
    }  # fmt: skip
    response = client.post("/inventory/devices/new/", {**batch, "serial": "r9t-001", "imei": IMEI})
    assert response.status_code == 302
    device = Device.objects.get()
    assert (device.serial, device.imei, device.screen_inches) == ("R9T-001", IMEI, Decimal("10.4"))
    assert device.origin_donation == stock["donation"] and device.warehouse == stock["warehouse"]
    again = client.get(response["Location"]).content.decode()
    assert device.asset_tag in again  # the last device is shown
    assert 'value="Galaxy Tab A7"' in again  # the model is kept for the next box
    assert "R9T-001" not in again.split("<form")[1]  # ...but the codes are empty
    assert 'name="imei" ' in again and "autofocus" in again.split('name="imei"')[1].split(">")[0]
    assert "Hôm nay bạn đã nhập 1 thiết bị" in again


def test_register_shows_the_services_errors_beside_the_field(stock, client):
    client.force_login(stock["officer"])
    batch = {"campaign": stock["campaign"].pk, "warehouse": stock["warehouse"].pk,
             "kind": "smartphone", "condition": "new"}  # fmt: skip
    page = client.post("/inventory/devices/new/", {**batch, "imei": "490154203237519"})
    assert page.status_code == 200
    html = page.content.decode()
    imei_block = html.split('for="id_imei"')[1].split('name="imei"')[0]
    assert "số kiểm tra" in imei_block
    # The refused code is cleared and focused, so the next scan does not append to it.
    imei_input = html.split('name="imei"')[1].split(">")[0]
    assert "autofocus" in imei_input and "value=" not in imei_input
    assert not Device.objects.exists()
    client.post("/inventory/devices/new/", {**batch, "serial": "S-1"})
    html = client.post("/inventory/devices/new/", {**batch, "serial": "s-1"}).content.decode()
    assert "S-1 đã có trong kho" in html.split('for="id_serial"')[1].split('name="serial"')[0]
    assert Device.objects.count() == 1
    html = client.post(
        "/inventory/devices/new/", {**batch, "serial": "S-2", "school": "KHÔNG-CÓ"}
    ).content.decode()
    assert "Không có trường mã “KHÔNG-CÓ”" in html


def test_status_and_move_forms_change_the_device(stock, devices, client):
    tablet = devices["tablets"][0]
    client.force_login(stock["officer"])
    url = f"/inventory/devices/{tablet.pk}/"
    assert client.post(url + "status/", {"status": "inspected"}).status_code == 302
    response = client.post(url + "status/", {"status": "handed_over"}, follow=True)
    assert "chỉ chuyển được sang" in response.content.decode()
    school = stock["schools"]["lucngan"]
    client.post(url + "move/", {"school": school.code, "note": "Giao cho trường"})
    tablet.refresh_from_db()
    assert tablet.status == DeviceStatus.INSPECTED and tablet.school == school
    kinds = list(DeviceEvent.objects.filter(device=tablet).values_list("kind", flat=True))
    assert kinds.count(DeviceEventKind.STATUS) == 1 and kinds.count(DeviceEventKind.MOVED) == 1
    response = client.post(url + "move/", {}, follow=True)
    assert "Chọn một kho hoặc ghi mã một trường" in response.content.decode()


def test_the_status_and_move_forms_share_the_page_but_no_field_id(stock, devices, client):
    """Each label names one field (a screen reader reads the right one); the names the views
    read are kept, so both forms post as before."""
    client.force_login(stock["officer"])
    page = client.get(f"/inventory/devices/{devices['tablets'][0].pk}/").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    labelled = re.findall(r'<label for="([^"]+)"', page)
    assert len(labelled) >= 5 and set(labelled) <= set(ids)
    assert page.count('name="note"') == 2 and 'name="status"' in page and 'name="school"' in page


def test_edit_corrects_the_description(stock, devices, client):
    laptop = devices["laptop_sd"]
    client.force_login(stock["officer"])
    form = client.get(f"/inventory/devices/{laptop.pk}/edit/").content.decode()
    assert 'value="SD-LAPTOP"' in form
    response = client.post(f"/inventory/devices/{laptop.pk}/edit/", {
        "kind": "laptop", "make": "HP", "model": "ProBook 440", "serial": "SD-LAPTOP",
        "ram_gb": "8", "storage_gb": "64", "condition": "good",
    })  # fmt: skip
    assert response.status_code == 302
    laptop.refresh_from_db()
    assert laptop.ram_gb == 8 and laptop.meets_minimum is True


def test_minimum_table_is_edited_by_the_department_and_rechecks(stock, devices, client):
    url = f"/inventory/campaigns/{stock['campaign'].pk}/minimum/"
    client.force_login(stock["area_ln"])
    page = client.get(url).content.decode()
    assert "≥ 4 GB" in page  # the laptop minimum, read-only for the commune
    assert "Lưu cấu hình" not in page
    assert (
        client.post(url, {"kind": "tablet", "ram_gb": "2", "storage_gb": "16"}).status_code == 200
    )
    assert not MinimumSpec.objects.filter(kind="tablet").exists()
    client.force_login(stock["officer"])
    assert "Lưu cấu hình" in client.get(url, {"kind": "laptop"}).content.decode()
    response = client.post(url, {"kind": "tablet", "ram_gb": "2,5", "storage_gb": "32"})
    assert response.status_code == 302
    assert Device.objects.filter(kind="tablet", meets_minimum=True).count() == 10
    client.force_login(stock["officer_pt"])
    assert client.get(url).status_code == 404


def test_warehouses_are_listed_in_scope_and_created_by_the_department(stock, place, client):
    client.force_login(stock["officer"])
    response = client.post("/inventory/warehouses/new/", {"name": "Kho Lục Ngạn", "area": "07582"})
    assert response.status_code == 302
    assert "Kho Lục Ngạn" in client.get("/inventory/warehouses/").content.decode()
    client.force_login(stock["area_ln"])
    assert "Kho Lục Ngạn" in client.get("/inventory/warehouses/").content.decode()
    assert client.get("/inventory/warehouses/new/").status_code == 403
    client.force_login(stock["officer_pt"])
    page = client.get("/inventory/warehouses/").content.decode()
    assert "Kho Lục Ngạn" not in page and "Kho Sở GD&amp;ĐT Bắc Ninh" not in page


def test_register_preselects_the_only_campaign(stock, client):
    client.force_login(stock["officer"])
    page = client.get("/inventory/devices/new/").content.decode()
    assert f'<option value="{stock["campaign"].pk}" selected>' in page
