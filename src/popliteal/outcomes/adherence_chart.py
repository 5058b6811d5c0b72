"""The adherence chart: bars of the share of the due exercise days done each week, with the
adequate-care line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from popliteal.outcomes.chart import (
    GRID,
    HEIGHT,
    INK,
    MUTED,
    WIDTH,
    Chart,
    Table,
    day_label,
    long_day,
    number,
    open_svg,
    svg_text,
)


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

    parts = open_svg(chart_id, WIDTH, HEIGHT, title, desc)
    for v in range(0, 101, 25):
        parts.append(
            f'<line x1="{left}" y1="{y_of(v)}" x2="{right}" y2="{y_of(v)}" stroke="{GRID}" '
            'stroke-width="1"/>'
        )
        parts.append(svg_text(left - 6, round(y_of(v) + 4, 1), f"{v}%", anchor="end", size=12))
    for i, (start, pct) in enumerate(weeks):
        x = round(left + i * slot + slot * 0.15, 1)
        w = round(slot * 0.7, 1)
        mid = round(x + w / 2, 1)
        if pct is None:
            parts.append(
                svg_text(mid, bottom - 6, "none due", anchor="middle", size=11, fill=MUTED)
            )
        else:
            y = y_of(pct)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{w}" height="{round(bottom - y, 1)}" '
                f'fill="#9cc3e8" stroke="{INK}" stroke-width="1" data-percent="{number(pct, 0)}"/>'
            )
            parts.append(
                svg_text(
                    mid,
                    round(y - 5, 1),
                    f"{number(pct, 0)}%",
                    anchor="middle",
                    size=12,
                    weight="bold",
                )
            )
        if len(weeks) <= 8 or i % 2 == 0 or i == len(weeks) - 1:
            parts.append(svg_text(mid, bottom + 18, day_label(start), anchor="middle", size=11))
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
            svg_text(
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
