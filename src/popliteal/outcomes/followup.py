"""Pure follow-up rules: which questionnaires are due, review flags and the discharge criteria
(the safety checklist asked with each check-in: alerts/rules.py).

No database and no clock: dates are passed in (the clinic's local dates), and every threshold
comes from followup.yaml (MCIDs from outcomes.yaml, red-flag rules from red_flags.yaml).

Schedule. The baseline is due at the first visit: the first booked initial evaluation or the
first care plan, whichever came first (the service finds that date). Each instrument is then due
`interval_days` after its last response, so a late questionnaire moves the next one rather than
piling up two. After discharge no follow-up is due; a discharge questionnaire is due from the
discharge date unless one was answered in the week before it, and is no longer asked for a
week after.

Review flags. Pain worse: the mean pain of the last week against the same week two weeks
earlier, read with the NPRS MCID. No meaningful improvement: after `no_improvement.weeks` of
adequate care (adherence at or above the threshold), no scale of the main instrument improved by
its MCID since the baseline and pain did not either. Longer without improvement, the weeks go to
the screening engine's own rule (sc_failed_conservative_care, 12 weeks, Kise 2016), so the same
rule decides as in a screening.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import mean
from typing import Any, Literal

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import FollowupSettings, Instrument, OutcomeItem
from popliteal.outcomes import rules
from popliteal.running.rules import Run
from popliteal.screening.triage import triage
from popliteal.sessions.rules import due_exercises

Occasion = Literal["baseline", "follow_up", "discharge"]
Status = Literal["met", "not_met", "unknown"]
FlagKind = Literal["review", "surgical_consult"]
MAIN_INSTRUMENTS = ("koos", "lefs", "ikdc")
PAIN_INSTRUMENT: Literal["nprs"] = "nprs"
REVIEW_PAIN_WORSE = "review_pain_worse"
REVIEW_NO_IMPROVEMENT = "review_no_improvement"


# ------------------------------------------------------------------ instruments and schedule


def main_instrument(settings: FollowupSettings, *, condition: str | None, preferred: str) -> str:
    """KOOS or the clinic's preferred instrument for knee-joint causes; LEFS for the causes
    followup.yaml lists (thigh, calf and nerve)."""
    if condition is not None and condition in settings.instruments.lefs_for_conditions:
        return "lefs"
    return preferred if preferred in MAIN_INSTRUMENTS else "koos"


def instruments_for(
    settings: FollowupSettings, *, condition: str | None, preferred: str
) -> tuple[str, ...]:
    """The person's questionnaires: the main instrument, then those everyone answers (NPRS)."""
    main = main_instrument(settings, condition=condition, preferred=preferred)
    return (main, *(i for i in settings.instruments.always if i != main))


@dataclass(frozen=True)
class Due:
    instrument: str
    occasion: Occasion
    due_on: date
    days_overdue: int


def due(
    today: date,
    baseline_on: date | None,
    responses: Mapping[str, Sequence[date]],
    interval_days: int,
    discharged_on: date | None,
    *,
    instruments: Sequence[str],
    settings: FollowupSettings,
) -> list[Due]:
    """The questionnaires due today or earlier, in the order of `instruments`.

    `responses` gives, per instrument, the dates of the person's responses (any occasion).
    Nothing is due before the first visit (`baseline_on` None or in the future).
    """
    if interval_days < 1:
        raise ValueError("interval_days must be at least 1")
    out: list[Due] = []
    window = timedelta(days=settings.schedule.discharge_window_days)
    for instrument in instruments:
        dates = sorted(responses.get(instrument, ()))
        if discharged_on is not None:
            if today < discharged_on or today > discharged_on + window:
                continue
            if any(d >= discharged_on - window for d in dates):
                continue
            out.append(Due(instrument, "discharge", discharged_on, (today - discharged_on).days))
            continue
        if baseline_on is None:
            continue
        if not dates:
            if baseline_on <= today:
                out.append(Due(instrument, "baseline", baseline_on, (today - baseline_on).days))
            continue
        next_on = max(dates[-1] + timedelta(days=interval_days), baseline_on)
        if next_on <= today:
            out.append(Due(instrument, "follow_up", next_on, (today - next_on).days))
    return out


