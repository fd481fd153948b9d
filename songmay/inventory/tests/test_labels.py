import io
import os
import unicodedata

import pytest
from django.urls import reverse
from pypdf import PdfReader

from songmay.accounts.scope import Role
from songmay.inventory import labels
from songmay.inventory.labels import device_path, label, labels_pdf, shorten
from songmay.inventory.services import DeviceData, devices_register


def pdf_pages(pdf: bytes) -> list[str]:
    if dump := os.environ.get("SONGMAY_PDF_DUMP"):  # to look at the layout: pdftoppm -png
        with open(dump, "wb") as file:
            file.write(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    return [
        " ".join(unicodedata.normalize("NFC", page.extract_text()).split()) for page in reader.pages
    ]


@pytest.fixture
def devices(place, make_user):
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.inventory.services import warehouse_create

    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    campaign = campaign_create(
        actor=None,
        data=CampaignData(
            name="Sóng và máy tính cho em – Sở Giáo dục và Đào tạo tỉnh Bắc Giang",
            area=place["bac_ninh"],
        ),
    )
    warehouse = warehouse_create(actor=officer, name="Kho Sở GD&ĐT", area=place["bac_ninh"])
    rows = [
        DeviceData(kind="laptop", make="Dell", model="Latitude 3420", serial=f"dl3420-{n:03d}")
        for n in range(25)
    ] + [DeviceData(kind="smartphone", make="Samsung", model="Galaxy A12", imei="490154203237518")]
    registered = devices_register(actor=officer, campaign=campaign, rows=rows, warehouse=warehouse)
    return {"officer": officer, "campaign": campaign, "devices": registered}


def test_label_sheets_carry_every_asset_tag_with_vietnamese_text(devices):
    chosen = devices["devices"]
    pages = pdf_pages(labels_pdf(chosen, lambda device: f"https://songmay.example/d/{device.pk}/"))
    assert len(pages) == 2  # 26 labels: a full sheet of 24, then 2
    assert all(device.asset_tag in pages[0] for device in chosen[:24])
    assert all(device.asset_tag in pages[1] for device in chosen[24:])
    assert "Máy tính xách tay" in pages[0]
    assert "Dell Latitude 3420" in pages[0]
    assert "S/N DL3420-000" in pages[0]
    assert "Điện thoại thông minh" in pages[1]
    assert "IMEI 490154203237518" in pages[1]
    assert "Sóng và máy tính cho em – Sở Giáo dục và Đào…" in pages[1]


def test_qr_code_holds_the_device_page_address(devices, monkeypatch):
    device = devices["devices"][0]
    assert device_path(device) == f"/inventory/devices/{device.pk}/"
    seen = []
    monkeypatch.setattr(labels, "qr_png_data_uri", lambda text: seen.append(text) or "data:,")
    assert label(device, "https://songmay.example/inventory/devices/7/").qr == "data:,"
    assert seen == ["https://songmay.example/inventory/devices/7/"]


def test_qr_code_is_an_inline_png():
    from songmay.lib.pdf import qr_png_data_uri

    assert qr_png_data_uri("https://songmay.example/inventory/devices/7/").startswith(
        "data:image/png;base64,"
    )


def test_long_campaign_names_are_cut_at_a_word():
    assert shorten("Sóng và máy tính cho em") == "Sóng và máy tính cho em"
    assert shorten("Sóng và máy tính cho em – Sở Giáo dục", limit=26) == "Sóng và máy tính cho em…"


def test_labels_page_prints_the_chosen_devices(devices, client, django_assert_max_num_queries):
    first, second, other = devices["devices"][:3]
    client.force_login(devices["officer"])
    url = reverse("inventory:labels")
    with django_assert_max_num_queries(8):
        response = client.get(url, {"ids": f"{first.pk},{second.pk}"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    (page,) = pdf_pages(response.content)
    assert first.asset_tag in page
    assert second.asset_tag in page
    assert other.asset_tag not in page
    response = client.get(url, {"campaign": devices["campaign"].pk})
    assert all(
        device.asset_tag in " ".join(pdf_pages(response.content)) for device in devices["devices"]
    )


def test_labels_address_is_absolute(devices, client, monkeypatch):
    seen = []
    monkeypatch.setattr(labels, "qr_png_data_uri", lambda text: seen.append(text) or "data:,")
    device = devices["devices"][0]
    client.force_login(devices["officer"])
    client.get(reverse("inventory:labels"), {"ids": str(device.pk)})
    assert seen == [f"http://testserver/inventory/devices/{device.pk}/"]


def test_devices_of_another_province_are_404(devices, client, make_user, place):
    client.force_login(make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]))
    device = devices["devices"][0]
    response = client.get(reverse("inventory:labels"), {"ids": str(device.pk)})
    assert response.status_code == 404
    response = client.get(reverse("inventory:labels"), {"campaign": devices["campaign"].pk})
    assert response.status_code == 404


def test_too_many_labels_are_refused_with_a_message(devices, client, monkeypatch):
    from songmay.inventory import views_labels

    monkeypatch.setattr(views_labels, "MAX_LABELS", 24)
    client.force_login(devices["officer"])
    response = client.get(reverse("inventory:labels"))
    assert response.status_code == 400
    assert "Mỗi lần chỉ in được tối đa 24 nhãn (1 tờ A4)" in response.content.decode()


def test_bad_ids_are_refused_with_a_message(devices, client):
    client.force_login(devices["officer"])
    response = client.get(reverse("inventory:labels"), {"ids": "1,hai"})
    assert response.status_code == 400
    assert "mã thiết bị phải là số" in response.content.decode()
