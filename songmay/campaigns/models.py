"""Campaigns: phases with targets, intake windows, the focal point and its contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q

if TYPE_CHECKING:
    from songmay.accounts.models import User


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def visible_to(self, user: User) -> CampaignQuerySet:
        return user.scope.filter_campaigns(self)


class Campaign(models.Model):
    """Chiến dịch: a drive run by a province (or the nation, when `area` is empty)."""

    name = models.CharField("tên chương trình", max_length=255)
    area = models.ForeignKey(
        "areas.Area",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name="tỉnh/thành phố",
        help_text="Để trống nếu là chương trình toàn quốc.",
    )
    plan_reference = models.CharField("văn bản triển khai", max_length=255, blank=True)
    launched_on = models.DateField("ngày phát động", null=True, blank=True)
    focal_point = models.CharField("đầu mối tiếp nhận", max_length=255, blank=True)
    beneficiaries = models.TextField("đối tượng hỗ trợ", blank=True)
    support_rule = models.CharField("mức hỗ trợ", max_length=255, blank=True)
    description = models.TextField("mô tả", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-launched_on", "name"]
        verbose_name = "chương trình"

    def __str__(self) -> str:
        return self.name


class Phase(models.Model):
    """Giai đoạn: e.g. phase 2, 2022–2023, target 100% of pupils equipped."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField("giai đoạn")
    name = models.CharField("tên", max_length=255)
    starts_on = models.DateField("từ ngày")
    ends_on = models.DateField("đến ngày")
    target_percent = models.PositiveSmallIntegerField(
        "mục tiêu (% học sinh có thiết bị)", null=True, blank=True
    )
    goal = models.TextField("nội dung", blank=True)

    class Meta:
        ordering = ["campaign", "number"]
        verbose_name = "giai đoạn"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="phase_number_unique"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="phase_dates_order"
            ),
            models.CheckConstraint(
                condition=Q(target_percent__isnull=True) | Q(target_percent__lte=100),
                name="phase_target_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Giai đoạn {self.number}: {self.name}"


class IntakeWindow(models.Model):
    """Thời gian tiếp nhận: when gifts are taken in (Vĩnh Phúc: 21/9–26/9/2021)."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="intake_windows")
    opens_on = models.DateField("từ ngày")
    closes_on = models.DateField("đến hết ngày")
    note = models.CharField("ghi chú", max_length=255, blank=True)

    class Meta:
        ordering = ["campaign", "opens_on"]
        verbose_name = "thời gian tiếp nhận"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="intake_window_dates_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opens_on:%d/%m/%Y}–{self.closes_on:%d/%m/%Y}"


class Contact(models.Model):
    """A person to call about the campaign, listed in order as the plan lists them."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="contacts")
    order = models.PositiveSmallIntegerField("STT")
    full_name = models.CharField("họ và tên", max_length=120)
    position = models.CharField("chức vụ", max_length=255)
    phone = models.CharField("số điện thoại", max_length=20, blank=True)
    email = models.EmailField("thư điện tử", blank=True)

    class Meta:
        ordering = ["campaign", "order"]
        verbose_name = "người liên hệ"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order"], name="contact_order_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name
