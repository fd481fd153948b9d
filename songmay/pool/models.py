"""The shared device pool (kho dùng chung): loans, transfers between places, write-offs,
outbreaks that close schools, and term-end recalls.

A device is in one place at a time: `Device.school` or `Device.warehouse`, or neither while
an open `TransferItem` carries it. The database allows one open loan and one open transfer
item per device, however many people click at once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q


class LoanStatus(models.TextChoices):
    OUT = "out", "Đang cho mượn"
    RETURNED = "returned", "Đã trả"


class Loan(models.Model):
    """Cho mượn: a pool device lent to a school or to one pupil, until a due date."""

    device = models.ForeignKey("inventory.Device", models.PROTECT, related_name="loans")
    school = models.ForeignKey(
        "areas.School", models.PROTECT, null=True, blank=True, related_name="loans",
        verbose_name="trường mượn",
    )  # fmt: skip
    need = models.ForeignKey(
        "students.Need", models.PROTECT, null=True, blank=True, related_name="loans",
        verbose_name="học sinh mượn",
    )  # fmt: skip
    # Lent together (several devices to one school at once) share a batch number.
    batch = models.PositiveIntegerField("đợt cho mượn")
    lent_on = models.DateField("ngày cho mượn")
    due_on = models.DateField("hạn trả")
    condition_out = models.CharField("tình trạng khi giao", max_length=20)
    status = models.CharField(
        "trạng thái", max_length=10, choices=LoanStatus.choices, default=LoanStatus.OUT
    )
    returned_on = models.DateField("ngày trả", null=True, blank=True)
    condition_back = models.CharField("tình trạng khi trả", max_length=20, blank=True)
    photo = models.FileField("ảnh khi trả", upload_to="loans/%Y/%m/", blank=True)
    note = models.CharField("ghi chú", max_length=255, blank=True)
    last_reminded_on = models.DateField("nhắc lần cuối", null=True, blank=True)
    lent_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-lent_on", "-pk"]
        verbose_name = "lượt cho mượn"
        constraints = [
            models.UniqueConstraint(
                fields=["device"], condition=Q(status="out"), name="one_open_loan_per_device"
            ),
            models.CheckConstraint(
                condition=Q(school__isnull=False, need__isnull=True)
                | Q(school__isnull=True, need__isnull=False),
                name="loan_one_borrower",
            ),
            models.CheckConstraint(condition=Q(due_on__gte=F("lent_on")), name="loan_due_after"),
        ]

    def __str__(self) -> str:
        return f"Cho mượn {self.device_id} đến {self.due_on:%d/%m/%Y}"


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", "Đã đề nghị"
    APPROVED = "approved", "Đã duyệt"
    IN_TRANSIT = "in_transit", "Đang vận chuyển"
    RECEIVED = "received", "Đã nhận"
    CANCELLED = "cancelled", "Đã huỷ"


class Transfer(models.Model):
    """Điều chuyển: devices moved from one store or school to another, confirmed on arrival."""

    campaign = models.ForeignKey("campaigns.Campaign", models.PROTECT, related_name="+")
    number = models.PositiveIntegerField("số phiếu")
    from_warehouse = models.ForeignKey(
        "inventory.Warehouse", models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_school = models.ForeignKey(
        "areas.School", models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_warehouse = models.ForeignKey(
        "inventory.Warehouse", models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_school = models.ForeignKey(
        "areas.School", models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        "trạng thái", max_length=12, choices=TransferStatus.choices,
        default=TransferStatus.REQUESTED,
    )  # fmt: skip
    reason = models.CharField("lý do", max_length=255, blank=True)
    outbreak = models.ForeignKey(
        "pool.Outbreak", models.PROTECT, null=True, blank=True, related_name="transfers"
    )
    requested_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "phiếu điều chuyển"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="transfer_number_unique"),
            models.CheckConstraint(
                condition=Q(from_warehouse__isnull=True) | Q(from_school__isnull=True),
                name="transfer_one_origin",
            ),
            models.CheckConstraint(
                condition=(Q(to_warehouse__isnull=True) & Q(to_school__isnull=False))
                | (Q(to_warehouse__isnull=False) & Q(to_school__isnull=True)),
                name="transfer_one_destination",
            ),
        ]

    def __str__(self) -> str:
        return f"Phiếu điều chuyển số {self.number}"


class TransferItem(models.Model):
    """One device on a transfer; `open` while the transfer is not received or cancelled."""

    transfer = models.ForeignKey(Transfer, models.CASCADE, related_name="items")
    device = models.ForeignKey("inventory.Device", models.PROTECT, related_name="transfer_items")
    open = models.BooleanField(default=True)
    received_at = models.DateTimeField(null=True, blank=True)
    # Sent but not confirmed on arrival when the transfer was closed: visible as missing.
    missing = models.BooleanField("thất lạc", default=False)
    # An outbreak's rebalancing: the pupil the engine matched, lent the device on arrival.
    for_need = models.ForeignKey(
        "students.Need", models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="cho học sinh mượn khi đến",
    )  # fmt: skip

    class Meta:
        ordering = ["transfer", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["device"], condition=Q(open=True), name="one_open_transfer_per_device"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}: {self.device_id}"


class WriteOffStatus(models.TextChoices):
    PENDING = "pending", "Chờ duyệt"
    APPROVED = "approved", "Đã duyệt"
    REJECTED = "rejected", "Không duyệt"


class WriteOff(models.Model):
    """Thanh lý: an unusable device leaves the pool once a second person approves."""

    device = models.ForeignKey("inventory.Device", models.PROTECT, related_name="write_offs")
    reason = models.CharField("lý do", max_length=255)
    status = models.CharField(
        max_length=10, choices=WriteOffStatus.choices, default=WriteOffStatus.PENDING
    )
    requested_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = "đề nghị thanh lý"
        constraints = [
            models.UniqueConstraint(
                fields=["device"], condition=Q(status="pending"), name="one_pending_write_off"
            ),
            # The second person's approval: whoever asks cannot decide.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="write_off_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"Thanh lý {self.device_id}: {self.reason}"


class Outbreak(models.Model):
    """Dạy học trực tuyến do dịch: areas or schools that teach online from a date."""

    campaign = models.ForeignKey("campaigns.Campaign", models.PROTECT, related_name="outbreaks")
    areas = models.ManyToManyField("areas.Area", blank=True, related_name="+")
    schools = models.ManyToManyField("areas.School", blank=True, related_name="+")
    starts_on = models.DateField("từ ngày")
    ends_on = models.DateField("đến ngày", null=True, blank=True)
    decision = models.CharField("quyết định", max_length=255)
    declared_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = "đợt dạy học trực tuyến"

    def __str__(self) -> str:
        return f"Dạy học trực tuyến từ {self.starts_on:%d/%m/%Y} ({self.decision})"


class Recall(models.Model):
    """Thu hồi cuối kỳ: every borrower is asked to return devices by a date."""

    campaign = models.ForeignKey("campaigns.Campaign", models.PROTECT, related_name="recalls")
    due_on = models.DateField("hạn trả")
    reason = models.CharField("lý do", max_length=255)
    outbreak = models.ForeignKey(
        Outbreak, models.PROTECT, null=True, blank=True, related_name="recalls"
    )
    created_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "đợt thu hồi"

    def __str__(self) -> str:
        return f"Thu hồi trước {self.due_on:%d/%m/%Y}"


class RecallAnswer(models.TextChoices):
    WAITING = "waiting", "Chưa trả lời"
    WILL_RETURN = "will_return", "Sẽ trả đúng hạn"
    NEEDS_TIME = "needs_time", "Xin gia hạn"
    RETURNED = "returned", "Đã trả"
    LOST = "lost", "Báo mất, hỏng"


class RecallItem(models.Model):
    """One open loan asked back by a recall, and the borrower's answer."""

    recall = models.ForeignKey(Recall, models.CASCADE, related_name="items")
    loan = models.ForeignKey(Loan, models.PROTECT, related_name="recall_items")
    answer = models.CharField(
        max_length=12, choices=RecallAnswer.choices, default=RecallAnswer.WAITING
    )
    note = models.CharField(max_length=255, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["recall", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "loan"], name="recall_loan_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.recall_id}/{self.loan_id}: {self.answer}"
