"""The allocation pages: who may use them, what each user sees, and the write flows."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from songmay.accounts.scope import Role
from songmay.allocation.models import (
    AllocationRun,
    Assignment,
    AssignmentStatus,
    Handover,
    Policy,
    Proposal,
    RunStatus,
)
from songmay.allocation.services import run_approve, run_create
from songmay.audit.models import AuditEntry
from songmay.students.models import NeedStatus

pytestmark = pytest.mark.django_db


def _messages(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def approved(alloc_world):
    """The world's first run, approved: three assignments (two at Lục Ngạn, one at Sơn Động)."""
    run = run_create(actor=alloc_world["officer"], campaign=alloc_world["campaign"])
    return run_approve(actor=alloc_world["officer"], run=run)


def _assignment_at(school):
    return Assignment.objects.filter(need__school=school).order_by("pk").first()


# ---- Policy ----


def _policy_post(**changes):
    data = {
        "tier_1": "poor", "tier_2": "near_poor", "tier_3": "hardship", "tier_4": "",
        "special_first": "on", "online_first": "on", "online_areas": "",
        "one_per_household_first": "on", "reach": "2", "fair_shares": "on",
        "handover_days": "10",
        "pref_primary_tablet": "1", "pref_primary_laptop": "2",
        "pref_lower_secondary_laptop": "1",
    }  # fmt: skip
    data.update(changes)
    return data


