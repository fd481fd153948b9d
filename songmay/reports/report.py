"""The report of one place — the campaign's area, an area below it, or a school — as the tables a
province sends upward: the same tables on the dashboard, in the xlsx, the PDF and the JSON.

Built from the cube (songmay.reports.indicators) and the daily series, without further queries
except the campaign's phases and allocation policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from songmay.allocation.models import DEFAULT_LEVEL_PREFERENCES, Policy
from songmay.campaigns.models import Campaign
from songmay.donations.models import SupportKind
from songmay.inventory.models import DeviceStatus
from songmay.reports import forecast
from songmay.reports.indicators import (
    DEVICE_TYPES,
    HOUSEHOLDS,
    IDLE,
    LEVEL_GROUPS,
    PACE_DAYS,
    Cube,
    Figures,
    Node,
    current_phase,
)
from songmay.reports.series import Series

Cell = str | int | float | None

# Device columns of the inventory table: (heading, statuses counted).
DEVICE_COLUMNS: list[tuple[str, tuple[str, ...]]] = [
    ("Trong kho, chưa cấp", IDLE),
    ("Đã giữ chỗ, chờ bàn giao", (DeviceStatus.RESERVED, DeviceStatus.ASSIGNED)),
    ("Đã bàn giao cho học sinh", (DeviceStatus.HANDED_OVER,)),
    ("Đang cho mượn", (DeviceStatus.ON_LOAN,)),
    ("Đang sửa chữa", (DeviceStatus.IN_REPAIR,)),
    ("Đã thanh lý", (DeviceStatus.WRITTEN_OFF,)),
]
GIFT_ORDER = [kind for kind, _label in SupportKind.choices]
GIFT_LABELS = dict(SupportKind.choices)


@dataclass(frozen=True)
class Table:
    """One indicator group: a heading row, rows whose first cell names the row, and totals."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    total: list[Cell] | None = None
    money: frozenset[int] = frozenset()  # columns holding VND
    percent: frozenset[int] = frozenset()  # columns holding a percentage (float)
    note: str = ""

    def kind_of(self, index: int) -> str:
        """How a column is shown: "text", "number", "money" or "percent"."""
        if index in self.money:
            return "money"
        if index in self.percent:
            return "percent"
        return "text" if index == 0 else "number"

    def display_rows(self) -> list[list[tuple[Cell, str]]]:
        """Each cell with its kind, for templates (which cannot ask which column is money)."""
        return [[(cell, self.kind_of(i)) for i, cell in enumerate(row)] for row in self.rows]

    def display_total(self) -> list[tuple[Cell, str]]:
        return [(cell, self.kind_of(i)) for i, cell in enumerate(self.total or [])]

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": self.columns,
            "rows": self.rows,
            "total": self.total,
        }


@dataclass(frozen=True)
class Drill:
    """A row of the "by area" table, with where it leads."""

    node: Node
    figures: Figures


