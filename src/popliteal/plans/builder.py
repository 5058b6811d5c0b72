"""The plan builder's state: the one form of the plan builder as rows and options, read from a
posted form, drawn from a draft or a saved version, turned into a plan spec, and what the form
offers (exercise choices, blocked ones, treatments).

No request and no database: the pages (plans/staff_pages.py) post the whole form and get it
back changed; nothing is stored until "Save and assign".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import ProtocolPhase
from popliteal.plans import rules
from popliteal.plans.schemas import LimitIn, PlanCreate, PlanVersionRead, PrescriptionIn
from popliteal.plans.service import GOAL_NAMES, PHASE_NAMES

MAX_EXERCISES = 12  # PlanCreate allows at most this many
MAX_ROWS_READ = 30  # form rows read from a post; more are ignored
DOSE_FIELDS: dict[str, tuple[str, int, int]] = {
    # field: (label, lowest, highest) as PrescriptionIn allows
    "sets": ("sets", 1, 10),
    "reps": ("reps", 1, 50),
    "hold_s": ("hold (seconds)", 1, 600),
    "minutes": ("minutes", 1, 90),
    "per_week": ("days a week", 1, 14),
    "rest_s": ("rest (seconds)", 0, 600),
}
PER_WEEK_CHOICES = [(n, f"{n} day{'s' if n > 1 else ''} a week") for n in range(1, 7)] + [
    (7, "Every day"),
    (14, "Twice a day"),
]
CATEGORY_NAMES = {
    "hamstring": "Hamstring",
    "quadriceps": "Thigh (quadriceps)",
    "calf": "Calf",
    "popliteus_posterolateral": "Popliteus and outer corner",
    "hip": "Hip",
    "range_of_motion": "Range of motion",
    "neural": "Nerve gliding",
    "balance": "Balance",
    "conditioning": "Conditioning",
    "self_release": "Self massage",
    "ice": "Ice",
}


equipment_name = rules.equipment_name


# ------------------------------------------------------------------ the builder's state


@dataclass
class Row:
    """One exercise row of the form, as typed (strings, so a typo comes back as typed)."""

    exercise_id: str
    sets: str = ""
    reps: str = ""
    hold_s: str = ""
    minutes: str = ""
    per_week: str = "7"
    rest_s: str = "30"
    note: str = ""
    swapped_for: str = ""  # set by the draft's automatic equipment swap


@dataclass
class LimitRow:
    id: str
    text: str
    on: bool


@dataclass
class Options:
    """What the draft is built from: condition, goal, pain, equipment, time and phase."""

    condition: str = ""
    goal: str = "everyday_life"
    pain: str = ""
    equipment: list[str] = field(default_factory=list)
    minutes: str = ""
    phase: str = ""  # "" = let the pain choose


@dataclass
class Builder:
    opts: Options
    rows: list[Row]
    treatments: list[str]
    limits: list[LimitRow]
    limit_custom: str = ""
    notes: str = ""
    change_summary: str = ""
    base_version: int | None = None


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def row_from(rx: Mapping[str, Any], exercise_id: str) -> Row:
    return Row(
        exercise_id=exercise_id,
        sets=_text(rx.get("sets")),
        reps=_text(rx.get("reps")),
        hold_s=_text(rx.get("hold_s")),
        minutes=_text(rx.get("minutes")),
        per_week=_text(rx.get("per_week")) or "7",
        rest_s=_text(rx.get("rest_s")) or "30",
        note=str(rx.get("note") or ""),
        swapped_for=str(rx.get("swapped_for") or ""),
    )


def phase_of(kb: Knowledge, condition: str, phase: str) -> ProtocolPhase | None:
    protocol = kb.protocols.get(condition)
    for ph in protocol.phases if protocol else ():
        if ph.id == phase:
            return ph
    return None


def offered_limits(kb: Knowledge, condition: str, phase: str, goal: str) -> list[tuple[str, str]]:
    """The phase's activity limits for this goal, as (id, text)."""
    ph = phase_of(kb, condition, phase)
    return [
        (lim.id, lim.text)
        for lim in (ph.activity_limits if ph else ())
        if not lim.goals or goal in lim.goals
    ]


