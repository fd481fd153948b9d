"""Charts drawn on the server as inline SVG: light, sharp in print, readable by screen readers.

Each function returns one `<svg role="img">` string named by its `<title>` and `<desc>`; the desc
states every figure in words, so a screen reader (which reads only the name of an image) hears
the numbers. The drawing scales to its container (`width="100%"` and a `viewBox` 400 units
wide, text at 12–16 units, so about 11 px on a 360 px phone); a page sets the size it wants in
CSS. Styling uses presentation attributes only, never `style=`, which the CSP (style-src 'self')
would block; no scripts, fonts or other resources are fetched. WeasyPrint draws the same markup
in the PDF report.

Text widths are estimated from DejaVu Sans's own advance widths (the font named first, and the
one the server has), so long Vietnamese area names wrap instead of running off the edge.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

WIDTH = 400  # viewBox units; everything below is laid out in them
MARGIN = 4
FONT_FAMILY = "DejaVu Sans, sans-serif"
TEXT = "#222222"
MUTED = "#595959"  # 7:1 on white
AXIS = "#767676"  # 4.5:1 on white, the lightest grey allowed for text or a chart's outline
GRID = "#DDDDDD"
TRACK = "#E8E8E8"

# Okabe–Ito hues (blue, vermillion, bluish green, reddish purple) darkened until each reaches
# 4.5:1 against white, plus a dark grey. Any of them can carry text, white text can sit on any
# of them, and the five stay apart under simulated protanopia, deuteranopia and tritanopia
# (CIELAB distance > 11 between any two). Series are also separated by white gaps and named
# in a legend, so colour is never the only cue.
PALETTE = ("#0072B2", "#BE5400", "#008460", "#BB4D8A", "#595959")

NO_DATA = "Chưa có số liệu"
TARGET = "Mục tiêu"
FORECAST = "Dự báo"
ACTUAL = "Thực tế"

TITLE_SIZE = 16
LABEL_SIZE = 14
SMALL_SIZE = 12
BAR_HEIGHT = 18
ROW_GAP = 12

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# Characters XML 1.0 forbids (C0 controls but tab, newline, return; lone surrogates; U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# DejaVu Sans advance widths, per mille of the em, for " " to "~" (read from the font's hmtx).
_REGULAR = [int(w) for w in (
    "318 401 460 838 636 950 780 275 390 390 500 838 318 361 318 337 636 636 636 636 636 636 "
    "636 636 636 636 337 337 838 838 838 531 1000 684 686 698 770 632 575 775 752 295 295 656 "
    "557 863 748 787 603 787 695 635 611 732 684 989 685 611 685 390 337 390 838 500 500 613 "
    "635 550 635 615 352 635 634 278 278 579 278 974 634 612 635 635 411 521 392 634 592 818 "
    "592 592 525 636 337 636 838"
).split()]  # fmt: skip
_BOLD = [int(w) for w in (
    "348 456 521 838 696 1002 872 306 457 457 523 838 380 415 380 365 696 696 696 696 696 696 "
    "696 696 696 696 400 400 838 838 838 580 1000 774 762 734 830 683 683 821 837 372 372 775 "
    "637 995 837 850 733 850 770 720 682 812 774 1103 771 724 725 457 365 457 838 500 500 675 "
    "716 593 716 678 435 716 712 343 343 665 343 1042 712 687 716 716 493 595 478 712 652 924 "
    "645 652 582 712 365 712 838"
).split()]  # fmt: skip
_OTHER = {"đ": (635, 716), "Đ": (775, 838), "—": (1000, 1000), "…": (1000, 1000)}


def format_number(n: int) -> str:
    """11967 -> "11.967": thousands separated by dots, as Vietnamese write them."""
    return f"{n:,}".replace(",", ".")


def format_percent(part: int, whole: int) -> str:
    """1234 of 5678 -> "21,7 %": one decimal after a comma; "—" when `whole` is 0.

    Rounds half up, but never shows 100,0 % before `part` reaches `whole`, nor 0,0 % once
    `part` is above zero: a campaign one pupil short of its goal is not done.
    """
    if part < 0 or whole < 0:
        raise ValueError("Counts cannot be negative.")
    if whole == 0:
        return "—"
    tenths = (2000 * part + whole) // (2 * whole)
    if part < whole:
        tenths = min(tenths, 999)
    if part > 0:
        tenths = max(tenths, 1)
    return f"{format_number(tenths // 10)},{tenths % 10} %"


def format_date(day: datetime.date) -> str:
    """2021-09-05 -> "05/09/2021"."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def bar_chart(title: str, bars: Sequence[tuple[str, int]], *, id: str, unit: str = "") -> str:
    """Horizontal bars, one per (label, value), the label above and the value at the bar's end."""
    _check_id(id)
    _check_counts(value for _, value in bars)
    if not bars:
        return _no_data(title, id=id)
    texts = [_with_unit(value, unit) for _, value in bars]
    desc = "; ".join(f"{label}: {text}" for (label, _), text in zip(bars, texts, strict=True))
    chart = _Chart(title)
    room = max(_text_width(text, SMALL_SIZE) for text in texts) + 6
    length = WIDTH - 2 * MARGIN - room
    top = max(value for _, value in bars) or 1
    for (label, value), text in zip(bars, texts, strict=True):
        y = chart.label(label)
        width = _bar_length(value, top, length)
        if width:
            chart.add(_rect(MARGIN, y, width, BAR_HEIGHT, PALETTE[0]))
        chart.add(_text(MARGIN + width + 4, _middle(y, SMALL_SIZE), text, size=SMALL_SIZE))
        chart.y = y + BAR_HEIGHT + ROW_GAP
    return chart.svg(id=id, desc=desc)


