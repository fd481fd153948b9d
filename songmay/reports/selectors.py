"""Reads for the public pages: a campaign's figures for anyone, and a donor's private trace.

Nothing here takes a user: these pages need no log-in, so they show only aggregates and what
donors agreed to publish. No query touches the pupils' tables; "reached pupils" counts devices
handed over at a school, and counts under 5 are never published exactly.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from songmay.campaigns.models import Campaign
from songmay.donations.models import (
    ANONYMOUS_DONOR,
    Donation,
    DonationItem,
    DonationKind,
    Donor,
    Funding,
    PurchaseLine,
    Spending,
    SpendingKind,
    SupportKind,
)
from songmay.inventory.models import Device, DeviceStatus
from songmay.lib.money import format_vnd
from songmay.pool.models import TransferItem
from songmay.reports.indicators import campaign_cube

SMALL_COUNT = 5
SUPPRESSED = "<5"
# A count hidden only so that a count under 5 cannot be worked out from the total.
ALSO_HIDDEN = "ẩn"

# The order the seeds list gifts in: cash; desktops, laptops, tablets, smartphones; telecom.
DEVICE_ORDER = [
    SupportKind.DESKTOP,
    SupportKind.LAPTOP,
    SupportKind.TABLET,
    SupportKind.SMARTPHONE,
    SupportKind.ROUTER_4G,
]
TELECOM_ORDER = [SupportKind.DATA_PACKAGE, SupportKind.FREE_INSTALLATION, SupportKind.FEE_SUBSIDY]
# Always shown, even at zero, so that campaigns read alike; 4G routers only when given.
ALWAYS_SHOWN = frozenset(DEVICE_ORDER[:4]) | frozenset(TELECOM_ORDER)
KIND_LABELS = dict(SupportKind.choices)


def _public_name() -> Case:
    # Decided in the query: a non-consenting donor's name never leaves the database.
    return Case(
        When(donor__public_name_consent=True, then=F("donor__name")),
        default=Value(ANONYMOUS_DONOR),
        output_field=CharField(),
    )


def _items_text(items: Iterable[tuple[str, int]]) -> str:
    """[("tablet", 1200)] -> "1.200 máy tính bảng"."""
    return ", ".join(
        f"{quantity:,} {KIND_LABELS[kind].lower()}".replace(",", ".") for kind, quantity in items
    )


# ---- Small counts ----


def _exact_value_leaks(primary: int, complementary: int, hidden_total: int) -> bool:
    """Whether one hidden count under 5 can be worked out from the sum of the hidden ones.

    A reader knows each "<5" count lies in 1..4, each "ẩn" count is 5 or more, and (from the
    total) what the hidden counts add up to.
    """
    if primary == 0:
        return False
    others_min = (primary - 1) + SMALL_COUNT * complementary
    highest = min(SMALL_COUNT - 1, hidden_total - others_min)
    others_max = (SMALL_COUNT - 1) * (primary - 1)
    lowest = 1 if complementary else max(1, hidden_total - others_max)
    return highest <= lowest


def suppress_small(counts: Sequence[int]) -> tuple[list[str], str]:
    """Counts and their total as published: 1 to 4 become "<5".

    When the hidden counts could be worked out from the total, the smallest other counts are
    hidden too ("ẩn"); if that is not enough, the total is hidden.
    """
    shown = [str(count) for count in counts]
    primary = [i for i, count in enumerate(counts) if 0 < count < SMALL_COUNT]
    for i in primary:
        shown[i] = SUPPRESSED
    total = sum(counts)
    if 0 < total < SMALL_COUNT:
        return shown, SUPPRESSED
    candidates = sorted(
        (count, i) for i, count in enumerate(counts) if count >= SMALL_COUNT
    )  # smallest first
    complementary: list[int] = []
    while _exact_value_leaks(
        len(primary), len(complementary), sum(counts[i] for i in primary + complementary)
    ):
        if not candidates:
            return shown, ALSO_HIDDEN
        _count, i = candidates.pop(0)
        complementary.append(i)
        shown[i] = ALSO_HIDDEN
    return shown, str(total)


# ---- The public campaign page ----


@dataclass(frozen=True)
class ProgressRow:
    """Pupils needing a device and those equipped in one area, as published."""

    area: str
    needing: str
    equipped: str
    percent: str  # "" when either count is hidden: a share would give it away


def public_progress(*, campaign: Campaign) -> tuple[list[ProgressRow], ProgressRow]:
    """Progress toward 100% by the areas just below the campaign's, from the same indicators
    as the dashboards; counts under 5 hidden (and those that would give them away)."""
    cube = campaign_cube(campaign)
    root = cube.areas[cube.root_path]
    areas = [node for node in cube.children(root) if node.kind == "area"]
    needing = [cube.figures(node).needing_device for node in areas]
    equipped = [cube.figures(node).equipped_total for node in areas]
    shown_needing, total_needing = suppress_small(needing)
    shown_equipped, total_equipped = suppress_small(equipped)

    def row(name: str, need: str, done: str) -> ProgressRow:
        exact = need.isdigit() and done.isdigit() and int(need) > 0
        percent = f"{100 * int(done) / int(need):.1f}".replace(".", ",") if exact else ""
        return ProgressRow(name, need, done, percent)

    rows = [
        row(node.name, need, done)
        for node, need, done in zip(areas, shown_needing, shown_equipped, strict=True)
    ]
    return rows, row("Tổng", total_needing, total_equipped)


@dataclass(frozen=True)
class KindTotal:
    kind: str
    label: str
    quantity: int


@dataclass(frozen=True)
class ReachedArea:
    area: str
    parent: str
    shown: str  # the count, or "<5" / "ẩn"


@dataclass(frozen=True)
class PublicFigures:
    campaign: Campaign
    money_received: int
    money_spent: int
    devices_received: list[KindTotal]
    telecom_received: list[KindTotal]
    devices_bought: list[KindTotal]
    reached: list[ReachedArea]
    reached_total: str
    donor_count: int
    as_of: dt.date

    @property
    def balance(self) -> int:
        return self.money_received - self.money_spent

    @property
    def summary(self) -> str:
        """The seeds' sentence: "… 977 triệu đồng, 114 máy tính để bàn … và 651 điện thoại"."""
        parts = [f"{format_vnd(self.money_received)} tiền ủng hộ"] if self.money_received else []
        parts += [
            _items_text([(total.kind, total.quantity)])
            for total in self.devices_received
            if total.quantity
        ]
        if not parts:
            return "Chưa tiếp nhận khoản ủng hộ nào."
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " và " + parts[-1]
        return f"Đã tiếp nhận {listed}."


