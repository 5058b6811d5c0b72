"""What an outcome chart is made of, and the SVG pieces every chart is drawn with.

Pure: no database, no clock. Every chart is a `Chart`: the SVG text (with its own <title> and
<desc>), and a `Table` of the same numbers that the page puts next to it. Series differ by
marker shape and dash pattern and carry their name at the end of the line, so nothing depends
on telling colours apart; the colours only help.

The charts themselves: `pain_chart.py` (pain 0-10 over time), `score_charts.py` (one panel per
scale of an instrument), `adherence_chart.py` (share of the due days done each week) and
`rom_chart.py` (knee flexion and extension against full range). Weekly running distance reuses
running/chart.py and its template macro.
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
class Frame:
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


def day_label(day: date, *, year: bool = False) -> str:
    """A date for axes: '3 Mar', with the year when asked."""
    return f"{day.day} {day:%b}" + (f" {day:%Y}" if year else "")


def long_day(day: date) -> str:
    """A date for tables: '3 Mar 2025'."""
    return day_label(day, year=True)


def signed_degrees(value: int) -> str:
    """An extension angle: '+5°', '-10°' or '0°'."""
    return f"{value:+d}°" if value else "0°"


def _a(value: object) -> str:
    return quoteattr(str(value))


def svg_text(
    x: float,
    y: float,
    body: str,
    *,
    anchor: str = "start",
    size: int = FONT,
    weight: str = "",
    fill: str = INK,
) -> str:
    """A <text> element, its body escaped."""
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


def open_svg(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    """The <svg> opening with its <title> and <desc>, labelled for screen readers."""
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


def draw_axes(frame: Frame, y_ticks: Sequence[tuple[float, str]], *, ticks: int = 5) -> list[str]:
    """The grid lines with their labels, the bottom axis and its date ticks."""
    out: list[str] = []
    for value, label in y_ticks:
        y = frame.y(value)
        out.append(
            f'<line x1="{frame.left}" y1="{y}" x2="{frame.right}" y2="{y}" stroke="{GRID}" '
            'stroke-width="1"/>'
        )
        out.append(svg_text(frame.left - 6, round(y + 4, 1), label, anchor="end", size=12))
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
        out.append(
            svg_text(x, frame.bottom + 18, day_label(day, year=year), anchor="middle", size=12)
        )
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


def draw_lines(
    frame: Frame,
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
                    svg_text(
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
                out.append(
                    svg_text(frame.right + 8, round(y + 4, 1), label, size=12, weight="bold")
                )
            else:
                out.append(marker(shape, frame.right + 12, y, colour, size=4))
                out.append(
                    svg_text(frame.right + 20, round(y + 4, 1), label, size=12, weight="bold")
                )
    return out


LEGEND_ROW = 18


def draw_legend(
    series: Sequence[Series], *, x: float, y: float, width: float
) -> tuple[list[str], int]:
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
        out.append(svg_text(x + 34, y + 4, s.name, size=12))
        x += size
    return out, rows


@dataclass(frozen=True)
class Size:
    """A line chart's canvas: wide for the clinician, compact (a phone) for the person."""

    width: int
    left: int
    labels: int  # room right of the plot for the end labels
    end_labels: str


WIDE = Size(WIDTH, 56, LABELS, "name")
COMPACT = Size(COMPACT_WIDTH, 40, 48, "value")


def date_span(series: Sequence[Series]) -> tuple[date, date] | None:
    """The first and last day any series has a point on (None when none has)."""
    days = [p.day for s in series for p in s.points]
    return (min(days), max(days)) if days else None


def table_value(value: float | None, digits: int = 1) -> str:
    """A table cell: the number, or a dash when there is none."""
    return NONE if value is None else number(value, digits)


def values_by_day(series: Sequence[Series]) -> tuple[list[date], list[dict[date, float]]]:
    """The days any series has a value on, and each series' values by day (the last of a day)."""
    values = [{p.day: p.value for p in sorted(s.points, key=lambda p: p.day)} for s in series]
    days = sorted({d for v in values for d in v})
    return days, values
