"""Writes for donors, pledges, donations (tiếp nhận) and the cash ledger."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Max, Sum
from django.utils import timezone
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.vn import mst

from songmay.accounts.scope import authorize
from songmay.audit.services import audit_record, audited, diff, snapshot
from songmay.campaigns.models import Campaign
from songmay.donations.ledger import InsufficientFundsError, Source, attribute
from songmay.donations.models import (
    DEVICE_KINDS,
    Donation,
    DonationItem,
    DonationKind,
    Donor,
    DonorKind,
    Funding,
    PaymentMethod,
    Pledge,
    PledgeItem,
    PledgeStatus,
    PurchaseLine,
    Spending,
    SpendingKind,
    SupportKind,
)
from songmay.donations.selectors import pledge_progress
from songmay.inventory.services import DeviceData, devices_register
from songmay.lib.errors import DomainError
from songmay.lib.money import format_vnd
from songmay.lib.phones import InvalidPhone, parse_phone
from songmay.lib.vietnamese import normalize_spaces

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import Area, School
    from songmay.inventory.models import Warehouse

DONOR_FIELDS = [
    "kind", "name", "area", "tax_code", "contact_name", "phone", "email", "address",
    "public_name_consent",
]  # fmt: skip
TELECOM_KINDS = frozenset(SupportKind.values) - DEVICE_KINDS


# ---- Donors ----


@dataclass
class DonorData:
    kind: str
    name: str
    area: Area | None = None
    tax_code: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    public_name_consent: bool = False


def _donor_clean(data: DonorData) -> dict[str, object]:
    if data.kind not in DonorKind.values:
        raise DomainError("Loại nhà tài trợ không hợp lệ.", field="kind")
    name = normalize_spaces(data.name)
    if not name:
        raise DomainError("Thiếu tên nhà tài trợ.", field="name")
    tax_code = data.tax_code.strip()
    if tax_code:
        try:
            tax_code = mst.validate(tax_code)
        except StdnumError:
            raise DomainError(
                f"Mã số thuế “{tax_code}” không hợp lệ: cần 10 chữ số (hoặc 10 chữ số, dấu"
                " gạch và 3 chữ số của chi nhánh) với chữ số kiểm tra đúng.",
                field="tax_code",
            ) from None
    phone = ""
    if data.phone.strip():
        try:
            phone = parse_phone(data.phone)
        except InvalidPhone:
            raise DomainError(
                f"Số điện thoại “{data.phone}” không hợp lệ. Ví dụ đúng: 0983.934.091.",
                field="phone",
            ) from None
    return {
        "kind": data.kind,
        "name": name,
        "area": data.area,
        "tax_code": tax_code,
        "contact_name": normalize_spaces(data.contact_name),
        "phone": phone,
        "email": data.email.strip().lower(),
        "address": normalize_spaces(data.address),
        "public_name_consent": data.public_name_consent,
    }


@audited
def donor_create(*, actor: User | None, data: DonorData) -> Donor:
    """Record a new donor, in the officer's province (or nationally for an admin)."""
    authorize(actor, "donations.change", data.area)
    if actor is not None and data.area is None and not actor.scope.is_national:
        raise DomainError("Hãy chọn tỉnh/thành phố ghi nhận nhà tài trợ.", field="area")
    donor = Donor.objects.create(**_donor_clean(data))
    audit_record(
        actor=actor,
        action="donor.created",
        target=donor,
        area=donor.area,
        changes=diff({}, snapshot(donor, DONOR_FIELDS)),
    )
    return donor


@audited
def donor_update(*, actor: User | None, donor: Donor, data: DonorData) -> Donor:
    """Correct a donor's details or its consent to be named publicly."""
    authorize(actor, "donations.change", donor.area)
    authorize(actor, "donations.change", data.area)
    donor = Donor.objects.select_for_update().get(pk=donor.pk)
    before = snapshot(donor, DONOR_FIELDS)
    for name, value in _donor_clean(data).items():
        setattr(donor, name, value)
    donor.save()
    audit_record(
        actor=actor,
        action="donor.updated",
        target=donor,
        area=donor.area,
        changes=diff(before, snapshot(donor, DONOR_FIELDS)),
    )
    return donor