def _limit_rows(
    kb: Knowledge, opts: Options, chosen: Iterable[Mapping[str, Any]]
) -> list[LimitRow]:
    rows = [LimitRow(str(lim["id"]), str(lim["text"]), True) for lim in chosen]
    have = {(r.id, r.text) for r in rows}
    for lid, text in offered_limits(kb, opts.condition, opts.phase, opts.goal):
        if (lid, text) not in have:
            rows.append(LimitRow(lid, text, False))
    return rows


def from_spec(kb: Knowledge, spec: PlanCreate, *, base_version: int | None = None) -> Builder:
    opts = Options(
        condition=spec.condition,
        goal=spec.goal,
        pain=_text(spec.pain),
        equipment=sorted(set(spec.equipment)),
        minutes=_text(spec.minutes_per_day),
        phase=spec.phase,
    )
    return Builder(
        opts=opts,
        rows=[row_from(rx.model_dump(), rx.exercise_id) for rx in spec.exercises],
        treatments=list(spec.treatments),
        limits=_limit_rows(kb, opts, [lim.model_dump() for lim in spec.activity_limits]),
        notes=spec.notes,
        change_summary=spec.change_summary,
        base_version=base_version,
    )


def from_version(kb: Knowledge, plan: PlanVersionRead) -> Builder:
    opts = Options(
        condition=plan.condition,
        goal=plan.goal,
        pain=_text(plan.pain),
        equipment=sorted(set(plan.equipment)),
        minutes=_text(plan.minutes_per_day),
        phase=plan.phase,
    )
    return Builder(
        opts=opts,
        rows=[row_from(e.model_dump(), e.id) for e in plan.exercises],
        treatments=[str(t["id"]) for t in plan.treatments],
        limits=_limit_rows(kb, opts, plan.activity_limits),
        notes=plan.notes,
        base_version=plan.number,
    )


def clip(value: Any, n: int) -> str:
    return value[:n] if isinstance(value, str) else ""


def options_from_form(form: FormData) -> Options:
    return Options(
        condition=clip(form.get("condition"), 80).strip(),
        goal=clip(form.get("goal"), 40).strip() or "everyday_life",
        pain=clip(form.get("pain"), 10).strip(),
        equipment=sorted({clip(v, 40) for v in form.getlist("equipment")[:40]} - {""}),
        minutes=clip(form.get("minutes_per_day"), 10).strip(),
        phase=clip(form.get("phase"), 40).strip(),
    )


ROW_RE = re.compile(r"^ex-(\d{1,2})-id$")
LIMIT_RE = re.compile(r"^limit-(\d{1,2})-id$")


def builder_from_form(form: FormData) -> Builder:
    """The builder as posted: rows in their index order, checked treatments and limits."""
    indices = sorted(int(m.group(1)) for k in form if (m := ROW_RE.match(k)))
    rows = []
    for i in indices[:MAX_ROWS_READ]:
        p = f"ex-{i}-"
        rows.append(
            Row(
                exercise_id=clip(form.get(p + "id"), 80).strip(),
                sets=clip(form.get(p + "sets"), 10).strip(),
                reps=clip(form.get(p + "reps"), 10).strip(),
                hold_s=clip(form.get(p + "hold_s"), 10).strip(),
                minutes=clip(form.get(p + "minutes"), 10).strip(),
                per_week=clip(form.get(p + "per_week"), 10).strip(),
                rest_s=clip(form.get(p + "rest_s"), 10).strip() or "30",
                note=clip(form.get(p + "note"), 500),
                swapped_for=clip(form.get(p + "swapped_for"), 200).strip(),
            )
        )
    limits = []
    for i in sorted(int(m.group(1)) for k in form if (m := LIMIT_RE.match(k)))[:MAX_ROWS_READ]:
        p = f"limit-{i}-"
        text = clip(form.get(p + "text"), 500).strip()
        if text:
            limits.append(
                LimitRow(clip(form.get(p + "id"), 80) or "custom", text, bool(form.get(p + "on")))
            )
    base = clip(form.get("base_version"), 10)
    return Builder(
        opts=options_from_form(form),
        rows=rows,
        treatments=[clip(t, 80) for t in form.getlist("treatment")[:20] if clip(t, 80)],
        limits=limits,
        limit_custom=clip(form.get("limit_custom"), 500),
        notes=clip(form.get("notes"), 4000),
        change_summary=clip(form.get("change_summary"), 500),
        base_version=(
            int(base) if base.isascii() and base.isdigit() and 0 < int(base) < 1_000_000 else None
        ),
    )