def stacked_bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    id: str,
) -> str:
    """One horizontal bar per category cut into one segment per series, a legend, the total."""
    _check_id(id)
    if len(series) > len(PALETTE):
        raise ValueError(f"A stacked bar tells at most {len(PALETTE)} series apart.")
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"Series “{name}” has {len(values)} values for {len(categories)}.")
        _check_counts(values)
    if not categories or not series:
        return _no_data(title, id=id)
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    desc = "; ".join(
        f"{category}: "
        + ", ".join(f"{name} {format_number(values[i])}" for name, values in series)
        + f", tổng {format_number(totals[i])}"
        for i, category in enumerate(categories)
    )
    chart = _Chart(title)
    chart.legend([(_Swatch.BOX, PALETTE[k], name) for k, (name, _) in enumerate(series)])
    room = max(_text_width(format_number(total), SMALL_SIZE, bold=True) for total in totals) + 6
    length = WIDTH - 2 * MARGIN - room
    top = max(totals) or 1
    for i, category in enumerate(categories):
        y = chart.label(category)
        x = float(MARGIN)
        for k, (_, values) in enumerate(series):
            width = _bar_length(values[i], top, length)
            if not width:
                continue
            # A white outline keeps neighbouring segments apart in greyscale print too.
            chart.add(_rect(x, y, width, BAR_HEIGHT, PALETTE[k], stroke="#FFFFFF"))
            text = format_number(values[i])
            if _text_width(text, SMALL_SIZE) + 6 <= width:
                chart.add(
                    _text(x + width / 2, _middle(y, SMALL_SIZE), text, size=SMALL_SIZE,
                          anchor="middle", fill="#FFFFFF")
                )  # fmt: skip
            x += width
        total = format_number(totals[i])
        chart.add(_text(x + 4, _middle(y, SMALL_SIZE), total, size=SMALL_SIZE, bold=True))
        chart.y = y + BAR_HEIGHT + ROW_GAP
    return chart.svg(id=id, desc=desc)