@dataclass
class Report:
    campaign: Campaign
    node: Node
    trail: list[Node]  # from the campaign's area down to the node
    figures: Figures
    computed_at: dt.datetime
    campaign_wide: bool  # money and gifts are known only for the whole campaign
    target_percent: int
    phase_label: str
    children: list[Drill]
    series: list[Series]
    pace: forecast.Pace
    shortfall: forecast.Shortfall
    child_paces: list[tuple[Node, forecast.Pace]]
    money_received: int = 0
    money_spent: int = 0
    gifts_received: dict[str, int] = field(default_factory=dict)
    devices_bought: dict[str, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.campaign.name} – {self.node.name}"

    # ---- The tables ----

    def tables(self) -> list[Table]:
        tables = [self.pupils_table(), self.progress_table(), self.areas_table()]
        if self.campaign_wide:
            tables.append(self.gifts_table())
        tables += [self.devices_table(), self.connectivity_table(), self.forecast_table()]
        return tables

    def pupils_table(self) -> Table:
        """The seeds' table: pupils in need by level and household category."""
        f = self.figures
        columns = ["Cấp học", *[label for _value, label in HOUSEHOLDS], "Tổng số"]
        rows: list[list[Cell]] = []
        for _key, label, levels in LEVEL_GROUPS:
            counts = [f.pupils_by_household(value, levels) for value, _label in HOUSEHOLDS]
            rows.append([label, *counts, sum(counts)])
        by_household = [f.pupils_by_household(value) for value, _label in HOUSEHOLDS]
        return Table(
            "pupils",
            "Học sinh có nhu cầu theo cấp học và hoàn cảnh gia đình",
            columns,
            rows,
            ["Tổng cộng", *by_household, f.pupils_in_need],
        )

    def progress_table(self) -> Table:
        f = self.figures
        columns = [
            "Cấp học", "Cần thiết bị", "Đã nhận thiết bị", "Còn thiếu", "Tỷ lệ đã trang bị (%)",
        ]  # fmt: skip
        rows: list[list[Cell]] = []
        for _key, label, levels in LEVEL_GROUPS:
            needing = sum(f.lacking_device[level] for level in levels)
            equipped = sum(f.equipped[level] for level in levels)
            rows.append([label, needing, equipped, needing - equipped, _percent(equipped, needing)])
        total: list[Cell] = [
            "Tổng cộng",
            f.needing_device,
            f.equipped_total,
            f.still_lacking_device,
            _percent(f.equipped_total, f.needing_device),
        ]
        return Table(
            "progress",
            f"Tiến độ trang bị so với mục tiêu {self.target_percent}% ({self.phase_label})",
            columns,
            rows,
            total,
            percent=frozenset({4}),
        )

    def areas_table(self) -> Table:
        columns = [
            "Địa bàn / trường", "Học sinh có nhu cầu", "Cần thiết bị", "Đã nhận thiết bị",
            "Tỷ lệ (%)", "Còn thiếu", "Đã có gói cước", "Sẵn sàng học trực tuyến",
            "Điểm lõm sóng", "Đã phủ sóng",
        ]  # fmt: skip
        rows = [[child.node.name, *_area_cells(child.figures)] for child in self.children]
        return Table(
            "areas",
            "Theo địa bàn" if self.node.kind == "area" else "Trường",
            columns,
            rows,
            ["Tổng cộng", *_area_cells(self.figures)],
            percent=frozenset({4}),
        )

    def gifts_table(self) -> Table:
        rows: list[list[Cell]] = [
            ["Tiền ủng hộ đã nhận", self.money_received, None],
            ["Tiền đã chi", self.money_spent, None],
            ["Số dư", self.money_received - self.money_spent, None],
        ]
        rows += [
            [f"{GIFT_LABELS[kind]} (đã nhận)", None, self.gifts_received[kind]]
            for kind in GIFT_ORDER
            if self.gifts_received.get(kind)
        ]
        rows += [
            [f"{GIFT_LABELS[kind]} (mua từ tiền ủng hộ)", None, self.devices_bought[kind]]
            for kind in GIFT_ORDER
            if self.devices_bought.get(kind)
        ]
        return Table(
            "gifts", "Tiền và hiện vật đã tiếp nhận", ["Khoản", "Số tiền (đồng)", "Số lượng"], rows,
            money=frozenset({1}),
        )  # fmt: skip

    def devices_table(self) -> Table:
        f = self.figures
        columns = ["Loại thiết bị", "Tổng số", *[heading for heading, _s in DEVICE_COLUMNS]]
        rows: list[list[Cell]] = []
        for kind, label in DEVICE_TYPES:
            counts = [f.devices_by_status(statuses, kind) for _h, statuses in DEVICE_COLUMNS]
            if f.devices_of_kind(kind) or kind != "router_4g":
                rows.append([label, f.devices_of_kind(kind), *counts])
        totals = [f.devices_by_status(statuses) for _h, statuses in DEVICE_COLUMNS]
        return Table(
            "devices", "Thiết bị theo loại và tình trạng", columns, rows,
            ["Tổng cộng", sum(f.devices.values()), *totals],
        )  # fmt: skip

    def connectivity_table(self) -> Table:
        f = self.figures
        rows: list[list[Cell]] = [
            ["Học sinh thiếu kết nối", f.lacking_connectivity],
            ["Học sinh đã có gói cước đang sử dụng", f.connected],
            ["Học sinh sẵn sàng học trực tuyến (đủ thiết bị và kết nối)", f.ready],
            ["Điểm lõm sóng", f.dead_spots_total],
            ["Điểm lõm sóng đã phủ sóng", f.dead_spots_covered],
            ["Điểm lõm sóng quá hạn phủ sóng", f.dead_spots_overdue],
        ]
        return Table("connectivity", "Kết nối", ["Chỉ tiêu", "Số lượng"], rows)

    def forecast_table(self) -> Table:
        columns = [
            "Địa bàn / trường", "Cần trang bị để đạt mục tiêu", "Đã nhận thiết bị",
            f"Tốc độ {PACE_DAYS} ngày qua (em/ngày)", "Dự kiến đạt mục tiêu",
        ]  # fmt: skip
        rows = [[node.name, *_pace_cells(p)] for node, p in self.child_paces]
        return Table(
            "forecast",
            f"Dự báo ngày đạt {self.target_percent}% theo tốc độ {PACE_DAYS} ngày gần nhất",
            columns,
            rows,
            ["Tổng cộng", *_pace_cells(self.pace)],
            note="Tốc độ là số học sinh nhận thiết bị mỗi ngày trong "
            f"{PACE_DAYS} ngày gần nhất; không có bàn giao nào thì chưa dự báo được.",
        )

    def shortfall_table(self) -> Table:
        rows: list[list[Cell]] = [
            [
                dict(DEVICE_TYPES)[kind],
                count,
                self.shortfall.unit_prices.get(kind, 0),
                self.shortfall.cost_of(kind),
            ]
            for kind, count in self.shortfall.devices.items()
        ]
        return Table(
            "shortfall",
            f"Còn cần để đạt {self.target_percent}%",
            ["Loại thiết bị", "Số lượng", "Đơn giá (đồng)", "Thành tiền (đồng)"],
            rows,
            ["Tổng cộng", sum(self.shortfall.devices.values()), None, self.shortfall.cost],
            money=frozenset({2, 3}),
            note="Mỗi học sinh còn thiếu cần loại thiết bị ưu tiên đầu tiên của cấp học "
            "(chính sách phân bổ), trừ thiết bị cùng loại đang có sẵn trong kho.",
        )

    def as_json(self) -> dict[str, Any]:
        """The indicators as the API and `export_report --format json` give them."""
        f = self.figures
        return {
            "campaign": {"id": self.campaign.pk, "name": self.campaign.name},
            "place": {"kind": self.node.kind, "id": self.node.pk, "name": self.node.name},
            "computed_at": self.computed_at.isoformat(),
            "pupils_in_need": {
                "total": f.pupils_in_need,
                "by_level": {
                    key: f.pupils_by_level(levels) for key, _label, levels in LEVEL_GROUPS
                },
                "by_household": {
                    value: f.pupils_by_household(value) for value, _label in HOUSEHOLDS
                },
                "by_level_and_household": {
                    key: {value: f.pupils_by_household(value, levels) for value, _l in HOUSEHOLDS}
                    for key, _label, levels in LEVEL_GROUPS
                },
            },
            "equipped": {
                "needing_device": f.needing_device,
                "equipped": f.equipped_total,
                "still_lacking": f.still_lacking_device,
                "percent": _percent(f.equipped_total, f.needing_device),
                "target_percent": self.target_percent,
                "awaiting_handover": f.assigned_waiting,
            },
            "connectivity": {
                "lacking": f.lacking_connectivity,
                "connected": f.connected,
                "ready": f.ready,
                "data_packages_active": f.connected,
                "dead_spots": f.dead_spots_total,
                "dead_spots_covered": f.dead_spots_covered,
                "dead_spots_overdue": f.dead_spots_overdue,
            },
            "devices": {
                kind: {
                    "total": f.devices_of_kind(kind),
                    "idle": f.devices_by_status(IDLE, kind),
                    "assigned": f.devices_by_status(
                        (DeviceStatus.RESERVED, DeviceStatus.ASSIGNED), kind
                    ),
                    "handed_over": f.devices_by_status((DeviceStatus.HANDED_OVER,), kind),
                    "on_loan": f.devices_by_status((DeviceStatus.ON_LOAN,), kind),
                }
                for kind, _label in DEVICE_TYPES
            },
            "money": (
                {
                    "received": self.money_received,
                    "spent": self.money_spent,
                    "balance": self.money_received - self.money_spent,
                }
                if self.campaign_wide
                else None
            ),
            "gifts_received": self.gifts_received if self.campaign_wide else None,
            "devices_bought": self.devices_bought if self.campaign_wide else None,
            "forecast": {
                "target_count": self.pace.target_count,
                "per_day": round(self.pace.per_day, 2),
                "reached_on": self.pace.reached_on.isoformat() if self.pace.reached_on else None,
                "devices_needed": self.shortfall.devices,
                "cost_needed": self.shortfall.cost,
                "unit_prices": self.shortfall.unit_prices,
            },
            "areas": [_drill_json(child) for child in self.children],
            "series": {
                s.name: [[day.isoformat(), value] for day, value in s.points] for s in self.series
            },
        }


