"""Instants at the edges of the demo clinic's day, and moving the whole process's clock to them.

The demo clinic keeps America/Chicago's wall clock. Each instant below is written as that wall
clock reads it, is kept in UTC, and names the clinic's date at that moment: the date a person
there would write down. Most sit where the UTC date (or another zone's: Tokyo, Kiritimati)
differs from the clinic's, so a date computed in UTC or in the machine's zone lands on the
wrong day.

Used by tests/test_clock_boundaries.py and the tests/<area>/test_midnight.py modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from starlette.testclient import TestClient

from popliteal.demo import CLINIC_TZ, DemoAccount
from tests.conftest import login

CHICAGO = ZoneInfo(CLINIC_TZ)
ONE_DAY = timedelta(days=1)

TUESDAY = date(2026, 2, 10)  # an ordinary winter Tuesday: CST, UTC-6
WEDNESDAY = TUESDAY + ONE_DAY
SPRING = date(2026, 3, 8)  # Sunday: 02:00 CST -> 03:00 CDT, a 23-hour day
FALL = date(2026, 11, 1)  # Sunday: 02:00 CDT -> 01:00 CST, a 25-hour day


def chicago(day: date, hour: int, minute: int = 0, second: int = 0, *, fold: int = 0) -> datetime:
    """This wall-clock time in the clinic (America/Chicago), as a UTC instant.

    `fold=1` is the second 01:xx of the fall-back day (CST); the default is the first (CDT).
    """
    wall = datetime.combine(day, time(hour, minute, second, fold=fold), tzinfo=CHICAGO)
    return wall.astimezone(UTC)


def noon(day: date) -> datetime:
    """Noon in the clinic on this day: far from both midnights, for arranging records."""
    return chicago(day, 12)


@dataclass(frozen=True)
class Instant:
    id: str  # the test id
    at: datetime  # UTC
    day: date  # the clinic's date at that moment

    def param(self, *values: object) -> Any:
        """This instant (then `values`) as one case of a parametrized test, named by its id."""
        return pytest.param(self, *values, id=self.id)


# The local date flips: 23:59:30 CST Tuesday is already 05:59:30 UTC on Wednesday.
BEFORE_MIDNIGHT = Instant("2359-local-tue", chicago(TUESDAY, 23, 59, 30), TUESDAY)
AFTER_MIDNIGHT = Instant("0000-local-wed", chicago(WEDNESDAY, 0, 0, 30), WEDNESDAY)
# UTC midnight: 18:00:30 CST, still Tuesday in the clinic.
UTC_MIDNIGHT = Instant("0000-utc-wed", datetime(2026, 2, 11, 0, 0, 30, tzinfo=UTC), TUESDAY)
# The 23-hour day: 00:30 CST (06:30 UTC) and 23:30 CDT (04:30 UTC Monday), then 00:00:30 CDT
# Monday (05:00:30 UTC), which a fixed CST offset would put on Sunday.
SPRING_0030 = Instant("spring-0030-cst", chicago(SPRING, 0, 30), SPRING)
SPRING_2330 = Instant("spring-2330-cdt", chicago(SPRING, 23, 30), SPRING)
AFTER_SPRING = Instant(
    "spring-next-0000-cdt", chicago(SPRING + ONE_DAY, 0, 0, 30), SPRING + ONE_DAY
)
# The 25-hour day: 23:30 CDT Saturday (04:30 UTC Sunday), 00:30 CDT (05:30 UTC), 23:30 CST
# (05:30 UTC Monday, which a fixed CDT offset would put on Monday).
BEFORE_FALL = Instant("fall-eve-2330-cdt", chicago(FALL - ONE_DAY, 23, 30), FALL - ONE_DAY)
FALL_0030 = Instant("fall-0030-cdt", chicago(FALL, 0, 30), FALL)
FALL_2330 = Instant("fall-2330-cst", chicago(FALL, 23, 30), FALL)

ALL = (
    BEFORE_MIDNIGHT,
    AFTER_MIDNIGHT,
    UTC_MIDNIGHT,
    SPRING_0030,
    SPRING_2330,
    AFTER_SPRING,
    BEFORE_FALL,
    FALL_0030,
    FALL_2330,
)


def go(clock: time_machine.Traveller, moment: datetime) -> None:
    """Stop the process's clock (the app's too) at this instant."""
    clock.move_to(moment, tick=False)


def log_in(client: TestClient, account: DemoAccount) -> None:
    """A fresh login at the current (moved) clock: a login cookie lasts 12 hours of it."""
    client.cookies.clear()
    client.headers.pop("x-csrf-token", None)  # it belonged to the cleared seed cookie
    login(client, account.email, account.password)


def long_day(day: date) -> str:
    """A date as the outcomes pages write it: '10 Feb 2026'."""
    return f"{day.day} {day:%b %Y}"


def day_label(day: date) -> str:
    """A date as the Today page writes it: 'Tuesday 10 February 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_day(day: date) -> str:
    """A date as the progress and running pages write it: 'Tue 10 Feb'."""
    return f"{day:%a} {day.day} {day:%b}"