def progress_chart(
    title: str, rows: Sequence[tuple[str, int, int]], *, id: str, target_percent: int = 100
) -> str:
    """For each (label, done, total), a bar filled to done/total with a mark at the target."""
    _check_id(id)
    if not 0 <= target_percent <= 100:
        raise ValueError("The target is a percentage between 0 and 100.")
    for _, done, total in rows:
        _check_counts((done, total))
    if not rows:
        return _no_data(title, id=id)
    texts = [
        f"{format_number(done)}/{format_number(total)} ({format_percent(done, total)})"
        if total
        else "—"
        for _, done, total in rows
    ]
    desc = "; ".join(f"{label}: {text}" for (label, _, _), text in zip(rows, texts, strict=True))
    desc += f". {TARGET}: {target_percent} %"
    chart = _Chart(title)
    chart.legend(
        [
            (_Swatch.BOX, PALETTE[0], "Đã đạt"),
            (_Swatch.TRACK, TRACK, "Chưa đạt"),
            (_Swatch.MARK, TEXT, f"{TARGET} {target_percent} %"),
        ]
    )
    length = WIDTH - 2 * MARGIN
    mark = MARGIN + length * target_percent / 100
    for (label, done, total), text in zip(rows, texts, strict=True):
        y = chart.label(label, aside=text)
        chart.add(_rect(MARGIN, y, length, BAR_HEIGHT, TRACK, stroke=AXIS, stroke_width=0.75))
        if total and done:
            chart.add(_rect(MARGIN, y, _bar_length(min(done, total), total, length), BAR_HEIGHT,
                            PALETTE[0]))  # fmt: skip
        chart.add(_line(mark, y - 3, mark, y + BAR_HEIGHT + 3, TEXT, width=2.5))
        chart.y = y + BAR_HEIGHT + ROW_GAP
    return chart.svg(id=id, desc=desc)


def time_series_chart(
    title: str,
    points: Sequence[tuple[datetime.date, int]],
    *,
    id: str,
    target: int | None = None,
    forecast: Sequence[tuple[datetime.date, int]] = (),
) -> str:
    """A cumulative daily series as one step line, with an optional target and dashed forecast."""
    _check_id(id)
    _check_counts(value for _, value in [*points, *forecast])
    if target is not None:
        _check_counts([target])
    if not points:
        return _no_data(title, id=id)
    actual = sorted(points, key=lambda point: point[0])
    ahead = sorted(forecast, key=lambda point: point[0])
    first, last = actual[0], actual[-1]
    desc = (
        f"Từ {format_date(first[0])} đến {format_date(last[0])}: "
        f"từ {format_number(first[1])} lên {format_number(last[1])}"
    )
    legend = [(_Swatch.LINE, PALETTE[0], f"{ACTUAL}: {format_number(last[1])}")]
    if target is not None:
        desc += f". {TARGET}: {format_number(target)}"
        legend.append((_Swatch.LINE, MUTED, TARGET))
    if ahead:
        end = ahead[-1]
        desc += f". {FORECAST}: {format_number(end[1])} vào {format_date(end[0])}"
        legend.append((_Swatch.DASH, PALETTE[1], FORECAST))
    chart = _Chart(title)
    chart.legend(legend)
    _plot_series(chart, actual, ahead, target)
    return chart.svg(id=id, desc=desc)


# ---- the time series' plot ------------------------------------------------------------------

PLOT_HEIGHT = 180


