"""The range-of-motion chart: flexion and extension of the treated knee (per side) in degrees
over time, against the full-range lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from popliteal.outcomes.chart import (
    COMPACT,
    HEIGHT,
    INK,
    LEGEND_ROW,
    MUTED,
    NONE,
    STYLES,
    WIDE,
    Chart,
    Frame,
    Point,
    Series,
    Table,
    date_span,
    draw_axes,
    draw_legend,
    draw_lines,
    long_day,
    open_svg,
    signed_degrees,
    svg_text,
)


@dataclass(frozen=True)
class RefLine:
    """A horizontal reference (full flexion, full extension), labelled in words."""

    value: float
    label: str


@dataclass(frozen=True)
class RomPoint:
    day: date
    side: str
    flexion: int | None
    extension: int | None


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
                NONE if m.extension is None else signed_degrees(m.extension),
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
    span = date_span(shown)
    assert span is not None  # noqa: S101 - shown is not empty
    size = COMPACT if compact else WIDE
    legend, rows = draw_legend(shown, x=size.left, y=18, width=size.width)
    top = 44 + LEGEND_ROW * (rows - 1)
    frame = Frame(
        size.left, size.width - size.labels, top, HEIGHT - 40, span[0], span[1], low, high
    )
    parts = open_svg(chart_id, size.width, HEIGHT, title, desc)
    parts += legend
    ticks = [(v, f"{v}°") for v in range(30 * -(-int(low) // 30), int(high) + 1, 30)]
    parts += draw_axes(frame, ticks, ticks=3 if compact else 5)
    for ref, cls in ((full_flexion, "full-flexion"), (full_extension, "full-extension")):
        y = frame.y(ref.value)
        parts.append(
            f'<line class="{cls}" x1="{frame.left}" y1="{y}" x2="{frame.right}" y2="{y}" '
            f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="3 3"/>'
        )
        parts.append(svg_text(frame.left + 4, round(y - 5, 1), ref.label, size=11, fill=MUTED))
    parts += draw_lines(frame, shown, label_points=False, digits=0, end_labels=size.end_labels)
    parts.append("</svg>")
    return Chart(chart_id, title, desc, "\n".join(parts), table)
