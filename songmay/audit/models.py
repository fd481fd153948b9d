"""The audit trail: who did what, to what, where and when. Entries are never changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from songmay.accounts.models import User


class Via(models.TextChoices):
    WEB = "web", "Trang web"
    API = "api", "API"
    CLI = "cli", "Dòng lệnh"
    TASK = "task", "Tác vụ nền"


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def visible_to(self, user: User) -> AuditEntryQuerySet:
        if not user.scope.may("audit.view"):
            return self.none()
        if user.scope.is_national:
            return self
        return user.scope.filter_areas(self, "area")


class AuditEntry(models.Model):
    created_at = models.DateTimeField("thời điểm", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text so the trail still reads after a user is removed.
    actor_name = models.CharField("người thực hiện", max_length=150)
    action = models.CharField("hành động", max_length=80, db_index=True)
    target_type = models.CharField("loại đối tượng", max_length=80)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField("đối tượng", max_length=255, blank=True)
    area = models.ForeignKey(
        "areas.Area",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="địa bàn",
    )
    changes = models.JSONField("thay đổi", default=dict, blank=True)
    ip = models.GenericIPAddressField("địa chỉ IP", null=True, blank=True)
    via = models.CharField("qua", max_length=10, choices=Via.choices)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "nhật ký"
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target_repr}"

    @property
    def change_rows(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for a change; (name, None, value) for other details."""
        return [
            (name, *value) if isinstance(value, list) and len(value) == 2 else (name, None, value)
            for name, value in self.changes.items()
        ]
