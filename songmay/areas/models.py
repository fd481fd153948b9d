"""Administrative areas (any depth) and schools."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from songmay.lib.vietnamese import fold

if TYPE_CHECKING:
    from songmay.accounts.models import User


class AreaLevel(models.TextChoices):
    PROVINCE = "province", "Tỉnh/thành phố"
    DISTRICT = "district", "Quận/huyện (trước 1/7/2025)"
    COMMUNE = "commune", "Xã/phường/đặc khu"
    OTHER = "other", "Khác"


def path_and_above(path: str) -> list[str]:
    """ "/24/07210/" -> ["/24/", "/24/07210/"]: the area's path and its ancestors', root first."""
    codes = path.strip("/").split("/")
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


class AreaQuerySet(models.QuerySet["Area"]):
    def visible_to(self, user: User) -> AreaQuerySet:
        return user.scope.filter_areas(self, "")

    def search(self, query: str) -> AreaQuerySet:
        folded = fold(query)
        return self.filter(name_folded__contains=folded) if folded else self


class Area(models.Model):
    """Đơn vị hành chính: a node of the area tree, located by its materialised path."""

    code = models.CharField("mã", max_length=20, unique=True)
    name = models.CharField("tên", max_length=200)
    division_type = models.CharField("loại đơn vị", max_length=40, blank=True)
    level = models.CharField("cấp", max_length=20, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="trực thuộc",
    )
    # "/24/07210/": the codes from the root, so a subtree is one indexed prefix query.
    path = models.CharField(max_length=255, unique=True)
    name_folded = models.CharField(max_length=200, db_index=True, editable=False)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = "đơn vị hành chính"
        constraints = [
            models.CheckConstraint(
                condition=Q(path__startswith="/") & Q(path__endswith="/"), name="area_path_slashes"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> AreaQuerySet:
        return Area.objects.filter(path__in=path_and_above(self.path)[:-1]).order_by("path")


class SchoolLevel(models.TextChoices):
    PRIMARY = "primary", "Tiểu học"
    LOWER_SECONDARY = "lower_secondary", "THCS"
    UPPER_SECONDARY = "upper_secondary", "THPT"
    CONTINUING = "continuing", "GDTX"


class SchoolQuerySet(models.QuerySet["School"]):
    def visible_to(self, user: User) -> SchoolQuerySet:
        return user.scope.filter_schools(self, "")

    def teaching(self, level: str) -> SchoolQuerySet:
        return self.filter(**{f"teaches_{level}": True})

    def search(self, query: str) -> SchoolQuerySet:
        folded = fold(query)
        if not folded:
            return self
        return self.filter(Q(name_folded__contains=folded) | Q(code__iexact=query.strip()))


class School(models.Model):
    """Trường: a school, known by its official code."""

    code = models.CharField("mã trường", max_length=20, unique=True)
    name = models.CharField("tên trường", max_length=255)
    name_folded = models.CharField(max_length=255, db_index=True, editable=False)
    # A school may teach several levels (e.g. a TH&THCS school); one flag per level
    # keeps filtering a plain indexed column on every database.
    teaches_primary = models.BooleanField("tiểu học", default=False)
    teaches_lower_secondary = models.BooleanField("THCS", default=False)
    teaches_upper_secondary = models.BooleanField("THPT", default=False)
    teaches_continuing = models.BooleanField("GDTX", default=False)
    area = models.ForeignKey(Area, models.PROTECT, related_name="schools", verbose_name="địa bàn")
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    principal_name = models.CharField("hiệu trưởng", max_length=120, blank=True)
    contact_name = models.CharField("người liên hệ", max_length=120, blank=True)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    is_active = models.BooleanField("đang hoạt động", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolQuerySet.as_manager()

    class Meta:
        ordering = ["name_folded", "code"]
        verbose_name = "trường"
        constraints = [
            models.CheckConstraint(
                condition=Q(teaches_primary=True)
                | Q(teaches_lower_secondary=True)
                | Q(teaches_upper_secondary=True)
                | Q(teaches_continuing=True),
                name="school_teaches_some_level",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def levels(self) -> list[str]:
        return [level for level in SchoolLevel.values if getattr(self, f"teaches_{level}")]

    @property
    def level_labels(self) -> list[str]:
        return [str(SchoolLevel(level).label) for level in self.levels]
