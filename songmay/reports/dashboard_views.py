"""Dashboards: each role's progress toward 100%, within its scope.

Officers and school staff see the campaign's report for their place and drill down from the
province to an area to a school; a donor sees its own gifts; an operator its own dead spots and
package requests. Figures come from the cached cube (songmay.reports.indicators), so a page
costs a bounded number of queries whatever the data size.
"""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.accounts.scope import Role
from songmay.audit.freshness import fresh_read, fresh_write
from songmay.connectivity.models import ConnectivitySupport, SupportStatus
from songmay.connectivity.selectors import dead_spot_counts
from songmay.inventory.models import DeviceKind
from songmay.lib import charts
from songmay.lib.money import parse_vnd
from songmay.reports import selectors
from songmay.reports.charts import report_charts
from songmay.reports.dashboards import Place, dashboard_campaigns, dashboard_place
from songmay.reports.forecast import DEFAULT_UNIT_PRICES
from songmay.reports.indicators import CACHE_SECONDS

FORMATS = [
    ("xlsx", "Báo cáo Excel"),
    ("pdf", "Báo cáo PDF"),
    ("csv", "Dữ liệu mở (CSV)"),
    ("json", "JSON"),
]


def _unit_prices(request: AuthenticatedRequest) -> dict[str, int]:
    """Prices the officer typed in the forecast form (?gia_tablet=3.500.000); bad ones ignored."""
    prices = {}
    for kind in DEFAULT_UNIT_PRICES:
        typed = request.GET.get(f"gia_{kind}", "").strip()
        if typed:
            try:
                amount = parse_vnd(typed)
            except ValueError:
                continue
            if amount > 0:
                prices[kind] = amount
    return prices


@require_safe
@login_required
def dashboard_home(request: AuthenticatedRequest) -> HttpResponse:
    """Where "Tổng quan" leads: a donor's gifts, an operator's work, or the campaigns."""
    role = request.user.scope.role
    if role == Role.DONOR:
        return donor_dashboard(request)
    if role == Role.OPERATOR:
        return operator_dashboard(request)
    if not request.user.scope.may("reports.view"):
        return render(request, "reports/dashboard_home.html", {"campaigns": []})
    campaigns = list(dashboard_campaigns(user=request.user))
    if len(campaigns) == 1:
        return redirect("dashboards:campaign", pk=campaigns[0].pk)
    return render(request, "reports/dashboard_home.html", {"campaigns": campaigns})


@require_safe
@requires("reports.view")
def dashboard(
    request: AuthenticatedRequest, pk: int, area_pk: int | None = None, school_pk: int | None = None
) -> HttpResponse:
    prices = _unit_prices(request)
    scope = request.user.scope
    # The page depends only on the address, on what the scope may see, on the data, the prices,
    # the day and the language: one render serves every such visit until the next write, and a
    # visit it serves costs no query with a shared cache (audit.freshness).
    key = ":".join(str(part) for part in (
        "songmay:dashboard", pk, area_pk, school_pk, scope.role, scope.area_path,
        scope.school_id, ",".join(f"{kind}={price}" for kind, price in sorted(prices.items())),
        timezone.localdate().isoformat(), get_language(),
    ))  # fmt: skip
    version, page = fresh_read(key)
    if page is None:
        place = dashboard_place(user=request.user, campaign_pk=pk, area_pk=area_pk,
                                school_pk=school_pk)  # fmt: skip
        body = render_to_string("reports/_dashboard_body.html", _context(place, prices), request)
        page = (place.node.name, body)
        fresh_write(key, version, page, CACHE_SECONDS)
    place_name, body = page
    return render(request, "reports/dashboard.html", {"body": body, "place_name": place_name})


def _context(place: Place, prices: dict[str, int]) -> dict[str, object]:
    report = place.report(prices)
    tables = {table.key: table for table in report.tables()}
    node = place.node
    if node.kind == "school":
        place_query = f"?school={node.pk}"
    else:
        place_query = "" if place.campaign_wide else f"?area={node.pk}"
    return {
        "report": report,
        "figures": report.figures,
        "tables": tables,
        # Each place's row, with the day it reaches the target (the forecast table's last cell).
        "drills": list(
            zip(
                report.children,
                tables["areas"].display_rows(),
                [row[-1] for row in tables["forecast"].rows],
                strict=True,
            )
        ),
        "reached_total": (tables["forecast"].total or [""])[-1],
        "shortfall": report.shortfall_table(),
        "charts": report_charts(report),
        "prices": [
            (kind, DeviceKind(kind).label, report.shortfall.unit_prices.get(kind, 0))
            for kind in DEFAULT_UNIT_PRICES
        ],
        "formats": FORMATS,
        "place_query": place_query,
    }


def donor_dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """A donor's own gifts: what it gave, what was bought with it, where the devices are."""
    donor = request.user.donor
    trace = selectors.donor_trace(donor=donor) if donor is not None else None
    given = spent = 0
    handed_over: Counter[str] = Counter()
    for gift in trace.gifts if trace else []:
        given += gift.amount
        spent += sum(spending.share for spending in gift.spendings)
        places = [*gift.devices, *(p for s in gift.spendings for p in s.devices)]
        for place in places:
            if place.handed_on is not None:
                handed_over[place.place] += place.count
    chart = charts.bar_chart(
        "Thiết bị từ quà tặng đã bàn giao, theo nơi nhận",
        sorted(handed_over.items(), key=lambda item: (-item[1], item[0])),
        id="chart-donor-places",
    )
    return render(request, "reports/dashboard_donor.html", {
        "trace": trace,
        "given": given,
        "spent": spent,
        "handed_over": sum(handed_over.values()),
        "places": sorted(handed_over.items()),
        "chart": chart,
    })  # fmt: skip


def operator_dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """An operator's own dead spots and package requests, by status."""
    user = request.user
    spots = dead_spot_counts(user=user)
    requests = Counter(
        dict(
            ConnectivitySupport.objects.visible_to(user)
            .order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
        )
    )
    rows = [(str(label), requests.get(value, 0)) for value, label in SupportStatus.choices]
    return render(request, "reports/dashboard_operator.html", {
        "spots": spots,
        "requests": rows,
        "spots_chart": charts.progress_chart(
            "Điểm lõm sóng đã phủ sóng, theo địa bàn",
            [(row.label, row.covered, row.total) for row in spots["by_area"]],
            id="chart-operator-spots",
        ),
        "requests_chart": charts.bar_chart(
            "Đề nghị gói cước theo trạng thái", rows, id="chart-operator-requests"
        ),
    })  # fmt: skip
