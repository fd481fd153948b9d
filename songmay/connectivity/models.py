"""Telecom operators. Dead spots and data packages come with the connectivity issue."""

from django.db import models


class Operator(models.Model):
    """Doanh nghiệp viễn thông: its users see only its own dead spots and requests."""

    code = models.SlugField("mã", max_length=20, unique=True)
    name = models.CharField("tên", max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name = "doanh nghiệp viễn thông"

    def __str__(self) -> str:
        return self.name
