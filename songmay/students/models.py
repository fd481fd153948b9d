"""The needs registry: each child once (`Student`), and what it lacks in a campaign (`Need`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from songmay.areas.models import SchoolLevel

if TYPE_CHECKING:
    from songmay.accounts.models import User


class Gender(models.TextChoices):
    MALE = "male", "Nam"
    FEMALE = "female", "Nữ"


class Household(models.TextChoices):
    POOR = "poor", "Hộ nghèo"
    NEAR_POOR = "near_poor", "Hộ cận nghèo"
    HARDSHIP = "hardship", "Khó khăn khác"
    NONE = "none", "Không thuộc diện"


class Lacking(models.TextChoices):
    DEVICE = "device", "Thiết bị"
    CONNECTIVITY = "connectivity", "Kết nối"
    BOTH = "both", "Thiết bị và kết nối"


class NeedStatus(models.TextChoices):
    REGISTERED = "registered", "Đã đăng ký"
    CONFIRMED = "confirmed", "Đã xác nhận"
    EQUIPPED = "equipped", "Đã được trang bị"
    WITHDRAWN = "withdrawn", "Đã rút"


# Special circumstances, several of which may apply; each raises priority within a tier.
CIRCUMSTANCES = {
    "orphaned_by_covid": "Mồ côi do COVID-19",
    "disability": "Khuyết tật",
    "ethnic_minority": "Dân tộc thiểu số",
    "remote_area": "Vùng sâu, vùng xa",
}


class StudentQuerySet(models.QuerySet["Student"]):
    def active(self) -> StudentQuerySet:
        """Children not merged into another record: each child counts once."""
        return self.filter(merged_into__isnull=True)

    def visible_to(self, user: User) -> StudentQuerySet:
        """Children with a need registered at a school inside the user's scope."""
        needs = user.scope.filter_schools(Need.objects.all(), "school")
        return self.filter(pk__in=needs.values("student_id"))


class Student(models.Model):
    """Học sinh: one child, whatever school registers it."""

    full_name = models.CharField("họ và tên", max_length=120)
    name_folded = models.CharField(max_length=120, db_index=True, editable=False)
    # Vietnamese class-list order (given name first); digits only, see lib/vietnamese.
    sort_key = models.CharField(max_length=400, db_index=True, editable=False)
    date_of_birth = models.DateField("ngày sinh", null=True, blank=True)
    gender = models.CharField("giới tính", max_length=6, choices=Gender.choices, blank=True)
    personal_id = models.CharField("số định danh cá nhân", max_length=12, blank=True)
    guardian_name = models.CharField("họ tên cha/mẹ/người giám hộ", max_length=120, blank=True)
    guardian_phone = models.CharField("điện thoại người giám hộ", max_length=20, blank=True)
    village = models.CharField("thôn/xóm", max_length=120, blank=True)
    commune = models.ForeignKey(
        "areas.Area",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="xã/phường",
    )
    orphaned_by_covid = models.BooleanField(CIRCUMSTANCES["orphaned_by_covid"], default=False)
    disability = models.BooleanField(CIRCUMSTANCES["disability"], default=False)
    ethnic_minority = models.BooleanField(CIRCUMSTANCES["ethnic_minority"], default=False)
    remote_area = models.BooleanField(CIRCUMSTANCES["remote_area"], default=False)
    consent_given = models.BooleanField("người giám hộ đồng ý xử lý dữ liệu", default=False)
    consent_on = models.DateField("ngày đồng ý", null=True, blank=True)
    # A merged duplicate keeps its row (the history) and points at the record that survives.
    merged_into = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="merged_records"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudentQuerySet.as_manager()

    class Meta:
        ordering = ["sort_key", "date_of_birth", "pk"]
        verbose_name = "học sinh"
        constraints = [
            models.UniqueConstraint(
                fields=["personal_id"],
                condition=Q(personal_id__gt="") & Q(merged_into__isnull=True),
                name="student_personal_id_unique",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=F("pk")), name="student_not_merged_into_itself"
            ),
            models.CheckConstraint(
                condition=Q(consent_given=False) | Q(consent_on__isnull=False),
                name="student_consent_has_date",
            ),
        ]
        indexes = [models.Index(fields=["name_folded", "date_of_birth"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def circumstance_labels(self) -> list[str]:
        return [label for name, label in CIRCUMSTANCES.items() if getattr(self, name)]


class NeedQuerySet(models.QuerySet["Need"]):
    def visible_to(self, user: User) -> NeedQuerySet:
        return user.scope.filter_schools(self, "school")

    def counted(self) -> NeedQuerySet:
        """Needs that count: not withdrawn, of children not merged away."""
        return self.exclude(status=NeedStatus.WITHDRAWN).filter(student__merged_into__isnull=True)


class Need(models.Model):
    """Nhu cầu: what one child lacks in one campaign, registered by its school. Once per pupil."""

    campaign = models.ForeignKey("campaigns.Campaign", models.PROTECT, related_name="needs")
    student = models.ForeignKey(Student, models.PROTECT, related_name="needs")
    school = models.ForeignKey("areas.School", models.PROTECT, related_name="needs")
    class_name = models.CharField("lớp", max_length=20, blank=True)
    level = models.CharField("cấp học", max_length=20, choices=SchoolLevel.choices)
    household = models.CharField(
        "hoàn cảnh gia đình", max_length=12, choices=Household.choices, default=Household.NONE
    )
    lacking = models.CharField("còn thiếu", max_length=12, choices=Lacking.choices)
    status = models.CharField(
        "trạng thái", max_length=12, choices=NeedStatus.choices, default=NeedStatus.REGISTERED
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NeedQuerySet.as_manager()

    class Meta:
        ordering = ["student__sort_key", "pk"]
        verbose_name = "nhu cầu"
        constraints = [
            # "Hỗ trợ 1 lần/1 học sinh": one need per child per campaign.
            models.UniqueConstraint(fields=["campaign", "student"], name="need_once_per_student"),
        ]
        indexes = [
            models.Index(fields=["campaign", "school", "status"]),
            models.Index(fields=["campaign", "level", "household"]),
        ]

    def __str__(self) -> str:
        return f"{self.student} ({self.school})"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Chờ xem xét"
    MERGED = "merged", "Đã gộp"
    DISTINCT = "distinct", "Là hai em khác nhau"


class DuplicateCandidate(models.Model):
    """Two records that may be the same child, waiting for an officer's decision."""

    first = models.ForeignKey(Student, models.CASCADE, related_name="+")
    second = models.ForeignKey(Student, models.CASCADE, related_name="+")
    reason = models.CharField("lý do", max_length=255)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "-created_at"]
        verbose_name = "cặp nghi trùng"
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_unique"),
            # The lower id first, so a pair is stored once whichever way it was found.
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="duplicate_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first} / {self.second}"
