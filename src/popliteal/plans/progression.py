"""Progress, hold or regress: suggestions from the person's logs and the protocol's criteria.

Pure. Pain-monitoring model (Silbernagel 2007): pain during exercise at most 5/10 and back to
baseline by the next morning. Pain right after a session stands in for pain during it. The
clinician approves every suggestion; nothing here changes a plan by itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import PHASES

Verdict = Literal["progress", "hold", "regress"]


@dataclass(frozen=True)
class LoggedSession:
    """A finished session, as the progression rules see it."""

    day: date
    pain_before: int | None
    pain_after: int | None
    entries: tuple[Mapping[str, Any], ...]  # {"id", "sets_done", "sets_prescribed", "hurt"}


@dataclass(frozen=True)
class ExerciseSuggestion:
    exercise_id: str
    verdict: Verdict
    reason: str
    replace_with: str | None = None  # a variant to switch to, when there is one
    new_dose: Mapping[str, Any] | None = None  # else the changed dose


@dataclass(frozen=True)
class PhaseSuggestion:
    verdict: Verdict
    reason: str
    to_phase: str | None = None
    met: tuple[str, ...] = ()
    unmet: tuple[str, ...] = ()
    clinician_checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestions:
    exercises: tuple[ExerciseSuggestion, ...]
    phase: PhaseSuggestion
    notes: tuple[str, ...] = field(default=())


def _morning_worse(s: LoggedSession, mornings: Mapping[date, int]) -> bool | None:
    """Was next morning's pain above the pain before the session? None when not logged."""
    after = mornings.get(s.day + timedelta(days=1))
    baseline = s.pain_before if s.pain_before is not None else mornings.get(s.day)
    if after is None or baseline is None:
        return None
    return after > baseline


def _variant(
    kb: Knowledge,
    exercise_id: str,
    *,
    harder: bool,
    condition: str,
    phase: str,
    have: frozenset[str],
    taken: set[str],
) -> str | None:
    ex = kb.exercises.get(exercise_id)
    if ex is None:
        return None
    for other_id in ex.harder if harder else ex.easier:
        other = kb.exercises.get(other_id)
        if other is None or other_id in taken or not set(other.equipment) <= have:
            continue
        if any(c.condition == condition and phase in c.phases for c in other.contraindications):
            continue
        return other_id
    return None


def suggest_exercise(
    kb: Knowledge,
    rx: Mapping[str, Any],
    sessions: Sequence[LoggedSession],
    mornings: Mapping[date, int],
    *,
    condition: str,
    phase: str,
    have: frozenset[str],
    taken: set[str],
) -> ExerciseSuggestion:
    """Progress, hold or regress one exercise from its most recent sessions."""
    cfg = kb.progression
    eid = str(rx["id"])
    mine = [s for s in sessions if any(e.get("id") == eid for e in s.entries)]
    recent = sorted(mine, key=lambda s: s.day)[-cfg.window_sessions :]
    last = recent[-cfg.min_sessions :]
    entries = [next(e for e in s.entries if e.get("id") == eid) for s in last]
    hurt_days = [s.day for s, e in zip(last, entries, strict=True) if e.get("hurt")]
    high = [s for s in last if s.pain_after is not None and s.pain_after > cfg.pain_during_at_most]
    rises = [
        s
        for s in last
        if s.pain_before is not None
        and s.pain_after is not None
        and s.pain_after - s.pain_before >= cfg.session_pain_rise
    ]
    worse_mornings = [s for s in last if _morning_worse(s, mornings)]

    def regress(reason: str) -> ExerciseSuggestion:
        easier = _variant(
            kb, eid, harder=False, condition=condition, phase=phase, have=have, taken=taken
        )
        if easier:
            return ExerciseSuggestion(eid, "regress", reason, replace_with=easier)
        sets = rx.get("sets")
        dose = {**rx, "sets": max(1, sets - 1)} if sets and sets > 1 else None
        return ExerciseSuggestion(eid, "regress", reason, new_dose=dose)

    if hurt_days:
        days = ", ".join(d.isoformat() for d in hurt_days)
        return regress(f"marked 'this hurt' on {days}")
    if len(high) >= 2:
        return regress(f"pain after the session above {cfg.pain_during_at_most}/10 twice")
    if len(worse_mornings) >= 2:
        return regress("pain next morning was higher than before the session twice")
    if len(last) < cfg.min_sessions:
        return ExerciseSuggestion(
            eid, "hold", f"{len(last)} of {cfg.min_sessions} sessions logged so far"
        )
    if high or rises or worse_mornings:
        return ExerciseSuggestion(
            eid, "hold", "pain went up after one recent session: stay at this dose"
        )
    full = all(
        int(e.get("sets_done") or 0) >= int(e.get("sets_prescribed") or rx.get("sets") or 1)
        for e in entries
    )
    if not full:
        return ExerciseSuggestion(eid, "hold", "not every set was done in recent sessions")
    harder = _variant(
        kb, eid, harder=True, condition=condition, phase=phase, have=have, taken=taken
    )
    reason = (
        f"{len(last)} sessions in a row with every set done, pain at most "
        f"{cfg.pain_during_at_most}/10 and no worse next morning"
    )
    if harder:
        return ExerciseSuggestion(eid, "progress", reason, replace_with=harder)
    if rx.get("reps"):
        dose = {**rx, "reps": min(50, int(rx["reps"]) + cfg.add_reps)}
    elif rx.get("sets") and int(rx["sets"]) < 5:
        dose = {**rx, "sets": int(rx["sets"]) + 1}
    else:
        return ExerciseSuggestion(eid, "hold", reason + ", and the dose is already at its top")
    return ExerciseSuggestion(eid, "progress", reason, new_dose=dose)