def test_a_province_officer_changes_the_policy(client, alloc_world, place):
    w = alloc_world
    client.force_login(w["officer"])
    url = reverse("allocation:policy", args=[w["campaign"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="poor" selected' in page.content.decode()

    data = _policy_post(tier_1="near_poor", tier_2="poor", online_areas="07582")
    response = client.post(url, data)
    assert response.status_code == 302
    policy = Policy.objects.get(campaign=w["campaign"])
    assert policy.household_order == ["near_poor", "poor", "hardship"]
    assert policy.level_preferences["primary"] == ["tablet", "laptop"]
    assert policy.level_preferences["upper_secondary"] == []
    assert policy.handover_days == 10
    assert [area.code for area in policy.online_areas.all()] == ["07582"]


def test_the_policy_form_explains_a_repeated_rank_or_household(client, alloc_world):
    w = alloc_world
    client.force_login(w["officer"])
    url = reverse("allocation:policy", args=[w["campaign"].pk])
    response = client.post(url, _policy_post(tier_2="poor", pref_primary_laptop="1"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Mỗi nhóm hoàn cảnh chỉ ghi một lần" in text
    assert "Cấp Tiểu học: mỗi thứ tự" in text
    response = client.post(url, _policy_post(online_areas="26"))  # Phú Thọ's neighbour, outside
    assert "không thuộc địa bàn" in response.content.decode() or "Không có địa bàn" in (
        response.content.decode()
    )


def test_school_staff_read_the_policy_but_cannot_change_it(client, alloc_world):
    w = alloc_world
    client.force_login(w["staff_ln"])
    url = reverse("allocation:policy", args=[w["campaign"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Hộ nghèo" in page.content.decode()
    assert "Lưu chính sách" not in page.content.decode()
    client.post(url, _policy_post(handover_days="3"))
    assert Policy.objects.get(campaign=w["campaign"]).handover_days == 14


# ---- Runs ----


def test_an_officer_runs_reviews_excludes_and_approves(client, alloc_world):
    w = alloc_world
    client.force_login(w["officer"])
    response = client.post(reverse("allocation:run_create", args=[w["campaign"].pk]))
    run = AllocationRun.objects.get()
    assert response["Location"] == reverse("allocation:run_detail", args=[run.pk])

    page = client.get(response["Location"])
    text = page.content.decode()
    assert "Đây là bản chạy thử" in text
    assert "Nguyễn Văn An" in text
    assert "Theo nhóm ưu tiên" in text and "Theo địa bàn" in text
    assert "Theo loại thiết bị" in text
    unserved = client.get(response["Location"] + "?show=unserved").content.decode()
    assert "Hoàng Văn Em" in unserved  # no listed household category: never served

    excluded = Proposal.objects.filter(run=run).order_by("pk").first()
    response = client.post(
        reverse("allocation:run_rerun", args=[run.pk]), {"need": [str(excluded.need_id)]}
    )
    second = AllocationRun.objects.get(number=2)
    assert response["Location"] == reverse("allocation:run_detail", args=[second.pk])
    assert second.excluded_needs == [excluded.need_id]
    page = client.get(response["Location"]).content.decode()
    assert "So với lượt số 1" in page

    response = client.post(reverse("allocation:run_approve", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == RunStatus.APPROVED
    assert Assignment.objects.filter(run=second).count() == second.summary["served"]
    assert "Đã phê duyệt" in _messages(client.get(response["Location"]))[0]
    # The device's history shows the approval.
    given = Assignment.objects.filter(run=second).first()
    history = client.get(reverse("inventory:device_detail", args=[given.device_id]))
    assert "Phân bổ theo lượt số 2" in history.content.decode()


def test_approving_an_overlapping_run_shows_why(client, alloc_world):
    w = alloc_world
    first = run_create(actor=w["officer"], campaign=w["campaign"])
    second = run_create(actor=w["officer"], campaign=w["campaign"])
    run_approve(actor=w["officer"], run=first)
    client.force_login(w["officer"])
    response = client.post(reverse("allocation:run_approve", args=[second.pk]), follow=True)
    second.refresh_from_db()
    assert second.status == RunStatus.DRAFT
    assert any("lượt" in message.lower() for message in _messages(response))


def test_discarding_a_draft(client, alloc_world):
    w = alloc_world
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    client.force_login(w["officer"])
    response = client.post(reverse("allocation:run_discard", args=[run.pk]))
    assert response["Location"] == reverse("allocation:run_list")
    run.refresh_from_db()
    assert run.status == RunStatus.DISCARDED


def test_proposals_filter_by_commune_and_tier(client, alloc_world, place):
    w = alloc_world
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    client.force_login(w["officer"])
    url = reverse("allocation:run_detail", args=[run.pk])
    sondong = place["communes"]["sondong"]
    text = client.get(url, {"area": sondong.pk}).content.decode()
    assert "Lê Văn Cường" in text
    assert "Nguyễn Văn An" not in text
    text = client.get(url, {"tier": "0"}).content.decode()
    assert "Trần Thị Bình" not in text  # near-poor: the second tier


def test_runs_of_another_province_are_404_and_absent_from_the_list(client, alloc_world):
    w = alloc_world
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    client.force_login(w["officer_pt"])
    assert client.get(reverse("allocation:run_detail", args=[run.pk])).status_code == 404
    assert client.post(reverse("allocation:run_approve", args=[run.pk])).status_code == 404
    assert w["campaign"].name not in client.get(reverse("allocation:run_list")).content.decode()
    response = client.post(reverse("allocation:run_create", args=[w["campaign"].pk]))
    assert response.status_code == 404
    assert not AllocationRun.objects.filter(number=2).exists()


def test_school_staff_cannot_run_or_approve(client, alloc_world):
    w = alloc_world
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    client.force_login(w["staff_ln"])
    assert client.post(reverse("allocation:run_approve", args=[run.pk])).status_code == 403
    assert client.post(reverse("allocation:run_create", args=[w["campaign"].pk])).status_code == 403
    assert client.get(reverse("allocation:run_detail", args=[run.pk])).status_code == 404


def test_the_run_review_reads_in_a_fixed_number_of_queries(
    client, alloc_world, django_assert_max_num_queries
):
    w = alloc_world
    run = run_create(actor=w["officer"], campaign=w["campaign"])
    client.force_login(w["officer"])
    url = reverse("allocation:run_detail", args=[run.pk])
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(url + "?show=unserved").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("allocation:run_list")).status_code == 200


# ---- Assignments and handovers ----


def test_a_school_sees_only_its_own_assignments(client, alloc_world, approved):
    w = alloc_world
    client.force_login(w["staff_ln"])
    text = client.get(reverse("allocation:assignment_list")).content.decode()
    assert "Nguyễn Văn An" in text
    assert "Lê Văn Cường" not in text  # Sơn Động's pupil
    other = _assignment_at(w["schools"]["sondong"])
    assert client.get(reverse("allocation:handover_record", args=[other.pk])).status_code == 404
    response = client.post(
        reverse("allocation:assignment_return", args=[other.pk]), {"reason": "thử"}
    )
    assert response.status_code == 404


def test_overdue_assignments_are_flagged_and_filtered(client, alloc_world, approved):
    w = alloc_world
    late = _assignment_at(w["schools"]["lucngan"])
    Assignment.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - dt.timedelta(1))
    client.force_login(w["staff_ln"])
    text = client.get(reverse("allocation:assignment_list")).content.decode()
    assert text.count("Quá hạn bàn giao</span>") == 1
    text = client.get(reverse("allocation:assignment_list"), {"overdue": "on"}).content.decode()
    assert late.student.full_name in text
    assert text.count('<tr class="late">') == 1
    on_time = Assignment.objects.filter(need__school=w["schools"]["lucngan"]).exclude(pk=late.pk)
    assert on_time.get().student.full_name not in text


def test_the_assignment_list_reads_in_a_fixed_number_of_queries(
    client, alloc_world, approved, django_assert_max_num_queries
):
    w = alloc_world
    client.force_login(w["officer"])
    url = reverse("allocation:assignment_list")
    client.get(url)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.content.decode().count("Ghi nhận bàn giao") == 3


def test_school_staff_record_a_handover_with_a_scan(
    client, alloc_world, approved, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    w = alloc_world
    assignment = _assignment_at(w["schools"]["lucngan"])
    client.force_login(w["staff_ln"])
    url = reverse("allocation:handover_record", args=[assignment.pk])
    assert client.get(url).status_code == 200
    scan = SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    today = timezone.localdate()
    response = client.post(url, {
        "handed_over_on": today.strftime("%d/%m/%Y"), "received_by": "Nguyễn Văn Bố",
        "relation": "father", "scan": scan,
    })  # fmt: skip
    assert response.status_code == 302
    handover = Handover.objects.get(assignment=assignment)
    assert (handover.received_by, handover.handed_over_on) == ("Nguyễn Văn Bố", today)
    assert handover.scan.name
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.HANDED_OVER
    assert assignment.need.status == NeedStatus.EQUIPPED
    listing = client.get(reverse("allocation:assignment_list")).content.decode()
    assert "Đã bàn giao" in listing and "Nguyễn Văn Bố (cha)" in listing
    # The signed page opens for the school, is recorded, and is a 404 for another school.
    scan_url = reverse("allocation:handover_scan", args=[assignment.pk])
    assert scan_url in client.get(url).content.decode()
    download = client.get(scan_url)
    assert b"".join(download.streaming_content) == b"%PDF-1.4 signed"
    assert AuditEntry.objects.filter(action="handover_scan.exported").count() == 1
    client.force_login(w["staff_sd"])
    assert client.get(scan_url).status_code == 404


def test_a_scan_that_is_not_a_pdf_or_picture_or_too_large_is_refused(
    client, alloc_world, approved, settings
):
    w = alloc_world
    assignment = _assignment_at(w["schools"]["lucngan"])
    client.force_login(w["staff_ln"])
    url = reverse("allocation:handover_record", args=[assignment.pk])
    data = {"handed_over_on": timezone.localdate().strftime("%d/%m/%Y"), "received_by": "Mẹ",
            "relation": "mother"}  # fmt: skip
    exe = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00", content_type="application/pdf")
    response = client.post(url, {**data, "scan": exe})
    assert "phải là tệp PDF, JPEG hoặc PNG" in response.content.decode()
    settings.SONGMAY_MAX_UPLOAD_BYTES = 10
    png = SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    response = client.post(url, {**data, "scan": png})
    assert "Tệp lớn quá" in response.content.decode()
    assert not Handover.objects.exists()


def test_a_handover_date_in_the_future_is_explained(client, alloc_world, approved):
    w = alloc_world
    assignment = _assignment_at(w["schools"]["lucngan"])
    client.force_login(w["staff_ln"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(
        reverse("allocation:handover_record", args=[assignment.pk]),
        {"handed_over_on": tomorrow.strftime("%d/%m/%Y"), "received_by": "Bà Nội",
         "relation": "grandparent"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "chưa tới" in response.content.decode()


def test_an_area_officer_follows_handovers_but_cannot_record_them(
    client, alloc_world, approved, make_user, place
):
    w = alloc_world
    officer = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    assignment = _assignment_at(w["schools"]["lucngan"])
    client.force_login(officer)
    url = reverse("allocation:handover_record", args=[assignment.pk])
    page = client.get(url).content.decode()
    assert assignment.student.full_name in page
    assert "Ghi nhận đã bàn giao" not in page
    response = client.post(url, {"received_by": "X", "relation": "father"})
    assert response.status_code == 403
    assert not Handover.objects.exists()


def test_a_device_is_taken_back(client, alloc_world, approved):
    w = alloc_world
    assignment = _assignment_at(w["schools"]["lucngan"])
    client.force_login(w["staff_ln"])
    url = reverse("allocation:assignment_return", args=[assignment.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Hãy ghi lý do thu hồi" in _messages(response)[0]
    response = client.post(url, {"reason": "Học sinh chuyển trường", "pupil_left": "on"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CANCELLED
    assert assignment.need.status == NeedStatus.WITHDRAWN


# ---- The handover PDF ----


def test_the_handover_pdf_is_for_the_users_school_and_audited(client, alloc_world, approved):
    w = alloc_world
    client.force_login(w["staff_ln"])
    response = client.get(reverse("allocation:handover_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    entry = AuditEntry.objects.get(action="handover.exported")
    assert entry.changes["rows"] == 2
    assert entry.changes["filters"]["school"] == w["schools"]["lucngan"].code


def test_the_handover_pdf_of_another_school_is_404(client, alloc_world, approved):
    w = alloc_world
    client.force_login(w["staff_ln"])
    code = w["schools"]["sondong"].code
    assert client.get(reverse("allocation:handover_pdf", args=[code])).status_code == 404
    client.force_login(w["officer_pt"])
    assert client.get(reverse("allocation:handover_pdf", args=[code])).status_code == 404
    client.force_login(w["officer"])
    assert client.get(reverse("allocation:handover_pdf", args=[code])).status_code == 200
    assert client.get(reverse("allocation:handover_pdf")).status_code == 404  # no school of its own


def test_a_school_with_nothing_to_hand_over_gets_a_message_not_an_empty_pdf(client, alloc_world):
    client.force_login(alloc_world["staff_ln"])
    response = client.get(reverse("allocation:handover_pdf"), follow=True)
    assert "không còn thiết bị nào chờ bàn giao" in _messages(response)[0]
    assert not AuditEntry.objects.filter(action="handover.exported").exists()


def test_the_menu_leads_to_allocation(client, alloc_world):
    client.force_login(alloc_world["staff_ln"])
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("allocation:assignment_list")}"' in page