def parse_number(label: str, raw: str, low: int, high: int, problems: list[str]) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not re.fullmatch(r"\d{1,6}", raw):
        problems.append(f"{label}: enter a whole number from {low} to {high}")
        return None
    value = int(raw)
    if not low <= value <= high:
        problems.append(f"{label}: enter a whole number from {low} to {high}")
        return None
    return value


def exercise_name(kb: Knowledge, exercise_id: str) -> str:
    ex = kb.exercises.get(exercise_id)
    return ex.name if ex else exercise_id


def to_spec(kb: Knowledge, b: Builder) -> tuple[PlanCreate | None, list[str]]:
    """The plan to save, or every problem with the form as the clinician would read it."""
    problems: list[str] = []
    exercises: list[dict[str, Any]] = []
    for r in b.rows:
        name = exercise_name(kb, r.exercise_id)
        values: dict[str, Any] = {
            "exercise_id": r.exercise_id,
            "note": r.note.strip(),
            "swapped_for": r.swapped_for,
        }
        for key, (label, low, high) in DOSE_FIELDS.items():
            number = parse_number(f"{name}, {label}", getattr(r, key), low, high, problems)
            if number is not None:
                values[key] = number
            elif key == "per_week":
                problems.append(f"{name}: choose how many days a week")
        exercises.append(values)
    if not exercises:
        problems.append("Add at least one exercise.")
    pain = parse_number("Pain", b.opts.pain, 0, 10, problems)
    minutes = parse_number("Minutes a day", b.opts.minutes, 1, 240, problems)
    limits = [LimitIn(id=lim.id[:80], text=lim.text) for lim in b.limits if lim.on]
    if b.limit_custom.strip():
        limits.append(LimitIn(id="custom", text=b.limit_custom.strip()))
    if problems:
        return None, problems
    try:
        spec = PlanCreate(
            condition=b.opts.condition,
            phase=b.opts.phase,
            goal=b.opts.goal,
            pain=pain,
            equipment=b.opts.equipment,
            minutes_per_day=minutes,
            exercises=[PrescriptionIn(**e) for e in exercises],
            treatments=b.treatments,
            activity_limits=limits,
            notes=b.notes,
            change_summary=b.change_summary,
        )
    except ValidationError as exc:
        return None, [_validation_text(kb, b, e) for e in exc.errors()]
    return spec, []


def _validation_text(kb: Knowledge, b: Builder, error: Mapping[str, Any]) -> str:
    loc = list(error.get("loc", ()))
    msg = str(error.get("msg", "is not valid"))
    if loc[:1] == ["exercises"] and len(loc) >= 2 and isinstance(loc[1], int):
        row = b.rows[loc[1]] if loc[1] < len(b.rows) else None
        name = exercise_name(kb, row.exercise_id) if row else "An exercise"
        return f"{name}, {' '.join(str(x) for x in loc[2:]) or 'exercise'}: {msg}"
    if loc == ["exercises"]:
        return f"Exercises: {msg} (a plan has 1 to {MAX_EXERCISES})"
    return f"{' '.join(str(x) for x in loc).replace('_', ' ').capitalize()}: {msg}"