def _drill_json(child: Drill) -> dict[str, Any]:
    return {
        "kind": child.node.kind,
        "id": child.node.pk,
        "name": child.node.name,
        "pupils_in_need": child.figures.pupils_in_need,
        "needing_device": child.figures.needing_device,
        "equipped": child.figures.equipped_total,
    }


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _area_cells(f: Figures) -> list[Cell]:
    return [
        f.pupils_in_need,
        f.needing_device,
        f.equipped_total,
        _percent(f.equipped_total, f.needing_device),
        f.still_lacking_device,
        f.connected,
        f.ready,
        f.dead_spots_total,
        f.dead_spots_covered,
    ]


def _pace_cells(p: forecast.Pace) -> list[Cell]:
    if p.reached:
        when = "Đã đạt"
    elif p.reached_on is None:
        when = "Chưa dự báo được"
    else:
        when = p.reached_on.strftime("%d/%m/%Y")
    return [p.target_count, p.equipped, round(p.per_day, 1), when]


def _pace_of(figures: Figures, target_percent: int, today: dt.date) -> forecast.Pace:
    return forecast.pace(
        needing=figures.needing_device,
        equipped=figures.equipped_total,
        equipped_recently=figures.equipped_recently,
        window_days=PACE_DAYS,
        target_percent=target_percent,
        today=today,
    )


