"""Dead spots: reporting, the status steps and who may take them, overdue flags and counts,
operator scoping on every page, affected pupils, and the map without the internet."""

import datetime as dt
import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from songmay.audit.models import AuditEntry
from songmay.connectivity import selectors
from songmay.connectivity.models import DeadSpot, DeadSpotEvent, DeadSpotStatus
from songmay.connectivity.services import (
    DeadSpotData,
    dead_spot_report,
    dead_spot_status_change,
    dead_spot_update,
    is_overdue,
)
from songmay.lib.errors import DomainError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _step(spot, user, *statuses, comment="Đã đo sóng"):
    for status in statuses:
        spot = dead_spot_status_change(actor=user, dead_spot=spot, status=status, comment=comment)
    return spot


# ------------------------------------------------------------------------- services


def test_reporting_records_the_history_and_the_audit_entry(spot_world):
    spot = spot_world["spot_ln"]
    assert spot.status == DeadSpotStatus.REPORTED
    assert list(spot.events.values_list("to_status", flat=True)) == ["reported"]
    assert AuditEntry.objects.filter(action="dead_spot.reported", target_id=str(spot.pk)).exists()


def test_the_same_village_cannot_be_reported_twice_whatever_its_accents(spot_world):
    with pytest.raises(DomainError) as caught:
        dead_spot_report(
            actor=spot_world["users"]["area_ln"],
            data=DeadSpotData(
                area=spot_world["communes"]["lucngan"], village="thon  khe nghe",
                reported_on=dt.date(2021, 10, 1),
            ),
        )  # fmt: skip
    assert caught.value.field == "village"


def test_an_officer_cannot_report_outside_the_area(spot_world):
    with pytest.raises(DomainError):
        dead_spot_report(
            actor=spot_world["users"]["area_sd"],
            data=DeadSpotData(
                area=spot_world["communes"]["lucngan"], village="Thôn Mới",
                reported_on=dt.date(2021, 10, 1),
            ),
        )  # fmt: skip


def test_an_operator_cannot_report_a_dead_spot(spot_world):
    with pytest.raises(PermissionDenied):
        dead_spot_report(
            actor=spot_world["users"]["viettel"],
            data=DeadSpotData(
                area=spot_world["communes"]["lucngan"], village="Thôn Mới",
                reported_on=dt.date(2021, 10, 1),
            ),
        )  # fmt: skip


def test_statuses_only_move_forward(spot_world):
    viettel = spot_world["users"]["viettel"]
    spot = _step(spot_world["spot_ln"], viettel, "surveyed", "building")
    with pytest.raises(DomainError, match="chỉ chuyển tiếp"):
        _step(spot, viettel, "planned")
    with pytest.raises(DomainError):
        _step(spot, viettel, "building")
    spot.refresh_from_db()
    assert spot.status == "building"
    assert list(spot.events.values_list("from_status", "to_status")) == [
        ("", "reported"), ("reported", "surveyed"), ("surveyed", "building"),
    ]  # fmt: skip


def test_covered_sets_the_date_and_only_an_officer_verifies(spot_world):
    viettel, area = spot_world["users"]["viettel"], spot_world["users"]["area_ln"]
    spot = _step(spot_world["spot_ln"], viettel, "covered")
    assert spot.covered_on is not None
    with pytest.raises(DomainError, match="cán bộ"):
        _step(spot, viettel, "verified")
    spot = _step(spot, area, "verified")
    assert spot.status == "verified"


def test_covered_needs_a_comment_or_evidence(spot_world):
    viettel = spot_world["users"]["viettel"]
    with pytest.raises(DomainError) as caught:
        _step(spot_world["spot_ln"], viettel, "covered", comment="")
    assert caught.value.field == "comment"
    spot = dead_spot_status_change(
        actor=viettel, dead_spot=spot_world["spot_ln"], status="covered",
        evidence=SimpleUploadedFile("tram.png", PNG, content_type="image/png"),
    )  # fmt: skip
    event = spot.events.get(to_status="covered")
    assert event.evidence.name.endswith(".png")


