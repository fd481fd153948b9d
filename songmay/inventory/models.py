"""The device inventory: each physical device, where it is, and every change on its timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from songmay.accounts.models import User


class DeviceKind(models.TextChoices):
    # The same values as the device kinds of `donations.SupportKind`.
    DESKTOP = "desktop", "Máy tính để bàn"
    LAPTOP = "laptop", "Máy tính xách tay"
    TABLET = "tablet", "Máy tính bảng"
    SMARTPHONE = "smartphone", "Điện thoại thông minh"
    ROUTER_4G = "router_4g", "Bộ phát wifi 4G"


# Devices with a SIM slot carry an IMEI.
IMEI_KINDS = frozenset({DeviceKind.TABLET, DeviceKind.SMARTPHONE, DeviceKind.ROUTER_4G})


class Condition(models.TextChoices):
    NEW = "new", "Mới"
    GOOD = "good", "Tốt"
    FAIR = "fair", "Trung bình"
    NEEDS_REPAIR = "needs_repair", "Cần sửa chữa"
    UNUSABLE = "unusable", "Không sử dụng được"


class DeviceStatus(models.TextChoices):
    RECEIVED = "received", "Đã tiếp nhận"
    INSPECTED = "inspected", "Đã kiểm tra"
    AVAILABLE = "available", "Sẵn sàng cấp phát"
    RESERVED = "reserved", "Đã giữ chỗ"
    ASSIGNED = "assigned", "Đã phân bổ"
    HANDED_OVER = "handed_over", "Đã bàn giao"
    ON_LOAN = "on_loan", "Đang cho mượn"
    IN_REPAIR = "in_repair", "Đang sửa chữa"
    WRITTEN_OFF = "written_off", "Đã thanh lý"


class Warehouse(models.Model):
    """Kho: where devices wait before they go to a school (e.g. the department's store)."""

    name = models.CharField("tên kho", max_length=255)
    area = models.ForeignKey(
        "areas.Area", models.PROTECT, related_name="warehouses", verbose_name="địa bàn"
    )
    address = models.CharField("địa chỉ", max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "kho"

    def __str__(self) -> str:
        return self.name


class MinimumSpec(models.Model):
    """Cấu hình tối thiểu: what a device of one kind needs for online learning, per campaign."""

    campaign = models.ForeignKey("campaigns.Campaign", models.CASCADE, related_name="minimum_specs")
    kind = models.CharField("loại thiết bị", max_length=20, choices=DeviceKind.choices)
    ram_gb = models.DecimalField("RAM tối thiểu (GB)", max_digits=5, decimal_places=1)
    storage_gb = models.PositiveIntegerField("bộ nhớ tối thiểu (GB)")
    screen_inches = models.DecimalField(
        "màn hình tối thiểu (inch)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    note = models.CharField("yêu cầu khác", max_length=255, blank=True)

    class Meta:
        ordering = ["campaign", "kind"]
        verbose_name = "cấu hình tối thiểu"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="minimum_spec_kind_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: RAM {self.ram_gb} GB, {self.storage_gb} GB"


class DeviceQuerySet(models.QuerySet["Device"]):
    def visible_to(self, user: User) -> DeviceQuerySet:
        return user.scope.filter_devices(self)


class Device(models.Model):
    """Thiết bị: one physical item, from a donation or bought with donated money."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", models.PROTECT, related_name="devices", verbose_name="chương trình"
    )
    # Sequential per campaign; the asset tag printed on the label is built from it.
    seq = models.PositiveIntegerField(editable=False)
    asset_tag = models.CharField("mã tài sản", max_length=32, unique=True, editable=False)
    kind = models.CharField("loại", max_length=20, choices=DeviceKind.choices)
    make = models.CharField("hãng", max_length=64, blank=True)
    model = models.CharField("model", max_length=120, blank=True)
    serial = models.CharField("số serial", max_length=64, blank=True)
    imei = models.CharField("IMEI", max_length=15, blank=True)
    ram_gb = models.DecimalField("RAM (GB)", max_digits=5, decimal_places=1, null=True, blank=True)
    storage_gb = models.PositiveIntegerField("bộ nhớ (GB)", null=True, blank=True)
    os = models.CharField("hệ điều hành", max_length=64, blank=True)
    screen_inches = models.DecimalField(
        "màn hình (inch)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    condition = models.CharField(
        "tình trạng", max_length=20, choices=Condition.choices, default=Condition.NEW
    )
    # None while the campaign has no minimum configuration for this kind.
    meets_minimum = models.BooleanField("đạt cấu hình tối thiểu", null=True, blank=True)
    warehouse = models.ForeignKey(
        Warehouse,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name="kho",
    )
    school = models.ForeignKey(
        "areas.School",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name="trường",
    )
    # Not indexed, on purpose: PostgreSQL then changes a status in place, without touching the
    # table's indexes (migration 0002 says why).
    status = models.CharField(
        "trạng thái", max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.RECEIVED
    )
    origin_donation = models.ForeignKey(
        "donations.Donation",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name="từ đợt tiếp nhận",
    )
    origin_purchase = models.ForeignKey(
        "donations.PurchaseLine",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name="mua sắm từ tiền tài trợ",
    )
    note = models.CharField("ghi chú", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "seq"]
        verbose_name = "thiết bị"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "seq"], name="device_seq_unique"),
            models.UniqueConstraint(
                fields=["serial"], condition=~Q(serial=""), name="device_serial_unique"
            ),
            models.UniqueConstraint(
                fields=["imei"], condition=~Q(imei=""), name="device_imei_unique"
            ),
            models.CheckConstraint(
                condition=Q(warehouse__isnull=True) | Q(school__isnull=True),
                name="device_one_location",
            ),
            models.CheckConstraint(
                condition=Q(origin_donation__isnull=True) | Q(origin_purchase__isnull=True),
                name="device_one_origin",
            ),
        ]

    def __str__(self) -> str:
        label = " ".join(part for part in (self.make, self.model) if part)
        return f"{self.asset_tag} {label}".strip()

    @property
    def location(self) -> str:
        if self.school_id:
            return str(self.school)
        if self.warehouse_id:
            return str(self.warehouse)
        return "Chưa xếp vị trí"


class DeviceEventKind(models.TextChoices):
    REGISTERED = "registered", "Nhập kho"
    STATUS = "status", "Đổi trạng thái"
    MOVED = "moved", "Chuyển vị trí"
    EDITED = "edited", "Sửa thông tin"


class DeviceEvent(models.Model):
    """One line of a device's timeline: a change of status or of location."""

    device = models.ForeignKey(Device, models.CASCADE, related_name="events")
    at = models.DateTimeField("thời điểm")
    kind = models.CharField(max_length=20, choices=DeviceEventKind.choices)
    from_status = models.CharField(max_length=20, choices=DeviceStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=DeviceStatus.choices, blank=True)
    from_location = models.CharField(max_length=255, blank=True)
    to_location = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField("ghi chú", max_length=255, blank=True)

    class Meta:
        ordering = ["device", "at", "pk"]
        verbose_name = "sự kiện thiết bị"

    def __str__(self) -> str:
        return f"{self.device_id} {self.get_kind_display()} {self.at:%d/%m/%Y %H:%M}"