def _plot_series(
    chart: _Chart,
    actual: list[tuple[datetime.date, int]],
    ahead: list[tuple[datetime.date, int]],
    target: int | None,
) -> None:
    highest = max([value for _, value in [*actual, *ahead]] + [target or 0])
    ticks = _value_ticks(highest)
    left = MARGIN + max(_text_width(format_number(tick), SMALL_SIZE) for tick in ticks) + 6
    right = WIDTH - MARGIN - 2
    top = chart.y + 8
    bottom = top + PLOT_HEIGHT
    start = actual[0][0].toordinal()
    span = max(max(day for day, _ in [*actual, *ahead]).toordinal() - start, 1)

    def x_of(day: datetime.date) -> float:
        return left + (right - left) * (day.toordinal() - start) / span

    def y_of(value: int) -> float:
        return bottom - PLOT_HEIGHT * value / ticks[-1]

    for tick in ticks:
        y = y_of(tick)
        chart.add(_line(left, y, right, y, AXIS if tick == 0 else GRID, width=1))
        chart.add(_text(left - 6, y + 4, format_number(tick), size=SMALL_SIZE, anchor="end",
                        fill=MUTED))  # fmt: skip
    for day, anchor in _date_ticks(actual[0][0], span, right - left):
        x = x_of(day)
        chart.add(_line(x, bottom, x, bottom + 4, AXIS, width=1))
        chart.add(_text(x, bottom + 18, format_date(day), size=SMALL_SIZE, anchor=anchor,
                        fill=MUTED))  # fmt: skip
    if target is not None:
        y = y_of(target)
        chart.add(_line(left, y, right, y, MUTED, width=1.5))
        # Above the line, unless that would run into the legend.
        label_y = y - 5 if y - top >= 16 else y + 15
        chart.add(_text(left + 4, label_y, f"{TARGET}: {format_number(target)}", size=SMALL_SIZE,
                        fill=MUTED))  # fmt: skip
    if ahead:
        day, value = actual[-1]
        joined = ahead if ahead[0][0] <= day else [(day, value), *ahead]
        coordinates = [f"{_n(x_of(d))},{_n(y_of(v))}" for d, v in joined]
        line = " ".join(c for i, c in enumerate(coordinates) if not i or c != coordinates[i - 1])
        chart.add(
            f'<path d="M{line}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"'
            ' stroke-dasharray="6 4"/>'
        )
    chart.add(
        f'<path d="{_step_path([(x_of(d), y_of(v)) for d, v in actual])}" fill="none"'
        f' stroke="{PALETTE[0]}" stroke-width="2.5" stroke-linejoin="round"/>'
    )
    # The latest figure gets a dot: a single day has no line to draw.
    day, value = actual[-1]
    chart.add(f'<circle cx="{_n(x_of(day))}" cy="{_n(y_of(value))}" r="3.5" fill="{PALETTE[0]}"/>')
    chart.y = bottom + 26


def _value_ticks(highest: int) -> list[int]:
    """4 or 5 round ticks from 0 that reach `highest`: steps of 1, 2, 2.5 or 5 times 10^k
    (3 instead of 2.5 below 10, as counts have no halves)."""
    highest = max(highest, 4)
    magnitude = 10 ** math.floor(math.log10(highest / 4))
    for factor in (1, 2, 2.5 if magnitude > 1 else 3, 5, 10):
        step = factor * magnitude
        if highest / step <= 4:
            count = math.ceil(highest / step)
            return [round(step * i) for i in range(count + 1)]
    raise AssertionError("unreachable: a step of 10^(k+1) always fits")


