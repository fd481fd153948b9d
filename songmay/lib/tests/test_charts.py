import datetime
import io
import re
from fractions import Fraction
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from songmay.lib.charts import (
    PALETTE,
    _value_ticks,
    bar_chart,
    format_number,
    format_percent,
    progress_chart,
    stacked_bar_chart,
    time_series_chart,
)
from songmay.lib.pdf import render_pdf

SVG = "{http://www.w3.org/2000/svg}"
DAY = datetime.date(2021, 9, 1)
HOUSEHOLDS = ["Hộ nghèo", "Hộ cận nghèo", "Khó khăn khác", "Không thuộc diện"]


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 — our own output, parsed to prove it is XML


def _texts(svg: str) -> list[str]:
    return [element.text or "" for element in _parse(svg).iter(f"{SVG}text")]


def _days(values: list[int]) -> list[tuple[datetime.date, int]]:
    return [(DAY + datetime.timedelta(days=i), value) for i, value in enumerate(values)]


def _all_charts(label: str = "Tiểu học", id: str = "c") -> list[str]:
    return [
        bar_chart("Thiếu thiết bị", [(label, 11967), ("THCS", 4482)], id=f"{id}-bar"),
        stacked_bar_chart(
            "Theo diện hộ",
            [label, "Huyện Lục Ngạn"],
            [(name, [1, 2]) for name in HOUSEHOLDS],
            id=f"{id}-stack",
        ),
        progress_chart("Tiến độ", [(label, 1234, 5678)], id=f"{id}-progress"),
        time_series_chart(
            label, _days([0, 5, 9]), id=f"{id}-time", target=20, forecast=_days([0, 0, 0, 20])
        ),
    ]


def test_numbers_are_written_the_vietnamese_way():
    assert format_number(11967) == "11.967"
    assert format_number(1_000_000) == "1.000.000"
    assert format_number(0) == "0"
    assert format_percent(1234, 5678) == "21,7 %"
    assert format_percent(853, 1000) == "85,3 %"
    assert format_percent(17049, 17049) == "100,0 %"
    assert format_percent(0, 0) == "—"


def test_a_share_short_of_the_whole_never_reads_100_nor_a_start_0():
    assert format_percent(5677, 5678) == "99,9 %"
    assert format_percent(1, 1_000_000) == "0,1 %"
    assert format_percent(0, 5) == "0,0 %"


@given(st.integers(0, 10**7), st.integers(1, 10**7))
def test_percentages_are_the_share_to_a_tenth(part, whole):
    shown = format_percent(part, whole)
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*,\d %", shown)
    tenths = Fraction(shown.removesuffix(" %").replace(".", "").replace(",", "."))
    exact = Fraction(100 * part, whole)
    assert abs(tenths - exact) <= Fraction(1, 20) or (
        0 < part < whole and tenths in (Fraction("0.1"), Fraction("99.9"))
    )
    assert (tenths == 100) == (part == whole)


@given(st.integers(0, 10**9))
def test_value_axes_get_four_or_five_round_ticks_from_zero_past_the_highest(highest):
    ticks = _value_ticks(highest)
    step = ticks[1]
    assert 4 <= len(ticks) <= 5
    assert ticks == [step * i for i in range(len(ticks))]
    assert ticks[-2] < max(highest, 4) <= ticks[-1]
    assert re.fullmatch(r"(1|2|25|3|5)0*", str(step))