def _preferences(campaign: Campaign) -> Mapping[str, Sequence[str]]:
    """The allocation policy's device kinds per level, without creating a policy."""
    policy = Policy.objects.filter(campaign=campaign).first()
    return (policy.level_preferences if policy else None) or DEFAULT_LEVEL_PREFERENCES


def trail_to(cube: Cube, node: Node) -> list[Node]:
    """The drill-down trail from the campaign's area to the node."""
    trail = [node]
    path = node.path if node.kind == "school" else node.parent_path
    while path and path.startswith(cube.root_path):
        parent = cube.areas.get(path)
        if parent is None:
            break
        trail.append(parent)
        path = parent.parent_path
    return list(reversed(trail))


def build_report(
    *,
    campaign: Campaign,
    cube: Cube,
    node: Node,
    series: list[Series],
    unit_prices: Mapping[str, int] | None = None,
    children: Sequence[Node] | None = None,
) -> Report:
    """The report of `node`; `children` limits the drill-down rows (default: all below)."""
    today = timezone.localdate()
    figures = cube.figures(node)
    phase = current_phase(campaign, today)
    target = phase.target_percent if phase and phase.target_percent is not None else 100
    phase_label = f"giai đoạn {phase.number}" if phase else "chưa có giai đoạn"
    below = list(children) if children is not None else cube.children(node)
    drills = [Drill(child, cube.figures(child)) for child in below]
    unserved = {
        level: figures.lacking_device[level]
        - figures.equipped[level]
        for level in figures.lacking_device
    }  # fmt: skip
    waiting = figures.assigned_waiting
    # Pupils already given a device awaiting handover need no new one: take them off the
    # largest groups first (the allocation has no level here, only the count).
    for level in sorted(unserved, key=lambda lv: -unserved[lv]):
        taken = min(waiting, unserved[level])
        unserved[level] -= taken
        waiting -= taken
    idle = {kind: figures.devices_by_status(IDLE, kind) for kind, _label in DEVICE_TYPES}
    prices = {**cube.unit_prices, **(unit_prices or {})}
    campaign_wide = node.kind == "area" and node.path == cube.root_path
    return Report(
        campaign=campaign,
        node=node,
        trail=trail_to(cube, node),
        figures=figures,
        computed_at=cube.computed_at,
        campaign_wide=campaign_wide,
        target_percent=target,
        phase_label=phase_label,
        children=drills,
        series=series,
        pace=_pace_of(figures, target, today),
        shortfall=forecast.shortfall(
            unserved_by_level=unserved,
            preferences=_preferences(campaign),
            idle_by_kind=idle,
            unit_prices=prices,
        ),
        child_paces=[(d.node, _pace_of(d.figures, target, today)) for d in drills],
        money_received=cube.money_received if campaign_wide else 0,
        money_spent=cube.money_spent if campaign_wide else 0,
        gifts_received=dict(cube.gifts_received) if campaign_wide else {},
        devices_bought=dict(cube.devices_bought) if campaign_wide else {},
    )
