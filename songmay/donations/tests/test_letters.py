import datetime as dt
import io
import os
import re
import unicodedata

import pytest
from django.urls import reverse
from pypdf import PdfReader

from songmay.accounts.scope import Role
from songmay.campaigns.models import Contact
from songmay.donations.letters import acknowledgement_pdf, administrative_date, issuer, signatory
from songmay.donations.models import DonationKind, PaymentMethod, SupportKind
from songmay.donations.services import DonationData, ItemData, donation_receive


def pdf_text(pdf: bytes) -> str:
    """The text a reader would copy out of the PDF, one space between words."""
    if dump := os.environ.get("SONGMAY_PDF_DUMP"):  # to look at the layout: pdftoppm -png
        with open(dump, "wb") as file:
            file.write(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def font_families(pdf: bytes) -> set[str]:
    """ "ABCDEF+DejaVu-Serif-Bold" -> "DejaVu-Serif": the families the PDF's glyphs come from."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return {re.sub(r"(-(Bold|Italic|Oblique|Roman|Regular))+$", "", name) for name in names}


@pytest.fixture
def bac_giang(fund):
    campaign = fund["campaign"]
    campaign.name = "Sóng và máy tính cho em"
    campaign.focal_point = "Sở Giáo dục và Đào tạo tỉnh Bắc Giang"
    campaign.save()
    Contact.objects.create(
        campaign=campaign,
        order=1,
        full_name="Nguyễn Văn Thêm",
        position="Phó Giám đốc Sở Giáo dục và Đào tạo",
    )
    return fund


@pytest.fixture
def money(bac_giang):
    return donation_receive(
        actor=bac_giang["officer"],
        campaign=bac_giang["campaign"],
        donor=bac_giang["company"],
        data=DonationData(
            kind=DonationKind.MONEY,
            received_on=bac_giang["day"],
            amount=976_500_000,
            method=PaymentMethod.BANK_TRANSFER,
            bank_reference="FT21265001234",
        ),
    )


def test_money_letter_is_a_formal_vietnamese_document(money):
    text = pdf_text(acknowledgement_pdf(money))
    for expected in [
        "UBND TỈNH BẮC GIANG",
        "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
        "Số: TN-00001/GXN-SGDĐT",
        "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Bắc Giang, ngày 22 tháng 9 năm 2021",
        "THƯ CẢM ƠN",
        "Kính gửi: Công ty Cổ phần Thử nghiệm",
        "Mã số thuế: 0100109106",
        "“Sóng và máy tính cho em”",
        "976.500.000 đ",
        "Chín trăm bảy mươi sáu triệu năm trăm nghìn đồng",
        "Chuyển khoản; mã giao dịch: FT21265001234",
        "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC",
        "Nguyễn Văn Thêm",
    ]:
        assert expected in text, expected


def test_every_vietnamese_letter_comes_from_one_font(money):
    # A font without Ư or Ẩ makes the renderer borrow them from another: the page looks patched.
    assert len(font_families(acknowledgement_pdf(money))) == 1


def test_goods_letter_lists_items_and_quantities(bac_giang):
    donation = donation_receive(
        actor=bac_giang["officer"],
        campaign=bac_giang["campaign"],
        donor=bac_giang["person"],
        data=DonationData(
            kind=DonationKind.GOODS,
            received_on=dt.date(2021, 9, 5),
            items=[
                ItemData(SupportKind.LAPTOP, 12, "Dell Latitude 3420, RAM 8 GB"),
                ItemData(SupportKind.SMARTPHONE, 651),
            ],
        ),
    )
    text = pdf_text(acknowledgement_pdf(donation))
    assert "Kính gửi: Trần Thị Ẩn Danh" in text
    assert "Mã số thuế" not in text
    assert "ngày 05 tháng 9 năm 2021" in text
    assert "1 Máy tính xách tay Dell Latitude 3420, RAM 8 GB 12" in text
    assert "2 Điện thoại thông minh 651" in text
    assert "Bằng chữ" not in text
    assert "Ông/Bà" in text


def test_issuer_comes_from_the_focal_point_or_the_province(bac_giang, place):
    campaign = bac_giang["campaign"]
    body = issuer(campaign)
    assert (body.superior, body.body, body.place) == (
        "UBND TỈNH BẮC GIANG",
        "Sở Giáo dục và Đào tạo",
        "Bắc Giang",
    )
    campaign.focal_point = ""
    body = issuer(campaign)
    assert (body.superior, body.full_name) == (
        "UBND TỈNH BẮC NINH",
        "Sở Giáo dục và Đào tạo tỉnh Bắc Ninh",
    )


def test_dates_follow_the_administrative_style():
    assert administrative_date(dt.date(2022, 1, 5)) == "ngày 05 tháng 01 năm 2022"
    assert administrative_date(dt.date(2021, 12, 22)) == "ngày 22 tháng 12 năm 2021"


def test_signature_block_follows_the_contacts_position():
    head = Contact(full_name="Trần Văn A", position="Giám đốc Sở Giáo dục và Đào tạo")
    deputy = Contact(full_name="Lê Thị B", position="Phó Giám đốc Sở Giáo dục và Đào tạo")
    staff = Contact(full_name="Tống Thị Thu", position="Phó Trưởng phòng Giáo dục Trung học")
    assert signatory(head).lines == ["GIÁM ĐỐC"]
    assert signatory(deputy).lines == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert signatory(staff).lines == ["TL. GIÁM ĐỐC", "PHÓ TRƯỞNG PHÒNG GIÁO DỤC TRUNG HỌC"]
    assert signatory(None).lines == ["GIÁM ĐỐC"]


def test_letter_download_is_an_inline_pdf(money, client):
    client.force_login(money.recorded_by)
    response = client.get(reverse("donations:donation_letter", kwargs={"pk": money.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="thu-cam-on-TN-00001.pdf"'
    assert "Công ty Cổ phần Thử nghiệm" in pdf_text(response.content)


def test_letter_of_another_province_is_404(money, client, make_user, place):
    client.force_login(make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]))
    response = client.get(reverse("donations:donation_letter", kwargs={"pk": money.pk}))
    assert response.status_code == 404


def test_donor_gets_its_own_letter_only(money, bac_giang, client, make_user):
    client.force_login(make_user(Role.DONOR, donor=bac_giang["company"]))
    url = reverse("donations:donation_letter", kwargs={"pk": money.pk})
    assert client.get(url).status_code == 200
    client.force_login(make_user(Role.DONOR, donor=bac_giang["person"]))
    assert client.get(url).status_code == 404


def test_the_letter_names_the_programme_once():
    from songmay.donations.letters import programme

    assert programme("Chương trình “Sóng và máy tính cho em” tỉnh Bắc Giang") == (
        "Chương trình “Sóng và máy tính cho em” tỉnh Bắc Giang"
    )
    assert programme("Sóng và máy tính cho em") == "Chương trình “Sóng và máy tính cho em”"
