"""Users, their role and the one scope each is bound to; API tokens."""

from __future__ import annotations

import hashlib
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q

from songmay.accounts.scope import Role, Scope


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, user: User) -> UserQuerySet:
        return user.scope.filter_users(self)


class SongmayUserManager(UserManager["User"]):
    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def visible_to(self, user: User) -> UserQuerySet:
        return self.get_queryset().visible_to(user)


class User(AbstractUser):
    """A person who logs in; what they may see follows from `role` and one scope field."""

    full_name = models.CharField("họ và tên", max_length=120, blank=True)
    role = models.CharField("vai trò", max_length=20, choices=Role.choices)
    area = models.ForeignKey(
        "areas.Area",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="địa bàn",
    )
    school = models.ForeignKey(
        "areas.School",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name="trường",
    )
    donor = models.ForeignKey(
        "donations.Donor",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="nhà tài trợ",
    )
    operator = models.ForeignKey(
        "connectivity.Operator",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="doanh nghiệp viễn thông",
    )

    objects = SongmayUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = "người dùng"
        constraints = [
            # Each role is bound to exactly the scope it needs; nothing else.
            models.CheckConstraint(
                name="user_scope_matches_role",
                condition=(
                    Q(role__in=[Role.PROVINCE_OFFICER, Role.AREA_OFFICER], area__isnull=False)
                    & Q(school__isnull=True, donor__isnull=True, operator__isnull=True)
                )
                | (
                    Q(role=Role.SCHOOL_STAFF, school__isnull=False)
                    & Q(area__isnull=True, donor__isnull=True, operator__isnull=True)
                )
                | (
                    Q(role=Role.DONOR, donor__isnull=False)
                    & Q(area__isnull=True, school__isnull=True, operator__isnull=True)
                )
                | (
                    Q(role=Role.OPERATOR, operator__isnull=False)
                    & Q(area__isnull=True, school__isnull=True, donor__isnull=True)
                )
                | (
                    Q(role__in=[Role.ADMIN, Role.AUDITOR])
                    & Q(school__isnull=True, donor__isnull=True, operator__isnull=True)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def scope(self) -> Scope:
        return Scope.of(self)

    @property
    def scope_label(self) -> str:
        target = self.area or self.school or self.donor or self.operator
        return str(target) if target else "Toàn quốc"


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField("tên", max_length=80)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "mã truy cập API"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