def public_campaign_list() -> QuerySet[Campaign]:
    """Every campaign, with the money it received."""
    return (
        Campaign.objects.select_related("area")
        .annotate(
            money_received=Sum("donations__amount", filter=Q(donations__kind=DonationKind.MONEY))
        )
        .order_by("-launched_on", "name")
    )


def public_campaign_get(*, pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("area"), pk=pk)


def _kind_totals(quantities: dict[str, int], order: Sequence[str]) -> list[KindTotal]:
    return [
        KindTotal(kind, str(KIND_LABELS[kind]), quantities.get(kind, 0))
        for kind in order
        if kind in ALWAYS_SHOWN or quantities.get(kind, 0)
    ]


def reached_by_area(*, campaign: Campaign) -> tuple[list[ReachedArea], str]:
    """Devices handed over at a school, by the school's area, with small counts hidden."""
    rows = list(
        Device.objects.filter(
            campaign=campaign, status=DeviceStatus.HANDED_OVER, school__isnull=False
        )
        .values(
            "school__area_id",
            "school__area__name",
            "school__area__parent__name",
            "school__area__name_folded",
        )
        .annotate(count=Count("pk"))
        .order_by("school__area__name_folded", "school__area__name")
    )
    shown, total = suppress_small([row["count"] for row in rows])
    areas = [
        ReachedArea(row["school__area__name"], row["school__area__parent__name"] or "", text)
        for row, text in zip(rows, shown, strict=True)
    ]
    return areas, total


