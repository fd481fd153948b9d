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
        drawn["places"] = charts.progress_chart(
            "Đã nhận thiết bị theo địa bàn" if report.node.kind == "area" else "Theo trường",
            [(c.node.name, c.figures.equipped_total, c.figures.needing_device)
             for c in report.children],
            id="chart-places",
            target_percent=report.target_percent,
        )  # fmt: skip
    return {name: mark_safe(svg) for name, svg in drawn.items()}  # noqa: S308 - escaped by lib.charts