def _date_ticks(first: datetime.date, span: int, width: float) -> list[tuple[datetime.date, str]]:
    """A few evenly spaced dates, the first and last kept inside the plot by their anchor."""
    fits = int(width // (_text_width("00/00/0000", SMALL_SIZE) * 1.3))
    count = max(2, min(4, fits, span + 1))
    days = sorted({round(span * i / (count - 1)) for i in range(count)})
    anchors = ["middle"] * len(days)
    anchors[0], anchors[-1] = "start", "end"
    return [
        (first + datetime.timedelta(days=day), anchor)
        for day, anchor in zip(days, anchors, strict=True)
    ]


def _step_path(points: list[tuple[float, float]]) -> str:
    """A step line (each value holds until the next day) through the points, as one path.

    Coordinates are rounded to a tenth of a unit and repeated moves dropped, so 800 days
    drawn 340 units wide cost a few kilobytes, not one element per day.
    """
    x0, y0 = _n(points[0][0]), _n(points[0][1])
    parts, x, y = [f"M{x0},{y0}"], x0, y0
    for px, py in points[1:]:
        nx, ny = _n(px), _n(py)
        if nx != x:
            parts.append(f"H{nx}")
        if ny != y:
            if parts[-1].startswith("V"):
                parts.pop()
            parts.append(f"V{ny}")
        x, y = nx, ny
    return "".join(parts)


# ---- shared drawing -------------------------------------------------------------------------


class _Swatch:
    BOX = "box"
    TRACK = "track"
    LINE = "line"
    DASH = "dash"
    MARK = "mark"


class _Chart:
    """The elements drawn so far, and `y`, where the next one goes."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.parts: list[str] = []
        self.y = float(MARGIN)
        for line in _wrap(self.title, WIDTH - 2 * MARGIN, TITLE_SIZE, bold=True):
            self.parts.append(_text(MARGIN, self.y + TITLE_SIZE, line, size=TITLE_SIZE, bold=True))
            self.y += TITLE_SIZE * 1.35
        self.y += 6

    def add(self, part: str) -> None:
        self.parts.append(part)

    def label(self, label: str, *, aside: str = "") -> float:
        """Writes a row's label, and `aside` right-aligned on its first line (or under it when
        both do not fit); returns the top of the bar that goes under them."""
        full = WIDTH - 2 * MARGIN
        beside = full - _text_width(aside, SMALL_SIZE) - 10 if aside else full
        lines = _wrap(label, beside if beside >= 140 else full, LABEL_SIZE) or [""]
        line_height = LABEL_SIZE * 1.3
        for i, line in enumerate(lines):
            self.add(_text(MARGIN, self.y + LABEL_SIZE + i * line_height, line, size=LABEL_SIZE))
        if aside:
            row = 0 if beside >= 140 else len(lines)
            self.add(_text(WIDTH - MARGIN, self.y + LABEL_SIZE + row * line_height, aside,
                           size=SMALL_SIZE, anchor="end"))  # fmt: skip
            if row:
                lines.append("")
        return self.y + len(lines) * line_height + 4

    def legend(self, items: Sequence[tuple[str, str, str]]) -> None:
        """Swatches and names, flowing onto as many lines as the width needs."""
        x, line_height = float(MARGIN), SMALL_SIZE * 1.6
        for kind, colour, full_name in items:
            name = _shorten(_clean(full_name), WIDTH - 2 * MARGIN - 20, SMALL_SIZE, bold=False)
            name_width = _text_width(name, SMALL_SIZE)
            if x > MARGIN and x + 20 + name_width > WIDTH - MARGIN:
                x, self.y = float(MARGIN), self.y + line_height
            middle = self.y + SMALL_SIZE * 0.6
            self.add(_swatch(kind, colour, x, middle))
            self.add(_text(x + 20, middle + SMALL_SIZE * 0.36, name, size=SMALL_SIZE))
            x += 20 + name_width + 14
        self.y += line_height + 6

    def svg(self, *, id: str, desc: str) -> str:
        height = math.ceil(self.y - ROW_GAP + MARGIN + 4)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" id="{id}" role="img"'
            f' aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {WIDTH} {height}"'
            f' width="100%" font-family="{FONT_FAMILY}" fill="{TEXT}">'
            f'<title id="{id}-title">{_escape(self.title)}</title>'
            f'<desc id="{id}-desc">{_escape(desc)}</desc>' + "".join(self.parts) + "</svg>"
        )


def _no_data(title: str, *, id: str) -> str:
    chart = _Chart(title)
    chart.add(_rect(MARGIN, chart.y, WIDTH - 2 * MARGIN, 56, "#FFFFFF", stroke=GRID))
    chart.add(_text(WIDTH / 2, chart.y + 33, NO_DATA, size=LABEL_SIZE, anchor="middle",
                    fill=MUTED))  # fmt: skip
    chart.y += 56 + ROW_GAP
    return chart.svg(id=id, desc=NO_DATA)


def _swatch(kind: str, colour: str, x: float, middle: float) -> str:
    if kind == _Swatch.BOX:
        return _rect(x, middle - 6, 14, 12, colour)
    if kind == _Swatch.TRACK:
        return _rect(x, middle - 6, 14, 12, colour, stroke=AXIS, stroke_width=0.75)
    if kind == _Swatch.MARK:
        return _line(x + 7, middle - 8, x + 7, middle + 8, colour, width=2.5)
    dashes = ' stroke-dasharray="6 4"' if kind == _Swatch.DASH else ""
    return f'<path d="M{_n(x)},{_n(middle)}h16" stroke="{colour}" stroke-width="2.5"{dashes}/>'


def _rect(
    x: float,
    y: float,
    width: float,
    height: float,
    fill: str,
    *,
    stroke: str = "",
    stroke_width: float = 1,
) -> str:
    outline = f' stroke="{stroke}" stroke-width="{_n(stroke_width)}"' if stroke else ""
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}"'
        f' fill="{fill}"{outline}/>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, *, width: float) -> str:
    return (
        f'<path d="M{_n(x1)},{_n(y1)}L{_n(x2)},{_n(y2)}" stroke="{colour}"'
        f' stroke-width="{_n(width)}"/>'
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int,
    anchor: str = "start",
    bold: bool = False,
    fill: str = "",
) -> str:
    attributes = f' text-anchor="{anchor}"' if anchor != "start" else ""
    attributes += ' font-weight="bold"' if bold else ""
    attributes += f' fill="{fill}"' if fill else ""
    return f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}"{attributes}>{_escape(text)}</text>'


def _middle(top: float, size: int) -> float:
    """The baseline that centres digits of `size` on a bar starting at `top`."""
    return top + BAR_HEIGHT / 2 + size * 0.36


def _bar_length(value: int, top: int, length: float) -> float:
    """The bar's length, at least one unit when the value is not zero, so it stays visible."""
    return max(length * value / top, 1.0) if value else 0.0


