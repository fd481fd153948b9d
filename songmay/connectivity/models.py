"""Connectivity: operators, dead spots (điểm lõm sóng), data packages for pupils, fixed
broadband support, and the batches exchanged with operators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from songmay.accounts.models import User


class Operator(models.Model):
    """Doanh nghiệp viễn thông: its users see only its own dead spots and requests."""

    code = models.SlugField("mã", max_length=20, unique=True)
    name = models.CharField("tên", max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name = "doanh nghiệp viễn thông"

    def __str__(self) -> str:
        return self.name


class DeadSpotStatus(models.TextChoices):
    REPORTED = "reported", "Đã báo cáo"
    SURVEYED = "surveyed", "Đã khảo sát"
    PLANNED = "planned", "Đã có kế hoạch"
    UNDER_CONSTRUCTION = "building", "Đang xây dựng"
    COVERED = "covered", "Đã phủ sóng"
    VERIFIED = "verified", "Đã kiểm tra, xác nhận"


class Technology(models.TextChoices):
    MOBILE_4G = "4g", "Trạm phát sóng 4G"
    MOBILE_3G = "3g", "Trạm phát sóng 3G"
    FIBRE = "fibre", "Cáp quang"
    OTHER = "other", "Khác"


class DeadSpotQuerySet(models.QuerySet["DeadSpot"]):
    def visible_to(self, user: User) -> DeadSpotQuerySet:
        return user.scope.filter_dead_spots(self)


class DeadSpot(models.Model):
    """Điểm lõm sóng: a village or hamlet without usable 3G/4G."""

    area = models.ForeignKey(
        "areas.Area", models.PROTECT, related_name="dead_spots", verbose_name="xã/phường"
    )
    village = models.CharField("thôn/xóm", max_length=120)
    latitude = models.DecimalField("vĩ độ", max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(
        "kinh độ", max_digits=8, decimal_places=5, null=True, blank=True
    )
    households = models.PositiveIntegerField("số hộ bị ảnh hưởng", default=0)
    pupils = models.PositiveIntegerField("số học sinh bị ảnh hưởng (báo cáo)", default=0)
    operator = models.ForeignKey(
        Operator, models.PROTECT, null=True, blank=True, related_name="dead_spots",
        verbose_name="doanh nghiệp chịu trách nhiệm",
    )  # fmt: skip
    technology = models.CharField(
        "giải pháp", max_length=10, choices=Technology.choices, default=Technology.MOBILE_4G
    )
    status = models.CharField(
        "trạng thái", max_length=10, choices=DeadSpotStatus.choices,
        default=DeadSpotStatus.REPORTED,
    )  # fmt: skip
    reported_on = models.DateField("ngày báo cáo")
    target_on = models.DateField("hạn phủ sóng", null=True, blank=True)
    covered_on = models.DateField("ngày phủ sóng", null=True, blank=True)
    notes = models.TextField("ghi chú", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeadSpotQuerySet.as_manager()

    class Meta:
        ordering = ["area", "village"]
        verbose_name = "điểm lõm sóng"
        constraints = [
            models.UniqueConstraint(fields=["area", "village"], name="dead_spot_village_unique"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="dead_spot_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="dead_spot_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village}, {self.area}"


class DeadSpotEvent(models.Model):
    """One step of a dead spot's history: a status change or a comment, with evidence."""

    dead_spot = models.ForeignKey(DeadSpot, models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=10, choices=DeadSpotStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=DeadSpotStatus.choices, blank=True)
    comment = models.TextField("nhận xét", blank=True)
    evidence = models.FileField("minh chứng", upload_to="dead_spots/%Y/%m/", blank=True)

    class Meta:
        ordering = ["dead_spot", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.dead_spot_id} {self.to_status} {self.at:%d/%m/%Y}"


