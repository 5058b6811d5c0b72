"""Home-programme rules: due days, adherence by week, pain by week and its trend."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from popliteal.sessions.rules import (
    PainPoint,
    WeekAdherence,
    due_exercises,
    due_on,
    pain_trend,
    times_on_day,
    weekly_adherence,
    weekly_pain,
)

START = date(2026, 11, 2)  # a Monday


@given(
    per_week=st.integers(1, 14),
    start=st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    week=st.integers(0, 100),
)
def test_an_exercise_is_due_exactly_per_week_days_in_every_cycle(
    per_week: int, start: date, week: int
) -> None:
    first = start + timedelta(days=7 * week)
    days = [first + timedelta(days=i) for i in range(7)]
    assert sum(due_on(per_week, start, d) for d in days) == min(per_week, 7)
    assert due_on(per_week, start, start)  # the plan's first day always has work


def test_three_a_week_is_spread_out_and_nothing_is_due_before_the_plan() -> None:
    days = [START + timedelta(days=i) for i in range(7)]
    assert [due_on(3, START, d) for d in days] == [True, False, False, True, False, True, False]
    assert not due_on(7, START, START - timedelta(days=1))


def test_twice_a_week_plus_daily_exercise_lists_only_what_is_due() -> None:
    plan = [{"id": "a", "per_week": 7}, {"id": "b", "per_week": 2}, {"id": "c", "per_week": 14}]
    assert [e["id"] for e in due_exercises(plan, START, START)] == ["a", "b", "c"]
    assert [e["id"] for e in due_exercises(plan, START, START + timedelta(days=1))] == ["a", "c"]
    assert times_on_day(14) == 2
    assert times_on_day(7) == 1


def test_adherence_counts_due_days_with_a_finished_session() -> None:
    plan = [{"id": "a", "per_week": 3}]
    today = START + timedelta(days=13)  # end of the second week
    done = [START, START + timedelta(days=3), START + timedelta(days=7)]
    weeks = weekly_adherence(plan, START, done, today=today, weeks=2)
    assert weeks == [
        WeekAdherence(START, 3, 2),
        WeekAdherence(START + timedelta(days=7), 3, 1),
    ]
    assert weeks[0].percent == 66.7
    assert weeks[1].percent == 33.3


def test_a_week_before_the_plan_began_has_nothing_due() -> None:
    weeks = weekly_adherence([{"id": "a", "per_week": 7}], START, [], today=START, weeks=2)
    assert weeks[0].due_days == 0
    assert weeks[0].percent is None
    assert weeks[1].due_days == 0  # today is not over: it counts once its session is done
    assert weeks[1].percent is None
    (later,) = weekly_adherence(
        [{"id": "a", "per_week": 7}], START, [], today=START + timedelta(days=1), weeks=1
    )
    assert later.due_days == 1  # yesterday was missed
    assert later.percent == 0.0
    (done,) = weekly_adherence([{"id": "a", "per_week": 7}], START, [START], today=START, weeks=1)
    assert done.percent == 100.0


def test_a_session_on_a_rest_day_does_not_raise_adherence_above_100() -> None:
    plan = [{"id": "a", "per_week": 1}]
    done = [START + timedelta(days=i) for i in range(7)]
    (week,) = weekly_adherence(plan, START, done, today=START + timedelta(days=6), weeks=1)
    assert week.percent == 100.0


def test_weekly_pain_means_and_trend() -> None:
    today = START + timedelta(days=20)
    points = [
        PainPoint(START, 6, "morning"),
        PainPoint(START + timedelta(days=1), 4, "after"),
        PainPoint(START + timedelta(days=15), 2, "morning"),
    ]
    weekly = weekly_pain(points, today=today, weeks=3)
    assert weekly == [
        (START + timedelta(days=0), 5.0),
        (START + timedelta(days=7), None),
        (START + timedelta(days=14), 2.0),
    ]
    assert pain_trend(weekly, change=2) == "better"
    assert pain_trend([(START, 2.0), (today, 4.0)], change=2) == "worse"
    assert pain_trend([(START, 2.0), (today, 3.0)], change=2) == "steady"
    assert pain_trend([(START, None), (today, 3.0)], change=2) == "unknown"
