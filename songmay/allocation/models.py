"""Allocation: the policy, runs (draft then approved), assignments and handovers.

Once per child is a database rule: a partial unique constraint allows one live (active or
handed over) assignment per pupil and per device, however many officers approve at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from songmay.accounts.models import User

DEFAULT_HOUSEHOLD_ORDER = ["poor", "near_poor", "hardship"]
# Which device kinds suit which level, most preferred first (the seeds' examples).
DEFAULT_LEVEL_PREFERENCES = {
    "primary": ["tablet", "laptop", "smartphone"],
    "lower_secondary": ["laptop", "tablet", "smartphone", "desktop"],
    "upper_secondary": ["laptop", "desktop", "tablet"],
    "continuing": ["laptop", "desktop", "smartphone"],
}


class Reach(models.IntegerChoices):
    """How far a device may travel to a pupil."""

    SCHOOL = 0, "Trong cùng trường"
    COMMUNE = 1, "Trong cùng xã/phường"
    PROVINCE = 2, "Trong cùng tỉnh/thành phố"


class Policy(models.Model):
    """Chính sách phân bổ of one campaign; each run keeps a copy of it."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", models.CASCADE, related_name="allocation_policy"
    )
    household_order = models.JSONField("thứ tự ưu tiên hoàn cảnh", default=list)
    special_first = models.BooleanField("ưu tiên hoàn cảnh đặc biệt trong mỗi nhóm", default=True)
    online_first = models.BooleanField("ưu tiên địa bàn đang dạy học trực tuyến", default=True)
    online_areas = models.ManyToManyField(
        "areas.Area", blank=True, related_name="+", verbose_name="địa bàn đang dạy học trực tuyến"
    )
    one_per_household_first = models.BooleanField(
        "mỗi hộ một máy trước khi hộ nào có máy thứ hai", default=True
    )
    level_preferences = models.JSONField("loại thiết bị phù hợp theo cấp học", default=dict)
    reach = models.PositiveSmallIntegerField(
        "phạm vi điều chuyển", choices=Reach.choices, default=Reach.PROVINCE
    )
    fair_shares = models.BooleanField("chia công bằng giữa các xã khi thiếu máy", default=True)
    handover_days = models.PositiveSmallIntegerField("số ngày phải bàn giao", default=14)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "chính sách phân bổ"

    def __str__(self) -> str:
        return f"Chính sách phân bổ – {self.campaign}"


class RunStatus(models.TextChoices):
    DRAFT = "draft", "Bản nháp"
    APPROVED = "approved", "Đã phê duyệt"
    DISCARDED = "discarded", "Đã bỏ"


class RunQuerySet(models.QuerySet["AllocationRun"]):
    def visible_to(self, user: User) -> RunQuerySet:
        return user.scope.filter_runs(self)


