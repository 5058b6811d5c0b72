"""The one clock: the only reader of the machine's clock, and the clinic's local dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from popliteal import clock

SRC = Path(__file__).resolve().parents[1] / "src" / "popliteal"
CHICAGO = "America/Chicago"


def test_nothing_but_the_clock_module_reads_the_machine_clock_or_builds_a_zone() -> None:
    """A second reader of "now", or a zone built by hand, is how UTC dates reach a page."""
    forbidden = re.compile(
        r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|time\.time\(|ZoneInfo\("
    )
    found = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "clock.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Chicago is UTC-6 in winter: the local date flips at 06:00 UTC, not at 00:00 UTC.
        (datetime(2026, 12, 8, 5, 59, 30, tzinfo=UTC), date(2026, 12, 7)),
        (datetime(2026, 12, 8, 6, 0, 30, tzinfo=UTC), date(2026, 12, 8)),
        (datetime(2026, 12, 8, 0, 0, 30, tzinfo=UTC), date(2026, 12, 7)),
        # Summer time (UTC-5) flips at 05:00 UTC.
        (datetime(2026, 7, 1, 4, 59, 30, tzinfo=UTC), date(2026, 6, 30)),
        (datetime(2026, 7, 1, 5, 0, 30, tzinfo=UTC), date(2026, 7, 1)),
    ],
)
def test_today_is_the_clinics_date_whatever_the_machine_clock_and_tz(
    instant: datetime, expected: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    for machine_tz in ("Asia/Tokyo", "Pacific/Kiritimati", "America/Los_Angeles", "UTC"):
        monkeypatch.setenv("TZ", machine_tz)
        time.tzset()
        with time_machine.travel(instant, tick=False):
            assert clock.local_today(CHICAGO) == expected
            assert clock.local_date(clock.utcnow(), CHICAGO) == expected
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (date(2026, 3, 8), 23),  # clocks go forward at 02:00: a 23-hour day
        (date(2026, 11, 1), 25),  # clocks go back at 02:00: a 25-hour day
        (date(2026, 12, 7), 24),
    ],
)
def test_a_local_day_lasts_23_24_or_25_hours_across_daylight_saving(day: date, hours: int) -> None:
    start, end = clock.day_bounds(day, CHICAGO)
    assert end - start == timedelta(hours=hours)
    assert clock.local_date(start, CHICAGO) == day
    assert clock.local_date(end - timedelta(seconds=1), CHICAGO) == day
    assert clock.local_date(end, CHICAGO) == day + timedelta(days=1)


# hypothesis takes naive bounds and attaches the zone it is given
YEARS = {"min_value": datetime(2000, 1, 1), "max_value": datetime(2100, 1, 1)}  # noqa: DTZ001


@given(st.datetimes(**YEARS, timezones=st.just(UTC)))
def test_every_instant_lies_inside_the_local_day_it_is_dated(instant: datetime) -> None:
    day = clock.local_date(instant, CHICAGO)
    start, end = clock.day_bounds(day, CHICAGO)
    assert start <= instant < end


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        clock.local_date(datetime(2026, 12, 7, 12, 0), CHICAGO)  # noqa: DTZ001


def test_times_are_written_on_the_clinics_wall_clock() -> None:
    instant = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)  # after the fall-back change
    assert clock.local_time(instant, CHICAGO, "%Y-%m-%d %H:%M %Z") == "2026-11-01 01:30 CST"
    assert clock.local_time(instant, None, "%H:%M") == "07:30"
