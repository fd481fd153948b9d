"""The acknowledgement letter (thư cảm ơn, xác nhận tiếp nhận tài trợ) of one receipt.

Laid out as a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP): the issuing body
and the national motto side by side, number, place and date, addressee, content, signature.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from songmay.campaigns.models import Campaign, Contact
from songmay.donations.models import Donation, DonationKind, DonorKind
from songmay.lib.money import format_vnd, vnd_in_words
from songmay.lib.pdf import render_pdf

# "Sở Giáo dục và Đào tạo tỉnh Bắc Giang": the body, then the province it answers to.
_BODY_OF_PROVINCE = re.compile(r"^(?P<body>.+?)\s+(?P<kind>tỉnh|thành phố)\s+(?P<place>.+)$")
DEFAULT_BODY = "Sở Giáo dục và Đào tạo"


@dataclass(frozen=True)
class Issuer:
    """Who signs: "UBND TỈNH BẮC GIANG" over "SỞ GIÁO DỤC VÀ ĐÀO TẠO", dated in Bắc Giang."""

    superior: str  # the line above the body, upper case; empty for a national body
    body: str  # e.g. "Sở Giáo dục và Đào tạo"
    full_name: str  # e.g. "Sở Giáo dục và Đào tạo tỉnh Bắc Giang"
    place: str  # where the letter is dated: "Bắc Giang"

    @property
    def abbreviation(self) -> str:
        """ "Sở Giáo dục và Đào tạo" -> "SGDĐT", as in "Số: 12/GXN-SGDĐT"."""
        return "".join(word[0].upper() for word in self.body.split() if word.lower() != "và")


def issuer(campaign: Campaign) -> Issuer:
    """The body that receives the campaign's gifts, from its focal point or its province."""
    focal = campaign.focal_point.strip()
    if match := _BODY_OF_PROVINCE.match(focal):
        kind, place = match["kind"], match["place"]
        body = match["body"]
    elif campaign.area is not None:
        kind = "thành phố" if campaign.area.division_type.startswith("thành phố") else "tỉnh"
        place = campaign.area.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
        body = focal or DEFAULT_BODY
    else:
        body = focal or "Bộ Giáo dục và Đào tạo"
        return Issuer(superior="", body=body, full_name=body, place="Hà Nội")
    return Issuer(
        superior=f"UBND {kind} {place}".upper(),
        body=body,
        full_name=f"{body} {kind} {place}",
        place=place,
    )


def administrative_date(day: dt.date) -> str:
    """ "ngày 05 tháng 01 năm 2022": a day under 10 and months 1, 2 take a leading zero."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


@dataclass(frozen=True)
class Signatory:
    lines: list[str]  # "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"
    name: str


def signatory(contact: Contact | None) -> Signatory:
    """The signature block: the head signs, a deputy signs "KT." (ký thay) for the head."""
    if contact is None:
        return Signatory(["GIÁM ĐỐC"], "")
    position = contact.position.lower()
    if position.startswith("phó giám đốc"):
        return Signatory(["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"], contact.full_name)
    if position.startswith("giám đốc"):
        return Signatory(["GIÁM ĐỐC"], contact.full_name)
    # Anyone else signs by order of the head ("TL.": thừa lệnh), under their own title.
    title = re.split(r"\s+(?:Sở|phụ trách)\s", contact.position, maxsplit=1)[0]
    return Signatory(["TL. GIÁM ĐỐC", title.upper()], contact.full_name)


def programme(name: str) -> str:
    """The campaign as a sentence names it: “Chương trình …” once, never twice."""
    name = name.strip()
    return name if name.lower().startswith("chương trình") else f"Chương trình “{name}”"


def acknowledgement_context(donation: Donation) -> dict[str, object]:
    campaign = donation.campaign
    body = issuer(campaign)
    items = list(donation.items.all())
    return {
        "donation": donation,
        "campaign": campaign,
        "programme": programme(campaign.name),
        "donor": donation.donor,
        # How the letter addresses the donor: a person, or an agency or company.
        "you": "Ông/Bà" if donation.donor.kind == DonorKind.INDIVIDUAL else "Quý đơn vị",
        "issuer": body,
        "number": f"{donation.code}/GXN-{body.abbreviation}",
        "place_and_date": f"{body.place}, {administrative_date(donation.received_on)}",
        "is_money": donation.kind == DonationKind.MONEY,
        "amount": format_vnd(donation.amount),
        "amount_in_words": vnd_in_words(donation.amount),
        "items": items,
        "received_on": f"{donation.received_on:%d/%m/%Y}",
        "signatory": signatory(campaign.contacts.order_by("order").first()),
    }


def acknowledgement_pdf(donation: Donation) -> bytes:
    """The letter that thanks the donor and confirms what the department received."""
    return render_pdf("pdf/acknowledgement.html", acknowledgement_context(donation))