class AllocationRun(models.Model):
    """Một lượt phân bổ: a proposal computed from stored inputs, then approved or discarded."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", models.PROTECT, related_name="allocation_runs"
    )
    number = models.PositiveIntegerField("lượt số")
    status = models.CharField(
        "trạng thái", max_length=10, choices=RunStatus.choices, default=RunStatus.DRAFT
    )
    # The policy as it was, and the pupils and devices it saw (zlib-compressed JSON): enough
    # to compute the same result again.
    policy = models.JSONField("chính sách áp dụng", default=dict)
    inputs = models.BinaryField(editable=False)
    inputs_digest = models.CharField(max_length=64, editable=False)
    excluded_needs = models.JSONField("học sinh loại khỏi lượt", default=list, blank=True)
    excluded_devices = models.JSONField("thiết bị loại khỏi lượt", default=list, blank=True)
    summary = models.JSONField("tổng hợp", default=dict)
    created_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "-number"]
        verbose_name = "lượt phân bổ"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="run_number_unique"),
        ]

    def __str__(self) -> str:
        return f"Lượt phân bổ số {self.number}"


class Proposal(models.Model):
    """One proposed pairing in a run, with why."""

    run = models.ForeignKey(AllocationRun, models.CASCADE, related_name="proposals")
    need = models.ForeignKey("students.Need", models.CASCADE, related_name="+")
    device = models.ForeignKey("inventory.Device", models.CASCADE, related_name="+")
    tier = models.PositiveSmallIntegerField()
    preference = models.PositiveSmallIntegerField()
    distance = models.PositiveSmallIntegerField()
    why = models.CharField(max_length=255)

    class Meta:
        ordering = ["run", "tier", "pk"]

    def __str__(self) -> str:
        return f"{self.need_id} ← {self.device_id}"


class Unserved(models.Model):
    """A pupil a run could not serve, with why not."""

    run = models.ForeignKey(AllocationRun, models.CASCADE, related_name="unserved")
    need = models.ForeignKey("students.Need", models.CASCADE, related_name="+")
    # -1: the pupil's household category is not served under the policy (no tier).
    tier = models.SmallIntegerField()
    why = models.CharField(max_length=255)

    class Meta:
        ordering = ["run", "tier", "pk"]

    def __str__(self) -> str:
        return f"{self.need_id}: {self.why}"


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active", "Chờ bàn giao"
    HANDED_OVER = "handed_over", "Đã bàn giao"
    RETURNED = "returned", "Đã thu hồi"
    CANCELLED = "cancelled", "Đã huỷ"


LIVE = [AssignmentStatus.ACTIVE, AssignmentStatus.HANDED_OVER]


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def visible_to(self, user: User) -> AssignmentQuerySet:
        return user.scope.filter_schools(self, "need__school")


class Assignment(models.Model):
    """A device given to a child: reserved on approval, then handed over against a record.

    It is an approved proposal. The campaign, run, pupil and device are copied from the
    proposal (for the unique indexes and for queries), and the database keeps them through it:
    a proposal's need, device and run, and through them the child and the campaign, cannot be
    deleted. One foreign-key check per row instead of five: at national scale those checks
    took as long as writing the rows.
    """

    proposal = models.OneToOneField(Proposal, models.PROTECT, related_name="assignment")
    campaign = models.ForeignKey(
        "campaigns.Campaign", models.PROTECT, related_name="+", db_constraint=False
    )
    run = models.ForeignKey(
        AllocationRun, models.PROTECT, related_name="assignments", db_constraint=False
    )
    need = models.ForeignKey(
        "students.Need", models.PROTECT, related_name="assignments", db_constraint=False
    )
    # The child, whatever campaign: support is given once per pupil.
    student = models.ForeignKey(
        "students.Student", models.PROTECT, related_name="assignments", db_constraint=False
    )
    device = models.ForeignKey(
        "inventory.Device", models.PROTECT, related_name="assignments", db_constraint=False
    )
    status = models.CharField(
        "trạng thái",
        max_length=12,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.ACTIVE,
    )
    why = models.CharField("lý do", max_length=255, blank=True)
    due_on = models.DateField("hạn bàn giao")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField("lý do thu hồi/huỷ", max_length=255, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["need__school", "pk"]
        verbose_name = "phân bổ"
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(status__in=LIVE),
                name="one_live_assignment_per_child",
            ),
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(status__in=LIVE),
                name="one_live_assignment_per_device",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device} → {self.need_id}"


class Relation(models.TextChoices):
    FATHER = "father", "Cha"
    MOTHER = "mother", "Mẹ"
    GRANDPARENT = "grandparent", "Ông/bà"
    GUARDIAN = "guardian", "Người giám hộ"
    PUPIL = "pupil", "Học sinh"
    OTHER = "other", "Khác"


class Handover(models.Model):
    """Biên bản bàn giao: the family received the device on this day."""

    assignment = models.OneToOneField(Assignment, models.PROTECT, related_name="handover")
    handed_over_on = models.DateField("ngày bàn giao")
    received_by = models.CharField("người nhận", max_length=120)
    relation = models.CharField("quan hệ với học sinh", max_length=12, choices=Relation.choices)
    scan = models.FileField("bản chụp biên bản đã ký", upload_to="handovers/%Y/%m/", blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "biên bản bàn giao"

    def __str__(self) -> str:
        return f"Bàn giao ngày {self.handed_over_on:%d/%m/%Y}"
