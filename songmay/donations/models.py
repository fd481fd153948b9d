"""Donors, their pledges, what was received (tiếp nhận), and the cash ledger.

Money is integer VND. Money in is a `Donation` of kind money; money out is a `Spending`
(a purchase of devices, or other approved spending). `Funding` rows say which donations paid
for each spending, so every đồng received is traceable to what it bought.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from songmay.accounts.models import User


M = TypeVar("M", bound=models.Model)

# How the public sees a donor that has not agreed to be named.
ANONYMOUS_DONOR = "Nhà hảo tâm"


class DonorKind(models.TextChoices):
    AGENCY = "agency", "Cơ quan, đơn vị"
    COMPANY = "company", "Doanh nghiệp"
    INDIVIDUAL = "individual", "Cá nhân"
    FUND = "fund", "Quỹ"
    STATE_BUDGET = "state_budget", "Ngân sách nhà nước"
    OPERATOR = "operator", "Doanh nghiệp viễn thông"


class DonorQuerySet(models.QuerySet["Donor"]):
    def visible_to(self, user: User) -> DonorQuerySet:
        return user.scope.filter_donors(self)


class Donor(models.Model):
    """Nhà tài trợ: who gives; a donor's users see only its own gifts."""

    kind = models.CharField("loại", max_length=20, choices=DonorKind.choices)
    name = models.CharField("tên", max_length=255)
    # The province that recorded the donor; empty for donors of the whole nation.
    area = models.ForeignKey(
        "areas.Area",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="tỉnh/thành phố ghi nhận",
    )
    tax_code = models.CharField("mã số thuế", max_length=14, blank=True)
    contact_name = models.CharField("người liên hệ", max_length=120, blank=True)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    # Donors who do not agree are shown to the public as "Nhà hảo tâm".
    public_name_consent = models.BooleanField("đồng ý công khai tên", default=False)
    # The donor's private trace link; blank when none was issued or it was revoked.
    trace_token = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    trace_token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DonorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "nhà tài trợ"

    def __str__(self) -> str:
        return self.name

    @property
    def public_name(self) -> str:
        return self.name if self.public_name_consent else ANONYMOUS_DONOR


class SupportKind(models.TextChoices):
    """What can be promised or given besides money: devices by type, and telecom support."""

    DESKTOP = "desktop", "Máy tính để bàn"
    LAPTOP = "laptop", "Máy tính xách tay"
    TABLET = "tablet", "Máy tính bảng"
    SMARTPHONE = "smartphone", "Điện thoại thông minh"
    ROUTER_4G = "router_4g", "Bộ phát wifi 4G"
    DATA_PACKAGE = "data_package", "Gói cước dữ liệu"
    FREE_INSTALLATION = "free_installation", "Lắp đặt Internet miễn phí"
    FEE_SUBSIDY = "fee_subsidy", "Hỗ trợ cước phí"


DEVICE_KINDS = frozenset(
    {
        SupportKind.DESKTOP,
        SupportKind.LAPTOP,
        SupportKind.TABLET,
        SupportKind.SMARTPHONE,
        SupportKind.ROUTER_4G,
    }
)


class PledgeStatus(models.TextChoices):
    PLEDGED = "pledged", "Đã cam kết"
    PARTLY_RECEIVED = "partly_received", "Đã nhận một phần"
    FULFILLED = "fulfilled", "Đã nhận đủ"
    CANCELLED = "cancelled", "Đã huỷ"


class CampaignRowQuerySet(models.QuerySet[M]):
    """Pledges, donations, spendings: visible with the campaign, or to the donor itself."""

    def visible_to(self, user: User) -> Self:
        return user.scope.filter_donations(self)