@audited
def donor_trace_link_issue(*, actor: User | None, donor: Donor) -> Donor:
    """Give the donor a new private trace link; an earlier link stops working."""
    authorize(actor, "donations.change", donor.area)
    donor = Donor.objects.select_for_update().get(pk=donor.pk)
    had_link = bool(donor.trace_token)
    donor.trace_token = secrets.token_urlsafe(32)
    donor.trace_token_issued_at = timezone.now()
    donor.save(update_fields=["trace_token", "trace_token_issued_at"])
    audit_record(
        actor=actor,
        action="donor.trace_link_issued",
        target=donor,
        area=donor.area,
        changes={"token": ["***", "***"] if had_link else "***"},
    )
    return donor


@audited
def donor_trace_link_revoke(*, actor: User | None, donor: Donor) -> Donor:
    """Switch the donor's trace link off."""
    authorize(actor, "donations.change", donor.area)
    donor = Donor.objects.select_for_update().get(pk=donor.pk)
    if not donor.trace_token:
        raise DomainError("Nhà tài trợ này chưa có đường dẫn theo dõi.", field="trace_token")
    donor.trace_token = ""
    donor.trace_token_issued_at = None
    donor.save(update_fields=["trace_token", "trace_token_issued_at"])
    audit_record(actor=actor, action="donor.trace_link_revoked", target=donor, area=donor.area)
    return donor


# ---- Pledges ----


def _check_items(items: dict[str, int], allowed: frozenset[str], what: str) -> dict[str, int]:
    clean: dict[str, int] = {}
    for kind, quantity in items.items():
        if kind not in allowed:
            raise DomainError(f"“{kind}” không phải {what} hợp lệ.", field="items")
        if quantity < 0:
            raise DomainError("Số lượng không được âm.", field="items")
        if quantity:
            clean[kind] = quantity
    return clean


@audited
def pledge_create(
    *,
    actor: User | None,
    campaign: Campaign,
    donor: Donor,
    pledged_on: dt.date,
    amount: int = 0,
    items: dict[str, int] | None = None,
    due_on: dt.date | None = None,
    note: str = "",
) -> Pledge:
    """Record what a donor promised: money, devices by type, telecom support."""
    authorize(actor, "donations.change", campaign.area)
    if amount < 0:
        raise DomainError("Số tiền cam kết không được âm.", field="amount")
    clean_items = _check_items(items or {}, frozenset(SupportKind.values), "loại hỗ trợ")
    if amount == 0 and not clean_items:
        raise DomainError(
            "Cam kết cần có số tiền hoặc ít nhất một loại thiết bị, hỗ trợ.", field="amount"
        )
    if due_on is not None and due_on < pledged_on:
        raise DomainError("Hạn thực hiện phải sau ngày cam kết.", field="due_on")
    pledge = Pledge.objects.create(
        campaign=campaign,
        donor=donor,
        pledged_on=pledged_on,
        due_on=due_on,
        amount=amount,
        note=note.strip(),
    )
    PledgeItem.objects.bulk_create(
        [PledgeItem(pledge=pledge, kind=k, quantity=q) for k, q in clean_items.items()]
    )
    audit_record(
        actor=actor,
        action="pledge.created",
        target=pledge,
        area=campaign.area,
        changes={"donor": donor.pk, "amount": amount, "items": clean_items},
    )
    return pledge


@audited
def pledge_cancel(*, actor: User | None, pledge: Pledge, reason: str) -> Pledge:
    """Cancel a pledge the donor will not keep; what was already received stays."""
    pledge = (
        Pledge.objects.select_for_update(of=("self",))
        .select_related("campaign__area")
        .get(pk=pledge.pk)
    )
    authorize(actor, "donations.change", pledge.campaign.area)
    if pledge.status in (PledgeStatus.CANCELLED, PledgeStatus.FULFILLED):
        raise DomainError(
            f"Cam kết đang ở trạng thái “{pledge.get_status_display()}”, không huỷ được.",
            field="status",
        )
    if not normalize_spaces(reason):
        raise DomainError("Hãy ghi lý do huỷ cam kết.", field="reason")
    before = pledge.status
    pledge.status = PledgeStatus.CANCELLED
    pledge.cancel_reason = normalize_spaces(reason)[:255]
    pledge.save(update_fields=["status", "cancel_reason"])
    audit_record(
        actor=actor,
        action="pledge.cancelled",
        target=pledge,
        area=pledge.campaign.area,
        changes={"status": [before, pledge.status], "reason": pledge.cancel_reason},
    )
    return pledge


