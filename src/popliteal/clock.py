"""The one clock: every "now" in popliteal comes from `utcnow()`, and every date a person sees
is the clinic's local date from `local_date()`.

A page that builds "today" in UTC while the clinic is in America/Chicago shows yesterday for
six hours of every day; keeping both here makes that mistake impossible to write twice. Tests
pin the clock with time-machine, which moves `datetime.now` for the whole process (the server
thread included), so nothing here needs a test hook of its own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field

UTC_ZONE = "UTC"
# A zone name (the clinic's), a zone itself, or None for UTC.
Zone = str | tzinfo | None


def utcnow() -> datetime:
    """Now, aware and in UTC: the only place popliteal reads the machine's clock."""
    return datetime.now(UTC)


@cache
def zone(name: str | None) -> ZoneInfo:
    """The time zone of this name; UTC when there is none (no clinic known)."""
    return ZoneInfo(name or UTC_ZONE)


def _zone(tz: Zone) -> tzinfo:
    return tz if isinstance(tz, tzinfo) else zone(tz)


def local_date(moment: datetime, tz: Zone) -> date:
    """The calendar date of this instant on the clinic's wall clock."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (UTC)")
    return moment.astimezone(_zone(tz)).date()


def local_today(tz: Zone, now: datetime | None = None) -> date:
    """Today on the clinic's wall clock (at `now`, or at this moment)."""
    return local_date(now or utcnow(), tz)


def day_start(day: date, tz: Zone) -> datetime:
    """The UTC instant the clinic's local day begins (23, 24 or 25 hours before the next)."""
    return datetime.combine(day, time(0, 0), tzinfo=_zone(tz)).astimezone(UTC)


def day_bounds(day: date, tz: Zone) -> tuple[datetime, datetime]:
    """[start, end) of the clinic's local day, as UTC instants."""
    return day_start(day, tz), day_start(day + timedelta(days=1), tz)


def local_time(moment: datetime, tz: Zone, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """An instant written on the clinic's wall clock."""
    return moment.astimezone(_zone(tz)).strftime(fmt)


# A date a person or clinician types for a record (a visit, a measurement, a questionnaire, a
# discharge): a mistyped year such as 0001 or 9999 is refused with a clear 422 before it
# reaches the charts and the episode rules.
EARLIEST_RECORD = date(1990, 1, 1)
LATEST_RECORD = date(2100, 12, 31)
RecordDate = Annotated[date, Field(ge=EARLIEST_RECORD, le=LATEST_RECORD)]