def public_figures(*, campaign: Campaign) -> PublicFigures:
    """The campaign's totals for the public page, in a handful of aggregate queries."""
    donations = Donation.objects.filter(campaign=campaign)
    money = donations.filter(kind=DonationKind.MONEY).aggregate(total=Sum("amount"))["total"]
    received = dict(
        DonationItem.objects.filter(donation__campaign=campaign)
        .values("kind")
        .annotate(quantity_sum=Sum("quantity"))
        .values_list("kind", "quantity_sum")
    )
    bought = dict(
        PurchaseLine.objects.filter(spending__campaign=campaign)
        .values("kind")
        .annotate(quantity_sum=Sum("quantity"))
        .values_list("kind", "quantity_sum")
    )
    spent = Spending.objects.filter(campaign=campaign).aggregate(total=Sum("amount"))["total"]
    reached, reached_total = reached_by_area(campaign=campaign)
    return PublicFigures(
        campaign=campaign,
        money_received=money or 0,
        money_spent=spent or 0,
        devices_received=_kind_totals(received, DEVICE_ORDER),
        telecom_received=_kind_totals(received, TELECOM_ORDER),
        devices_bought=[total for total in _kind_totals(bought, DEVICE_ORDER) if total.quantity],
        reached=reached,
        reached_total=reached_total,
        donor_count=donations.values("donor").distinct().count(),
        as_of=timezone.localdate(),
    )


@dataclass(frozen=True)
class PublicGift:
    received_on: dt.date
    code: str
    donor: str
    kind: str
    amount: int
    items: list[tuple[str, int]] = field(default_factory=list)

    @property
    def what(self) -> str:
        return (
            format_vnd(self.amount) if self.kind == DonationKind.MONEY else _items_text(self.items)
        )


def public_gift_list(*, campaign: Campaign) -> QuerySet[Donation, dict[str, Any]]:
    """The campaign's receipts, newest first, as the public may see them (to paginate)."""
    return (
        Donation.objects.filter(campaign=campaign)
        .annotate(public_donor=_public_name())
        .order_by("-received_on", "-number")
        .values("pk", "number", "received_on", "kind", "amount", "public_donor")
    )


def public_gifts(rows: Iterable[dict[str, object]]) -> list[PublicGift]:
    """A page of `public_gift_list` rows with what each receipt held (one more query)."""
    rows = list(rows)
    items: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for donation_id, kind, quantity in DonationItem.objects.filter(
        donation_id__in=[row["pk"] for row in rows]
    ).values_list("donation_id", "kind", "quantity"):
        items[donation_id].append((kind, quantity))
    return [
        PublicGift(
            received_on=row["received_on"],  # type: ignore[arg-type]
            code=f"TN-{row['number']:05d}",
            donor=str(row["public_donor"]),
            kind=str(row["kind"]),
            amount=int(row["amount"]),  # type: ignore[call-overload]
            items=items[row["pk"]],  # type: ignore[index]
        )
        for row in rows
    ]


@dataclass(frozen=True)
class PublicSpending:
    spent_on: dt.date
    code: str
    kind: str
    what: str
    supplier: str
    invoice_number: str
    approval_reference: str
    amount: int
    lines: list[PurchaseLine]


def _spending_what(spending: Spending) -> str:
    # A purchase is described by its invoice lines, not by the free text an officer typed.
    if spending.kind == SpendingKind.PURCHASE:
        return "; ".join(
            " ".join(
                part
                for part in (
                    _items_text([(line.kind, line.quantity)]),
                    line.make,
                    line.model,
                    f"× {format_vnd(line.unit_price)}",
                )
                if part
            )
            for line in spending.lines.all()
        )
    return spending.description


def public_spendings(*, campaign: Campaign) -> list[PublicSpending]:
    """What the money bought (and any other approved spending), oldest first."""
    spendings = (
        Spending.objects.filter(campaign=campaign)
        .order_by("spent_on", "number")
        .prefetch_related("lines")
    )
    return [
        PublicSpending(
            spent_on=spending.spent_on,
            code=spending.code,
            kind=spending.get_kind_display(),
            what=_spending_what(spending),
            supplier=spending.supplier,
            invoice_number=spending.invoice_number,
            approval_reference=spending.approval_reference,
            amount=spending.amount,
            lines=list(spending.lines.all()),
        )
        for spending in spendings
    ]


# ---- The open-data file ----

CSV_COLUMNS = [
    "Phần",
    "Ngày",
    "Số chứng từ",
    "Nhà tài trợ hoặc nhà cung cấp",
    "Loại",
    "Số lượng",
    "Đơn giá (đồng)",
    "Số tiền (đồng)",
    "Địa bàn",
    "Ghi chú",
]


