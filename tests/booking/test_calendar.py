"""The schedule's calendar grid (issue 18): time down, clinicians across, one cell per visit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic
from popliteal.booking.calendar import Column, build_grid, week_columns
from popliteal.booking.models import Appointment
from popliteal.demo import CHIRO
from tests.conftest import login
from tests.running.factories import demo_records

ZONE = ZoneInfo("America/Chicago")
DAY = date(2026, 3, 9)


@dataclass(frozen=True)
class Visit:
    clinician: int
    starts: datetime
    minutes: int


def _at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def _grid(visits: list[Visit], columns: tuple[Column, ...]) -> Any:
    return build_grid(
        visits,
        columns,
        column_of=lambda v: (v.starts.date(), v.clinician),
        local_span=lambda v: (v.starts, v.starts + timedelta(minutes=v.minutes)),
    )


def _placed(grid: Any) -> dict[Any, tuple[int, int, int]]:
    """Each visit's (first row, rows spanned, column) as a browser lays the table out."""
    taken: set[tuple[int, int]] = set()
    out = {}
    for r, row in enumerate(grid.rows):
        c = 0
        for cell in row.cells:
            while (r, c) in taken:
                c += 1
            for k in range(cell.rowspan):
                taken.add((r + k, c))
            for v in cell.visits:
                out[v] = (r, cell.rowspan, c)
            c += 1
    return out


def test_each_visit_spans_its_rows_in_its_clinicians_column() -> None:
    columns = week_columns(DAY, 1, [(1, "Ann"), (2, "Ben")])
    a = Visit(1, _at(9), 30)
    b = Visit(2, _at(9, 15), 60)
    grid = _grid([a, b], columns)
    assert grid.rows[0].label == "08:00"
    assert grid.rows[-1].time == "17:45"  # the working day at least
    placed = _placed(grid)
    assert placed[a] == (4, 2, 0)  # 09:00, two 15-minute rows, Ann
    assert placed[b] == (5, 4, 1)  # 09:15, four rows, Ben


def test_touching_or_overlapping_visits_share_a_block_and_early_visits_widen_the_day() -> None:
    columns = week_columns(DAY, 1, [(1, "Ann")])
    a, b = Visit(1, _at(9), 20), Visit(1, _at(9, 20), 20)  # both need the 09:15 row
    early = Visit(1, _at(6, 40), 30)
    grid = _grid([a, b, early], columns)
    assert grid.rows[0].label == "06:00"
    blocks = [cell for row in grid.rows for cell in row.cells if cell.visits]
    assert [cell.visits for cell in blocks] == [(early,), (a, b)]


def test_a_week_has_a_column_per_day_and_clinician_and_skips_visits_not_shown() -> None:
    columns = week_columns(DAY, 7, [(1, "Ann"), (2, "Ben")])
    grid = _grid(
        [Visit(3, _at(10), 30), Visit(2, _at(10, day=DAY + timedelta(days=2)), 30)], columns
    )
    assert [span for _, span in grid.days] == [2] * 7
    placed = _placed(grid)
    assert list(placed.values()) == [(8, 2, 5)]  # Wednesday's second column


@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 24 * 4 - 1), st.integers(5, 240)),
        max_size=12,
    )
)
def test_every_row_fills_every_column_exactly_once(raw: list[tuple[int, int, int]]) -> None:
    """Whatever the visits (double bookings, past midnight), the table stays rectangular."""
    visits = [Visit(c, _at(0) + timedelta(minutes=15 * s), m) for c, s, m in raw]
    columns = week_columns(DAY, 1, [(0, "Ann"), (1, "Ben")])
    grid = _grid(visits, columns)
    filled: dict[int, int] = {}
    for r, row in enumerate(grid.rows):
        for cell in row.cells:
            for k in range(cell.rowspan):
                filled[r + k] = filled.get(r + k, 0) + 1
    assert all(filled.get(r) == len(columns) for r in range(len(grid.rows)))
    assert set(_placed(grid)) == set(visits)


def test_the_schedule_page_shows_the_day_as_a_grid_with_what_a_clinician_needs(
    client: Any, db: Session
) -> None:
    demo = demo_records(db)
    clinic = db.get(Clinic, demo.clinic_id)
    visit = db.get(Appointment, demo.appointment_id)
    assert clinic is not None
    assert visit is not None
    day = visit.starts_at.astimezone(clinic.zone).date()
    db.rollback()
    login(client, CHIRO.email, CHIRO.password)
    page = client.get(
        "/staff/schedule", params={"view": "day", "date": day.isoformat(), "clinician": "all"}
    ).text
    table = page.split('data-calendar="day"')[1].split("</table>")[0]
    heads = re.findall(r'<th scope="col">([^<]+)</th>', table)
    assert heads[0] == "Time"
    assert len(heads) == 3  # both demo clinicians across
    cell = re.search(r'<td rowspan="(\d+)" class="cal-block">(.*?)</td>', table, re.S)
    assert cell is not None
    assert cell.group(1) == "2"  # a 20-minute free screening covers two 15-minute rows
    assert "Jordan Demo" in cell.group(2)
    assert "Free screening" in cell.group(2)
    assert "In the clinic" in cell.group(2)
    note = f"/staff/patients/{demo.patient_id}/notes/new?appointment_id={demo.appointment_id}"
    assert f'href="{note}"' in cell.group(2)
    week = client.get(
        "/staff/schedule", params={"view": "week", "date": day.isoformat(), "clinician": "all"}
    ).text
    assert week.count('scope="colgroup" colspan="2"') == 7