def what_changed(kb: Knowledge, old: PlanVersionRead | None, spec: PlanCreate) -> str:
    """A one-line summary of the differences from the version the edit started from."""
    if old is None:
        return ""
    parts: list[str] = []
    if old.condition != spec.condition:
        new = kb.conditions.get(spec.condition)
        parts.append(f"condition {old.condition_name} → {new.name if new else spec.condition}")
    if old.phase != spec.phase:
        parts.append(f"phase {PHASE_NAMES[old.phase].lower()} → {PHASE_NAMES[spec.phase].lower()}")
    before = {e.id: e for e in old.exercises}
    after = {rx.exercise_id: rx for rx in spec.exercises}
    added = [exercise_name(kb, i) for i in after if i not in before]
    removed = [before[i].name for i in before if i not in after]
    if added:
        parts.append("added " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    for eid, rx in after.items():
        if eid in before:
            was, now = before[eid].dose, rules.dose_text(rx.model_dump())
            if was != now:
                parts.append(f"{before[eid].name} {was} → {now}")
    kept_before = [i for i in before if i in after]
    kept_after = [i for i in after if i in before]
    if kept_before != kept_after:
        parts.append("new exercise order")
    if sorted(str(t["id"]) for t in old.treatments) != sorted(spec.treatments):
        parts.append("treatments changed")
    old_limits = sorted(str(lim["text"]) for lim in old.activity_limits)
    if old_limits != sorted(lim.text for lim in spec.activity_limits):
        parts.append("activity limits changed")
    if old.notes.strip() != spec.notes.strip():
        parts.append("notes changed")
    if old.goal != spec.goal:
        parts.append(f"goal {GOAL_NAMES[old.goal].lower()} → {GOAL_NAMES[spec.goal].lower()}")
    if not parts:
        return "No change to the plan."
    text = "; ".join(parts)
    return (text[0].upper() + text[1:] + ".")[:500]


# ------------------------------------------------------------------ what the form offers


@dataclass(frozen=True)
class Choice:
    id: str
    name: str
    level: int
    blocked: str  # why it cannot be added ("" when it can)
    needs: str  # equipment the person has not got


def exercise_choices(kb: Knowledge, b: Builder) -> list[tuple[str, list[Choice]]]:
    """The exercise library grouped by category, each marked when it may not be added."""
    have = set(kb.drafting.household_equipment) | set(b.opts.equipment)
    taken = {r.exercise_id for r in b.rows}
    groups: dict[str, list[Choice]] = {c: [] for c in CATEGORY_NAMES}
    for ex in kb.exercises.values():
        why = rules.is_contraindicated(ex, b.opts.condition, b.opts.phase)
        blocked = why or ("already in the plan" if ex.id in taken else "")
        missing = ", ".join(equipment_name(x).lower() for x in ex.equipment if x not in have)
        groups.setdefault(ex.category, []).append(
            Choice(ex.id, ex.name, ex.level, blocked, missing)
        )
    return [
        (CATEGORY_NAMES.get(cat, cat), sorted(items, key=lambda c: (c.level, c.name)))
        for cat, items in groups.items()
        if items
    ]


def blocked_reasons(kb: Knowledge, b: Builder) -> list[tuple[str, str]]:
    """Exercises contraindicated for this condition and phase, with the reason."""
    out = []
    for ex in kb.exercises.values():
        why = rules.is_contraindicated(ex, b.opts.condition, b.opts.phase)
        if why:
            out.append((ex.name, why))
    return sorted(out)


def treatment_rows(kb: Knowledge, b: Builder) -> list[dict[str, Any]]:
    """The phase's treatment offers (with the protocol's note), plus any already chosen."""
    ph = phase_of(kb, b.opts.condition, b.opts.phase)
    rows: list[dict[str, Any]] = [
        {"id": t.treatment, "name": kb.treatments[t.treatment].name, "note": t.note}
        for t in (ph.treatments if ph else ())
        if t.treatment in kb.treatments
    ]
    ids = {r["id"] for r in rows}
    rows += [
        {"id": t, "name": kb.treatments[t].name if t in kb.treatments else t, "note": ""}
        for t in b.treatments
        if t not in ids
    ]
    for r in rows:
        r["on"] = r["id"] in b.treatments
    return rows


def prescription_for(kb: Knowledge, b: Builder, exercise_id: str) -> dict[str, Any]:
    """The dose for an added exercise: the protocol's for this phase, else the library's."""
    ph = phase_of(kb, b.opts.condition, b.opts.phase)
    for rx in ph.exercises if ph else ():
        if rx.exercise == exercise_id:
            return rx.model_dump()
    return kb.exercises[exercise_id].dose.model_dump()


def conditions_with_protocols(kb: Knowledge) -> list[tuple[str, str]]:
    return sorted(
        ((cid, kb.conditions[cid].name) for cid in kb.protocols if cid in kb.conditions),
        key=lambda x: x[1].lower(),
    )