def public_csv_rows(*, campaign: Campaign) -> Iterator[list[object]]:
    """The public page as one table (see CSV_COLUMNS), streamed: every receipt is a row.

    Sections, in order: "Tổng tiếp nhận" (totals by kind), "Tiếp nhận" (one row per receipt
    and kind), "Chi" (one row per invoice line or other spending), "Thiết bị đến học sinh"
    (devices handed over, by the school's area, counts under 5 shown as "<5"). Dates are
    ISO 8601 (2021-09-22) and amounts whole đồng without separators, so every spreadsheet
    reads them as dates and numbers whatever its language.
    """
    figures = public_figures(campaign=campaign)
    section = "Tổng tiếp nhận"
    yield [section, "", "", "", "Tiền", "", "", figures.money_received, "", ""]
    for total in figures.devices_received + figures.telecom_received:
        yield [section, "", "", "", total.label, total.quantity, "", "", "", ""]
    yield [section, "", "", "", "Đã chi", "", "", figures.money_spent, "", ""]
    yield [section, "", "", "", "Còn lại", "", "", figures.balance, "", ""]
    receipts = (
        Donation.objects.filter(campaign=campaign)
        .annotate(public_donor=_public_name())
        .order_by("received_on", "number", "items__pk")
        .values_list(
            "received_on", "number", "public_donor", "kind", "amount", "items__kind",
            "items__quantity",
        )
    )  # fmt: skip
    for received_on, number, donor, kind, amount, item_kind, quantity in receipts.iterator(
        chunk_size=2000
    ):
        what = "Tiền" if kind == DonationKind.MONEY else KIND_LABELS.get(item_kind, "")
        yield [
            "Tiếp nhận", received_on.isoformat(), f"TN-{number:05d}", donor, what,
            quantity or "", "", amount if kind == DonationKind.MONEY else "", "", "",
        ]  # fmt: skip
    for spending in public_spendings(campaign=campaign):
        common = ["Chi", spending.spent_on.isoformat(), spending.code, spending.supplier]
        note = " ".join(filter(None, (spending.invoice_number, spending.approval_reference)))
        if not spending.lines:
            yield [*common, spending.kind, "", "", spending.amount, "", spending.what]
        for line in spending.lines:
            label = KIND_LABELS[line.kind]
            model = " ".join(part for part in (line.make, line.model) if part)
            yield [
                *common, label, line.quantity, line.unit_price, line.total, "",
                "; ".join(part for part in (model, note and f"HĐ {note}") if part),
            ]  # fmt: skip
    progress, progress_total = public_progress(campaign=campaign)
    for row in [*progress, progress_total]:
        yield ["Tiến độ", "", "", "", "Học sinh cần thiết bị", row.needing, "", "", row.area, ""]
        yield ["Tiến độ", "", "", "", "Học sinh đã nhận thiết bị", row.equipped, "", "",
               row.area, ""]  # fmt: skip
    for area in figures.reached:
        yield ["Thiết bị đến học sinh", "", "", "", "Thiết bị đã bàn giao", area.shown, "", "",
               area.area, area.parent]  # fmt: skip
    yield ["Thiết bị đến học sinh", "", "", "", "Thiết bị đã bàn giao", figures.reached_total,
           "", "", "Tổng", ""]  # fmt: skip


# ---- The donor's private trace ----


@dataclass(frozen=True)
class DevicePlace:
    """Devices of one kind at one place in one state: "12 máy tính bảng, bàn giao 05/10/2021"."""

    kind: str
    place: str
    status: str
    handed_on: dt.date | None
    count: int

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass(frozen=True)
class TraceSpending:
    code: str
    spent_on: dt.date
    what: str
    total: int
    share: int  # the part of this gift that paid for it
    devices: list[DevicePlace]


@dataclass(frozen=True)
class TraceGift:
    code: str
    campaign: str
    received_on: dt.date
    kind: str
    kind_label: str
    amount: int
    what: str
    spendings: list[TraceSpending]
    devices: list[DevicePlace]

    @property
    def unspent(self) -> int:
        return self.amount - sum(spending.share for spending in self.spendings)


@dataclass(frozen=True)
class DonorTrace:
    donor: str
    issued_at: dt.datetime | None
    gifts: list[TraceGift]