def _pledge_status_follow(pledge: Pledge) -> None:
    progress = pledge_progress(pledge)
    if all(received >= promised for promised, received in progress.values()):
        pledge.status = PledgeStatus.FULFILLED
    elif any(received for _promised, received in progress.values()):
        pledge.status = PledgeStatus.PARTLY_RECEIVED
    else:
        pledge.status = PledgeStatus.PLEDGED
    pledge.save(update_fields=["status"])


# ---- Donations (tiếp nhận) ----


@dataclass
class ItemData:
    kind: str
    quantity: int
    description: str = ""


@dataclass
class DonationData:
    kind: str
    received_on: dt.date
    amount: int = 0
    method: str = ""
    bank_reference: str = ""
    earmark: str = ""
    description: str = ""
    items: list[ItemData] = field(default_factory=list)
    # Devices given for one area or school: allocation keeps them there.
    earmark_area: Area | None = None
    earmark_school: School | None = None


def _donation_check(data: DonationData) -> None:  # noqa: PLR0912 - one check per rule
    if data.kind not in DonationKind.values:
        raise DomainError("Loại tiếp nhận không hợp lệ.", field="kind")
    if data.received_on > timezone.localdate():
        raise DomainError("Ngày nhận không được sau hôm nay.", field="received_on")
    if data.kind == DonationKind.MONEY:
        if data.amount <= 0:
            raise DomainError("Số tiền nhận phải lớn hơn 0 đồng.", field="amount")
        if data.method not in PaymentMethod.values:
            raise DomainError("Chọn hình thức: chuyển khoản hoặc tiền mặt.", field="method")
        if data.method == PaymentMethod.BANK_TRANSFER and not data.bank_reference.strip():
            raise DomainError(
                "Nhận chuyển khoản cần mã giao dịch ngân hàng để đối chiếu sao kê.",
                field="bank_reference",
            )
        if data.items:
            raise DomainError("Khoản tiền không kèm danh sách hàng.", field="items")
        if data.earmark_area is not None or data.earmark_school is not None:
            raise DomainError(
                "Tiền chỉ định mục đích ghi ở ô “Mục đích nhà tài trợ chỉ định”; chỉ định địa"
                " bàn, trường dành cho thiết bị.",
                field="earmark_area",
            )
        return
    if data.earmark_area is not None and data.earmark_school is not None:
        raise DomainError(
            "Chỉ định cho một địa bàn hoặc một trường, không cả hai.", field="earmark_school"
        )
    if data.amount:
        raise DomainError(
            "Tiếp nhận thiết bị hoặc hỗ trợ viễn thông không ghi số tiền; hãy ghi khoản tiền"
            " thành một biên nhận riêng.",
            field="amount",
        )
    allowed = DEVICE_KINDS if data.kind == DonationKind.GOODS else TELECOM_KINDS
    if not data.items:
        raise DomainError("Hãy liệt kê những gì đã nhận và số lượng.", field="items")
    for number, item in enumerate(data.items, start=1):
        if item.kind not in allowed:
            what = "thiết bị" if data.kind == DonationKind.GOODS else "hỗ trợ viễn thông"
            raise DomainError(f"Dòng {number}: không phải loại {what}.", field="items")
        if item.quantity <= 0:
            raise DomainError(f"Dòng {number}: số lượng phải lớn hơn 0.", field="items")


def _outside_windows(campaign: Campaign, day: dt.date) -> bool:
    windows = list(campaign.intake_windows.all())
    return bool(windows) and not any(w.opens_on <= day <= w.closes_on for w in windows)


def _next_number(model: type[Donation] | type[Spending], campaign: Campaign) -> int:
    last = model.objects.filter(campaign=campaign).aggregate(m=Max("number"))["m"]
    return (last or 0) + 1


