import datetime as dt

import pytest

from songmay.accounts.scope import Role
from songmay.audit.models import AuditEntry
from songmay.campaigns.models import Campaign
from songmay.campaigns.services import (
    CampaignData,
    ContactData,
    PhaseData,
    WindowData,
    campaign_create,
)
from songmay.lib.errors import DomainError


@pytest.mark.django_db
def test_demo_loads_the_seed_campaigns_once(demo):
    from songmay.campaigns.demo import load_demo

    load_demo(students=False)
    bac_giang = Campaign.objects.get(name__contains="Bắc Giang")
    assert bac_giang.area.name == "Bắc Ninh"  # Bắc Giang is now part of Bắc Ninh
    phase2 = bac_giang.phases.get(number=2)
    assert (phase2.starts_on.year, phase2.ends_on.year, phase2.target_percent) == (2022, 2023, 100)
    vinh_phuc = Campaign.objects.get(name__contains="Vĩnh Phúc")
    window = vinh_phuc.intake_windows.get()
    assert (window.opens_on, window.closes_on) == (dt.date(2021, 9, 21), dt.date(2021, 9, 26))
    assert vinh_phuc.focal_point == "Sở Giáo dục và Đào tạo tỉnh Vĩnh Phúc"
    assert [(c.order, c.full_name, c.phone) for c in vinh_phuc.contacts.all()] == [
        (1, "Đặng Công Hòa", "+84983934091"),
        (2, "Hà Thị Kim Dung", "+84985131568"),
        (3, "Nguyễn Việt Hà", "+84983121482"),
        (4, "Tống Thị Thu", "+84915262928"),
    ]
    assert Campaign.objects.count() == 2


@pytest.mark.django_db
def test_campaign_checks_dates_targets_and_phones(place, make_user):
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    base = {"name": "Thử", "area": place["bac_ninh"]}
    cases = [
        (
            {"phases": [PhaseData(1, "GĐ1", dt.date(2022, 1, 1), dt.date(2021, 1, 1))]},
            "kết thúc trước",
        ),
        (
            {"phases": [PhaseData(1, "GĐ1", dt.date(2022, 1, 1), dt.date(2023, 1, 1), 120)]},
            "0 đến 100",
        ),
        ({"windows": [WindowData(dt.date(2021, 9, 26), dt.date(2021, 9, 21))]}, "kết thúc trước"),
        ({"contacts": [ContactData("A", "B", "12")]}, "số điện thoại “12” không hợp lệ"),
        ({"area": place["phu_tho"]}, "ngoài phạm vi"),
        ({"area": None}, "toàn quốc"),
    ]
    for extra, message in cases:
        with pytest.raises(DomainError, match=message):
            campaign_create(actor=officer, data=CampaignData(**{**base, **extra}))
    assert not Campaign.objects.filter(name="Thử").exists()


@pytest.mark.django_db
def test_campaign_form_saves_phases_windows_and_contacts(place, make_user, client):
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    client.force_login(officer)
    form = {
        "name": "Sóng và máy tính cho em 2026",
        "area": place["bac_ninh"].pk,
        "launched_on": "12/09/2026",
        "focal_point": "Sở Giáo dục và Đào tạo",
        "phase-TOTAL_FORMS": "1",
        "phase-INITIAL_FORMS": "0",
        "phase-0-number": "1",
        "phase-0-name": "Giai đoạn 1",
        "phase-0-starts_on": "12/09/2026",
        "phase-0-ends_on": "31/12/2026",
        "phase-0-target_percent": "100",
        "window-TOTAL_FORMS": "1",
        "window-INITIAL_FORMS": "0",
        "window-0-opens_on": "21/09/2026",
        "window-0-closes_on": "26/09/2026",
        "contact-TOTAL_FORMS": "2",
        "contact-INITIAL_FORMS": "0",
        "contact-0-full_name": "Đặng Công Hòa",
        "contact-0-position": "Phó Giám đốc Sở",
        "contact-0-phone": "0983.934.091",
    }
    response = client.post("/campaigns/new/", form)
    campaign = Campaign.objects.get(name="Sóng và máy tính cho em 2026")
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.launched_on == dt.date(2026, 9, 12)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "0983.934.091" in page
    assert "Từ ngày 21/09/2026 đến hết ngày 26/09/2026" in page
    assert AuditEntry.objects.filter(action="campaign.created", actor=officer).exists()
    bad = {**form, "contact-0-phone": "0983", "name": "Khác"}
    response = client.post("/campaigns/new/", bad)
    assert "số điện thoại “0983” không hợp lệ" in response.content.decode()
    assert not Campaign.objects.filter(name="Khác").exists()
