"""The pain chart: pain 0-10 over time, one line per source (morning pain, pain after a
session, NPRS answers), wide for the clinician or compact for a phone."""

from __future__ import annotations

from collections.abc import Sequence

from popliteal.outcomes.chart import (
    COMPACT,
    HEIGHT,
    LEGEND_ROW,
    STYLES,
    WIDE,
    Chart,
    Frame,
    Series,
    Table,
    date_span,
    draw_axes,
    draw_legend,
    draw_lines,
    long_day,
    open_svg,
    svg_text,
    table_value,
    values_by_day,
)


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
    days, values = values_by_day(shown)
    table = Table(
        caption="Pain scores by day (0 to 10)",
        headers=("Date", *(s.name for s in shown)),
        rows=tuple(
            (long_day(d), *(table_value(v.get(d), 0) for v in values)) for d in reversed(days)
        ),
    )
    span = date_span(shown)
    if span is None:
        return Chart(chart_id, title, desc, "", table, empty="No pain scores yet.")
    size = COMPACT if compact else WIDE
    legend, rows = draw_legend(shown, x=size.left, y=18, width=size.width)
    top = 44 + LEGEND_ROW * (rows - 1)
    frame = Frame(size.left, size.width - size.labels, top, HEIGHT - 40, span[0], span[1], 0, 10)
    parts = open_svg(chart_id, size.width, HEIGHT, title, desc)
    parts += legend
    parts += draw_axes(frame, [(v, str(v)) for v in range(0, 11, 2)], ticks=3 if compact else 5)
    parts.append(svg_text(frame.left - 6, frame.top - 10, "pain", anchor="end", size=11))
    parts += draw_lines(frame, shown, label_points=False, digits=0, end_labels=size.end_labels)
    parts.append("</svg>")
    return Chart(chart_id, title, desc, "\n".join(parts), table)
