"""The outcome charts' SVG: valid XML, values where they belong, labels and a text alternative,
series told apart without colour, and nothing drawn for no data."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import defusedxml.ElementTree as ET
from hypothesis import given, settings
from hypothesis import strategies as st

from popliteal.outcomes import chart
from popliteal.outcomes.adherence_chart import adherence_chart
from popliteal.outcomes.pain_chart import pain_chart
from popliteal.outcomes.rom_chart import RefLine, RomPoint, rom_chart
from popliteal.outcomes.score_charts import PANEL_HEIGHT, ScorePanel, score_charts

NS = {"s": "http://www.w3.org/2000/svg"}
D0 = date(2025, 3, 3)


def parse(svg: str) -> Any:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def texts(root: Any) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def accessible_name(root: Any) -> tuple[str, str]:
    """The <title> and <desc> the svg's aria-labelledby points to."""
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    found = {e.get("id"): e.text for e in root if e.get("id") in (title_id, desc_id)}
    return found[title_id], found[desc_id]


def days(*offsets: int) -> list[date]:
    return [D0 + timedelta(days=o) for o in offsets]


# ------------------------------------------------------------------ pain


def pain_series() -> list[chart.Series]:
    return [
        chart.Series(
            "Morning", [chart.Point(d, v) for d, v in zip(days(0, 7, 14), (6, 4, 2), strict=True)]
        ),
        chart.Series(
            "After a session", [chart.Point(d, v) for d, v in zip(days(1, 8), (5, 3), strict=True)]
        ),
        chart.Series("Questionnaire (NPRS)", [chart.Point(D0, 10), chart.Point(days(14)[0], 0)]),
    ]


def test_pain_chart_is_valid_svg_with_a_title_desc_and_table() -> None:
    c = pain_chart(pain_series(), chart_id="p")
    root = parse(c.svg)
    title, desc = accessible_name(root)
    assert "0 (no pain) to 10" in title
    assert "Morning (circles)" in desc
    assert "After a session (squares)" in desc
    assert "Questionnaire (NPRS) (triangles)" in desc
    assert "table" in desc
    assert c.table.headers == ("Date", "Morning", "After a session", "Questionnaire (NPRS)")
    # newest day first, every day any series has a value, blanks as a dash
    assert [r[0] for r in c.table.rows] == [
        "17 Mar 2025",
        "11 Mar 2025",
        "10 Mar 2025",
        "4 Mar 2025",
        "3 Mar 2025",
    ]
    assert c.table.rows[0] == ("17 Mar 2025", "2", chart.NONE, "0")
    assert c.table.rows[-1] == ("3 Mar 2025", "6", chart.NONE, "10")


def test_pain_values_sit_on_the_0_to_10_scale_in_date_order() -> None:
    root = parse(pain_chart(pain_series(), chart_id="p").svg)
    lines = {
        p.get("data-series"): p.get("points")
        for p in root.iter("{http://www.w3.org/2000/svg}polyline")
    }
    nprs = [tuple(map(float, xy.split(","))) for xy in lines["Questionnaire (NPRS)"].split()]
    (x0, y10), (x1, y0) = nprs
    assert x0 < x1
    assert y10 < y0  # 10 at the top, 0 at the bottom
    morning = [tuple(map(float, xy.split(","))) for xy in lines["Morning"].split()]
    ys = [y for _, y in morning]
    # 6, 4, 2: evenly spaced on the scale, going down the page as the pain falls
    assert ys[0] < ys[1] < ys[2]
    assert abs((ys[1] - ys[0]) - (ys[2] - ys[1])) < 0.2
    assert abs((y0 - y10) / 10 * 2 - (ys[1] - ys[0])) < 0.2
    assert morning[0][0] == x0  # the same day is the same x for every series


def test_series_differ_by_marker_and_dash_not_only_colour() -> None:
    root = parse(pain_chart(pain_series(), chart_id="p").svg)
    dashes = [p.get("stroke-dasharray") for p in root.iter("{http://www.w3.org/2000/svg}polyline")]
    assert len(set(dashes)) == 3  # solid (None), dashed, dotted
    assert len({(shape, dash) for shape, dash, _ in chart.STYLES}) == len(chart.STYLES)
    assert len({shape for shape, _, _ in chart.STYLES}) == len(chart.STYLES)
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) >= 3 + 1  # points + legend
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) >= 2 + 1
    words = texts(root)
    # direct labels at the end of each line, with its last value, and a legend
    assert "Morning 2" in words
    assert "After a session 3" in words
    assert "Questionnaire (NPRS) 0" in words
    assert {"Morning", "After a session", "Questionnaire (NPRS)"} <= set(words)


def test_end_labels_never_overlap() -> None:
    same = [
        chart.Series(f"S{i}", [chart.Point(D0, 5), chart.Point(days(3)[0], 5)]) for i in range(4)
    ]
    root = parse(pain_chart(same, chart_id="p").svg)
    ends = sorted(
        float(t.get("y"))
        for t in root.iter("{http://www.w3.org/2000/svg}text")
        if (t.text or "").endswith(" 5")
    )
    assert len(ends) == 4
    assert all(b - a >= 15 - 0.11 for a, b in pairwise(ends))


