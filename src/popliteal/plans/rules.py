"""Draft a home-and-clinic plan from a condition's protocol: pure, no database, no clock.

The draft is where a clinician starts, never where they must end: the phase follows the
person's pain (irritability), the exercises follow the protocol's priority order, the equipment
the person has and the time they have, and an exercise contraindicated for the condition in that
phase is never offered, whatever the request.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import (
    GOALS,
    PHASES,
    RED_FLAG_LEVELS,
    Dose,
    Exercise,
    Goal,
    Phase,
    Protocol,
    ProtocolPhase,
)

REFERRAL_ONLY = RED_FLAG_LEVELS


class PlanRequestError(ValueError):
    """A draft request names something the knowledge base does not have."""


@dataclass(frozen=True)
class DraftRequest:
    condition: str
    goal: Goal = "everyday_life"
    pain: int | None = None
    equipment: frozenset[str] = frozenset()
    minutes_per_day: int | None = None
    phase: Phase | None = None  # a clinician's choice overrides the pain-based phase


@dataclass(frozen=True)
class Prescribed:
    """One exercise at one dose, as the person is asked to do it."""

    exercise_id: str
    name: str
    sets: int | None
    reps: int | None
    hold_s: int | None
    minutes: int | None
    rest_s: int
    per_week: int
    note: str = ""
    source: str | None = None
    # The protocol's exercise this one replaced because its equipment is missing: an
    # automatic swap, shown to the person as such and never as the clinician's words.
    swapped_for: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.exercise_id,
            "name": self.name,
            "sets": self.sets,
            "reps": self.reps,
            "hold_s": self.hold_s,
            "minutes": self.minutes,
            "per_week": self.per_week,
        }

    def as_record(self) -> dict[str, Any]:
        """Everything needed to store and show the prescription."""
        return {
            **self.as_json(),
            "rest_s": self.rest_s,
            "note": self.note,
            "swapped_for": self.swapped_for,
        }


@dataclass(frozen=True)
class Draft:
    condition: str
    referral: str | None
    phase: Phase | None = None
    goal: Goal = "everyday_life"
    exercises: tuple[Prescribed, ...] = ()
    treatments: tuple[dict[str, str], ...] = ()
    activity_limits: tuple[dict[str, str], ...] = ()
    progression_criteria: tuple[dict[str, Any], ...] = ()
    refer_when: tuple[dict[str, str], ...] = ()
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def equipment_name(item: str) -> str:
    """A piece of equipment in words ("stationary_bike" → "Stationary bike")."""
    return item.replace("_", " ").capitalize()


def referral_for(kb: Knowledge, condition: str) -> str | None:
    """The urgency that replaces a plan for this condition (emergency or urgent), else None."""
    cond = kb.conditions.get(condition)
    if cond is None:
        raise PlanRequestError(f"unknown condition '{condition}'")
    return cond.usual_care if cond.usual_care in REFERRAL_ONLY else None


def is_contraindicated(exercise: Exercise, condition: str, phase: str) -> str | None:
    """The reason an exercise must not be given for this condition in this phase, or None."""
    for ci in exercise.contraindications:
        if ci.condition == condition and phase in ci.phases:
            return ci.reason
    return None


def phase_for_pain(protocol: Protocol, pain: int | None) -> ProtocolPhase:
    """The most advanced phase a draft may start in at this pain level.

    Unknown pain starts at the first phase a draft may enter: the cautious choice.
    """
    entries = [ph for ph in protocol.phases if ph.draft_entry is not None]
    if pain is None:
        return entries[0]
    fitting = [ph for ph in entries if ph.draft_entry and pain <= ph.draft_entry.pain_at_most]
    return fitting[-1] if fitting else entries[0]


def session_minutes(kb: Knowledge, dose: Dose | Prescribed) -> float:
    """Estimated minutes one session of this exercise takes (for the time budget)."""
    if dose.minutes is not None:
        return float(dose.minutes)
    sets = dose.sets or 1
    per_set = (dose.reps or 1) * kb.drafting.seconds_per_rep
    if dose.hold_s is not None:
        per_set = (dose.reps or 1) * dose.hold_s
    return (sets * per_set + (sets - 1) * dose.rest_s) / 60


def _available(kb: Knowledge, equipment: Iterable[str]) -> frozenset[str]:
    return frozenset(kb.drafting.household_equipment) | frozenset(equipment)


def _usable(ex: Exercise, have: frozenset[str]) -> bool:
    return set(ex.equipment) <= have


def _substitute(
    kb: Knowledge, ex: Exercise, condition: str, phase: str, have: frozenset[str], taken: set[str]
) -> Exercise | None:
    """A variant of the same exercise the person can do here: same level first, then easier."""
    options = [kb.exercises[x] for x in (*ex.easier, *ex.harder) if x in kb.exercises]
    options = [
        o
        for o in options
        if o.id not in taken
        and o.level <= ex.level
        and _usable(o, have)
        and is_contraindicated(o, condition, phase) is None
    ]
    options.sort(key=lambda o: (ex.level - o.level, o.id))
    return options[0] if options else None


def draft_plan(kb: Knowledge, request: DraftRequest) -> Draft:
    """Assemble the draft plan for a condition, or the referral that replaces it."""
    referral = referral_for(kb, request.condition)
    if referral is not None:
        return Draft(condition=request.condition, referral=referral)
    if request.goal not in GOALS:
        raise PlanRequestError(f"unknown goal '{request.goal}'; use one of {', '.join(GOALS)}")
    unknown = sorted(set(request.equipment) - set(_all_equipment()))
    if unknown:
        raise PlanRequestError(
            f"unknown equipment {', '.join(unknown)}; use any of {', '.join(_all_equipment())}"
        )
    if request.pain is not None and not 0 <= request.pain <= 10:
        raise PlanRequestError("pain must be a whole number from 0 to 10")
    protocol = kb.protocols.get(request.condition)
    if protocol is None:
        raise PlanRequestError(f"no protocol for condition '{request.condition}'")
    if request.phase is not None:
        if request.phase not in PHASES:
            raise PlanRequestError(f"unknown phase '{request.phase}'")
        chosen = [ph for ph in protocol.phases if ph.id == request.phase]
        if not chosen:
            names = ", ".join(ph.id for ph in protocol.phases)
            raise PlanRequestError(
                f"the {request.condition} protocol has no '{request.phase}' phase; it has {names}"
            )
        phase = chosen[0]
    else:
        phase = phase_for_pain(protocol, request.pain)
    return _assemble(kb, protocol, phase, request)


def _all_equipment() -> tuple[str, ...]:
    from popliteal.knowledge.schema import EQUIPMENT

    return EQUIPMENT


def _assemble(
    kb: Knowledge, protocol: Protocol, phase: ProtocolPhase, request: DraftRequest
) -> Draft:
    settings = kb.drafting
    have = _available(kb, request.equipment)
    budget = request.minutes_per_day
    cap = settings.max_exercises if budget is not None else settings.default_exercises
    chosen: list[Prescribed] = []
    taken: set[str] = set()
    notes: list[str] = []
    sources: set[str] = set()
    used_minutes = 0.0
    for rx in phase.exercises:
        if len(chosen) >= cap:
            break
        if rx.goals and request.goal not in rx.goals:
            continue
        ex = kb.exercises[rx.exercise]
        if is_contraindicated(ex, protocol.condition, phase.id) is not None or ex.id in taken:
            continue
        swapped_for = ""
        if not _usable(ex, have):
            missing = ", ".join(equipment_name(e).lower() for e in sorted(set(ex.equipment) - have))
            alt = _substitute(kb, ex, protocol.condition, phase.id, have, taken)
            if alt is None:
                notes.append(f"{ex.name} left out: it needs {missing}.")
                continue
            notes.append(f"{alt.name} in place of {ex.name} (which needs {missing}).")
            swapped_for = ex.name
            ex = alt
        # A swapped-in variant takes its own library dose (the protocol's dose and source were
        # for the exercise it replaces) at the protocol's frequency.
        dose: Dose = rx if ex.id == rx.exercise else ex.dose
        item = Prescribed(
            exercise_id=ex.id,
            name=ex.name,
            sets=dose.sets,
            reps=dose.reps,
            hold_s=dose.hold_s,
            minutes=dose.minutes,
            rest_s=dose.rest_s,
            per_week=rx.per_week,
            source=dose.source,
            swapped_for=swapped_for,
        )
        cost = session_minutes(kb, item)
        over_budget = budget is not None and used_minutes + cost > budget
        if over_budget and len(chosen) >= settings.min_exercises:
            continue
        chosen.append(item)
        taken.add(ex.id)
        used_minutes += cost
        if item.source:
            sources.add(item.source)
    if budget is not None and used_minutes > budget:
        notes.append(
            f"The {len(chosen)} exercises take about {math.ceil(used_minutes)} minutes, "
            f"more than the {budget} minutes asked for: a plan needs at least "
            f"{settings.min_exercises}."
        )
    if len(chosen) < settings.min_exercises:
        notes.append(
            f"Only {len(chosen)} exercises fit this equipment and phase; a clinician should add "
            "more."
        )
    condition = kb.conditions[protocol.condition]
    if condition.usual_care == "surgical_consult":
        notes.insert(
            0,
            "Specialist opinion within weeks is advised for this condition; this conservative "
            "plan may start meanwhile.",
        )
    treatments = tuple(
        {"id": t.treatment, "name": kb.treatments[t.treatment].name, "note": t.note}
        for t in phase.treatments
    )
    limits = tuple(
        {"id": lim.id, "text": lim.text}
        for lim in phase.activity_limits
        if not lim.goals or request.goal in lim.goals
    )
    criteria = tuple(
        {"id": c.id, "text": c.text, "check": c.check, "value": c.value}
        for c in phase.progression_criteria
    )
    cited: list[Any] = [*phase.treatments, *phase.progression_criteria, phase.draft_entry]
    cited += [lim for lim in phase.activity_limits if not lim.goals or request.goal in lim.goals]
    sources.update(c.source for c in cited if c is not None and c.source)
    return Draft(
        condition=protocol.condition,
        referral=None,
        phase=phase.id,
        goal=request.goal,
        exercises=tuple(chosen),
        treatments=treatments,
        activity_limits=limits,
        progression_criteria=criteria,
        refer_when=tuple({"text": r.text, "urgency": r.urgency} for r in protocol.refer_when),
        sources=tuple(sorted(sources)),
        notes=tuple(notes),
    )


def draft_to_json(draft: Draft) -> dict[str, Any]:
    """The stable `popliteal plan draft --json` object (referral form has no plan fields)."""
    if draft.referral is not None:
        return {"condition": draft.condition, "referral": draft.referral, "exercises": []}
    return {
        "condition": draft.condition,
        "phase": draft.phase,
        "goal": draft.goal,
        "exercises": [p.as_json() for p in draft.exercises],
        "treatments": list(draft.treatments),
        "activity_limits": list(draft.activity_limits),
        "progression_criteria": list(draft.progression_criteria),
        "refer_when": list(draft.refer_when),
        "notes": list(draft.notes),
        "sources": list(draft.sources),
    }


def dose_text(item: Prescribed | dict[str, Any]) -> str:
    """'3 sets of 10, hold 5 s, 3 days a week' for people and handouts."""
    get = item.get if isinstance(item, dict) else item.__getattribute__
    parts: list[str] = []
    sets, reps, hold, minutes, per_week = (
        get("sets"),
        get("reps"),
        get("hold_s"),
        get("minutes"),
        get("per_week"),
    )
    if minutes:
        parts.append(f"{minutes} min")
    if sets:
        amount = f"{sets} {'set' if sets == 1 else 'sets'}"
        if reps:
            amount += f" of {reps}"
        parts.append(amount)
    if hold:
        parts.append(f"hold {hold} s")
    if per_week:
        if per_week == 14:
            parts.append("twice a day")
        elif per_week >= 7:
            parts.append("every day")
        else:
            parts.append(f"{per_week} days a week")
    return ", ".join(parts)