def donor_by_trace_token(token: str) -> Donor:
    """The donor whose live trace link carries `token`; anything else is a 404."""
    if len(token) < 32:  # issued tokens have 43 characters
        raise Http404
    donor = Donor.objects.filter(trace_token=token).first()
    # The index finds the row; the final check takes the same time however much matches.
    if donor is None or not secrets.compare_digest(donor.trace_token, token):
        raise Http404
    return donor


def _places(
    rows: Iterable[tuple[str, str, str, str, dt.datetime | None, str | None]],
) -> list[DevicePlace]:
    counts: Counter[tuple[str, str, str, dt.date | None]] = Counter()
    for kind, status, school, warehouse, handed_at, going in rows:
        handed_on = (
            timezone.localtime(handed_at).date()
            if handed_at is not None and status == DeviceStatus.HANDED_OVER
            else None
        )
        place = school or (f"Kho: {warehouse}" if warehouse else "")
        # A transfer carries it: where it is going (the pool's transfers), never a pupil.
        place = place or (f"Đang vận chuyển đến {going}" if going else "Chưa xếp vị trí")
        counts[(kind, place, status, handed_on)] += 1
    return [
        DevicePlace(kind, place, str(DeviceStatus(status).label), handed_on, count)
        for (kind, place, status, handed_on), count in sorted(
            counts.items(),
            key=lambda item: (item[0][1], item[0][0], item[0][3] or dt.date.max, item[0][2]),
        )
    ]


def donor_trace(*, donor: Donor) -> DonorTrace:
    """Each of the donor's gifts and its path: received, bought with it, school, handed over.

    Only this donor's receipts; devices bought together with other donors' money are shown,
    those donors are not. No pupil's data is read.
    """
    donations = list(
        Donation.objects.filter(donor=donor)
        .select_related("campaign")
        .prefetch_related("items")
        .order_by("received_on", "number")
    )
    fundings = list(
        Funding.objects.filter(donation__donor=donor)
        .select_related("spending")
        .prefetch_related("spending__lines")
        .order_by("spending__spent_on", "spending__number")
    )
    spending_ids = {funding.spending_id for funding in fundings}
    by_origin: dict[
        tuple[str, int], list[tuple[str, str, str, str, dt.datetime | None, str | None]]
    ] = defaultdict(list)
    going = TransferItem.objects.filter(device_id=OuterRef("pk"), open=True)
    devices = (
        Device.objects.filter(
            Q(origin_donation__donor=donor) | Q(origin_purchase__spending_id__in=spending_ids)
        )
        .annotate(
            handed_at=Max("events__at", filter=Q(events__to_status=DeviceStatus.HANDED_OVER)),
            going=Coalesce(
                Subquery(going.values("transfer__to_school__name")[:1]),
                Subquery(going.values("transfer__to_warehouse__name")[:1]),
            ),
        )
        .values_list(
            "origin_donation_id", "origin_purchase__spending_id", "kind", "status",
            "school__name", "warehouse__name", "handed_at", "going",
        )
    )  # fmt: skip
    for donation_id, spending_id, *rest in devices:
        key = ("donation", donation_id) if donation_id else ("spending", spending_id)
        by_origin[key].append(tuple(rest))
    spendings_of: dict[int, list[TraceSpending]] = defaultdict(list)
    for funding in fundings:
        spending = funding.spending
        spendings_of[funding.donation_id].append(
            TraceSpending(
                code=spending.code,
                spent_on=spending.spent_on,
                what=_spending_what(spending),
                total=spending.amount,
                share=funding.amount,
                devices=_places(by_origin[("spending", spending.pk)]),
            )
        )
    gifts = [
        TraceGift(
            code=donation.code,
            campaign=donation.campaign.name,
            received_on=donation.received_on,
            kind=donation.kind,
            kind_label=donation.get_kind_display(),
            amount=donation.amount,
            what=(
                format_vnd(donation.amount)
                if donation.kind == DonationKind.MONEY
                else _items_text((item.kind, item.quantity) for item in donation.items.all())
            ),
            spendings=spendings_of[donation.pk],
            devices=_places(by_origin[("donation", donation.pk)]),
        )
        for donation in donations
    ]
    return DonorTrace(donor=donor.name, issued_at=donor.trace_token_issued_at, gifts=gifts)