def test_one_day_of_data_is_a_marker_in_the_middle_without_a_line() -> None:
    c = pain_chart([chart.Series("Morning", [chart.Point(D0, 3)])], chart_id="p")
    root = parse(c.svg)
    assert list(root.iter("{http://www.w3.org/2000/svg}polyline")) == []
    circles = [float(e.get("cx")) for e in root.iter("{http://www.w3.org/2000/svg}circle")]
    assert any(abs(cx - (56 + chart.WIDTH - chart.LABELS) / 2) < 1 for cx in circles)


def test_no_data_draws_nothing_and_says_so() -> None:
    c = pain_chart([chart.Series("Morning", [])], chart_id="p")
    assert c.svg == ""
    assert not c.has_data
    assert c.empty == "No pain scores yet."
    assert c.table.rows == ()
    scores = score_charts("LEFS", [ScorePanel("total", "Total", [], 9, 0, 80)])
    assert not scores.has_data
    assert scores.empty == "No valid LEFS score yet."
    assert adherence_chart([(D0, None)]).svg == ""
    rom = rom_chart(
        [],
        full_flexion=RefLine(135, "full flexion"),
        full_extension=RefLine(-2, "full extension"),
    )
    assert rom.svg == ""
    assert rom.empty == "Not measured yet."


def test_names_are_escaped() -> None:
    c = pain_chart([chart.Series('<b>"pain" & co</b>', [chart.Point(D0, 1)])], chart_id="p")
    root = parse(c.svg)
    assert '<b>"pain" & co</b> 1' in texts(root)


def test_a_long_panel_name_is_split_so_it_fits_the_panel() -> None:
    """KOOS4's name was cut off at the panel's right edge on a phone (issue 18 tour)."""
    name = "KOOS4 (mean of Pain, Symptoms, Sport/Rec and QOL)"
    charts = score_charts(
        "KOOS", [ScorePanel("koos4", name, [chart.Point(D0, 50.0)], None)], chart_id="k"
    )
    shown = texts(parse(charts.panels[0].svg))
    assert "KOOS4" in shown
    assert "(mean of Pain, Symptoms, Sport/Rec and QOL)" in shown
    assert name not in shown  # not one line wider than the panel
    short = score_charts("KOOS", [ScorePanel("pain", "Pain", [chart.Point(D0, 50.0)], None)])
    assert "Pain" in texts(parse(short.panels[0].svg))


def test_same_input_same_bytes() -> None:
    assert pain_chart(pain_series()).svg == pain_chart(pain_series()).svg


# ------------------------------------------------------------------ instrument scores


def koos_pain(points: list[tuple[int, float]], mcid: float | None = 10) -> chart.Chart:
    charts = score_charts(
        "KOOS",
        [ScorePanel("pain", "Pain", [chart.Point(days(d)[0], v) for d, v in points], mcid)],
        chart_id="k",
    )
    return charts.panels[0]


def y_of(value: float, top: float = 48, bottom: float = PANEL_HEIGHT - 34) -> float:
    return round(bottom - value / 100 * (bottom - top), 1)


def test_score_panel_draws_the_mcid_band_around_the_baseline() -> None:
    panel = koos_pain([(0, 44.4), (14, 52.8), (28, 69.4)])
    root = parse(panel.svg)
    title, desc = accessible_name(root)
    assert title.startswith("KOOS Pain over time")
    assert "baseline 44.4 plus or minus the minimal important change of 10 points" in desc
    band = next(
        r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("class") == "mcid-band"
    )
    top, height = float(band.get("y")), float(band.get("height"))
    assert abs(top - y_of(54.4)) < 0.11
    assert abs(top + height - y_of(34.4)) < 0.11
    base = next(
        e for e in root.iter("{http://www.w3.org/2000/svg}line") if e.get("class") == "baseline"
    )
    assert float(base.get("y1")) == y_of(44.4)
    words = texts(root)
    assert {"44.4", "52.8", "69.4"} <= set(words)  # each score written on its point
    assert "band: first score ±10, a real change" in words
    assert "Pain" in words
    assert panel.table.rows == (
        ("31 Mar 2025", "69.4"),
        ("17 Mar 2025", "52.8"),
        ("3 Mar 2025", "44.4"),
    )


def test_band_is_clipped_to_the_scale() -> None:
    root = parse(koos_pain([(0, 97.2), (14, 100)]).svg)
    band = next(
        r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("class") == "mcid-band"
    )
    assert float(band.get("y")) == y_of(100)


def test_a_composite_without_mcid_has_no_band() -> None:
    root = parse(koos_pain([(0, 50), (14, 60)], mcid=None).svg)
    assert not [
        r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("class") == "mcid-band"
    ]
    assert "band" not in " ".join(texts(root))


