"""Outcome charts as server-rendered SVG that read without colour, each with a text alternative.

Pure: no database, no clock. Every chart is a `Chart`: the SVG text (with its own <title> and
<desc>), and a `Table` of the same numbers that the page puts next to it. Series differ by
marker shape and dash pattern and carry their name at the end of the line, so nothing depends
on telling colours apart; the colours only help.

Charts:
- `pain_chart`: pain 0-10 over time (morning pain, pain after a session, NPRS answers);
- `score_charts`: one small panel per scale of an instrument (KOOS subscales, LEFS total,
  IKDC score), each with the MCID band drawn around the first (baseline) score;
- `adherence_chart`: share of the due days done each week, with the adequate-care line;
- `rom_chart`: knee flexion and extension against full range.
Weekly running distance reuses running/chart.py and its template macro.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape, quoteattr

WIDTH = 720
LABELS = 200  # room right of a line chart for the series names written at the line ends
COMPACT_WIDTH = 360  # a phone: the legend names the lines, their ends carry the values
HEIGHT = 300
PANEL_WIDTH, PANEL_HEIGHT = 320, 220
INK = "#1b1f24"
GRID = "#c9d1db"
MUTED = "#4a5361"
FONT = 13
INSET = 14
NONE = "\N{EN DASH}"  # an empty table cell

# Shape, dash pattern and colour of the n-th series. Shape and dash carry the meaning.
STYLES: tuple[tuple[str, str, str], ...] = (
    ("circle", "", "#0b5cad"),
    ("square", "8 4", "#8a4b00"),
    ("triangle", "2 4", "#5a2d91"),
    ("diamond", "10 4 2 4", "#1d6b36"),
    ("cross", "4 2", INK),
)


@dataclass(frozen=True)
class Point:
    day: date
    value: float


@dataclass(frozen=True)
class Series:
    """One line: `name` is written at its end and in the legend."""

    name: str
    points: Sequence[Point]


@dataclass(frozen=True)
class RefLine:
    """A horizontal reference (full flexion, the adequate-care threshold), labelled in words."""

    value: float
    label: str


@dataclass(frozen=True)
class Table:
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """An SVG (empty when there is nothing to draw) and the table of its numbers."""

    id: str
    title: str
    desc: str
    svg: str
    table: Table
    empty: str = ""  # what to say instead of the chart when there are no numbers

    @property
    def has_data(self) -> bool:
        return bool(self.svg)


@dataclass(frozen=True)
class ScorePanel:
    """One scale of an instrument over time, with its MCID (points) and range."""

    key: str
    name: str
    points: Sequence[Point]
    mcid: float | None
    low: float = 0.0
    high: float = 100.0


@dataclass(frozen=True)
class ScoreCharts:
    """One panel per scale and one table with every scale's numbers."""

    id: str
    title: str
    panels: list[Chart]
    table: Table
    empty: str = ""

    @property
    def has_data(self) -> bool:
        return any(p.has_data for p in self.panels)


@dataclass(frozen=True)
class RomPoint:
    day: date
    side: str
    flexion: int | None
    extension: int | None


@dataclass(frozen=True)
class _Frame:
    """Where the plot area sits and how values map into it."""

    left: float
    right: float
    top: float
    bottom: float
    first: date
    last: date
    low: float
    high: float
    extra: list[str] = field(default_factory=list)

    def x(self, day: date) -> float:
        span = (self.last - self.first).days
        if span == 0:
            return round((self.left + self.right) / 2, 1)
        # Inset from the axes so that the first and last markers and labels stay clear of them.
        start, end = self.left + INSET, self.right - INSET
        return round(start + (day - self.first).days / span * (end - start), 1)

    def y(self, value: float) -> float:
        clamped = min(max(value, self.low), self.high)
        share = (clamped - self.low) / (self.high - self.low)
        return round(self.bottom - share * (self.bottom - self.top), 1)


def number(value: float, digits: int = 1) -> str:
    """A score as pages show it: one decimal, or a whole number when it is one."""
    text = f"{value:.{digits}f}"
    if digits and text.endswith("." + "0" * digits):
        return text.split(".")[0]
    return text


def _day(day: date, *, year: bool = False) -> str:
    return f"{day.day} {day:%b}" + (f" {day:%Y}" if year else "")


