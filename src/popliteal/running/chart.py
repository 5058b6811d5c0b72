"""The weekly distance chart, laid out for a server-rendered SVG (no JavaScript, no colour needed).

Bars are weekly distance with their value written on top; a dashed line marks the weekly
distance flagged while symptomatic; diamonds are the highest pain during a run that week on
the 0-10 scale at the right. The page puts the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT = 720, 300
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 48, 24, 44
MAX_WEEKS = 12


@dataclass(frozen=True)
class Week:
    start: date
    end: date
    distance: float  # in the page's unit
    max_pain: int | None
    runs: int

    @property
    def label(self) -> str:
        """The week as its own dates (1-7 Dec), as the chart writes it under the bar."""
        return week_words(self.start, self.end)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    week_label: str  # the whole week, 29 Nov-5 Dec
    week_from: str  # its first day, on the first line under the bar: 29 Nov-
    week_to: str  # its last day, on the second line: 5 Dec


@dataclass(frozen=True)
class PainMark:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class LoadChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bars: list[Bar]
    pain: list[PainMark]
    limit_y: float
    limit_label: str
    y_ticks: list[tuple[float, str]]
    pain_ticks: list[tuple[float, int]]


def weeks_of(
    weekly_totals: Sequence[float],
    today: date,
    runs: Sequence[tuple[date, int | None]],
    *,
    max_weeks: int = MAX_WEEKS,
) -> list[Week]:
    """The last weeks, each the 7 days ending on today minus a multiple of 7 (as the totals)."""
    shown = list(weekly_totals)[-max_weeks:]
    weeks: list[Week] = []
    for back, total in enumerate(reversed(shown)):
        end = today - timedelta(days=7 * back)
        start = end - timedelta(days=6)
        inside = [pain for day, pain in runs if start <= day <= end]
        pains = [p for p in inside if p is not None]
        weeks.append(Week(start, end, total, max(pains) if pains else None, len(inside)))
    return list(reversed(weeks))


def week_words(start: date, end: date) -> str:
    """A week as its own dates, so a bar reads as the days it holds: 1-7 Dec, 29 Nov-5 Dec."""
    if start.month == end.month:
        return f"{start.day}\u2013{end.day} {end:%b}"
    return f"{start.day} {start:%b}\u2013{end.day} {end:%b}"


def _nice_top(value: float) -> float:
    for step in (5, 10, 20, 25, 50, 100, 200, 500):
        if value <= step * 5:
            return float(step * ((int(value) // step) + 1))
    return float(int(value) + 1)


def load_chart(weeks: Sequence[Week], *, limit: float, unit: str) -> LoadChart:
    """Lay out the weekly bars, the flagged-level line and the pain marks."""
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    y_max = _nice_top(max([limit, *(w.distance for w in weeks)]) * 1.1)
    slot = (right - left) / max(len(weeks), 1)

    def y_of(value: float) -> float:
        return round(bottom - value / y_max * (bottom - top), 1)

    def pain_y(value: int) -> float:
        return round(bottom - value / 10 * (bottom - top), 1)

    bars: list[Bar] = []
    pain: list[PainMark] = []
    for i, w in enumerate(weeks):
        x = round(left + i * slot + slot * 0.15, 1)
        y = y_of(w.distance)
        bars.append(
            Bar(
                x=x,
                y=y,
                width=round(slot * 0.7, 1),
                height=round(bottom - y, 1),
                label=f"{w.distance:.1f}",
                week_label=week_words(w.start, w.end),
                week_from=f"{w.start.day} {w.start:%b}\u2013",
                week_to=f"{w.end.day} {w.end:%b}",
            )
        )
        if w.max_pain is not None:
            pain.append(PainMark(round(x + slot * 0.35, 1), pain_y(w.max_pain), str(w.max_pain)))
    step = y_max / 5
    return LoadChart(
        width=WIDTH,
        height=HEIGHT,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        bars=bars,
        pain=pain,
        limit_y=y_of(limit),
        limit_label=f"{limit:.1f} {unit} a week",
        y_ticks=[(y_of(step * k), f"{step * k:g}") for k in range(6)],
        pain_ticks=[(pain_y(v), v) for v in (0, 5, 10)],
    )