@pytest.mark.parametrize("index", range(4))
def test_charts_are_images_named_by_their_title_and_described_by_their_figures(index):
    svg = _all_charts()[index]
    root = _parse(svg)
    title, desc = root[0], root[1]
    assert (root.tag, root.get("role"), root.get("width")) == (f"{SVG}svg", "img", "100%")
    assert re.fullmatch(r"0 0 400 \d+", root.get("viewBox", ""))
    assert (title.tag, desc.tag) == (f"{SVG}title", f"{SVG}desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert root.get("font-family") == "DejaVu Sans, sans-serif"
    assert desc.text and any(char.isdigit() for char in desc.text)


@pytest.mark.parametrize("index", range(4))
def test_charts_load_nothing_and_run_nothing(index):
    svg = _all_charts()[index]
    assert not re.search(r"<script|<style|<image|<foreignObject|href=|style=|url\(|@import", svg)
    assert re.findall(r"<(\w+)", svg)[0] == "svg"


def test_the_description_reads_the_figures_out():
    svg = bar_chart("Học sinh thiếu thiết bị", [("Tiểu học", 11967), ("THCS", 4482)], id="b")
    assert _parse(svg)[1].text == "Tiểu học: 11.967; THCS: 4.482"
    stacked = stacked_bar_chart(
        "Hộ", ["Xã A"], [("Hộ nghèo", [1200]), ("Hộ cận nghèo", [3])], id="s"
    )
    assert _parse(stacked)[1].text == "Xã A: Hộ nghèo 1.200, Hộ cận nghèo 3, tổng 1.203"


@pytest.mark.parametrize("label", ['<script>&"', "A & B < C > D 'E'", "tab\tand\x00null\x1b"])
def test_labels_are_escaped_and_shown_as_typed(label):
    for svg in _all_charts(label):
        assert "<script>" not in svg
        shown = " ".join(label.replace("\x00", "").replace("\x1b", "").split())
        assert shown in [*_texts(svg), _parse(svg)[0].text]


def test_two_charts_on_one_page_share_no_id():
    page = "<div>" + "".join(_all_charts(id="a") + _all_charts(id="b")) + "</div>"
    ids = [element.get("id") for element in _parse(page).iter() if element.get("id")]
    assert len(ids) == len(set(ids)) == 8 * 3


@pytest.mark.parametrize("id", ["", "1chart", 'a" onload="x', "a b"])
def test_an_id_that_would_break_the_markup_is_refused(id):
    with pytest.raises(ValueError, match="id"):
        bar_chart("T", [("A", 1)], id=id)


def test_bars_end_with_their_value_and_keep_their_proportions():
    svg = bar_chart("T", [("Tiểu học", 1_000_000), ("THCS", 250_000)], id="b", unit="học sinh")
    widths = [float(rect.get("width", 0)) for rect in _parse(svg).iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(4 * widths[1], abs=0.2)
    assert {"1.000.000 học sinh", "250.000 học sinh"} <= set(_texts(svg))
    bar_end = float(next(_parse(svg).iter(f"{SVG}rect")).get("width", 0)) + 4
    text = next(t for t in _parse(svg).iter(f"{SVG}text") if t.text == "1.000.000 học sinh")
    assert float(text.get("x", 0)) >= bar_end


def test_stacked_bars_cut_one_segment_per_series_and_print_the_total():
    values = [2300, 1200, 900, 3000]
    series = [(name, [value]) for name, value in zip(HOUSEHOLDS, values, strict=True)]
    svg = stacked_bar_chart("T", ["Huyện Lục Ngạn"], series, id="s")
    fills = [rect.get("fill") for rect in _parse(svg).iter(f"{SVG}rect")]
    assert fills == [*PALETTE[:4], *PALETTE[:4]]  # the legend's swatches, then the segments
    assert {"7.400", "2.300", "3.000", *HOUSEHOLDS} <= set(_texts(svg))


def test_stacked_series_must_match_the_categories():
    with pytest.raises(ValueError, match="values"):
        stacked_bar_chart("T", ["A", "B"], [("Hộ nghèo", [1])], id="s")


def test_progress_is_filled_to_the_share_done_with_a_mark_at_the_target():
    svg = progress_chart("T", [("Xã A", 1234, 5678)], id="p", target_percent=80)
    track, filled = list(_parse(svg).iter(f"{SVG}rect"))[-2:]
    share = float(filled.get("width", 0)) / float(track.get("width", 0))
    assert share == pytest.approx(1234 / 5678, abs=0.001)
    assert {"1.234/5.678 (21,7 %)", "Mục tiêu 80 %"} <= set(_texts(svg))
    assert _parse(svg)[1].text == "Xã A: 1.234/5.678 (21,7 %). Mục tiêu: 80 %"


def test_progress_of_an_area_with_no_pupils_shows_a_dash():
    svg = progress_chart("T", [("Xã mới", 0, 0), ("Xã A", 0, 10)], id="p")
    assert "—" in _texts(svg)
    assert "0/10 (0,0 %)" in _texts(svg)


def test_zeros_draw_no_bar_but_print_their_value():
    svg = bar_chart("T", [("A", 0), ("B", 0)], id="b")
    assert not list(_parse(svg).iter(f"{SVG}rect"))
    assert _texts(svg).count("0") == 2


@pytest.mark.parametrize(
    "svg",
    [
        bar_chart("T", [], id="e"),
        stacked_bar_chart("T", [], [], id="e"),
        progress_chart("T", [], id="e"),
        time_series_chart("T", [], id="e", target=100),
    ],
)
def test_charts_without_data_say_so(svg):
    assert "Chưa có số liệu" in _texts(svg)
    assert _parse(svg)[1].text == "Chưa có số liệu"


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        bar_chart("T", [("A", -1)], id="b")


def test_a_time_series_of_800_days_stays_small_and_is_one_path():
    points = _days([i * 25 for i in range(800)])
    svg = time_series_chart("T", points, id="t", target=20_000)
    assert len(svg.encode()) < 40_000
    lines = [p for p in _parse(svg).iter(f"{SVG}path") if p.get("stroke") == PALETTE[0]]
    assert len(lines) == 2  # the series and its legend swatch


def test_time_axes_show_a_few_dates_and_round_values():
    svg = time_series_chart(
        "T", _days([0, 3000, 9614]), id="t", target=17049, forecast=_days([0, 0, 0, 17049])
    )
    texts = _texts(svg)
    dates = [text for text in texts if re.fullmatch(r"\d\d/\d\d/\d{4}", text)]
    assert dates[0] == "01/09/2021" and dates[-1] == "04/09/2021" and 2 <= len(dates) <= 4
    assert [t for t in texts if re.fullmatch(r"[\d.]+", t)] == [
        "0", "5.000", "10.000", "15.000", "20.000"
    ]  # fmt: skip
    assert {"Mục tiêu: 17.049", "Dự báo"} <= set(texts)
    dashed = [p for p in _parse(svg).iter(f"{SVG}path") if p.get("stroke-dasharray")]
    assert len(dashed) == 2  # the forecast and its legend swatch
    assert _parse(svg)[1].text == (
        "Từ 01/09/2021 đến 03/09/2021: từ 0 lên 9.614. Mục tiêu: 17.049."
        " Dự báo: 17.049 vào 04/09/2021"
    )


def test_charts_are_the_same_for_the_same_figures():
    assert _all_charts() == _all_charts()


def test_series_colours_carry_text_on_white_and_white_text_on_them():
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    assert all(1.05 / (luminance(colour) + 0.05) >= 4.5 for colour in PALETTE)


def test_the_pdf_report_draws_the_charts_with_their_figures(settings, tmp_path):
    (tmp_path / "charts.html").write_text(
        '<html lang="vi"><body>{% for chart in charts %}<figure>{{ chart|safe }}</figure>'
        "{% endfor %}</body></html>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    pdf = render_pdf("charts.html", {"charts": _all_charts()})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for figure in ("11.967", "1.234/5.678 (21,7 %)", "Hộ cận nghèo", "01/09/2021"):
        assert figure in text
