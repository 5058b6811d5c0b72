"""Pure rules of the home programme: which exercises are due on a day, adherence, pain trend,
and what today's forms still need to ask (the safety checklist, this morning's pain).

No database and no clock: dates and instants are passed in (the clinic's local dates).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import mean
from typing import Any


def due_on(per_week: int, starts_on: date, day: date) -> bool:
    """Is an exercise done `per_week` times a week due on `day`?

    Days are spread evenly through each 7-day cycle that starts on the plan's first day, and
    the first day always counts: for 3 a week, days 1, 4 and 6 of each cycle.
    """
    if day < starts_on:
        return False
    if per_week >= 7:
        return True
    offset = (day - starts_on).days % 7
    return (offset * per_week) % 7 < per_week


def times_on_day(per_week: int) -> int:
    """How many times the exercise is done on a day it is due (twice a day at 14 a week)."""
    return 2 if per_week >= 14 else 1


def due_exercises(
    exercises: Sequence[Mapping[str, Any]], starts_on: date, day: date
) -> list[Mapping[str, Any]]:
    """The prescriptions due on `day`, in the plan's order."""
    return [e for e in exercises if due_on(int(e["per_week"]), starts_on, day)]


@dataclass(frozen=True)
class WeekAdherence:
    week_start: date
    due_days: int
    done_days: int

    @property
    def percent(self) -> float | None:
        """Share of due days with a finished session; None for a week with nothing due."""
        return None if self.due_days == 0 else round(100 * self.done_days / self.due_days, 1)


def weekly_adherence(
    exercises: Sequence[Mapping[str, Any]],
    starts_on: date,
    done_days: Iterable[date],
    *,
    today: date,
    weeks: int = 4,
) -> list[WeekAdherence]:
    """Adherence for each of the last `weeks` 7-day windows ending today, oldest first.

    A due day counts as done when a session was finished that day. Days before the plan began
    are not due, and today counts only once its session is done: the day is not over yet.
    """
    done = set(done_days)
    out: list[WeekAdherence] = []
    for w in range(weeks - 1, -1, -1):
        end = today - timedelta(days=7 * w)
        start = end - timedelta(days=6)
        days = [start + timedelta(days=i) for i in range(7)]
        due = [
            d
            for d in days
            if d >= starts_on
            and (d < today or d in done)
            and due_exercises(exercises, starts_on, d)
        ]
        out.append(WeekAdherence(start, len(due), sum(1 for d in due if d in done)))
    return out


@dataclass(frozen=True)
class PainPoint:
    day: date
    pain: float
    kind: str  # "morning", "before", "after" or "other"


def weekly_pain(
    points: Iterable[PainPoint], *, today: date, weeks: int = 8
) -> list[tuple[date, float | None]]:
    """Mean pain of each of the last `weeks` 7-day windows ending today (None: nothing logged)."""
    pts = list(points)
    out: list[tuple[date, float | None]] = []
    for w in range(weeks - 1, -1, -1):
        end = today - timedelta(days=7 * w)
        start = end - timedelta(days=6)
        values = [p.pain for p in pts if start <= p.day <= end]
        out.append((start, round(mean(values), 1) if values else None))
    return out


def pain_trend(weekly: Sequence[tuple[date, float | None]], *, change: float) -> str:
    """'better', 'worse' or 'steady': the last logged week against the first, by `change` points
    (drafting.yaml's session_pain_rise); 'unknown' with fewer than two logged weeks."""
    values = [v for _, v in weekly if v is not None]
    if len(values) < 2:
        return "unknown"
    delta = values[-1] - values[0]
    if delta <= -change:
        return "better"
    if delta >= change:
        return "worse"
    return "steady"


# ------------------------------------------------------------------ today's answers


@dataclass(frozen=True)
class SafetyAnswer:
    """One safety checklist as sent today: item id -> yes (True) or no (False). An item left
    out was not answered: "Not sure", or a client that sent only part of the list."""

    at: datetime
    answers: Mapping[str, object]


@dataclass(frozen=True)
class SafetyToday:
    answered_at: datetime | None  # when today's answers were given; None: ask the checklist
    to_ask: tuple[str, ...]  # the items the checklist still needs an answer to, in list order
    left_open: bool  # an answer today left items open ("Not sure"): they are asked again


def items_to_ask(answers: Mapping[str, object] | None, items: Sequence[str]) -> list[str]:
    """The checklist items this answer leaves open: not answered yes or no ("Not sure" is not
    an answer), and every item when there is no answer at all."""
    if answers is None:
        return list(items)
    return [i for i in items if not isinstance(answers.get(i), bool)]


def safety_today(answers: Iterable[SafetyAnswer], items: Sequence[str]) -> SafetyToday:
    """Has the safety checklist been answered today, and which items still need asking?

    `answers` are the checklists sent on the clinic's today (a form that did not ask the list
    sends none). The latest one stands: a "Not sure" after a full answer asks again (and wins a
    tie of instants). It counts only when every item of today's list has a yes or no, so an
    item added to the list since is asked too.
    """
    latest = max(answers, key=lambda a: (a.at, bool(items_to_ask(a.answers, items))), default=None)
    if latest is None:
        return SafetyToday(None, tuple(items), left_open=False)
    to_ask = tuple(items_to_ask(latest.answers, items))
    if to_ask:
        return SafetyToday(None, to_ask, left_open=True)
    return SafetyToday(latest.at, (), left_open=False)


def ask_morning_pain(logged_today: int | None) -> bool:
    """Ask this morning's pain only when none is logged on the clinic's today: a later form
    shows the logged score and offers to correct it."""
    return logged_today is None