def test_evidence_is_checked_by_its_first_bytes(spot_world):
    fake = SimpleUploadedFile(
        "bien-ban.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    with pytest.raises(DomainError) as caught:
        dead_spot_status_change(
            actor=spot_world["users"]["viettel"], dead_spot=spot_world["spot_ln"],
            status="surveyed", evidence=fake,
        )  # fmt: skip
    assert caught.value.field == "evidence"
    assert DeadSpotEvent.objects.filter(to_status="surveyed").count() == 0


def test_an_operator_cannot_move_another_operators_dead_spot(spot_world):
    with pytest.raises(DomainError):
        _step(spot_world["spot_sd"], spot_world["users"]["viettel"], "surveyed")
    assert DeadSpot.objects.get(pk=spot_world["spot_sd"].pk).status == "reported"


def test_school_staff_cannot_change_a_status(spot_world):
    with pytest.raises(PermissionDenied):
        _step(spot_world["spot_ln"], spot_world["users"]["school_ln"], "surveyed")


def test_update_keeps_the_history(spot_world):
    spot = spot_world["spot_ln"]
    data = DeadSpotData(
        area=spot.area, village=spot.village, reported_on=spot.reported_on, households=50,
        operator=spot.operator, target_on=dt.date(2022, 6, 30),
    )  # fmt: skip
    spot = dead_spot_update(actor=spot_world["users"]["area_ln"], dead_spot=spot, data=data)
    assert spot.households == 50
    assert "households" in spot.events.last().comment


def test_overdue_means_past_the_target_and_not_covered(spot_world):
    spot = spot_world["spot_ln"]  # target 31/12/2021
    assert is_overdue(spot, dt.date(2022, 1, 1))
    assert not is_overdue(spot, dt.date(2021, 12, 31))
    assert not is_overdue(spot_world["spot_sd"])  # no target date
    spot = _step(spot, spot_world["users"]["viettel"], "covered")
    assert not is_overdue(spot, dt.date(2022, 1, 1))


# ------------------------------------------------------------------------- selectors


def test_counts_by_area_and_operator(spot_world, django_assert_num_queries):
    _step(spot_world["spot_sd"], spot_world["users"]["mobifone"], "covered")
    with django_assert_num_queries(3):
        counts = selectors.dead_spot_counts(user=spot_world["users"]["province"])
    assert (counts["total"].total, counts["total"].covered, counts["total"].overdue) == (2, 1, 1)
    by_operator = {
        row.label: (row.total, row.covered, row.overdue) for row in counts["by_operator"]
    }
    assert by_operator == {"Viettel": (1, 0, 1), "MobiFone": (1, 1, 0)}
    by_area = {row.label: row.total for row in counts["by_area"]}
    assert by_area == {
        spot_world["communes"]["lucngan"].name: 1,
        spot_world["communes"]["sondong"].name: 1,
    }


def test_an_operator_counts_and_lists_only_its_own(spot_world):
    viettel = spot_world["users"]["viettel"]
    assert list(selectors.dead_spot_list(user=viettel)) == [spot_world["spot_ln"]]
    assert selectors.dead_spot_counts(user=viettel)["total"].total == 1


def test_affected_pupils_are_those_living_in_the_village(spot_world):
    pupils = selectors.affected_pupils(spot_world["spot_ln"])
    assert [pupil.pk for pupil in pupils] == [spot_world["need"].student_id]
    assert selectors.affected_pupils(spot_world["spot_sd"]) == []


# ------------------------------------------------------------------------- pages


def test_the_list_shows_counts_and_flags_overdue(spot_world, client, django_assert_max_num_queries):
    client.force_login(spot_world["users"]["province"])
    with django_assert_max_num_queries(14):
        page = client.get(reverse("connectivity:dead_spot_list")).content.decode()
    assert "Thôn Khe Nghè" in page and "Bản Ké" in page
    assert "Quá hạn" in page


def test_the_list_filters_overdue_ones(spot_world, client):
    client.force_login(spot_world["users"]["province"])
    page = client.get(reverse("connectivity:dead_spot_list"), {"overdue": "on"}).content.decode()
    assert "Thôn Khe Nghè" in page and "Bản Ké" not in page


@pytest.mark.parametrize("name", ["dead_spot_detail", "dead_spot_status", "dead_spot_edit"])
def test_another_operators_dead_spot_is_404(spot_world, client, name):
    client.force_login(spot_world["users"]["viettel"])
    url = reverse(f"connectivity:{name}", args=[spot_world["spot_sd"].pk])
    response = (
        client.post(url, {"status": "surveyed"}) if name == "dead_spot_status" else client.get(url)
    )
    assert response.status_code == (403 if name == "dead_spot_edit" else 404)


def test_an_operator_updates_its_own_dead_spot_with_evidence(spot_world, client):
    client.force_login(spot_world["users"]["viettel"])
    spot = spot_world["spot_ln"]
    response = client.post(
        reverse("connectivity:dead_spot_status", args=[spot.pk]),
        {"status": "surveyed", "comment": "Đã khảo sát vị trí trạm",
         "evidence": SimpleUploadedFile("anh.png", PNG, content_type="image/png")},
    )  # fmt: skip
    assert response.status_code == 302
    spot.refresh_from_db()
    assert spot.status == "surveyed"
    event = spot.events.get(to_status="surveyed")
    page = client.get(reverse("connectivity:dead_spot_detail", args=[spot.pk])).content.decode()
    assert "Đã khảo sát vị trí trạm" in page
    evidence = client.get(reverse("connectivity:dead_spot_evidence", args=[spot.pk, event.pk]))
    assert evidence.status_code == 200
    assert b"".join(evidence.streaming_content).startswith(b"\x89PNG")


def test_an_operator_never_sees_pupil_names_only_the_count(spot_world, client):
    url = reverse("connectivity:dead_spot_detail", args=[spot_world["spot_ln"].pk])
    name = "Nông Thị Sóng"
    client.force_login(spot_world["users"]["viettel"])
    page = client.get(url).content.decode()
    assert name not in page
    assert re.search(r"có địa chỉ ở thôn này</dt><dd>1<", page)
    client.force_login(spot_world["users"]["school_ln"])
    assert name in client.get(url).content.decode()
    client.force_login(spot_world["users"]["area_ln"])
    assert name in client.get(url).content.decode()


def test_an_officer_reports_a_dead_spot_through_the_form(spot_world, client):
    client.force_login(spot_world["users"]["area_ln"])
    response = client.post(
        reverse("connectivity:dead_spot_create"),
        {"area": spot_world["communes"]["lucngan"].code, "village": "Thôn Đồng Đỉnh",
         "latitude": "21,4", "longitude": "106,5", "households": "12", "pupils": "5",
         "operator": spot_world["operators"]["viettel"].pk, "technology": "4g",
         "reported_on": "20/09/2021", "target_on": "31/03/2022", "notes": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    spot = DeadSpot.objects.get(village="Thôn Đồng Đỉnh")
    assert spot.target_on == dt.date(2022, 3, 31)


def test_the_map_renders_without_any_external_address(spot_world, client):
    client.force_login(spot_world["users"]["province"])
    response = client.get(reverse("connectivity:dead_spot_map"))
    page = response.content.decode()
    assert response.status_code == 200
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    block = page.split('id="dead-spot-data" type="application/json">', 1)[1].split("</script>", 1)[
        0
    ]
    data = json.loads(block)
    assert data["tiles"] == ""
    assert [point["village"] for point in data["points"]] == ["Thôn Khe Nghè", "Bản Ké"]
    assert "<script>" not in page  # no inline script: the CSP forbids it
    csp = response.headers.get("Content-Security-Policy", "")
    assert "img-src 'self' data:" in csp


def test_the_map_shows_an_operator_only_its_own_points(spot_world, client):
    client.force_login(spot_world["users"]["viettel"])
    page = client.get(reverse("connectivity:dead_spot_map")).content.decode()
    block = page.split('id="dead-spot-data" type="application/json">', 1)[1].split("</script>", 1)[
        0
    ]
    assert [point["village"] for point in json.loads(block)["points"]] == ["Thôn Khe Nghè"]


def test_the_map_uses_the_configured_tile_server(spot_world, client, settings):
    settings.SONGMAY_MAP_TILES = "https://tiles.example.vn/{z}/{x}/{y}.png"
    settings.SONGMAY_MAP_ATTRIBUTION = "© OpenStreetMap"
    client.force_login(spot_world["users"]["province"])
    page = client.get(reverse("connectivity:dead_spot_map")).content.decode()
    block = page.split('id="dead-spot-data" type="application/json">', 1)[1].split("</script>")[0]
    assert json.loads(block)["tiles"] == settings.SONGMAY_MAP_TILES
    assert "không có nền bản đồ" not in page


def test_a_pupil_in_an_uncovered_dead_spot_is_not_offered_a_package_until_covered(
    spot_world, client
):
    import datetime as dt
    from decimal import Decimal

    from django.urls import reverse

    from songmay.connectivity.models import DataPackage
    from songmay.connectivity.package_services import support_request
    from songmay.connectivity.services import dead_spot_status_change
    from songmay.lib.errors import DomainError

    w = spot_world
    package = DataPackage.objects.create(
        operator=w["operators"]["viettel"], name="Học trực tuyến", months=6,
        data_gb_per_month=Decimal(4), price=0, free=True,
    )  # fmt: skip
    request = {
        "actor": w["users"]["school_ln"], "need": w["need"], "package": package,
        "phone": "0983934091", "consent_given": True, "consent_on": dt.date(2021, 9, 20),
    }  # fmt: skip
    with pytest.raises(DomainError, match="chưa được phủ sóng"):
        support_request(**request)
    client.force_login(w["users"]["school_ln"])
    page = client.get(reverse("students:detail", args=[w["need"].pk])).content.decode()
    assert "chưa thể hỗ trợ gói cước cho đến khi được phủ sóng" in page
    assert reverse("connectivity:package_request", args=[w["need"].pk]) not in page
    dead_spot_status_change(
        actor=w["users"]["province"], dead_spot=w["spot_ln"], status="covered",
        comment="Trạm 4G mới đã phát sóng",
    )  # fmt: skip
    assert support_request(**request).status == "requested"
    page = client.get(reverse("students:detail", args=[w["need"].pk])).content.decode()
    assert "chưa thể hỗ trợ gói cước" not in page


def test_the_campaign_page_counts_dead_spots_covered(spot_world, client):
    from django.urls import reverse

    from songmay.connectivity.services import dead_spot_status_change

    w = spot_world
    campaign = w["need"].campaign
    client.force_login(w["users"]["province"])
    url = reverse("campaigns:detail", args=[campaign.pk])
    assert (
        '<div class="stat">0/2</div>điểm lõm sóng đã được phủ sóng'
        in client.get(url).content.decode()
    )
    dead_spot_status_change(
        actor=w["users"]["province"], dead_spot=w["spot_sd"], status="covered",
        comment="Đã phát sóng",
    )  # fmt: skip
    assert '<div class="stat">1/2</div>' in client.get(url).content.decode()
