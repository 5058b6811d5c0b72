"""Pure discharge criteria: pain-free, full range of motion, outcome goal reached and back to
the target activity, each met, not met or unknown, with the evidence in words.

No database and no clock: dates are passed in (the clinic's local dates), and every threshold
comes from followup.yaml (the walk-run programme from running.yaml).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Instrument, OutcomeItem
from popliteal.outcomes.review_rules import PainScore, ScoredResponse
from popliteal.running.rules import Run

Status = Literal["met", "not_met", "unknown"]


@dataclass(frozen=True)
class RomMeasure:
    day: date
    side: str  # "left" or "right"
    affected: bool
    flexion: int | None
    extension: int | None  # signed: 0 straight, negative = lacking, positive = hyperextension


@dataclass(frozen=True)
class Criterion:
    id: str
    name: str
    status: Status
    evidence: str
    detail: dict[str, Any] = field(default_factory=dict)


def _pain_free(kb: Knowledge, pain: Sequence[PainScore], today: date) -> Criterion:
    rule = kb.followup.discharge.pain_free
    name = "Pain-free"
    start = today - timedelta(days=rule.window_days - 1)
    recent = [p for p in pain if start <= p.day <= today]
    if not recent:
        return Criterion(
            "pain_free", name, "unknown", f"No pain score in the last {rule.window_days} days."
        )
    worst = max(recent, key=lambda p: (p.pain, p.day))
    detail = {"highest": worst.pain, "on": worst.day.isoformat(), "scores": len(recent)}
    if worst.pain <= rule.pain_at_most:
        return Criterion(
            "pain_free",
            name,
            "met",
            f"All {len(recent)} pain scores of the last {rule.window_days} days at most "
            f"{rule.pain_at_most}/10 (highest {worst.pain:g}).",
            detail,
        )
    return Criterion(
        "pain_free",
        name,
        "not_met",
        f"Pain {worst.pain:g}/10 on {worst.day.isoformat()} ({worst.source}), above "
        f"{rule.pain_at_most}/10.",
        detail,
    )


def _latest(values: Sequence[tuple[date, int]]) -> tuple[date, int] | None:
    return max(values, default=None, key=lambda v: v[0])


def _rom_side(
    kb: Knowledge, side: str, mine: Sequence[RomMeasure], other: Sequence[RomMeasure]
) -> tuple[Status, str, dict[str, Any]]:
    crit = kb.followup.discharge.full_range_of_motion
    flex = _latest([(m.day, m.flexion) for m in mine if m.flexion is not None])
    ext = _latest([(m.day, m.extension) for m in mine if m.extension is not None])
    o_flex = _latest([(m.day, m.flexion) for m in other if m.flexion is not None])
    o_ext = _latest([(m.day, m.extension) for m in other if m.extension is not None])
    detail: dict[str, Any] = {
        "side": side,
        "flexion": flex[1] if flex else None,
        "extension": ext[1] if ext else None,
    }
    statuses: list[Status] = []
    words: list[str] = []
    if ext is None:
        statuses.append("unknown")
        words.append("extension not measured")
    elif o_ext is not None:
        deficit = o_ext[1] - ext[1]
        ok = deficit <= crit.other_knee.extension_deficit_at_most
        statuses.append("met" if ok else "not_met")
        words.append(
            f"extension {ext[1]:+d} deg against {o_ext[1]:+d} on the other knee "
            f"({'within' if ok else 'more than'} {crit.other_knee.extension_deficit_at_most} "
            "deg short)"
        )
        detail["other_extension"] = o_ext[1]
    else:
        ok = ext[1] >= crit.normative.extension_at_least
        statuses.append("met" if ok else "not_met")
        words.append(
            f"extension {ext[1]:+d} deg ({'at least' if ok else 'below'} "
            f"{crit.normative.extension_at_least:+d})"
        )
    if flex is None:
        statuses.append("unknown")
        words.append("flexion not measured")
    elif o_flex is not None:
        deficit = o_flex[1] - flex[1]
        ok = deficit <= crit.other_knee.flexion_deficit_at_most
        statuses.append("met" if ok else "not_met")
        words.append(
            f"flexion {flex[1]} deg against {o_flex[1]} on the other knee "
            f"({'within' if ok else 'more than'} {crit.other_knee.flexion_deficit_at_most} deg "
            "short)"
        )
        detail["other_flexion"] = o_flex[1]
    else:
        ok = flex[1] >= crit.normative.flexion_at_least
        statuses.append("met" if ok else "not_met")
        words.append(
            f"flexion {flex[1]} deg ({'at least' if ok else 'below'} "
            f"{crit.normative.flexion_at_least})"
        )
    return _combine(statuses), f"{side} knee: " + ", ".join(words), detail


def _combine(statuses: Sequence[Status]) -> Status:
    if "not_met" in statuses:
        return "not_met"
    if "unknown" in statuses or not statuses:
        return "unknown"
    return "met"


def _full_rom(kb: Knowledge, rom: Sequence[RomMeasure], today: date) -> Criterion:
    name = "Full range of motion"
    days = kb.followup.discharge.evidence_within_days.value
    since = today - timedelta(days=days)
    recent = [m for m in rom if m.affected and since <= m.day <= today]
    if not recent:
        return Criterion(
            "full_range_of_motion",
            name,
            "unknown",
            f"The treated knee's range of motion was not measured in the last {days} days.",
        )
    results = [
        _rom_side(
            kb,
            side,
            [m for m in recent if m.side == side],
            [m for m in rom if not m.affected and m.side != side and m.day <= today],
        )
        for side in sorted({m.side for m in recent})
    ]
    return Criterion(
        "full_range_of_motion",
        name,
        _combine([r[0] for r in results]),
        "; ".join(r[1] for r in results) + ".",
        {"knees": [r[2] for r in results]},
    )


def _outcome_goal(
    kb: Knowledge, main: str, responses: Sequence[ScoredResponse], today: date
) -> Criterion:
    name = "Outcome goal reached"
    goal = kb.followup.discharge.outcome_goal.get(main)  # type: ignore[call-overload]
    if goal is None:
        return Criterion("outcome_goal", name, "unknown", f"No outcome goal is set for {main}.")
    days = kb.followup.discharge.evidence_within_days.value
    since = today - timedelta(days=days)
    scored = [
        r
        for r in responses
        if r.instrument == main and since <= r.day <= today and r.scores.get(goal.scale) is not None
    ]
    label = f"{main.upper()} {goal.scale}"
    if not scored:
        return Criterion(
            "outcome_goal",
            name,
            "unknown",
            f"No valid {label} score in the last {days} days (goal {goal.at_least:g}).",
        )
    latest = max(scored, key=lambda r: r.day)
    value = float(latest.scores[goal.scale])  # type: ignore[arg-type]
    status: Status = "met" if value >= goal.at_least else "not_met"
    return Criterion(
        "outcome_goal",
        name,
        status,
        f"{label} {value:.1f} on {latest.day.isoformat()} "
        f"({'reaches' if status == 'met' else 'below'} the goal of {goal.at_least:g}).",
        {"instrument": main, "scale": goal.scale, "value": value, "goal": goal.at_least},
    )


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return 0 if value else 1  # yes = 0 (IKDC Q6)
    if isinstance(value, int | float) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("yes", "no"):
            return 0 if text == "yes" else 1
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if math.isfinite(number) and number.is_integer() else None
    return None


def steps_from_best(instrument: Instrument, item: OutcomeItem, value: int) -> int:
    """How far an answer is from the item's best answer (0 = best).

    KOOS items are answered 0 = no problem; LEFS and IKDC items are scored higher = better,
    except the reversed IKDC pain items.
    """
    score = item.max - value + item.min if item.reversed else value
    if instrument.method == "koos_transform":
        return score - item.min
    return item.max - score


def _items_target(
    kb: Knowledge, goal: str, responses: Sequence[ScoredResponse], today: date
) -> Criterion | None:
    target = kb.followup.discharge.target_activity.by_goal.get(goal)  # type: ignore[call-overload]
    if target is None:
        return None
    since = today - timedelta(days=kb.followup.discharge.evidence_within_days.value)
    for r in sorted(responses, key=lambda r: r.day, reverse=True):
        wanted = target.items.get(r.instrument)
        if not wanted or not since <= r.day <= today:
            continue
        inst = kb.outcomes.instruments[r.instrument]  # type: ignore[index]
        by_id = {str(k).lower(): v for k, v in r.answers.items()}
        values: dict[str, int] = {}
        for item_id in wanted:
            number = _as_int(by_id.get(item_id.lower()))
            item = inst.item(item_id)
            if number is None or item is None:
                break
            values[item.id] = steps_from_best(inst, item, number)
        else:
            far = {k: v for k, v in values.items() if v > target.within_of_best}
            labels = {k: inst.item(k).label for k in values}  # type: ignore[union-attr]
            status: Status = "not_met" if far else "met"
            listed = ", ".join(labels[k] for k in (far or values))
            return Criterion(
                "target_activity",
                "Back to the target activity",
                status,
                f"{r.instrument.upper()} on {r.day.isoformat()}: "
                + (
                    f"still difficult: {listed}."
                    if far
                    else f"at most mild difficulty with {listed}."
                ),
                {"goal": goal, "instrument": r.instrument, "steps_from_best": values},
            )
    return None


def walk_run_finished(kb: Knowledge, runs: Sequence[Run]) -> bool:
    """The walk-run programme's last level done without trouble the required number of times
    in a row (the same test return_to_run uses before it suggests usual running)."""
    programme = kb.running.walk_run
    top = len(programme.levels)
    pain_max = kb.running.load.run_pain.pain_during_max
    sessions = sorted((r for r in runs if r.walk_run_level is not None), key=lambda r: r.day)
    streak = 0
    for run in reversed(sessions):
        passed = (
            run.walk_run_level == top
            and run.pain_during is not None
            and run.pain_during <= pain_max
            and run.worse_next_morning is False
        )
        if not passed:
            break
        streak += 1
    return streak >= programme.min_sessions_per_level.value


def _running_target(kb: Knowledge, runs: Sequence[Run], today: date) -> Criterion | None:
    rule = kb.followup.discharge.target_activity.return_to_running
    pain_max = kb.followup.discharge.pain_free.pain_at_most
    name = "Back to the target activity"
    if walk_run_finished(kb, runs):
        return Criterion(
            "target_activity",
            name,
            "met",
            "The walk-run programme's last level is done without trouble.",
            {"goal": "return_to_running", "walk_run_finished": True},
        )
    since = today - timedelta(days=rule.window_days - 1)
    recent = sorted(
        (
            r
            for r in runs
            if r.walk_run_level is None and r.distance_km > 0 and since <= r.day <= today
        ),
        key=lambda r: r.day,
    )
    if not recent:
        return None
    painful = [r for r in recent if r.pain_during is None or r.pain_during > pain_max]
    detail = {"goal": "return_to_running", "runs": len(recent), "painful": len(painful)}
    if not painful and len(recent) >= rule.pain_free_runs:
        return Criterion(
            "target_activity",
            name,
            "met",
            f"{len(recent)} runs in the last {rule.window_days} days, all with pain at most "
            f"{pain_max}/10.",
            detail,
        )
    if painful:
        worst = painful[-1]
        pain = "not recorded" if worst.pain_during is None else f"{worst.pain_during}/10"
        why = f"the run on {worst.day.isoformat()} had pain {pain}"
    else:
        why = f"{len(recent)} pain-free run(s), {rule.pain_free_runs} needed"
    return Criterion(
        "target_activity",
        name,
        "not_met",
        f"Running is not back yet: {why} (last {rule.window_days} days).",
        detail,
    )


def _target_activity(
    kb: Knowledge,
    goal: str | None,
    responses: Sequence[ScoredResponse],
    runs: Sequence[Run],
    today: date,
) -> Criterion:
    name = "Back to the target activity"
    if goal is None:
        return Criterion("target_activity", name, "unknown", "No care plan goal is recorded.")
    if goal == "return_to_running":
        found = _running_target(kb, runs, today)
        if found is not None:
            return found
    found = _items_target(kb, goal, responses, today)
    if found is not None:
        return found
    return Criterion(
        "target_activity",
        name,
        "unknown",
        f"Nothing recent tells whether the goal ({goal.replace('_', ' ')}) is reached: "
        "no runs or questionnaire items about it.",
        {"goal": goal},
    )


def discharge_criteria(
    kb: Knowledge,
    *,
    today: date,
    main: str,
    responses: Sequence[ScoredResponse],
    pain: Sequence[PainScore],
    rom: Sequence[RomMeasure],
    goal: str | None,
    runs: Sequence[Run] = (),
) -> list[Criterion]:
    """Pain-free, full range of motion, outcome goal reached, back to the target activity:
    each met, not met or unknown, with the evidence in words."""
    return [
        _pain_free(kb, pain, today),
        _full_rom(kb, rom, today),
        _outcome_goal(kb, main, responses, today),
        _target_activity(kb, goal, responses, runs, today),
    ]


def criterion_to_json(c: Criterion) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "status": c.status,
        "evidence": c.evidence,
        "detail": dict(c.detail),
    }