class DataPackage(models.Model):
    """Gói cước: an operator's data offer for online learning."""

    operator = models.ForeignKey(Operator, models.PROTECT, related_name="packages")
    name = models.CharField("tên gói", max_length=120)
    data_gb_per_month = models.DecimalField(
        "dung lượng mỗi tháng (GB)", max_digits=6, decimal_places=1
    )
    months = models.PositiveSmallIntegerField("số tháng")
    price = models.PositiveIntegerField("giá mỗi tháng (đồng)")
    discounted_price = models.PositiveIntegerField("giá ưu đãi mỗi tháng (đồng)", default=0)
    free = models.BooleanField("miễn phí cho học sinh", default=False)
    active = models.BooleanField("đang áp dụng", default=True)

    class Meta:
        ordering = ["operator", "name"]
        verbose_name = "gói cước"
        constraints = [
            models.UniqueConstraint(fields=["operator", "name"], name="package_name_unique"),
            models.CheckConstraint(condition=Q(months__gt=0), name="package_months_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.operator} – {self.name}"


class SupportStatus(models.TextChoices):
    REQUESTED = "requested", "Đã đề nghị"
    SENT = "sent", "Đã gửi nhà mạng"
    ACTIVE = "active", "Đang sử dụng"
    FAILED = "failed", "Không kích hoạt được"
    ENDED = "ended", "Đã hết hạn"


LIVE_SUPPORT = [SupportStatus.REQUESTED, SupportStatus.SENT, SupportStatus.ACTIVE]


class ExchangeBatch(models.Model):
    """One file of requests sent to an operator, and the results it sent back."""

    operator = models.ForeignKey(Operator, models.PROTECT, related_name="batches")
    number = models.PositiveIntegerField("số lô")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    results_at = models.DateTimeField("ngày nhận kết quả", null=True, blank=True)
    results_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["operator", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["operator", "number"], name="batch_number_unique"),
        ]

    def __str__(self) -> str:
        return f"Lô {self.number} – {self.operator}"


class SupportQuerySet(models.QuerySet["ConnectivitySupport"]):
    def visible_to(self, user: User) -> SupportQuerySet:
        return user.scope.filter_connectivity(self, "need__school")


class ConnectivitySupport(models.Model):
    """A pupil's data package: requested, sent to the operator, active, then ended."""

    need = models.ForeignKey("students.Need", models.PROTECT, related_name="data_supports")
    package = models.ForeignKey(DataPackage, models.PROTECT, related_name="supports")
    operator = models.ForeignKey(Operator, models.PROTECT, related_name="supports")
    phone = models.CharField("số điện thoại nhận gói", max_length=20)
    consent_given = models.BooleanField("người giám hộ đồng ý", default=False)
    consent_on = models.DateField("ngày đồng ý", null=True, blank=True)
    status = models.CharField(
        "trạng thái", max_length=10, choices=SupportStatus.choices,
        default=SupportStatus.REQUESTED,
    )  # fmt: skip
    batch = models.ForeignKey(
        ExchangeBatch, models.PROTECT, null=True, blank=True, related_name="supports"
    )
    activated_on = models.DateField("ngày kích hoạt", null=True, blank=True)
    ends_on = models.DateField("ngày hết hạn", null=True, blank=True)
    failure_reason = models.CharField("lý do không kích hoạt", max_length=255, blank=True)
    requested_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)

    objects = SupportQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "hỗ trợ gói cước"
        constraints = [
            models.UniqueConstraint(
                fields=["need"], condition=Q(status__in=LIVE_SUPPORT), name="one_live_package"
            ),
            models.CheckConstraint(condition=Q(consent_given=True), name="package_needs_consent"),
        ]

    def __str__(self) -> str:
        return f"{self.package} cho hồ sơ {self.need_id}"


class BroadbandKind(models.TextChoices):
    FREE_INSTALLATION = "free_installation", "Lắp đặt miễn phí"
    FEE_REDUCTION = "fee_reduction", "Giảm cước thuê bao"


class BroadbandStatus(models.TextChoices):
    REQUESTED = "requested", "Đã đề nghị"
    ACCEPTED = "accepted", "Nhà mạng đã nhận"
    INSTALLED = "installed", "Đã lắp đặt / áp dụng"
    REFUSED = "refused", "Không thực hiện được"


class BroadbandQuerySet(models.QuerySet["BroadbandRequest"]):
    def visible_to(self, user: User) -> BroadbandQuerySet:
        return user.scope.filter_connectivity(self, "need__school")


class BroadbandRequest(models.Model):
    """Internet cố định: free installation or a fee reduction for a household with pupils."""

    need = models.ForeignKey("students.Need", models.PROTECT, related_name="broadband_requests")
    operator = models.ForeignKey(Operator, models.PROTECT, related_name="broadband_requests")
    kind = models.CharField("loại hỗ trợ", max_length=20, choices=BroadbandKind.choices)
    address = models.CharField("địa chỉ lắp đặt", max_length=255)
    phone = models.CharField("điện thoại liên hệ", max_length=20)
    status = models.CharField(
        "trạng thái", max_length=10, choices=BroadbandStatus.choices,
        default=BroadbandStatus.REQUESTED,
    )  # fmt: skip
    requested_on = models.DateField("ngày đề nghị")
    installed_on = models.DateField("ngày lắp đặt", null=True, blank=True)
    note = models.CharField("ghi chú", max_length=255, blank=True)

    objects = BroadbandQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_on", "-pk"]
        verbose_name = "hỗ trợ Internet cố định"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – hồ sơ {self.need_id}"