@audited
def donation_receive(
    *,
    actor: User | None,
    campaign: Campaign,
    donor: Donor,
    data: DonationData,
    pledge: Pledge | None = None,
) -> Donation:
    """Record what was received; it gets the campaign's next receipt number."""
    authorize(actor, "donations.change", campaign.area)
    _donation_check(data)
    place = data.earmark_school.area if data.earmark_school else data.earmark_area
    if (
        place is not None
        and campaign.area is not None
        and not place.path.startswith(campaign.area.path)
    ):
        raise DomainError(
            f"“{data.earmark_school or data.earmark_area}” không thuộc {campaign.area}.",
            field="earmark_school" if data.earmark_school else "earmark_area",
        )
    # The campaign row is the lock that keeps receipt numbers sequential without gaps.
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if pledge is not None:
        pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if pledge.status == PledgeStatus.CANCELLED:
            raise DomainError(
                "Cam kết này đã bị huỷ; không ghi nhận tiếp theo cam kết đã huỷ. Hãy ghi nhận"
                " không theo cam kết, hoặc lập cam kết mới.",
                field="pledge",
            )
        if pledge.donor_id != donor.pk or pledge.campaign_id != campaign.pk:
            raise DomainError(
                "Cam kết đã chọn thuộc nhà tài trợ hoặc chương trình khác.", field="pledge"
            )
    donation = Donation.objects.create(
        campaign=campaign,
        donor=donor,
        pledge=pledge,
        number=_next_number(Donation, campaign),
        kind=data.kind,
        received_on=data.received_on,
        amount=data.amount if data.kind == DonationKind.MONEY else 0,
        method=data.method if data.kind == DonationKind.MONEY else "",
        bank_reference=data.bank_reference.strip(),
        earmark=normalize_spaces(data.earmark),
        earmark_area=data.earmark_area,
        earmark_school=data.earmark_school,
        description=data.description.strip(),
        outside_intake_window=_outside_windows(campaign, data.received_on),
        recorded_by=actor,
    )
    DonationItem.objects.bulk_create(
        [
            DonationItem(
                donation=donation,
                kind=item.kind,
                quantity=item.quantity,
                description=normalize_spaces(item.description),
            )
            for item in data.items
        ]
    )
    if pledge is not None:
        _pledge_status_follow(pledge)
    audit_record(
        actor=actor,
        action="donation.received",
        target=donation,
        area=campaign.area,
        changes={
            "donor": donor.pk,
            "kind": donation.kind,
            "amount": donation.amount,
            "items": {item.kind: item.quantity for item in data.items},
            "pledge": pledge.pk if pledge else None,
            "earmark": str(data.earmark_school or data.earmark_area or data.earmark),
            "outside_intake_window": donation.outside_intake_window,
        },
    )
    return donation


@audited
def donation_review(*, actor: User | None, donation: Donation, note: str = "") -> Donation:
    """Mark a receipt that came outside the intake window as reviewed and kept."""
    donation = (
        Donation.objects.select_for_update(of=("self",))
        .select_related("campaign__area")
        .get(pk=donation.pk)
    )
    authorize(actor, "donations.change", donation.campaign.area)
    if not donation.needs_review:
        raise DomainError(f"{donation} không cần xem xét.", field="reviewed_at")
    donation.reviewed_at = timezone.now()
    donation.reviewed_by = actor
    donation.save(update_fields=["reviewed_at", "reviewed_by"])
    audit_record(
        actor=actor,
        action="donation.reviewed",
        target=donation,
        area=donation.campaign.area,
        changes={"note": normalize_spaces(note)},
    )
    return donation


# ---- The cash ledger ----


def ledger_sources(campaign: Campaign) -> list[Source]:
    """Every money donation of the campaign with what is left of it, oldest first."""
    spent = dict(
        Funding.objects.filter(donation__campaign=campaign)
        .values("donation")
        .annotate(total=Sum("amount"))
        .values_list("donation", "total")
    )
    return [
        Source(donation_id=pk, remaining=amount - spent.get(pk, 0), earmarked=bool(earmark))
        for pk, amount, earmark in Donation.objects.filter(
            campaign=campaign, kind=DonationKind.MONEY
        )
        .order_by("received_on", "number")
        .values_list("pk", "amount", "earmark")
    ]


@dataclass
class PurchaseLineData:
    kind: str
    unit_price: int
    quantity: int
    make: str = ""
    model: str = ""


@dataclass
class SpendingData:
    kind: str
    spent_on: dt.date
    description: str
    approved_by: str
    amount: int = 0  # for other spending; a purchase's amount is the sum of its lines
    supplier: str = ""
    invoice_number: str = ""
    approval_reference: str = ""
    lines: list[PurchaseLineData] = field(default_factory=list)
    # Earmarked donations this spending may use (the purpose the donor named).
    funded_by: list[int] = field(default_factory=list)


