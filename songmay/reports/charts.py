"""The report's charts, drawn once for the dashboard and the PDF (SVG from songmay.lib.charts).

Every chart sits beside a table of the same numbers (report.tables()), for screen readers and
for whoever wants the figures rather than the picture.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from songmay.lib import charts
from songmay.reports.indicators import HOUSEHOLDS, LEVEL_GROUPS
from songmay.reports.report import Report


def _equipped_forecast(report: Report, today: dt.date) -> list[tuple[dt.date, int]]:
    pace = report.pace
    if pace.reached or pace.reached_on is None:
        return []
    return [(today, pace.equipped), (pace.reached_on, pace.target_count)]


# A province has a hundred communes or more: a bar for each would make the chart several
# screens tall. It draws those furthest from the target; the table beside it has them all.
PLACES_DRAWN = 15


def _places_chart(report: Report) -> str:
    rows = [(c.node.name, c.figures.equipped_total, c.figures.needing_device)
            for c in report.children]  # fmt: skip
    title = "Đã nhận thiết bị theo địa bàn" if report.node.kind == "area" else "Theo trường"
    if len(rows) > PLACES_DRAWN:
        # Lowest share first; places with nobody left to equip last; then by name.
        rows.sort(key=lambda row: (row[1] / row[2] if row[2] else 2.0, row[0]))
        unit = "địa bàn" if report.node.kind == "area" else "trường"
        title = f"{PLACES_DRAWN} {unit} còn xa mục tiêu nhất (trong {len(rows)} {unit})"
        rows = rows[:PLACES_DRAWN]
    return charts.progress_chart(
        title, rows, id="chart-places", target_percent=report.target_percent
    )


def report_charts(report: Report) -> dict[str, SafeString]:
    """name -> <svg>: pupils by level and household, progress by level and by place, and the
    equipped pupils over time against the target, with the forecast at the recent pace."""
    f = report.figures
    today = timezone.localdate()
    equipped = next((s for s in report.series if s.name == "equipped"), None)
    points = equipped.points if equipped else []
    if points and points[-1][0] < today:
        points = [*points, (today, points[-1][1])]
    drawn = {
        "pupils": charts.stacked_bar_chart(
            "Học sinh có nhu cầu theo cấp học và hoàn cảnh",
            [label for _key, label, _levels in LEVEL_GROUPS],
            [
                (label, [f.pupils_by_household(value, levels) for _k, _l, levels in LEVEL_GROUPS])
                for value, label in HOUSEHOLDS
            ],
            id="chart-pupils",
        ),
        "levels": charts.progress_chart(
            f"Đã nhận thiết bị so với mục tiêu {report.target_percent}%, theo cấp học",
            [
                (
                    label,
                    sum(f.equipped[level] for level in levels),
                    sum(f.lacking_device[level] for level in levels),
                )
                for _key, label, levels in LEVEL_GROUPS
            ],
            id="chart-levels",
            target_percent=report.target_percent,
        ),
        "over_time": charts.time_series_chart(
            "Học sinh đã nhận thiết bị theo thời gian",
            points,
            id="chart-over-time",
            target=report.pace.target_count or None,
            forecast=_equipped_forecast(report, today),
        ),
    }
    if report.children:
        drawn["places"] = _places_chart(report)
    return {name: mark_safe(svg) for name, svg in drawn.items()}  # noqa: S308 - escaped by lib.charts
