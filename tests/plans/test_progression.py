"""Progress / hold / regress from logged sessions (pain-monitoring model, Silbernagel 2007)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from popliteal.knowledge.loader import Knowledge
from popliteal.plans.progression import LoggedSession, check_criteria, suggest, suggest_exercise

START = date(2026, 11, 2)


def rx(kb: Knowledge, exercise_id: str, **dose: Any) -> dict[str, Any]:
    d = kb.exercises[exercise_id].dose
    base = {
        "sets": d.sets,
        "reps": d.reps,
        "hold_s": d.hold_s,
        "minutes": d.minutes,
        "per_week": d.per_week,
        "rest_s": d.rest_s,
    }
    return {"id": exercise_id, "name": kb.exercises[exercise_id].name, **base, **dose}


def sessions(
    exercise_id: str,
    n: int,
    *,
    sets: int = 3,
    hurt_on: tuple[int, ...] = (),
    before: int = 3,
    after: int = 3,
) -> list[LoggedSession]:
    return [
        LoggedSession(
            day=START + timedelta(days=i),
            pain_before=before,
            pain_after=after,
            entries=(
                {"id": exercise_id, "sets_done": sets, "sets_prescribed": 3, "hurt": i in hurt_on},
            ),
        )
        for i in range(n)
    ]


def a_chain(kb: Knowledge) -> tuple[str, str, str]:
    """An exercise with an easier and a harder variant, none needing equipment, all allowed."""
    for ex in kb.exercises.values():
        if ex.easier and ex.harder and not ex.equipment and ex.dose.sets and ex.dose.reps:
            return kb.exercises[ex.easier[0]].id, ex.id, kb.exercises[ex.harder[0]].id
    pytest.skip("no exercise with both variants")


def judge(
    kb: Knowledge,
    item: dict[str, Any],
    logs: list[LoggedSession],
    mornings: dict[date, int] | None = None,
) -> Any:
    return suggest_exercise(
        kb,
        item,
        logs,
        mornings or {},
        condition="running_overload",
        phase="strengthen",
        have=frozenset(
            [
                "chair",
                "wall",
                "towel",
                *sorted({e for x in kb.exercises.values() for e in x.equipment}),
            ]
        ),
        taken={item["id"]},
    )


def test_three_full_pain_free_sessions_progress_to_the_harder_variant(kb: Knowledge) -> None:
    _, mid, _ = a_chain(kb)
    s = judge(kb, rx(kb, mid, sets=3), sessions(mid, 3))
    assert s.verdict == "progress"
    assert s.replace_with in kb.exercises[mid].harder


def test_two_sessions_are_not_enough_to_judge(kb: Knowledge) -> None:
    _, mid, _ = a_chain(kb)
    s = judge(kb, rx(kb, mid, sets=3), sessions(mid, 2))
    assert s.verdict == "hold"
    assert "2 of 3" in s.reason


def test_this_hurt_flag_regresses_to_the_easier_variant(kb: Knowledge) -> None:
    _, mid, _ = a_chain(kb)
    s = judge(kb, rx(kb, mid, sets=3), sessions(mid, 4, hurt_on=(3,)))
    assert s.verdict == "regress"
    assert s.replace_with in kb.exercises[mid].easier
    assert "this hurt" in s.reason


@pytest.mark.parametrize(("after", "verdict"), [(5, "progress"), (6, "regress")])
def test_pain_during_above_5_is_the_boundary(kb: Knowledge, after: int, verdict: str) -> None:
    _, mid, _ = a_chain(kb)
    s = judge(kb, rx(kb, mid, sets=3), sessions(mid, 3, before=after, after=after))
    assert s.verdict == verdict


def test_worse_next_morning_twice_regresses_once_holds(kb: Knowledge) -> None:
    _, mid, _ = a_chain(kb)
    logs = sessions(mid, 3, before=2, after=2)
    twice = {START + timedelta(days=1): 4, START + timedelta(days=2): 4}
    assert judge(kb, rx(kb, mid, sets=3), logs, twice).verdict == "regress"
    once = {START + timedelta(days=1): 4, START + timedelta(days=2): 2}
    assert judge(kb, rx(kb, mid, sets=3), logs, once).verdict == "hold"


def test_missed_sets_hold_the_dose(kb: Knowledge) -> None:
    _, mid, _ = a_chain(kb)
    s = judge(kb, rx(kb, mid, sets=3), sessions(mid, 3, sets=2))
    assert s.verdict == "hold"


def test_without_a_harder_variant_the_dose_goes_up(kb: Knowledge) -> None:
    top = next(
        ex for ex in kb.exercises.values() if not ex.harder and ex.dose.reps and ex.dose.sets
    )
    item = rx(kb, top.id, sets=3)
    s = judge(kb, item, sessions(top.id, 3))
    assert s.verdict == "progress"
    assert s.new_dose is not None
    assert s.new_dose["reps"] == item["reps"] + kb.progression.add_reps


def test_criteria_split_into_met_unmet_and_clinician_checks() -> None:
    criteria = [
        {"id": "p", "text": "pain at most 5", "check": "pain_during_at_most", "value": 5},
        {"id": "m", "text": "morning", "check": "morning_pain_back_to_baseline", "value": None},
        {"id": "w", "text": "two weeks", "check": "weeks_in_phase_at_least", "value": 2},
        {"id": "a", "text": "adherence", "check": "adherence_at_least", "value": 70},
        {"id": "r", "text": "full extension", "check": None, "value": None},
    ]
    logs = sessions("x", 3, before=3, after=4)
    today = START + timedelta(days=10)
    logs = [LoggedSession(today - timedelta(days=i), 3, 4, s.entries) for i, s in enumerate(logs)]
    mornings = {today - timedelta(days=i) + timedelta(days=1): 3 for i in range(3)}
    met, unmet, clinician = check_criteria(
        criteria, logs, mornings, starts_on=START, today=today, adherence_percent=80
    )
    assert met == ["pain at most 5", "morning", "adherence"]
    assert unmet == ["two weeks"]
    assert clinician == ["full extension"]


def test_phase_progresses_only_when_every_logged_criterion_is_met(kb: Knowledge) -> None:
    condition = "running_overload"
    protocol = kb.protocols[condition]
    first = protocol.phases[0]
    exercises = [
        rx(kb, p.exercise, sets=p.sets, reps=p.reps, hold_s=p.hold_s, minutes=p.minutes)
        for p in first.exercises[:4]
    ]
    criteria = [
        {"id": c.id, "text": c.text, "check": c.check, "value": c.value}
        for c in first.progression_criteria
    ]
    today = START + timedelta(days=70)
    logs = [
        LoggedSession(
            START + timedelta(days=i),
            2,
            2,
            tuple(
                {
                    "id": e["id"],
                    "sets_done": e["sets"] or 1,
                    "sets_prescribed": e["sets"] or 1,
                    "hurt": False,
                }
                for e in exercises
            ),
        )
        for i in range(71)
    ]
    mornings = {START + timedelta(days=i): 2 for i in range(72)}
    result = suggest(
        kb,
        condition=condition,
        phase=first.id,
        exercises=exercises,
        criteria=criteria,
        sessions=logs,
        mornings=mornings,
        starts_on=START,
        today=today,
        adherence_percent=100.0,
        equipment=frozenset(),
    )
    assert result.phase.verdict == "progress"
    assert result.phase.to_phase == protocol.phases[1].id
    hurting = [
        LoggedSession(s.day, 2, 7, tuple({**e, "hurt": True} for e in s.entries)) for s in logs
    ]
    worse = suggest(
        kb,
        condition=condition,
        phase=first.id,
        exercises=exercises,
        criteria=criteria,
        sessions=hurting,
        mornings=mornings,
        starts_on=START,
        today=today,
        adherence_percent=100.0,
        equipment=frozenset(),
    )
    assert worse.phase.verdict != "progress"
    assert all(s.verdict == "regress" for s in worse.exercises)