def check_criteria(
    criteria: Sequence[Mapping[str, Any]],
    sessions: Sequence[LoggedSession],
    mornings: Mapping[date, int],
    *,
    starts_on: date,
    today: date,
    adherence_percent: float | None,
) -> tuple[list[str], list[str], list[str]]:
    """Split the phase's criteria into met, unmet (from the logs) and clinician checks."""
    met: list[str] = []
    unmet: list[str] = []
    clinician: list[str] = []
    week = [s for s in sessions if s.day > today - timedelta(days=7)]
    in_phase = [s for s in sessions if s.day >= starts_on]
    for c in criteria:
        check, value, text = c.get("check"), c.get("value"), str(c["text"])
        ok: bool
        if check == "pain_during_at_most":
            pains = [s.pain_after for s in week if s.pain_after is not None]
            ok = bool(pains) and max(pains) <= float(value or 0)
        elif check == "morning_pain_back_to_baseline":
            flags = [_morning_worse(s, mornings) for s in week]
            ok = any(f is False for f in flags) and not any(flags)
        elif check == "adherence_at_least":
            ok = adherence_percent is not None and adherence_percent >= float(value or 0)
        elif check == "weeks_in_phase_at_least":
            ok = (today - starts_on).days >= 7 * float(value or 0)
        elif check == "sessions_at_least":
            ok = len(in_phase) >= float(value or 0)
        else:
            clinician.append(text)
            continue
        (met if ok else unmet).append(text)
    return met, unmet, clinician


def suggest(
    kb: Knowledge,
    *,
    condition: str,
    phase: str,
    exercises: Sequence[Mapping[str, Any]],
    criteria: Sequence[Mapping[str, Any]],
    sessions: Sequence[LoggedSession],
    mornings: Mapping[date, int],
    starts_on: date,
    today: date,
    adherence_percent: float | None,
    equipment: frozenset[str],
) -> Suggestions:
    """Suggestions for every exercise of the plan and for its phase."""
    have = frozenset(kb.drafting.household_equipment) | equipment
    taken = {str(e["id"]) for e in exercises}
    in_version = [s for s in sessions if s.day >= starts_on]
    per_exercise = tuple(
        suggest_exercise(
            kb, rx, in_version, mornings, condition=condition, phase=phase, have=have, taken=taken
        )
        for rx in exercises
    )
    met, unmet, clinician = check_criteria(
        criteria,
        in_version,
        mornings,
        starts_on=starts_on,
        today=today,
        adherence_percent=adherence_percent,
    )
    protocol = kb.protocols.get(condition)
    phases = [ph.id for ph in protocol.phases] if protocol else list(PHASES)
    index = phases.index(phase) if phase in phases else 0
    regressing = [s for s in per_exercise if s.verdict == "regress"]
    if regressing and len(regressing) * 2 >= len(per_exercise) and index > 0:
        verdict = PhaseSuggestion(
            "regress",
            f"{len(regressing)} of {len(per_exercise)} exercises are aggravating the knee",
            to_phase=phases[index - 1],
            met=tuple(met),
            unmet=tuple(unmet),
            clinician_checks=tuple(clinician),
        )
    elif not unmet and met and index + 1 < len(phases):
        verdict = PhaseSuggestion(
            "progress",
            "every criterion the logs can show is met; confirm the rest at the next visit",
            to_phase=phases[index + 1],
            met=tuple(met),
            clinician_checks=tuple(clinician),
        )
    else:
        reason = (
            "last phase of the protocol: work towards discharge"
            if index + 1 >= len(phases)
            else f"{len(unmet)} criteria not met yet"
            if unmet
            else "not enough logged sessions yet"
        )
        verdict = PhaseSuggestion(
            "hold", reason, met=tuple(met), unmet=tuple(unmet), clinician_checks=tuple(clinician)
        )
    return Suggestions(exercises=per_exercise, phase=verdict)