def _with_unit(value: int, unit: str) -> str:
    return f"{format_number(value)} {unit}" if unit else format_number(value)


def _n(value: float) -> str:
    """A coordinate to a tenth of a unit, without a useless ".0"."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _clean(text: str) -> str:
    """One line of composed text, with the characters XML cannot carry removed."""
    return " ".join(_NOT_XML.sub("", unicodedata.normalize("NFC", str(text))).split())


def _escape(text: str) -> str:
    return escape(_clean(text), {'"': "&quot;", "'": "&#39;"})


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The width of `text` set in DejaVu Sans at `size`, a little generous."""
    table = _BOLD if bold else _REGULAR
    total = 0
    for char in _clean(text):
        base = unicodedata.normalize("NFD", char)[0]  # "ế" is as wide as "e"
        if " " <= base <= "~":
            total += table[ord(base) - 32]
        elif char in _OTHER:
            total += _OTHER[char][bold]
        elif unicodedata.east_asian_width(char) in "WF":
            total += 1000
        else:
            total += 700
    return total * size / 1000 * 1.03


def _wrap(text: str, width: float, size: int, *, bold: bool = False, lines: int = 3) -> list[str]:
    """`text` broken at spaces into at most `lines` lines that fit `width`; the last one ends
    with "…" if the text is longer still."""
    wrapped: list[str] = []
    for word in _clean(text).split(" "):
        if wrapped and _text_width(f"{wrapped[-1]} {word}", size, bold=bold) <= width:
            wrapped[-1] = f"{wrapped[-1]} {word}"
        else:
            wrapped.append(word)
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], " ".join(wrapped[lines - 1 :])]
    return [_shorten(line, width, size, bold=bold) for line in wrapped if line]


def _shorten(line: str, width: float, size: int, *, bold: bool) -> str:
    if _text_width(line, size, bold=bold) <= width:
        return line
    while line and _text_width(line + "…", size, bold=bold) > width:
        line = line[:-1]
    return line.rstrip() + "…"


def _check_id(id: str) -> None:
    if not _ID.fullmatch(id):
        raise ValueError(f"A chart id is a letter then letters, digits, - or _: {id!r}.")


def _check_counts(values: Iterable[int]) -> None:
    if any(value < 0 for value in values):
        raise ValueError("Charts draw counts, which cannot be negative.")