class Pledge(models.Model):
    """Cam kết: money and goods promised by a donor, fulfilled by donations."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", models.PROTECT, related_name="pledges", verbose_name="chương trình"
    )
    donor = models.ForeignKey(
        Donor, models.PROTECT, related_name="pledges", verbose_name="nhà tài trợ"
    )
    pledged_on = models.DateField("ngày cam kết")
    due_on = models.DateField("hạn thực hiện", null=True, blank=True)
    amount = models.BigIntegerField("số tiền cam kết (đồng)", default=0)
    status = models.CharField(
        "trạng thái", max_length=20, choices=PledgeStatus.choices, default=PledgeStatus.PLEDGED
    )
    note = models.TextField("ghi chú", blank=True)
    cancel_reason = models.CharField("lý do huỷ", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignRowQuerySet["Pledge"].as_manager()

    class Meta:
        ordering = ["-pledged_on", "-pk"]
        verbose_name = "cam kết"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="pledge_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Cam kết của {self.donor} ngày {self.pledged_on:%d/%m/%Y}"


class PledgeItem(models.Model):
    """Goods or telecom support promised in a pledge: e.g. 50 laptops."""

    pledge = models.ForeignKey(Pledge, models.CASCADE, related_name="items")
    kind = models.CharField("loại hỗ trợ", max_length=20, choices=SupportKind.choices)
    quantity = models.PositiveIntegerField("số lượng")

    class Meta:
        ordering = ["pledge", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "kind"], name="pledge_item_kind_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="pledge_item_quantity_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.get_kind_display().lower()}"


class DonationKind(models.TextChoices):
    MONEY = "money", "Tiền"
    GOODS = "goods", "Thiết bị"
    TELECOM = "telecom", "Hỗ trợ viễn thông"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Chuyển khoản"
    CASH = "cash", "Tiền mặt"


class Donation(models.Model):
    """Tiếp nhận: one receipt of money, devices or telecom support, numbered per campaign."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", models.PROTECT, related_name="donations", verbose_name="chương trình"
    )
    donor = models.ForeignKey(
        Donor, models.PROTECT, related_name="donations", verbose_name="nhà tài trợ"
    )
    pledge = models.ForeignKey(
        Pledge,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="donations",
        verbose_name="theo cam kết",
    )
    number = models.PositiveIntegerField("số biên nhận")
    kind = models.CharField("loại", max_length=10, choices=DonationKind.choices)
    received_on = models.DateField("ngày nhận")
    amount = models.BigIntegerField("số tiền (đồng)", default=0)
    method = models.CharField("hình thức", max_length=20, choices=PaymentMethod.choices, blank=True)
    bank_reference = models.CharField("mã giao dịch ngân hàng", max_length=64, blank=True)
    # Earmarked money is spent only by a spending that names it, never first-in-first-out.
    earmark = models.CharField("mục đích chỉ định", max_length=255, blank=True)
    # Devices given for one school or area go there, or stay unassigned (the allocation rule).
    earmark_area = models.ForeignKey(
        "areas.Area",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="chỉ định cho địa bàn",
    )
    earmark_school = models.ForeignKey(
        "areas.School",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="chỉ định cho trường",
    )
    description = models.TextField("nội dung", blank=True)
    # Received outside every intake window: kept, and listed for an officer to review.
    outside_intake_window = models.BooleanField("ngoài thời gian tiếp nhận", default=False)
    reviewed_at = models.DateTimeField("ngày xem xét", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignRowQuerySet["Donation"].as_manager()

    class Meta:
        ordering = ["-received_on", "-number"]
        verbose_name = "tiếp nhận"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="donation_number_unique"),
            models.CheckConstraint(
                condition=(Q(kind=DonationKind.MONEY) & Q(amount__gt=0) & ~Q(method=""))
                | (~Q(kind=DonationKind.MONEY) & Q(amount=0)),
                name="donation_money_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Biên nhận số {self.code}"

    @property
    def code(self) -> str:
        return f"TN-{self.number:05d}"

    @property
    def needs_review(self) -> bool:
        return self.outside_intake_window and self.reviewed_at is None


class DonationItem(models.Model):
    """Goods or telecom support in a donation: e.g. 30 smartphones, 100 data packages."""

    donation = models.ForeignKey(Donation, models.CASCADE, related_name="items")
    kind = models.CharField("loại hỗ trợ", max_length=20, choices=SupportKind.choices)
    quantity = models.PositiveIntegerField("số lượng")
    description = models.CharField("mô tả", max_length=255, blank=True)

    class Meta:
        ordering = ["donation", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="donation_item_quantity_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.get_kind_display().lower()}"


class SpendingKind(models.TextChoices):
    PURCHASE = "purchase", "Mua thiết bị"
    OTHER = "other", "Chi khác đã được duyệt"


class Spending(models.Model):
    """Chi: money out of the campaign's fund, numbered per campaign."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", models.PROTECT, related_name="spendings", verbose_name="chương trình"
    )
    number = models.PositiveIntegerField("số phiếu chi")
    kind = models.CharField("loại", max_length=10, choices=SpendingKind.choices)
    spent_on = models.DateField("ngày chi")
    amount = models.BigIntegerField("số tiền (đồng)")
    supplier = models.CharField("nhà cung cấp", max_length=255, blank=True)
    invoice_number = models.CharField("số hoá đơn", max_length=64, blank=True)
    description = models.TextField("nội dung chi")
    approved_by = models.CharField("người duyệt", max_length=255)
    approval_reference = models.CharField("văn bản phê duyệt", max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignRowQuerySet["Spending"].as_manager()

    class Meta:
        ordering = ["-spent_on", "-number"]
        verbose_name = "khoản chi"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="spending_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="spending_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Phiếu chi {self.code}"

    @property
    def code(self) -> str:
        return f"PC-{self.number:05d}"


class PurchaseLine(models.Model):
    """One line of a purchase invoice: the devices it creates in the inventory."""

    spending = models.ForeignKey(Spending, models.CASCADE, related_name="lines")
    kind = models.CharField("loại thiết bị", max_length=20, choices=SupportKind.choices)
    make = models.CharField("hãng", max_length=64, blank=True)
    model = models.CharField("model", max_length=120, blank=True)
    unit_price = models.BigIntegerField("đơn giá (đồng)")
    quantity = models.PositiveIntegerField("số lượng")

    class Meta:
        ordering = ["spending", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="purchase_line_price_pos"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchase_line_quantity_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.get_kind_display().lower()} {self.make} {self.model}".strip()

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


class Funding(models.Model):
    """How much of one donation paid for one spending (the ledger's attribution)."""

    spending = models.ForeignKey(Spending, models.CASCADE, related_name="fundings")
    donation = models.ForeignKey(Donation, models.PROTECT, related_name="fundings")
    amount = models.BigIntegerField("số tiền (đồng)")

    class Meta:
        ordering = ["spending", "donation__received_on", "donation__number"]
        constraints = [
            models.UniqueConstraint(fields=["spending", "donation"], name="funding_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="funding_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.donation_id} → {self.spending_id}: {self.amount}"