def long_day(day: date) -> str:
    """A date for tables: '3 Mar 2025'."""
    return _day(day, year=True)


def _a(value: object) -> str:
    return quoteattr(str(value))


def _text(
    x: float,
    y: float,
    body: str,
    *,
    anchor: str = "start",
    size: int = FONT,
    weight: str = "",
    fill: str = INK,
) -> str:
    bold = ' font-weight="700"' if weight else ""
    return (
        f'<text x="{x}" y="{y}" text-anchor="{anchor}" font-size="{size}"{bold} '
        f'fill="{fill}">{escape(body)}</text>'
    )


def marker(shape: str, x: float, y: float, colour: str, *, size: float = 5.0) -> str:
    """A marker that is told apart by its shape: hollow circle, square, triangle, diamond, x."""
    s = size
    common = f'fill="#ffffff" stroke="{colour}" stroke-width="2"'
    if shape == "circle":
        return f'<circle cx="{x}" cy="{y}" r="{s}" {common}/>'
    if shape == "square":
        return (
            f'<rect x="{round(x - s, 1)}" y="{round(y - s, 1)}" width="{2 * s}" '
            f'height="{2 * s}" {common}/>'
        )
    if shape == "triangle":
        return (
            f'<path d="M {x} {round(y - s - 1, 1)} L {round(x + s + 1, 1)} {round(y + s, 1)} '
            f'L {round(x - s - 1, 1)} {round(y + s, 1)} Z" {common}/>'
        )
    if shape == "diamond":
        return (
            f'<path d="M {x} {round(y - s - 1, 1)} L {round(x + s + 1, 1)} {y} '
            f'L {x} {round(y + s + 1, 1)} L {round(x - s - 1, 1)} {y} Z" {common}/>'
        )
    return (
        f'<path d="M {round(x - s, 1)} {round(y - s, 1)} L {round(x + s, 1)} {round(y + s, 1)} '
        f'M {round(x - s, 1)} {round(y + s, 1)} L {round(x + s, 1)} {round(y - s, 1)}" '
        f'fill="none" stroke="{colour}" stroke-width="2.5"/>'
    )


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    # A narrow canvas is drawn for a phone: the page keeps it from growing on a wide screen.
    kind = "outcome-svg" if width > COMPACT_WIDTH else "outcome-svg narrow"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{kind}" id={_a(chart_id)} '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _date_ticks(first: date, last: date, count: int = 5) -> list[date]:
    span = (last - first).days
    if span == 0:
        return [first]
    count = min(count, span + 1)
    ticks = [first]
    for i in range(1, count - 1):
        ticks.append(date.fromordinal(first.toordinal() + round(span * i / (count - 1))))
    ticks.append(last)
    return sorted(set(ticks))


def _axes(frame: _Frame, y_ticks: Sequence[tuple[float, str]], *, ticks: int = 5) -> list[str]:
    out: list[str] = []
    for value, label in y_ticks:
        y = frame.y(value)
        out.append(
            f'<line x1="{frame.left}" y1="{y}" x2="{frame.right}" y2="{y}" stroke="{GRID}" '
            'stroke-width="1"/>'
        )
        out.append(_text(frame.left - 6, round(y + 4, 1), label, anchor="end", size=12))
    out.append(
        f'<line x1="{frame.left}" y1="{frame.bottom}" x2="{frame.right}" y2="{frame.bottom}" '
        f'stroke="{INK}" stroke-width="1"/>'
    )
    year = frame.first.year != frame.last.year
    for day in _date_ticks(frame.first, frame.last, ticks):
        x = frame.x(day)
        out.append(
            f'<line x1="{x}" y1="{frame.bottom}" x2="{x}" y2="{frame.bottom + 4}" '
            f'stroke="{INK}" stroke-width="1"/>'
        )
        out.append(_text(x, frame.bottom + 18, _day(day, year=year), anchor="middle", size=12))
    return out


