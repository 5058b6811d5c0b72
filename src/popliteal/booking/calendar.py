"""The schedule as a calendar grid: time down, one column per clinician (per day in a week).

Pure: the page passes the visits with their clinic-local times. The grid is an HTML table in
which a visit is one cell spanning its rows, so it needs no positioning styles (the page's
Content-Security-Policy allows none inline) and a screen reader reads it as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Generic, TypeVar

V = TypeVar("V")

SLOT_MINUTES = 15
# The grid shows at least the working day; visits outside it widen it to the whole hour.
DAY_FROM = time(8, 0)
DAY_UNTIL = time(18, 0)
MINUTES_IN_DAY = 24 * 60


@dataclass(frozen=True)
class Column:
    day: date
    clinician_id: int
    clinician_name: str


@dataclass(frozen=True)
class Cell(Generic[V]):
    """One table cell: a block of visits spanning `rowspan` rows, or one empty slot."""

    rowspan: int
    visits: tuple[V, ...] = ()


@dataclass(frozen=True)
class Row(Generic[V]):
    label: str  # "08:00"; empty between half hours, to keep the grid readable
    time: str  # every row's time, for the row header's accessible name
    cells: tuple[Cell[V], ...]  # only the cells that start in this row


@dataclass(frozen=True)
class Grid(Generic[V]):
    columns: tuple[Column, ...]
    days: tuple[tuple[date, int], ...]  # each day and how many columns it spans
    rows: tuple[Row[V], ...]


def _minutes(moment: datetime, day: date) -> int:
    """Minutes from the start of `day` (local), clipped to the day."""
    start = datetime.combine(day, time(0), tzinfo=moment.tzinfo)
    return max(0, min(MINUTES_IN_DAY, int((moment - start).total_seconds() // 60)))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def build_grid(
    visits: Sequence[V],
    columns: Sequence[Column],
    *,
    column_of: Callable[[V], tuple[date, int]],
    local_span: Callable[[V], tuple[datetime, datetime]],
) -> Grid[V]:
    """Lay the visits out in a grid of `SLOT_MINUTES` rows and the given columns.

    Visits that overlap in one column (a double booking) share one block, so nothing is hidden.
    A visit that runs past midnight is shown up to the end of its day.
    """
    index = {(c.day, c.clinician_id): i for i, c in enumerate(columns)}
    spans: list[list[tuple[int, int, V]]] = [[] for _ in columns]
    for v in visits:
        key = column_of(v)
        if key not in index:
            continue
        starts, ends = local_span(v)
        first = _minutes(starts, key[0])
        last = max(_minutes(ends, key[0]), first + SLOT_MINUTES)
        spans[index[key]].append((first, min(last, MINUTES_IN_DAY), v))
    earliest = min((s for col in spans for s, _, _ in col), default=MINUTES_IN_DAY)
    latest = max((e for col in spans for _, e, _ in col), default=0)
    grid_from = min(DAY_FROM.hour * 60, earliest // 60 * 60)
    grid_until = max(DAY_UNTIL.hour * 60, -(-latest // 60) * 60)
    slots = (grid_until - grid_from) // SLOT_MINUTES

    starts_at: list[dict[int, Cell[V]]] = []
    for col in spans:
        # In rows: two visits that touch one 15-minute row share a block (09:00-09:20 and
        # 09:20-09:40 both need the 09:15 row).
        in_rows = sorted(
            (
                ((first - grid_from) // SLOT_MINUTES, -(-(last - grid_from) // SLOT_MINUTES), v)
                for first, last, v in col
            ),
            key=lambda item: (item[0], item[1]),
        )
        blocks: dict[int, Cell[V]] = {}
        cluster: list[tuple[int, int, V]] = []
        for item in in_rows:
            if cluster and item[0] >= max(e for _, e, _ in cluster):
                _close(cluster, blocks)
                cluster = []
            cluster.append(item)
        if cluster:
            _close(cluster, blocks)
        starts_at.append(blocks)

    rows: list[Row[V]] = []
    covered_until = [0] * len(columns)
    for r in range(slots):
        cells: list[Cell[V]] = []
        for c, blocks in enumerate(starts_at):
            if r in blocks:
                cells.append(blocks[r])
                covered_until[c] = r + blocks[r].rowspan
            elif r >= covered_until[c]:
                cells.append(Cell(1))
        minutes = grid_from + r * SLOT_MINUTES
        label = _clock(minutes) if minutes % 30 == 0 else ""
        rows.append(Row(label, _clock(minutes), tuple(cells)))
    days: list[tuple[date, int]] = []
    for column in columns:
        if days and days[-1][0] == column.day:
            days[-1] = (column.day, days[-1][1] + 1)
        else:
            days.append((column.day, 1))
    return Grid(tuple(columns), tuple(days), tuple(rows))


def _close(cluster: list[tuple[int, int, V]], blocks: dict[int, Cell[V]]) -> None:
    row = min(s for s, _, _ in cluster)
    end_row = max(e for _, e, _ in cluster)
    blocks[row] = Cell(max(1, end_row - row), tuple(v for _, _, v in cluster))


def week_columns(
    first_day: date, days: int, clinicians: Sequence[tuple[int, str]]
) -> tuple[Column, ...]:
    """Each day in turn, with one column per clinician shown."""
    return tuple(
        Column(first_day + timedelta(days=d), cid, name)
        for d in range(days)
        for cid, name in clinicians
    )
