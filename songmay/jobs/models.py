"""Long jobs (imports today; allocation runs and PDF batches later) and their progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from songmay.accounts.models import User


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Đang chờ"
    RUNNING = "running", "Đang xử lý"
    SUCCEEDED = "succeeded", "Hoàn thành"
    FAILED = "failed", "Có lỗi, chưa ghi gì"


class JobQuerySet(models.QuerySet["Job"]):
    def visible_to(self, user: User) -> JobQuerySet:
        # A job and its file are seen by the person who started it, and by admins.
        if user.scope.is_national and user.scope.may("audit.view"):
            return self
        return self.filter(created_by=user)


class Job(models.Model):
    kind = models.CharField("loại", max_length=40)
    status = models.CharField(
        "trạng thái", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="jobs")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField("tệp", max_length=255, blank=True)
    # The uploaded file itself, so a worker on any machine can read it and a retry can re-run.
    payload = models.BinaryField(blank=True)
    # What the job was asked to do besides the file, e.g. {"campaign": 3, "school": 12}.
    params = models.JSONField(default=dict, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # What the job produced: counts on success; row errors (row, column, message) on failure.
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "tác vụ"

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