def _spread(wanted: list[tuple[float, int]], *, gap: float, low: float, high: float) -> list[float]:
    """End-label heights pushed apart so that no two overlap, kept inside [low, high]."""
    order = sorted(wanted)
    placed: list[float] = []
    for y, _ in order:
        y = max(y, low)
        if placed and y - placed[-1] < gap:
            y = placed[-1] + gap
        placed.append(y)
    overflow = placed[-1] - high if placed else 0
    if overflow > 0:
        placed = [max(low, p - overflow) for p in placed]
        for i in range(1, len(placed)):
            placed[i] = max(placed[i], placed[i - 1] + gap)
    result = [0.0] * len(order)
    for (_, index), y in zip(order, placed, strict=True):
        result[index] = round(y, 1)
    return result


def _lines(
    frame: _Frame,
    series: Sequence[Series],
    *,
    label_points: bool,
    end_labels: str = "name",
    digits: int = 1,
) -> list[str]:
    """The series' lines and markers; `end_labels` writes "name" and last value at each line's
    end, "value" only the marker and last value (narrow charts: the legend names them), or
    "none"."""
    out: list[str] = []
    ends: list[tuple[float, int]] = []
    end_text: list[str] = []
    end_style: list[tuple[str, str]] = []
    for i, s in enumerate(series):
        shape, dash, colour = STYLES[i % len(STYLES)]
        pts = sorted(s.points, key=lambda p: p.day)
        if not pts:
            continue
        coords = [(frame.x(p.day), frame.y(p.value)) for p in pts]
        if len(coords) > 1:
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                '<polyline points="'
                + " ".join(f"{x},{y}" for x, y in coords)
                + f'" fill="none" stroke="{colour}" stroke-width="2"{dashes} '
                f'stroke-linejoin="round" data-series={_a(s.name)}/>'
            )
        for (x, y), p in zip(coords, pts, strict=True):
            out.append(marker(shape, x, y, colour))
            if label_points:
                out.append(
                    _text(
                        x,
                        round(y - 9, 1),
                        number(p.value, digits),
                        anchor="middle",
                        size=12,
                        weight="bold",
                    )
                )
        ends.append((coords[-1][1], len(end_text)))
        last = number(pts[-1].value, digits)
        end_text.append(f"{s.name} {last}" if end_labels == "name" else last)
        end_style.append((shape, colour))
    if end_labels != "none" and ends:
        heights = _spread(ends, gap=15, low=frame.top, high=frame.bottom)
        for y, label, (shape, colour) in zip(heights, end_text, end_style, strict=True):
            if end_labels == "name":
                out.append(_text(frame.right + 8, round(y + 4, 1), label, size=12, weight="bold"))
            else:
                out.append(marker(shape, frame.right + 12, y, colour, size=4))
                out.append(_text(frame.right + 20, round(y + 4, 1), label, size=12, weight="bold"))
    return out


LEGEND_ROW = 18


def _legend(series: Sequence[Series], *, x: float, y: float, width: float) -> tuple[list[str], int]:
    """A key of line sample, marker and name per series, wrapped into rows within `width`;
    returns the SVG parts and the number of rows."""
    out: list[str] = []
    start, rows = x, 1
    for i, s in enumerate(series):
        shape, dash, colour = STYLES[i % len(STYLES)]
        size = 44 + 7 * len(s.name)
        if x > start and x + size - 10 > width:
            x, y, rows = start, y + LEGEND_ROW, rows + 1
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x}" y1="{y}" x2="{x + 28}" y2="{y}" stroke="{colour}" '
            f'stroke-width="2"{dashes}/>'
        )
        out.append(marker(shape, x + 14, y, colour, size=4.5))
        out.append(_text(x + 34, y + 4, s.name, size=12))
        x += size
    return out, rows


@dataclass(frozen=True)
class _Size:
    """A line chart's canvas: wide for the clinician, compact (a phone) for the person."""

    width: int
    left: int
    labels: int  # room right of the plot for the end labels
    end_labels: str


WIDE = _Size(WIDTH, 56, LABELS, "name")
COMPACT = _Size(COMPACT_WIDTH, 40, 48, "value")


def _span(series: Sequence[Series]) -> tuple[date, date] | None:
    days = [p.day for s in series for p in s.points]
    return (min(days), max(days)) if days else None


def _table_value(value: float | None, digits: int = 1) -> str:
    return NONE if value is None else number(value, digits)


def _by_day(series: Sequence[Series]) -> tuple[list[date], list[dict[date, float]]]:
    """The days any series has a value on, and each series' values by day (the last of a day)."""
    values = [{p.day: p.value for p in sorted(s.points, key=lambda p: p.day)} for s in series]
    days = sorted({d for v in values for d in v})
    return days, values