def test_score_table_lists_every_scale_by_date() -> None:
    charts = score_charts(
        "KOOS",
        [
            ScorePanel("pain", "Pain", [chart.Point(D0, 50), chart.Point(days(14)[0], 61.1)], 10),
            ScorePanel("qol", "QOL", [chart.Point(days(14)[0], 25)], 10),
        ],
    )
    assert charts.table.headers == ("Date", "Pain", "QOL")
    assert charts.table.rows == (("17 Mar 2025", "61.1", "25"), ("3 Mar 2025", "50", chart.NONE))
    assert [p.id for p in charts.panels] == ["score-chart-pain", "score-chart-qol"]


# ------------------------------------------------------------------ adherence


def test_adherence_bars_hold_their_values_and_weeks_without_due_days_say_so() -> None:
    c = adherence_chart([(D0, None), (days(7)[0], 50.0), (days(14)[0], 100.0)], adequate=70)
    root = parse(c.svg)
    bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("data-percent")]
    assert [b.get("data-percent") for b in bars] == ["50", "100"]
    half, full = (float(b.get("height")) for b in bars)
    assert abs(full - 2 * half) < 0.2
    words = texts(root)
    assert {"50%", "100%", "none due", "adequate 70%"} <= set(words)
    line = next(
        e for e in root.iter("{http://www.w3.org/2000/svg}line") if e.get("class") == "adequate"
    )
    assert line.get("stroke-dasharray")
    assert c.table.rows[-1] == ("3 Mar 2025", "nothing due")
    assert c.table.rows[0] == ("17 Mar 2025", "100%")


# ------------------------------------------------------------------ range of motion


def test_rom_chart_shows_flexion_and_extension_against_full_range() -> None:
    c = rom_chart(
        [
            RomPoint(D0, "right", 95, -10),
            RomPoint(days(14)[0], "right", 130, 0),
        ],
        full_flexion=RefLine(135, "full flexion: 135°"),
        full_extension=RefLine(-2, "full extension: -2°"),
        chart_id="r",
    )
    root = parse(c.svg)
    _, desc = accessible_name(root)
    assert "full flexion: 135°" in desc
    refs = {
        e.get("class"): float(e.get("y1"))
        for e in root.iter("{http://www.w3.org/2000/svg}line")
        if e.get("class")
    }
    lines = {
        p.get("data-series"): p.get("points")
        for p in root.iter("{http://www.w3.org/2000/svg}polyline")
    }
    flexion = [float(xy.split(",")[1]) for xy in lines["Flexion"].split()]
    extension = [float(xy.split(",")[1]) for xy in lines["Extension"].split()]
    assert refs["full-flexion"] < flexion[1] < flexion[0]  # 135 above 130 above 95
    assert extension[1] < refs["full-extension"] < extension[0]  # 0 above -2 above -10
    words = texts(root)
    assert {"Flexion 130", "Extension 0", "full flexion: 135°", "full extension: -2°"} <= set(words)
    assert c.table.rows[0] == ("17 Mar 2025", "right", "130°", "0°")
    assert c.table.rows[1] == ("3 Mar 2025", "right", "95°", "-10°")


def test_rom_with_two_treated_knees_names_the_side() -> None:
    c = rom_chart(
        [RomPoint(D0, "left", 100, None), RomPoint(D0, "right", None, -5)],
        full_flexion=RefLine(135, "f"),
        full_extension=RefLine(-2, "e"),
    )
    words = texts(parse(c.svg))
    assert "Flexion (left) 100" in words
    assert "Extension (right) -5" in words


# ------------------------------------------------------------------ any data


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 400), st.floats(0, 10, allow_nan=False)), max_size=30),
        max_size=5,
    )
)
def test_any_pain_data_gives_valid_svg_inside_the_plot(
    series: list[list[tuple[int, float]]],
) -> None:
    c = pain_chart(
        [
            chart.Series(f"S{i}", [chart.Point(days(d)[0], v) for d, v in pts])
            for i, pts in enumerate(series)
        ]
    )
    if not c.has_data:
        assert all(not pts for pts in series)
        return
    root = parse(c.svg)
    for poly in root.iter("{http://www.w3.org/2000/svg}polyline"):
        for xy in poly.get("points").split():
            x, y = map(float, xy.split(","))
            assert 56 <= x <= chart.WIDTH - chart.LABELS
            assert 44 <= y <= chart.HEIGHT - 40


def test_compact_chart_fits_a_phone_legend_wraps_and_line_ends_carry_values() -> None:
    c = pain_chart(pain_series(), chart_id="p", compact=True)
    root = parse(c.svg)
    assert root.get("viewBox") == f"0 0 {chart.COMPACT_WIDTH} {chart.HEIGHT}"
    words = texts(root)
    assert {"Morning", "After a session", "Questionnaire (NPRS)"} <= set(words)  # the legend
    assert {"2", "3", "0"} <= set(words)  # last values at the line ends
    assert "Morning 2" not in words
    legend_rows = {
        float(t.get("y"))
        for t in root.iter("{http://www.w3.org/2000/svg}text")
        if t.text in ("Morning", "After a session", "Questionnaire (NPRS)")
    }
    assert len(legend_rows) == 2  # three names do not fit one row of 360
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        assert float(t.get("x")) + 7 * len(t.text or "") * (t.get("text-anchor") != "end") <= (
            chart.COMPACT_WIDTH + 4
        ), t.text