def _spending_total(data: SpendingData) -> int:  # noqa: PLR0912 - one check per field
    if data.kind not in SpendingKind.values:
        raise DomainError("Loại khoản chi không hợp lệ.", field="kind")
    if not normalize_spaces(data.description):
        raise DomainError("Hãy ghi nội dung chi.", field="description")
    if not normalize_spaces(data.approved_by):
        raise DomainError("Hãy ghi người duyệt khoản chi.", field="approved_by")
    if data.spent_on > timezone.localdate():
        raise DomainError("Ngày chi không được sau hôm nay.", field="spent_on")
    if data.kind == SpendingKind.OTHER:
        if data.lines:
            raise DomainError("Chi khác không kèm danh sách thiết bị.", field="lines")
        if data.amount <= 0:
            raise DomainError("Số tiền chi phải lớn hơn 0 đồng.", field="amount")
        return data.amount
    if not data.supplier.strip() or not data.invoice_number.strip():
        raise DomainError(
            "Mua thiết bị cần tên nhà cung cấp và số hoá đơn.", field="invoice_number"
        )
    if not data.lines:
        raise DomainError("Hãy liệt kê thiết bị đã mua.", field="lines")
    for number, line in enumerate(data.lines, start=1):
        if line.kind not in DEVICE_KINDS:
            raise DomainError(f"Dòng {number}: loại thiết bị không hợp lệ.", field="lines")
        if line.unit_price <= 0 or line.quantity <= 0:
            raise DomainError(f"Dòng {number}: đơn giá và số lượng phải lớn hơn 0.", field="lines")
    total = sum(line.unit_price * line.quantity for line in data.lines)
    if data.amount and data.amount != total:
        raise DomainError(
            f"Tổng các dòng là {format_vnd(total)}, khác số tiền chi {format_vnd(data.amount)}.",
            field="amount",
        )
    return total


@audited
def spending_record(
    *,
    actor: User | None,
    campaign: Campaign,
    data: SpendingData,
    warehouse: Warehouse | None = None,
) -> Spending:
    """Pay out of the fund; a purchase puts its devices into the inventory.

    The spending is attributed to donations first in, first out (earmarked money only when
    named), and refused if the balance cannot cover it.
    """
    authorize(actor, "donations.change", campaign.area)
    total = _spending_total(data)
    # Lock the campaign: two spendings at once must not both see the same balance.
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    sources = ledger_sources(campaign)
    known = {source.donation_id for source in sources}
    if unknown := set(data.funded_by) - known:
        raise DomainError(
            f"Khoản tiếp nhận {sorted(unknown)} không phải tiền của chương trình này.",
            field="funded_by",
        )
    try:
        parts = attribute(total, sources, named=data.funded_by)
    except InsufficientFundsError as exc:
        raise DomainError(str(exc), field="amount") from None
    spending = Spending.objects.create(
        campaign=campaign,
        number=_next_number(Spending, campaign),
        kind=data.kind,
        spent_on=data.spent_on,
        amount=total,
        supplier=normalize_spaces(data.supplier),
        invoice_number=data.invoice_number.strip(),
        description=data.description.strip(),
        approved_by=normalize_spaces(data.approved_by),
        approval_reference=normalize_spaces(data.approval_reference),
        recorded_by=actor,
    )
    Funding.objects.bulk_create(
        [Funding(spending=spending, donation_id=pk, amount=part) for pk, part in parts]
    )
    devices = 0
    for line_data in data.lines:
        line = PurchaseLine.objects.create(
            spending=spending,
            kind=line_data.kind,
            make=normalize_spaces(line_data.make),
            model=normalize_spaces(line_data.model),
            unit_price=line_data.unit_price,
            quantity=line_data.quantity,
        )
        devices += len(
            devices_register(
                actor=actor,
                campaign=campaign,
                rows=[DeviceData(kind=line.kind, make=line.make, model=line.model)] * line.quantity,
                origin_purchase=line,
                warehouse=warehouse,
                source=f"{spending} – hoá đơn {spending.invoice_number}",
            )
        )
    audit_record(
        actor=actor,
        action="spending.recorded",
        target=spending,
        area=campaign.area,
        changes={
            "kind": spending.kind,
            "amount": total,
            "fundings": {str(pk): part for pk, part in parts},
            "devices": devices,
        },
    )
    return spending