# ------------------------------------------------------------------ pain


def pain_chart(
    series: Sequence[Series], *, chart_id: str = "pain-chart", compact: bool = False
) -> Chart:
    """Pain 0-10 over time, one line per source (morning, after a session, NPRS answers)."""
    shown = [s for s in series if s.points]
    title = "Knee pain over time, from 0 (no pain) to 10 (worst imaginable)"
    names = ", ".join(f"{s.name} ({STYLES[i % len(STYLES)][0]}s)" for i, s in enumerate(shown))
    desc = (
        f"Lines: {names}. Lower is better. The same numbers are in the table after the chart."
        if shown
        else "No pain scores yet."
    )
    days, values = _by_day(shown)
    table = Table(
        caption="Pain scores by day (0 to 10)",
        headers=("Date", *(s.name for s in shown)),
        rows=tuple(
            (long_day(d), *(_table_value(v.get(d), 0) for v in values)) for d in reversed(days)
        ),
    )
    span = _span(shown)
    if span is None:
        return Chart(chart_id, title, desc, "", table, empty="No pain scores yet.")
    size = COMPACT if compact else WIDE
    legend, rows = _legend(shown, x=size.left, y=18, width=size.width)
    top = 44 + LEGEND_ROW * (rows - 1)
    frame = _Frame(size.left, size.width - size.labels, top, HEIGHT - 40, span[0], span[1], 0, 10)
    parts = _open(chart_id, size.width, HEIGHT, title, desc)
    parts += legend
    parts += _axes(frame, [(v, str(v)) for v in range(0, 11, 2)], ticks=3 if compact else 5)
    parts.append(_text(frame.left - 6, frame.top - 10, "pain", anchor="end", size=11))
    parts += _lines(frame, shown, label_points=False, digits=0, end_labels=size.end_labels)
    parts.append("</svg>")
    return Chart(chart_id, title, desc, "\n".join(parts), table)


# ------------------------------------------------------------------ instrument scores


def _score_panel(chart_id: str, instrument: str, panel: ScorePanel) -> Chart:
    pts = sorted(panel.points, key=lambda p: p.day)
    title = f"{instrument} {panel.name} over time ({number(panel.low)} to {number(panel.high)}, "
    title += "higher is better)"
    table = Table(
        caption=f"{instrument} {panel.name}",
        headers=("Date", panel.name),
        rows=tuple((long_day(p.day), number(p.value)) for p in reversed(pts)),
    )
    if not pts:
        return Chart(chart_id, title, "No valid score yet.", "", table, empty="No valid score yet.")
    baseline = pts[0].value
    band = ""
    if panel.mcid is not None:
        band = (
            f" The shaded band is the baseline {number(baseline)} plus or minus the minimal "
            f"important change of {number(panel.mcid)} points: a score outside it has changed."
        )
    desc = (
        f"{len(pts)} score{'s' if len(pts) != 1 else ''} from {long_day(pts[0].day)} to "
        f"{long_day(pts[-1].day)}: first {number(baseline)}, latest {number(pts[-1].value)}." + band
    )
    frame = _Frame(
        44, PANEL_WIDTH - 20, 48, PANEL_HEIGHT - 34, pts[0].day, pts[-1].day, panel.low, panel.high
    )
    parts = _open(chart_id, PANEL_WIDTH, PANEL_HEIGHT, title, desc)
    parts.append(_text(10, 18, panel.name, size=14, weight="bold"))
    if panel.mcid is not None:
        top = frame.y(baseline + panel.mcid)
        bottom = frame.y(baseline - panel.mcid)
        parts.append(
            f'<pattern id="{chart_id}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
            'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#8a96a3" '
            'stroke-width="1.5"/></pattern>'
        )
        parts.append(
            f'<rect class="mcid-band" x="{frame.left}" y="{top}" width="{frame.right - frame.left}"'
            f' height="{round(bottom - top, 1)}" fill="url(#{chart_id}-hatch)" stroke="{MUTED}" '
            'stroke-width="1" stroke-dasharray="2 2"/>'
        )
    step = (panel.high - panel.low) / 4
    parts += _axes(
        frame, [(panel.low + step * k, number(panel.low + step * k)) for k in range(5)], ticks=3
    )
    if panel.mcid is not None:
        base_y = frame.y(baseline)
        parts.append(
            f'<line class="baseline" x1="{frame.left}" y1="{base_y}" x2="{frame.right}" '
            f'y2="{base_y}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="6 3"/>'
        )
        parts.append(
            _text(10, 34, f"band: baseline ±{number(panel.mcid)} (MCID)", size=11, fill=MUTED)
        )
    parts += _lines(frame, [Series(panel.name, pts)], label_points=True, end_labels="none")
    parts.append("</svg>")
    return Chart(chart_id, title, desc, "\n".join(parts), table)


