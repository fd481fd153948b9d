"""The dashboard pages each role meets, and the forecast arithmetic behind them."""

import datetime as dt

import pytest
from django.urls import reverse

from songmay.accounts.scope import Role
from songmay.reports.forecast import pace, shortfall

DAY = dt.date(2026, 11, 25)


def test_pace_gives_the_day_the_target_is_reached():
    at = pace(needing=100, equipped=40, equipped_recently=28, window_days=28, target_percent=100,
              today=DAY)  # fmt: skip
    assert (at.target_count, at.remaining, at.reached_on) == (100, 60, DAY + dt.timedelta(60))
    eighty = pace(needing=100, equipped=40, equipped_recently=28, window_days=28,
                  target_percent=80, today=DAY)  # fmt: skip
    assert eighty.reached_on == DAY + dt.timedelta(40)
    stalled = pace(needing=100, equipped=40, equipped_recently=0, window_days=28,
                   target_percent=100, today=DAY)  # fmt: skip
    assert stalled.reached_on is None and not stalled.reached
    done = pace(needing=3, equipped=3, equipped_recently=0, window_days=28, target_percent=100,
                today=DAY)  # fmt: skip
    assert done.reached and done.reached_on == DAY


def test_shortfall_wants_each_levels_first_choice_less_what_is_idle():
    need = shortfall(
        unserved_by_level={"primary": 10, "lower_secondary": 5},
        preferences={"primary": ["tablet", "laptop"], "lower_secondary": ["laptop"]},
        idle_by_kind={"tablet": 3, "laptop": 9},
        unit_prices={"tablet": 3_000_000},
    )
    assert need.devices == {"tablet": 7}  # the 9 idle laptops cover the 5 pupils
    assert need.cost == 21_000_000


@pytest.mark.django_db
def test_a_donor_sees_its_own_gifts_and_where_they_went(gifts, make_user, client):
    client.force_login(make_user(Role.DONOR, donor=gifts["company"]))
    page = client.get(reverse("dashboards:home"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Quà tặng của Công ty Cổ phần Thử nghiệm" in text
    assert "Trần Thị Ẩn Danh" not in text  # another donor
    assert 'role="img"' in text  # the chart, with its table beside it
    assert page.context["handed_over"] == 10  # the 10 tablets the company's money bought


@pytest.mark.django_db
def test_an_operator_sees_its_own_dead_spots_and_requests(spot_world, client):
    client.force_login(spot_world["users"]["viettel"])
    page = client.get(reverse("dashboards:home"))
    text = page.content.decode()
    assert page.status_code == 200
    assert page.context["spots"]["total"].total == 1  # Viettel's, not MobiFone's
    assert page.context["spots"]["total"].overdue == 1
    assert "Xã Sơn Động" not in text


@pytest.mark.django_db
def test_the_dashboard_menu_entry_and_the_price_form(alloc_world, client):
    client.force_login(alloc_world["officer"])
    url = reverse("dashboards:campaign", args=[alloc_world["campaign"].pk])
    page = client.get(url, {"gia_tablet": "2.000.000", "gia_laptop": "rẻ"})
    assert page.status_code == 200
    assert 'href="/dashboard/"' in page.content.decode()
    prices = {kind: price for kind, _label, price in page.context["prices"]}
    assert prices["tablet"] == 2_000_000
    assert prices["laptop"] == 10_000_000  # a price that is not a number is ignored


def test_the_places_chart_draws_the_places_furthest_from_the_target():
    from types import SimpleNamespace

    from songmay.reports.charts import PLACES_DRAWN, _places_chart

    def place(name, equipped, needing):
        figures = SimpleNamespace(equipped_total=equipped, needing_device=needing)
        return SimpleNamespace(node=SimpleNamespace(name=name), figures=figures)

    # Xã 00 has equipped 0 of 100, Xã 01 1 of 100, ...; Xã Xong has nobody left to equip.
    children = [place(f"Xã {n:02d}", n, 100) for n in range(40)] + [place("Xã Xong", 0, 0)]
    report = SimpleNamespace(children=children, node=SimpleNamespace(kind="area"),
                             target_percent=100)  # fmt: skip
    svg = _places_chart(report)
    assert f"{PLACES_DRAWN} địa bàn còn xa mục tiêu nhất (trong 41 địa bàn)" in svg
    assert "Xã 00" in svg and f"Xã {PLACES_DRAWN - 1:02d}" in svg
    assert f"Xã {PLACES_DRAWN:02d}" not in svg and "Xã Xong" not in svg
    few = SimpleNamespace(children=children[:3], node=SimpleNamespace(kind="area"),
                          target_percent=100)  # fmt: skip
    assert "Đã nhận thiết bị theo địa bàn" in _places_chart(few)