# ------------------------------------------------------------------ adherence and pain


@dataclass(frozen=True)
class PlanPeriod:
    """One plan version in force from `starts_on` (to `ends_on` when its plan ended)."""

    starts_on: date
    exercises: Sequence[Mapping[str, Any]]
    ends_on: date | None = None


def care_adherence(
    periods: Sequence[PlanPeriod], done_days: Sequence[date], *, start: date, today: date
) -> float | None:
    """Share (%) of the days with exercises due from `start` to today that had a finished
    session; the version in force each day decides what was due. Today counts once done, as
    in sessions.rules.weekly_adherence. None when nothing was due."""
    done = set(done_days)
    ordered = sorted(periods, key=lambda p: p.starts_on)
    due_days = 0
    done_count = 0
    day = start
    while day <= today:
        period = next((p for p in reversed(ordered) if p.starts_on <= day), None)
        in_force = period is not None and (period.ends_on is None or day <= period.ends_on)
        if (
            period is not None
            and in_force
            and (day < today or day in done)
            and due_exercises(period.exercises, period.starts_on, day)
        ):
            due_days += 1
            done_count += day in done
        day += timedelta(days=1)
    return None if due_days == 0 else 100 * done_count / due_days


@dataclass(frozen=True)
class PainScore:
    day: date
    pain: float
    source: str  # "morning", "before", "after", "nprs" or "other"


def _window(points: Sequence[PainScore], start: date, end: date) -> list[float]:
    return [p.pain for p in points if start <= p.day <= end]


@dataclass(frozen=True)
class ScoredResponse:
    """A stored response as the rules read it: scores by scale (None = invalid) and answers."""

    day: date
    instrument: str
    scores: Mapping[str, float | None]
    answers: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewFlag:
    kind: FlagKind
    rule_id: str
    reason: str  # for clinicians
    patient_message: str
    source: str  # sources.yaml key or "expert_judgement"
    detail: dict[str, Any]


def pain_worse(kb: Knowledge, points: Sequence[PainScore], *, today: date) -> ReviewFlag | None:
    """A review flag when the last week's mean pain is worse by the NPRS MCID than the mean of
    the same week `span_days` earlier (each with at least `min_scores` scores)."""
    rule = kb.followup.review.pain_worse
    window = timedelta(days=rule.window_days - 1)
    recent_start = today - window
    earlier_end = today - timedelta(days=rule.span_days)
    recent = _window(points, recent_start, today)
    earlier = _window(points, earlier_end - window, earlier_end)
    if len(recent) < rule.min_scores or len(earlier) < rule.min_scores:
        return None
    before, after = mean(earlier), mean(recent)
    change = rules.interpret_change(PAIN_INSTRUMENT, _pain_scale(kb), before, after, kb.outcomes)
    if change.verdict != "worse":
        return None
    return ReviewFlag(
        kind="review",
        rule_id=REVIEW_PAIN_WORSE,
        reason=(
            f"Pain is worse: mean {after:.1f}/10 over {recent_start.isoformat()} to "
            f"{today.isoformat()} ({len(recent)} scores) against {before:.1f}/10 over "
            f"{(earlier_end - window).isoformat()} to {earlier_end.isoformat()} "
            f"({len(earlier)} scores), a rise of {change.difference:.1f}: at least the NPRS "
            f"minimal important change of {change.mcid:g} points ({change.source})."
        ),
        patient_message="",
        source=change.source,
        detail={"before": before, "after": after, "mcid": change.mcid},
    )


def _pain_scale(kb: Knowledge) -> str:
    return kb.outcomes.instruments[PAIN_INSTRUMENT].scales[0].key