def score_charts(
    instrument: str, panels: Sequence[ScorePanel], *, chart_id: str = "score-chart"
) -> ScoreCharts:
    """One panel per scale (same vertical scale for all), and one table of all the scores."""
    charts = [_score_panel(f"{chart_id}-{p.key.replace('_', '-')}", instrument, p) for p in panels]
    series = [Series(p.name, p.points) for p in panels]
    days, values = _by_day(series)
    table = Table(
        caption=f"{instrument} scores by date",
        headers=("Date", *(p.name for p in panels)),
        rows=tuple(
            (long_day(d), *(_table_value(v.get(d)) for v in values)) for d in reversed(days)
        ),
    )
    return ScoreCharts(
        id=chart_id,
        title=f"{instrument} scores over time",
        panels=charts,
        table=table,
        empty="" if days else f"No valid {instrument} score yet.",
    )


# ------------------------------------------------------------------ adherence


def adherence_chart(
    weeks: Sequence[tuple[date, float | None]],
    *,
    adequate: float | None = None,
    chart_id: str = "adherence-chart",
) -> Chart:
    """Bars of the share (%) of due days done each week, with its value written on each bar;
    a week with nothing due says so. A dashed line marks adequate care when given."""
    title = "Share of the exercise days done, week by week (0 to 100%)"
    table = Table(
        caption="Exercise days done each week",
        headers=("Week from", "Share of due days done"),
        rows=tuple(
            (long_day(start), "nothing due" if pct is None else f"{number(pct, 0)}%")
            for start, pct in reversed(weeks)
        ),
    )
    if not any(pct is not None for _, pct in weeks):
        return Chart(
            chart_id, title, "Nothing was due yet.", "", table, empty="Nothing was due yet."
        )
    desc = "Each bar is one week; its height and the number on it are the share of the days "
    desc += "with exercises due that had a finished session."
    if adequate is not None:
        desc += f" The dashed line is {number(adequate, 0)}%, what counts as adequate care."
    desc += " The same numbers are in the table after the chart."
    left, right, top, bottom = 48, WIDTH - 110, 28, HEIGHT - 40
    slot = (right - left) / max(len(weeks), 1)

    def y_of(v: float) -> float:
        return round(bottom - v / 100 * (bottom - top), 1)

    parts = _open(chart_id, WIDTH, HEIGHT, title, desc)
    for v in range(0, 101, 25):
        parts.append(
            f'<line x1="{left}" y1="{y_of(v)}" x2="{right}" y2="{y_of(v)}" stroke="{GRID}" '
            'stroke-width="1"/>'
        )
        parts.append(_text(left - 6, round(y_of(v) + 4, 1), f"{v}%", anchor="end", size=12))
    for i, (start, pct) in enumerate(weeks):
        x = round(left + i * slot + slot * 0.15, 1)
        w = round(slot * 0.7, 1)
        mid = round(x + w / 2, 1)
        if pct is None:
            parts.append(_text(mid, bottom - 6, "none due", anchor="middle", size=11, fill=MUTED))
        else:
            y = y_of(pct)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{w}" height="{round(bottom - y, 1)}" '
                f'fill="#9cc3e8" stroke="{INK}" stroke-width="1" data-percent="{number(pct, 0)}"/>'
            )
            parts.append(
                _text(
                    mid,
                    round(y - 5, 1),
                    f"{number(pct, 0)}%",
                    anchor="middle",
                    size=12,
                    weight="bold",
                )
            )
        if len(weeks) <= 8 or i % 2 == 0 or i == len(weeks) - 1:
            parts.append(_text(mid, bottom + 18, _day(start), anchor="middle", size=11))
    parts.append(
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{INK}" '
        'stroke-width="1"/>'
    )
    if adequate is not None:
        ya = y_of(adequate)
        parts.append(
            f'<line class="adequate" x1="{left}" y1="{ya}" x2="{right}" y2="{ya}" '
            'stroke="#8a1c1c" stroke-width="2" stroke-dasharray="8 5"/>'
        )
        parts.append(
            _text(
                right + 6,
                round(ya + 4, 1),
                f"adequate {number(adequate, 0)}%",
                size=12,
                weight="bold",
                fill="#8a1c1c",
            )
        )
    parts.append("</svg>")
    return Chart(chart_id, title, desc, "\n".join(parts), table)


