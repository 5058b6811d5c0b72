"""Pure booking rules: free slots from weekly availability, and the change policy.

No database and no clock: the caller passes `now`. Availability blocks are wall times in the
clinic's zone; slots come out as aware UTC datetimes.

Slot grid: a slot may start every SLOT_STEP_MINUTES (15) minutes of real time from the start
of its block, or every `minutes` when the appointment is shorter than that, so short visits can
sit back to back. Stepping in real time (not wall time) means a block that spans a clock change
yields only times that exist: on the spring-forward day (America/Chicago, 2026-03-08) a block
02:00-04:00 wall time is one real hour long and offers no 02:xx slot; on the fall-back day
(2026-11-01) the repeated hour 01:00-02:00 is offered twice, once per offset.
A block boundary that does not exist (in the spring-forward gap) moves to the first wall time
that exists; an ambiguous one (in the repeated hour) means its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from popliteal import clock

SLOT_STEP_MINUTES = 15


@dataclass(frozen=True)
class Block:
    """A weekly availability block: weekday 0 = Monday, wall times in the clinic's zone."""

    clinician_id: int
    weekday: int
    start: time
    end: time
    modes: tuple[str, ...]


@dataclass(frozen=True)
class Busy:
    """A booked appointment of one clinician: [starts_at, ends_at) in UTC."""

    clinician_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime
    clinician_id: int
    ends_at: datetime


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def wall_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """This wall time on this day in UTC; a time in a spring-forward gap moves past the gap."""
    naive = datetime.combine(day, wall)
    # Gaps are whole minutes (at most a few hours), so this walk ends quickly.
    while not _exists(naive, zone):
        naive += timedelta(minutes=1)
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def step_minutes(minutes: int) -> int:
    """Minutes between candidate starts for a visit of this length."""
    return min(SLOT_STEP_MINUTES, minutes)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals [a_start, a_end) and [b_start, b_end) share a moment."""
    return a_start < b_end and b_start < a_end


def booking_window(
    *, now: datetime, min_notice_hours: int, horizon_days: int
) -> tuple[datetime, datetime]:
    """Earliest and latest start a person may book at `now`."""
    return now + timedelta(hours=min_notice_hours), now + timedelta(days=horizon_days)


def free_slots(
    *,
    blocks: Iterable[Block],
    busy: Sequence[Busy],
    tz: str,
    minutes: int,
    mode: str,
    type_modes: Sequence[str],
    first_day: date,
    last_day: date,
    now: datetime,
    min_notice_hours: int,
    horizon_days: int,
    clinician_id: int | None = None,
) -> list[Slot]:
    """Every free slot for a visit of `minutes` in `mode`, days first_day..last_day (clinic days).

    A slot lies inside one availability block that allows the mode (and the type must offer
    it), overlaps no booked appointment of its clinician, starts no earlier than the minimum
    notice and no later than the booking horizon. Sorted by start, then clinician.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if mode not in type_modes or minutes <= 0:
        return []
    zone = clock.zone(tz)
    earliest, latest = booking_window(
        now=now, min_notice_hours=min_notice_hours, horizon_days=horizon_days
    )
    length = timedelta(minutes=minutes)
    step = timedelta(minutes=step_minutes(minutes))
    by_clinician: dict[int, list[Busy]] = {}
    for b in busy:
        by_clinician.setdefault(b.clinician_id, []).append(b)
    usable = [
        b
        for b in blocks
        if mode in b.modes and (clinician_id is None or b.clinician_id == clinician_id)
    ]
    found: set[Slot] = set()
    day = first_day
    while day <= last_day:
        for block in usable:
            if block.weekday != day.weekday():
                continue
            block_start = wall_to_utc(day, block.start, zone)
            block_end = wall_to_utc(day, block.end, zone)
            taken = by_clinician.get(block.clinician_id, [])
            start = block_start
            while start + length <= block_end:
                end = start + length
                if earliest <= start <= latest and not any(
                    overlaps(start, end, t.starts_at, t.ends_at) for t in taken
                ):
                    found.add(Slot(starts_at=start, clinician_id=block.clinician_id, ends_at=end))
                start += step
        day += timedelta(days=1)
    return sorted(found)


def may_change(starts_at: datetime, now: datetime, cancel_notice_hours: int) -> bool:
    """A patient may cancel or move a visit up to `cancel_notice_hours` before it starts."""
    return now <= starts_at - timedelta(hours=cancel_notice_hours)


def change_refusal(
    *, starts_at: datetime, status: str, now: datetime, cancel_notice_hours: int
) -> str | None:
    """Why a patient may not change this visit online now, or None when they may."""
    if status != "booked":
        return "This visit is already cancelled."
    if starts_at <= now:
        return "This visit is in the past."
    if not may_change(starts_at, now, cancel_notice_hours):
        return (
            f"Visits can be changed online up to {cancel_notice_hours} hours before they "
            "start. Please call the clinic."
        )
    return None


def screening_refusal(*, urgency: str, status: str) -> str | None:
    """Why a screening with this outcome cannot lead to a booking, or None when it can.

    Emergency and urgent outcomes need other care first (the red-flag rules decide the
    urgency, see screening/triage.py); a clinic visit must not stand in for it.
    """
    if status != "complete":
        return "Please finish the screening first, then book."
    if urgency == "emergency":
        return (
            "Your answers point to a possible emergency. Seek emergency care now: call your "
            "local emergency number or go to the nearest emergency room. Online booking is not "
            "offered for this screening."
        )
    if urgency == "urgent":
        return (
            "Your answers mean you should see a doctor within the next few days. Please do "
            "that first. Online booking is not offered for this screening."
        )
    return None


def screening_choice_label(taken_at: datetime, *, tz: clock.Zone, now: datetime) -> str:
    """How the booking page offers a screening, on the clinic's wall clock.

    "Use my screening from 10:42 today" (or "yesterday", or the date when older): the time
    lets the person tell their own screening from someone else's on a shared browser.
    """
    day = clock.local_date(taken_at, tz)
    today = clock.local_date(now, tz)
    at = clock.local_time(taken_at, tz, "%H:%M")
    if day == today:
        when = f"{at} today"
    elif day == today - timedelta(days=1):
        when = f"{at} yesterday"
    else:
        when = clock.local_time(taken_at, tz, "%a %d %b %Y, %H:%M")
    return f"Use my screening from {when}"


def row_id(text: str) -> int | None:
    """The number in `text` if it is a plain ASCII row id ("²".isdigit() is True too), else None."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None
