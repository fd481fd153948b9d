"""Indicators on a hand-built campaign: every figure equals the hand count, wherever it is shown.

The world (alloc_world): five confirmed pupils — at Lục Ngạn An (poor), Bình (near-poor) and Em
(none); at Sơn Động Cường (poor) and Dung (hardship) — all lacking a device, all primary; two
tablets at Lục Ngạn and a laptop at Sơn Động.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from songmay.accounts.scope import Role
from songmay.allocation.models import Assignment
from songmay.allocation.services import handover_record, run_approve, run_create
from songmay.reports.dashboards import dashboard_report
from songmay.students.models import DuplicateCandidate
from songmay.students.services import (
    StudentData,
    duplicate_merge,
    need_withdraw,
    student_register,
)

pytestmark = pytest.mark.django_db


def _hand_over_at_lucngan(w, count=2):
    run = run_approve(
        actor=w["officer"], run=run_create(actor=w["officer"], campaign=w["campaign"])
    )
    assignments = Assignment.objects.filter(run=run, need__school=w["schools"]["lucngan"])
    for assignment in assignments.order_by("pk")[:count]:
        handover_record(
            actor=w["staff_ln"], assignment=assignment, handed_over_on=timezone.localdate(),
            received_by="Nguyễn Văn Bố", relation="father",
        )  # fmt: skip
    return run


def _report(w, user=None, **place):
    return dashboard_report(user=user or w["officer"], campaign_pk=w["campaign"].pk, **place)


def test_pupils_by_level_and_household_equal_the_hand_count(alloc_world):
    report = _report(alloc_world)
    f = report.figures
    assert f.pupils_in_need == 5
    assert [f.pupils_by_household(h) for h in ("poor", "near_poor", "hardship", "none")] == [
        2, 1, 1, 1,
    ]  # fmt: skip
    assert report.pupils_table().rows[0] == ["Tiểu học", 2, 1, 1, 1, 5]
    assert report.pupils_table().total == ["Tổng cộng", 2, 1, 1, 1, 5]
    by_place = {row[0]: row[1:4] for row in report.areas_table().rows}
    assert by_place == {"Xã Lục Ngạn": [3, 3, 0], "Xã Sơn Động": [2, 2, 0]}
    assert report.as_json()["pupils_in_need"]["by_level"]["primary"] == 5


def test_a_child_merged_as_a_duplicate_counts_once_and_a_withdrawn_need_not_at_all(
    alloc_world, place
):
    w = alloc_world
    student_register(
        actor=None, campaign=w["campaign"], school=place["schools"]["sondong"],
        data=StudentData(full_name="Trần Thị Bình", date_of_birth=dt.date(2012, 1, 2),
                         level="primary", lacking="device", household="near_poor"),
    )  # fmt: skip
    assert _report(w).figures.pupils_in_need == 6  # until the officer decides
    pair = DuplicateCandidate.objects.get()
    duplicate_merge(actor=w["officer"], candidate=pair, keep=pair.first)
    need_withdraw(actor=w["staff_ln"], need=w["needs"][4], reason="Đã có máy")
    report = _report(w)
    assert report.figures.pupils_in_need == 4
    assert report.figures.pupils_by_household("none") == 0
    assert report.as_json()["pupils_in_need"]["total"] == 4


def test_handovers_equip_pupils_and_move_devices(alloc_world):
    w = alloc_world
    before = _report(w)
    assert (before.figures.equipped_total, before.figures.devices_by_status(["available"])) == (
        0,
        3,
    )
    _hand_over_at_lucngan(w)
    report = _report(w)  # the services' writes make the cached figures stale
    f = report.figures
    assert (f.needing_device, f.equipped_total, f.still_lacking_device) == (5, 2, 3)
    assert f.assigned_waiting == 1  # Cường's laptop, approved, not yet handed over
    assert f.equipped_recently == 2
    assert f.devices_by_status(["handed_over"], "tablet") == 2
    assert report.progress_table().total == ["Tổng cộng", 5, 2, 3, 40.0]
    ln = _report(w, school_pk=w["schools"]["lucngan"].pk)
    assert (ln.figures.needing_device, ln.figures.equipped_total) == (3, 2)
    series = {s.name: s for s in report.series}
    assert series["equipped"].points == [(timezone.localdate(), 2)]
    today = timezone.localdate()
    daily = series["equipped"].daily(today - dt.timedelta(days=2), today)
    assert [n for _day, n in daily] == [0, 0, 2]


def test_forecast_and_shortfall_follow_the_pace_and_the_policy(alloc_world):
    w = alloc_world
    _hand_over_at_lucngan(w)
    report = _report(w)
    # 2 handovers in 28 days: 1/14 a day; 3 more to equip -> 42 days.
    assert report.pace.reached_on == timezone.localdate() + dt.timedelta(days=42)
    # Two pupils left unserved (one awaits the laptop), primary wants tablets, none idle.
    assert report.shortfall.devices == {"tablet": 2}
    assert report.shortfall.cost == 2 * 3_500_000
    cheaper = _report(w, unit_prices={"tablet": 2_000_000})
    assert cheaper.shortfall.cost == 4_000_000


def test_each_dashboard_runs_the_same_number_of_queries_whatever_the_size(
    alloc_world, client, django_assert_num_queries
):
    from django.core.cache import cache

    w = alloc_world
    client.force_login(w["officer"])
    url = reverse("dashboards:campaign", args=[w["campaign"].pk])

    def queries():
        cache.clear()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    small = queries()
    for index in range(30):
        school = w["schools"]["sondong" if index % 2 else "lucngan"]
        data = StudentData(
            full_name=f"Học Sinh Số {index}",
            date_of_birth=dt.date(2011, 3, 1 + index % 28),
            level="primary",
            lacking="both",
            household="hardship",
            guardian_phone=f"09830000{index:02d}",
        )
        student_register(actor=None, campaign=w["campaign"], school=school, data=data)
    _hand_over_at_lucngan(w)
    assert queries() == small
    assert small <= 40
    # Once the figures are cached, a page costs only the session, the user and the campaign.
    with django_assert_num_queries(small - 15, exact=False):
        assert client.get(url).status_code == 200


def test_with_a_shared_cache_a_dashboard_costs_no_query_until_the_next_write(
    alloc_world, client, settings, django_assert_num_queries
):
    # As production runs with SONGMAY_CACHE_URL; the tests' cache is this process's own, which
    # is shared enough for one process.
    settings.SONGMAY_SHARED_CACHE = True
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    w = alloc_world
    client.force_login(w["officer"])
    url = reverse("dashboards:campaign", args=[w["campaign"].pk])
    first = client.get(url)
    assert sum(first.context["figures"].equipped.values()) == 0
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.status_code == 200 and b"chart-pupils" in again.content
    _hand_over_at_lucngan(w)
    fresh = client.get(url)
    assert sum(fresh.context["figures"].equipped.values()) == 2


@pytest.mark.parametrize(
    ("who", "where", "status"),
    [
        ("officer", "campaign", 200),
        ("officer_pt", "campaign", 404),  # another province's officer
        ("staff_ln", "school_ln", 200),
        ("staff_ln", "school_sd", 404),  # another school
        ("staff_ln", "area_sd", 404),
        ("area_ln", "area_ln", 200),
        ("area_ln", "area_sd", 404),  # a neighbouring commune
        ("area_ln", "school_sd", 404),
    ],
)
def test_dashboards_stay_inside_the_scope(scoped, client, who, where, status):
    users, urls = scoped
    client.force_login(users[who])
    assert client.get(urls[where]).status_code == status


@pytest.fixture
def scoped(alloc_world, place, make_user):
    w = alloc_world
    users = {**w, "area_ln": make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])}
    pk = w["campaign"].pk
    urls = {
        "campaign": reverse("dashboards:campaign", args=[pk]),
        "school_ln": reverse("dashboards:school", args=[pk, w["schools"]["lucngan"].pk]),
        "school_sd": reverse("dashboards:school", args=[pk, w["schools"]["sondong"].pk]),
        "area_ln": reverse("dashboards:area", args=[pk, place["communes"]["lucngan"].pk]),
        "area_sd": reverse("dashboards:area", args=[pk, place["communes"]["sondong"].pk]),
    }
    return users, urls


def test_each_role_starts_at_its_own_place(alloc_world, place, make_user, client):
    w = alloc_world
    client.force_login(make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"]))
    page = client.get(reverse("dashboards:campaign", args=[w["campaign"].pk]), follow=True)
    assert page.context["report"].node.name == "Xã Lục Ngạn"
    assert page.context["figures"].pupils_in_need == 3
    client.force_login(w["staff_sd"])
    page = client.get(reverse("dashboards:campaign", args=[w["campaign"].pk]))
    assert page.context["report"].node.name == w["schools"]["sondong"].name
    assert "Xã Lục Ngạn" not in page.content.decode()


def test_public_progress_never_shows_a_count_under_five(alloc_world, client):
    from songmay.reports.selectors import public_progress

    w = alloc_world
    _hand_over_at_lucngan(w)
    rows, total = public_progress(campaign=w["campaign"])
    shown = [value for row in rows for value in (row.needing, row.equipped)]
    # 3 and 2 needing, 2 and 0 equipped: none (a count of no child) singles anyone out.
    assert shown == ["<5", "<5", "<5", "0"]
    assert all(row.percent == "" for row in rows)  # a share would give the count away
    assert (total.needing, total.equipped) == ("5", "<5")
    page = client.get(reverse("reports:public_campaign", args=[w["campaign"].pk])).content.decode()
    csv = client.get(reverse("reports:public_campaign_csv", args=[w["campaign"].pk]))
    lines = b"".join(csv.streaming_content).decode().splitlines()
    progress = [line for line in lines if line.startswith("Tiến độ")]
    counts = [line.split(",")[5] for line in progress]
    assert counts and not {"1", "2", "3", "4"} & set(counts)
    assert "Tiến độ trang bị theo địa bàn" in page


def test_connected_and_ready_pupils_equal_the_hand_count(package_world):
    """Lê Thị Sóng lacks connectivity, Phạm Văn Mạng both, Hoàng Văn Xa connectivity, Đỗ Thị Máy
    a device. Packages become active for Sóng and Mạng; then Máy and Mạng get their devices."""
    from django.core.cache import cache

    from songmay.connectivity.models import ConnectivitySupport, SupportStatus
    from songmay.students.models import NeedStatus

    w = package_world
    for need in (w["need_ln"], w["need_ln2"]):
        ConnectivitySupport.objects.create(
            need=need, package=w["packages"]["viettel"], operator=w["operators"]["viettel"],
            phone="+84983934091", consent_given=True, consent_on=dt.date(2021, 9, 20),
            status=SupportStatus.ACTIVE, activated_on=dt.date(2021, 9, 25),
        )  # fmt: skip

    def figures():
        cache.clear()  # the rows above were written directly, not through a service
        return dashboard_report(user=w["users"]["province"], campaign_pk=w["campaign"].pk).figures

    f = figures()
    assert (f.lacking_connectivity, f.connected, f.ready) == (3, 2, 1)  # Sóng only
    w["need_device"].status = w["need_ln2"].status = NeedStatus.EQUIPPED
    w["need_device"].save()
    w["need_ln2"].save()
    f = figures()
    assert (f.equipped_total, f.connected, f.ready) == (2, 2, 3)  # Sóng, Mạng, Máy
    assert f.pupils_in_need - f.ready == 1  # Hoàng Văn Xa still waits for a package