def _improved_scales(
    kb: Knowledge, baseline: ScoredResponse, latest: ScoredResponse
) -> tuple[list[str], list[str]]:
    """(improved, compared) scales of the main instrument between two responses."""
    improved: list[str] = []
    compared: list[str] = []
    for scale in kb.followup.instruments.improvement_scales.get(baseline.instrument, []):  # type: ignore[call-overload]
        before, after = baseline.scores.get(scale), latest.scores.get(scale)
        if before is None or after is None:
            continue
        compared.append(scale)
        if (
            rules.interpret_change(baseline.instrument, scale, before, after, kb.outcomes).verdict
            == "improved"
        ):
            improved.append(scale)
    return improved, compared


def no_improvement(
    kb: Knowledge,
    *,
    care_start: date,
    main: Sequence[ScoredResponse],
    pain: Sequence[PainScore],
    adherence_percent: float | None,
) -> ReviewFlag | None:
    """A review flag, or the surgical-consult rule, when adequate care has not helped.

    `main` are the responses of the person's main instrument. The weeks counted run from the
    start of care to the latest response: the flag rests on a questionnaire, not on silence.
    """
    review = kb.followup.review
    if not main:
        return None
    ordered = sorted(main, key=lambda r: r.day)
    baseline, latest = ordered[0], ordered[-1]
    weeks = (latest.day - care_start).days // 7
    if weeks < review.no_improvement.weeks or latest is baseline:
        return None
    if adherence_percent is None or adherence_percent < review.adequate_care.adherence_at_least:
        return None
    improved, compared = _improved_scales(kb, baseline, latest)
    if not compared or improved:
        return None
    week = timedelta(days=6)
    pain_before = _window(pain, care_start - week, care_start + week)
    pain_after = _window(pain, latest.day - week, latest.day)
    pain_text = "pain was not recorded at both ends"
    pain_change = None
    if pain_before and pain_after:
        pain_change = rules.interpret_change(
            PAIN_INSTRUMENT, _pain_scale(kb), mean(pain_before), mean(pain_after), kb.outcomes
        )
        if pain_change.verdict == "improved":
            return None
        pain_text = (
            f"pain {pain_change.before:.1f} -> {pain_change.after:.1f}/10, less than the NPRS "
            f"minimal important change ({pain_change.source})"
        )
    scales = ", ".join(f"{s} {baseline.scores[s]:.1f} -> {latest.scores[s]:.1f}" for s in compared)
    evidence = (
        f"{weeks} weeks of care since {care_start.isoformat()} with {adherence_percent:.0f}% "
        f"of the exercise days done; {baseline.instrument.upper()} {baseline.day.isoformat()} "
        f"to {latest.day.isoformat()}: {scales}, none improved by its minimal important "
        f"change; {pain_text}."
    )
    detail: dict[str, Any] = {
        "weeks": weeks,
        "adherence_percent": adherence_percent,
        "instrument": baseline.instrument,
        "baseline_on": baseline.day.isoformat(),
        "latest_on": latest.day.isoformat(),
        "scales": compared,
    }
    failed = review.failed_care
    fired = next(
        (r for r in triage(kb, {failed.finding: weeks}).fired if r.id == failed.rule), None
    )
    if fired is not None:
        return ReviewFlag(
            kind="surgical_consult",
            rule_id=fired.id,
            reason=f"{fired.title}: {evidence} {fired.clinician_note}",
            patient_message=fired.patient_message,
            source=fired.source or "expert_judgement",
            detail=detail,
        )
    return ReviewFlag(
        kind="review",
        rule_id=REVIEW_NO_IMPROVEMENT,
        reason=f"No meaningful improvement after {evidence}",
        patient_message="",
        source="expert_judgement",
        detail=detail,
    )


def review_flags(
    kb: Knowledge,
    *,
    today: date,
    care_start: date | None,
    main: Sequence[ScoredResponse],
    pain: Sequence[PainScore],
    adherence_percent: float | None,
) -> list[ReviewFlag]:
    """Every review or surgical-consult flag that holds today."""
    found = [pain_worse(kb, pain, today=today)]
    if care_start is not None:
        found.append(
            no_improvement(
                kb, care_start=care_start, main=main, pain=pain, adherence_percent=adherence_percent
            )
        )
    return [f for f in found if f is not None]


# ------------------------------------------------------------------ discharge criteria


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
