"""Pure review rules: adherence to the plan, and the review and surgical-consult flags.

No database and no clock: dates are passed in (the clinic's local dates), and every threshold
comes from followup.yaml (MCIDs from outcomes.yaml, red-flag rules from red_flags.yaml).

Pain worse: the mean pain of the last week against the same week two weeks earlier, read with
the NPRS MCID. No meaningful improvement: after `no_improvement.weeks` of adequate care
(adherence at or above the threshold), no scale of the main instrument improved by its MCID
since the baseline and pain did not either. Longer without improvement, the weeks go to the
screening engine's own rule (sc_failed_conservative_care, 12 weeks, Kise 2016), so the same rule
decides as in a screening.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import mean
from typing import Any, Literal

from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import rules
from popliteal.screening.triage import triage
from popliteal.sessions.rules import due_exercises

FlagKind = Literal["review", "surgical_consult"]
PAIN_INSTRUMENT: Literal["nprs"] = "nprs"
REVIEW_PAIN_WORSE = "review_pain_worse"
REVIEW_NO_IMPROVEMENT = "review_no_improvement"


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
