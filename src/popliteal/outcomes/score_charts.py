"""An instrument's scores over time: one small panel per scale (KOOS subscales, LEFS total,
IKDC score), each with the MCID band drawn around the first (baseline) score, and one table of
all the scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from popliteal.outcomes.chart import (
    INK,
    MUTED,
    Chart,
    Frame,
    Point,
    Series,
    Table,
    draw_axes,
    draw_lines,
    long_day,
    number,
    open_svg,
    svg_text,
    table_value,
    values_by_day,
)

PANEL_WIDTH, PANEL_HEIGHT = 320, 220


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
    frame = Frame(
        44, PANEL_WIDTH - 20, 48, PANEL_HEIGHT - 34, pts[0].day, pts[-1].day, panel.low, panel.high
    )
    parts = open_svg(chart_id, PANEL_WIDTH, PANEL_HEIGHT, title, desc)
    heading, aside = _heading(panel)
    parts.append(svg_text(10, 18, heading, size=14, weight="bold"))
    if aside:
        parts.append(svg_text(10, 34, aside, size=11, fill=MUTED))
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
    parts += draw_axes(
        frame, [(panel.low + step * k, number(panel.low + step * k)) for k in range(5)], ticks=3
    )
    if panel.mcid is not None:
        base_y = frame.y(baseline)
        parts.append(
            f'<line class="baseline" x1="{frame.left}" y1="{base_y}" x2="{frame.right}" '
            f'y2="{base_y}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="6 3"/>'
        )
        parts.append(
            svg_text(
                10,
                34,
                f"band: first score ±{number(panel.mcid)}, a real change",
                size=11,
                fill=MUTED,
            )
        )
    parts += draw_lines(frame, [Series(panel.name, pts)], label_points=True, end_labels="none")
    parts.append("</svg>")
    return Chart(chart_id, title, desc, "\n".join(parts), table)


# About the widest bold heading a panel holds at 14 px ("Knee-related quality of life" fits).
HEADING_CHARS = 36


def _heading(panel: ScorePanel) -> tuple[str, str]:
    """The panel's bold heading and a smaller second line: a long name with a bracketed part
    ("KOOS4 (mean of …)") is split there when that line is free (no MCID band caption), so it
    is not cut off at the panel's edge on a phone."""
    head, bracket, rest = panel.name.partition(" (")
    if len(panel.name) <= HEADING_CHARS or not bracket or panel.mcid is not None:
        return panel.name, ""
    return head, f"({rest}"


def score_charts(
    instrument: str, panels: Sequence[ScorePanel], *, chart_id: str = "score-chart"
) -> ScoreCharts:
    """One panel per scale (same vertical scale for all), and one table of all the scores."""
    charts = [_score_panel(f"{chart_id}-{p.key.replace('_', '-')}", instrument, p) for p in panels]
    series = [Series(p.name, p.points) for p in panels]
    days, values = values_by_day(series)
    table = Table(
        caption=f"{instrument} scores by date",
        headers=("Date", *(p.name for p in panels)),
        rows=tuple((long_day(d), *(table_value(v.get(d)) for v in values)) for d in reversed(days)),
    )
    return ScoreCharts(
        id=chart_id,
        title=f"{instrument} scores over time",
        panels=charts,
        table=table,
        empty="" if days else f"No valid {instrument} score yet.",
    )