# ------------------------------------------------------------------ range of motion


def _signed(value: int) -> str:
    return f"{value:+d}°" if value else "0°"


def rom_chart(
    measures: Sequence[RomPoint],
    *,
    full_flexion: RefLine,
    full_extension: RefLine,
    chart_id: str = "rom-chart",
    compact: bool = False,
) -> Chart:
    """Flexion and extension of the treated knee (per side) in degrees over time, against the
    full-range lines. Extension is signed: 0 straight, negative lacking, positive beyond."""
    sides = sorted({m.side for m in measures})
    series: list[Series] = []
    for side in sides:
        mine = [m for m in measures if m.side == side]
        label = f" ({side})" if len(sides) > 1 else ""
        series.append(
            Series(
                f"Flexion{label}", [Point(m.day, m.flexion) for m in mine if m.flexion is not None]
            )
        )
        series.append(
            Series(
                f"Extension{label}",
                [Point(m.day, m.extension) for m in mine if m.extension is not None],
            )
        )
    shown = [s for s in series if s.points]
    title = "Knee range of motion in degrees, against full range"
    table = Table(
        caption="Range of motion measured (degrees; extension: 0 straight, minus = lacking)",
        headers=("Date", "Side", "Flexion", "Extension"),
        rows=tuple(
            (
                long_day(m.day),
                m.side,
                NONE if m.flexion is None else f"{m.flexion}°",
                NONE if m.extension is None else _signed(m.extension),
            )
            for m in sorted(measures, key=lambda m: (m.day, m.side), reverse=True)
        ),
    )
    if not shown:
        return Chart(chart_id, title, "Not measured yet.", "", table, empty="Not measured yet.")
    desc = (
        f"Flexion is the bend of the knee ({full_flexion.label}); extension is how straight it "
        f"goes ({full_extension.label}). Markers: "
        + ", ".join(f"{s.name} {STYLES[i % len(STYLES)][0]}s" for i, s in enumerate(shown))
        + ". The same numbers are in the table after the chart."
    )
    values = [p.value for s in shown for p in s.points]
    low = min(-20.0, *(v - 10 for v in values), full_extension.value - 10)
    high = max(150.0, *(v + 10 for v in values), full_flexion.value + 10)
    low, high = 10 * (low // 10), 10 * -(-high // 10)
    span = _span(shown)
    assert span is not None  # noqa: S101 - shown is not empty
    size = COMPACT if compact else WIDE
    legend, rows = _legend(shown, x=size.left, y=18, width=size.width)
    top = 44 + LEGEND_ROW * (rows - 1)
    frame = _Frame(
        size.left, size.width - size.labels, top, HEIGHT - 40, span[0], span[1], low, high
    )
    parts = _open(chart_id, size.width, HEIGHT, title, desc)
    parts += legend
    ticks = [(v, f"{v}°") for v in range(30 * -(-int(low) // 30), int(high) + 1, 30)]
    parts += _axes(frame, ticks, ticks=3 if compact else 5)
    for ref, cls in ((full_flexion, "full-flexion"), (full_extension, "full-extension")):
        y = frame.y(ref.value)
        parts.append(
            f'<line class="{cls}" x1="{frame.left}" y1="{y}" x2="{frame.right}" y2="{y}" '
            f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="3 3"/>'
        )
        parts.append(_text(frame.left + 4, round(y - 5, 1), ref.label, size=11, fill=MUTED))
    parts += _lines(frame, shown, label_points=False, digits=0, end_labels=size.end_labels)
    parts.append("</svg>")
    return Chart(chart_id, title, desc, "\n".join(parts), table)
