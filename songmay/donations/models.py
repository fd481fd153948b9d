"""Donors. Pledges, receipts and the cash ledger come with the donations issue."""

from django.db import models


class DonorKind(models.TextChoices):
    AGENCY = "agency", "Cơ quan, đơn vị"
    COMPANY = "company", "Doanh nghiệp"
    INDIVIDUAL = "individual", "Cá nhân"
    FUND = "fund", "Quỹ"
    STATE_BUDGET = "state_budget", "Ngân sách nhà nước"
    OPERATOR = "operator", "Doanh nghiệp viễn thông"


class Donor(models.Model):
    """Nhà tài trợ: who gives; a donor's users see only its own gifts."""

    kind = models.CharField("loại", max_length=20, choices=DonorKind.choices)
    name = models.CharField("tên", max_length=255)
    tax_code = models.CharField("mã số thuế", max_length=14, blank=True)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    # Donors who do not agree are shown to the public as "Nhà hảo tâm".
    public_name_consent = models.BooleanField("đồng ý công khai tên", default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "nhà tài trợ"

    def __str__(self) -> str:
        return self.name
