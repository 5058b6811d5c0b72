"""The clinician's plan pages: build a plan from the draft, assign it, read versions, approve
progression suggestions and see the person's progress.

The builder is one form. Every editing button (Up, Down, Remove, Add, Redraft) posts the whole
form and gets it back changed; nothing is stored until "Save and assign". With JavaScript on,
htmx swaps only the form; without it the whole page comes back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import EQUIPMENT, GOALS, ProtocolPhase
from popliteal.plans import rules
from popliteal.plans import service as plans_service
from popliteal.plans.schemas import LimitIn, PlanCreate, PlanVersionRead, PrescriptionIn
from popliteal.plans.service import GOAL_NAMES, PHASE_NAMES, PlanError, PlanProblems
from popliteal.sessions import service as sessions_service
from popliteal.web.deps import (
    CsrfProtected,
    CurrentClinician,
    DbSession,
    Kb,
    RowId,
    client_address,
    get_optional_user,
)

router = APIRouter(tags=["staff"], dependencies=[Depends(get_optional_user), CsrfProtected])

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
SESSION_MODE_NAMES = {
    "home": "At home",
    "virtual": "Video visit",
    "at_home_visit": "Home visit",
}
URGENCY_WORDS = {"emergency": "emergency", "urgent": "urgent"}


def _render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, ctx, status_code=status
    )


def _patient(session: Session, actor: Actor, patient_id: int) -> Patient:
    try:
        return accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
    except NotAllowed as exc:
        raise HTTPException(404, str(exc)) from None


def equipment_name(item: str) -> str:
    return item.replace("_", " ").capitalize()


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


def _row(rx: Mapping[str, Any], exercise_id: str) -> Row:
    return Row(
        exercise_id=exercise_id,
        sets=_text(rx.get("sets")),
        reps=_text(rx.get("reps")),
        hold_s=_text(rx.get("hold_s")),
        minutes=_text(rx.get("minutes")),
        per_week=_text(rx.get("per_week")) or "7",
        rest_s=_text(rx.get("rest_s")) or "30",
        note=str(rx.get("note") or ""),
    )


def _phase_of(kb: Knowledge, condition: str, phase: str) -> ProtocolPhase | None:
    protocol = kb.protocols.get(condition)
    for ph in protocol.phases if protocol else ():
        if ph.id == phase:
            return ph
    return None


def offered_limits(kb: Knowledge, condition: str, phase: str, goal: str) -> list[tuple[str, str]]:
    """The phase's activity limits for this goal, as (id, text)."""
    ph = _phase_of(kb, condition, phase)
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
        rows=[_row(rx.model_dump(), rx.exercise_id) for rx in spec.exercises],
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
        rows=[_row(e.model_dump(), e.id) for e in plan.exercises],
        treatments=[str(t["id"]) for t in plan.treatments],
        limits=_limit_rows(kb, opts, plan.activity_limits),
        notes=plan.notes,
        base_version=plan.number,
    )


def _clip(value: Any, n: int) -> str:
    return value[:n] if isinstance(value, str) else ""


def options_from_form(form: FormData) -> Options:
    return Options(
        condition=_clip(form.get("condition"), 80).strip(),
        goal=_clip(form.get("goal"), 40).strip() or "everyday_life",
        pain=_clip(form.get("pain"), 10).strip(),
        equipment=sorted({_clip(v, 40) for v in form.getlist("equipment")[:40]} - {""}),
        minutes=_clip(form.get("minutes_per_day"), 10).strip(),
        phase=_clip(form.get("phase"), 40).strip(),
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
                exercise_id=_clip(form.get(p + "id"), 80).strip(),
                sets=_clip(form.get(p + "sets"), 10).strip(),
                reps=_clip(form.get(p + "reps"), 10).strip(),
                hold_s=_clip(form.get(p + "hold_s"), 10).strip(),
                minutes=_clip(form.get(p + "minutes"), 10).strip(),
                per_week=_clip(form.get(p + "per_week"), 10).strip(),
                rest_s=_clip(form.get(p + "rest_s"), 10).strip() or "30",
                note=_clip(form.get(p + "note"), 500),
            )
        )
    limits = []
    for i in sorted(int(m.group(1)) for k in form if (m := LIMIT_RE.match(k)))[:MAX_ROWS_READ]:
        p = f"limit-{i}-"
        text = _clip(form.get(p + "text"), 500).strip()
        if text:
            limits.append(
                LimitRow(_clip(form.get(p + "id"), 80) or "custom", text, bool(form.get(p + "on")))
            )
    base = _clip(form.get("base_version"), 10)
    return Builder(
        opts=options_from_form(form),
        rows=rows,
        treatments=[_clip(t, 80) for t in form.getlist("treatment")[:20] if _clip(t, 80)],
        limits=limits,
        limit_custom=_clip(form.get("limit_custom"), 500),
        notes=_clip(form.get("notes"), 4000),
        change_summary=_clip(form.get("change_summary"), 500),
        base_version=int(base) if base.isdigit() and 0 < int(base) < 1_000_000 else None,
    )


def _number(label: str, raw: str, low: int, high: int, problems: list[str]) -> int | None:
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


def _ex_name(kb: Knowledge, exercise_id: str) -> str:
    ex = kb.exercises.get(exercise_id)
    return ex.name if ex else exercise_id


def to_spec(kb: Knowledge, b: Builder) -> tuple[PlanCreate | None, list[str]]:
    """The plan to save, or every problem with the form as the clinician would read it."""
    problems: list[str] = []
    exercises: list[dict[str, Any]] = []
    for r in b.rows:
        name = _ex_name(kb, r.exercise_id)
        values: dict[str, Any] = {"exercise_id": r.exercise_id, "note": r.note.strip()}
        for key, (label, low, high) in DOSE_FIELDS.items():
            number = _number(f"{name}, {label}", getattr(r, key), low, high, problems)
            if number is not None:
                values[key] = number
            elif key == "per_week":
                problems.append(f"{name}: choose how many days a week")
        exercises.append(values)
    if not exercises:
        problems.append("Add at least one exercise.")
    pain = _number("Pain", b.opts.pain, 0, 10, problems)
    minutes = _number("Minutes a day", b.opts.minutes, 1, 240, problems)
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
        name = _ex_name(kb, row.exercise_id) if row else "An exercise"
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
    added = [_ex_name(kb, i) for i in after if i not in before]
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
    ph = _phase_of(kb, b.opts.condition, b.opts.phase)
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


def _prescription_for(kb: Knowledge, b: Builder, exercise_id: str) -> dict[str, Any]:
    """The dose for an added exercise: the protocol's for this phase, else the library's."""
    ph = _phase_of(kb, b.opts.condition, b.opts.phase)
    for rx in ph.exercises if ph else ():
        if rx.exercise == exercise_id:
            return rx.model_dump()
    return kb.exercises[exercise_id].dose.model_dump()


def conditions_with_protocols(kb: Knowledge) -> list[tuple[str, str]]:
    return sorted(
        ((cid, kb.conditions[cid].name) for cid in kb.protocols if cid in kb.conditions),
        key=lambda x: x[1].lower(),
    )


# ------------------------------------------------------------------ rendering


@dataclass
class View:
    """Everything the builder page shows besides the form's own state."""

    source: str = ""
    draft_notes: list[str] = field(default_factory=list)
    referral: str | None = None
    referral_condition: str = ""
    problems: list[str] = field(default_factory=list)
    status: str = ""
    focus: str = ""  # "up:2", "down:2", "row:3", "status", "errors", "add"


def _builder_page(
    request: Request,
    kb: Knowledge,
    patient: Patient,
    b: Builder | None,
    view: View,
    *,
    opts: Options | None = None,
    old: PlanVersionRead | None = None,
    status: int = 200,
) -> Response:
    options = b.opts if b is not None else (opts or Options())
    hint = ""
    if b is not None and old is not None:
        spec, _ = to_spec(kb, replace(b, change_summary=""))
        hint = what_changed(kb, old, spec) if spec else ""
    protocol = kb.protocols.get(options.condition)
    focus_row, focus_button = _focus(view.focus, len(b.rows) if b else 0)
    ctx = {
        "patient": patient,
        "b": b,
        "view": view,
        "opts": options,
        "kb": kb,
        "conditions": conditions_with_protocols(kb),
        "goals": GOAL_NAMES,
        "phase_names": PHASE_NAMES,
        "phases": [ph.id for ph in protocol.phases] if protocol else [],
        "equipment": [(e, equipment_name(e)) for e in EQUIPMENT],
        "household": set(kb.drafting.household_equipment),
        "per_week_choices": PER_WEEK_CHOICES,
        "per_week_known": [str(n) for n, _ in PER_WEEK_CHOICES],
        "condition_name": (
            kb.conditions[options.condition].name if options.condition in kb.conditions else ""
        ),
        "choices": exercise_choices(kb, b) if b else [],
        "blocked": blocked_reasons(kb, b) if b else [],
        "treatments": treatment_rows(kb, b) if b else [],
        "hint": hint,
        "old": old,
        "max_exercises": MAX_EXERCISES,
        "focus_row": focus_row,
        "focus_button": focus_button,
    }
    return _render(request, "plans_staff_build.html", ctx, status)


def _focus(focus: str, rows: int) -> tuple[int, str]:
    """Which row and control the re-rendered form puts the keyboard focus on."""
    kind, _, raw = focus.partition(":")
    if not raw.isdigit() or int(raw) >= rows:
        return -1, ""
    i = int(raw)
    if kind == "row":
        return i, "sets"
    if kind == "up":
        return i, "up" if i > 0 else ("down" if rows > 1 else "remove")
    if kind == "down":
        return i, "down" if i < rows - 1 else ("up" if rows > 1 else "remove")
    return -1, ""


def _source_text(kb: Knowledge, view: plans_service.DraftView) -> str:
    name = kb.conditions[view.condition].name if view.condition in kb.conditions else ""
    if view.condition_from == "working_diagnosis":
        return f"Drafted for {name}, the working diagnosis."
    if view.condition_from == "screening":
        return (
            f"Drafted for {name}, the top condition of the newest screening. That ranking is "
            "decision support, not a diagnosis: check that it fits before you assign the plan."
        )
    return f"Drafted for {name}."


def _draft(
    session: Session,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    opts: Options | None,
    problems: list[str],
) -> tuple[Builder | None, View, Options | None]:
    """Draft a plan from these options (None: from the diagnosis or the screening)."""
    request: rules.DraftRequest | None = None
    if opts is not None:
        if opts.condition and opts.condition not in kb.conditions:
            problems.append("Choose a condition from the list.")
        goal = opts.goal if opts.goal in GOALS else "everyday_life"
        pain = _number("Pain", opts.pain, 0, 10, problems)
        minutes = _number("Minutes a day", opts.minutes, 1, 240, problems)
        phases = plans_service.phases_of(kb, opts.condition)
        phase = opts.phase if opts.phase in phases and opts.condition in kb.protocols else None
        if problems:
            return None, View(problems=problems, focus="errors"), opts
        request = rules.DraftRequest(
            condition=opts.condition,
            goal=goal,
            pain=pain,
            equipment=frozenset(e for e in opts.equipment if e in EQUIPMENT),
            minutes_per_day=minutes,
            phase=phase,  # type: ignore[arg-type]
        )
    try:
        found = plans_service.draft_for_patient(
            session, kb=kb, actor=actor, patient_id=patient_id, request=request
        )
    except PlanError as exc:
        return None, View(problems=[str(exc)], focus="errors"), opts
    if found.condition is None or found.draft is None:
        text = (
            "This person has no working diagnosis and no finished screening yet. "
            "Choose a condition below to draft a plan."
        )
        return None, View(source=text), opts or Options()
    draft = found.draft
    if draft.referral is not None:
        view = View(
            source=_source_text(kb, found),
            referral=URGENCY_WORDS.get(draft.referral, draft.referral),
            referral_condition=kb.conditions[found.condition].name,
        )
        return None, view, replace(opts or Options(), condition=found.condition)
    spec = plans_service.spec_from_draft(draft, pain=request.pain if request else None)
    spec = spec.model_copy(
        update={
            "equipment": sorted(request.equipment) if request else [],
            "minutes_per_day": request.minutes_per_day if request else None,
        }
    )
    b = from_spec(kb, spec)
    view = View(source=_source_text(kb, found), draft_notes=list(draft.notes))
    return b, view, None


async def builder_form(request: Request) -> FormData:
    """The posted builder form (the CSRF check has already read it)."""
    return await request.form(max_fields=600)


BuilderForm = Annotated[FormData, Depends(builder_form)]


def _old_version(
    session: Session, kb: Knowledge, actor: Actor, patient_id: int, number: int | None
) -> PlanVersionRead | None:
    if number is None:
        return None
    try:
        return plans_service.read_version(
            session, kb=kb, actor=actor, patient_id=patient_id, number=number
        )
    except NotAllowed:
        return None


@router.get(
    "/staff/patients/{patient_id}/plan/build", response_class=HTMLResponse, include_in_schema=False
)
def read_plan_builder(
    patient_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Open the plan builder: the current plan, else the draft for the person's condition."""
    patient = _patient(session, actor, patient_id)
    current = plans_service.current_plan(
        session, kb=kb, actor=actor, patient_id=patient_id, address=client_address(request)
    )
    if current is not None:
        b = from_version(kb, current)
        view = View(
            source=f"Starting from the current plan: version {current.number}, "
            f"{current.condition_name}, {current.phase_name.lower()} phase. Use the draft "
            "options to start again from a fresh draft."
        )
        return _builder_page(request, kb, patient, b, view, old=current)
    b2, view, opts = _draft(session, kb, actor, patient_id, None, [])
    return _builder_page(request, kb, patient, b2, view, opts=opts)


def _move(kb: Knowledge, b: Builder, action: str, view: View) -> None:
    kind, _, raw = action.partition(":")
    if not raw.isdigit() or int(raw) >= len(b.rows):
        view.problems.append("That exercise is no longer in the form; nothing changed.")
        return
    i = int(raw)
    name = _ex_name(kb, b.rows[i].exercise_id)
    if kind == "remove":
        b.rows.pop(i)
        view.status = f"Removed {name}."
        view.focus = "status"
        return
    j = i - 1 if kind == "up" else i + 1
    if not 0 <= j < len(b.rows):
        view.status = f"{name} is already at the {'top' if kind == 'up' else 'bottom'}."
        view.focus = f"{kind}:{i}"
        return
    b.rows[i], b.rows[j] = b.rows[j], b.rows[i]
    view.status = f"Moved {name} {kind} to number {j + 1}."
    view.focus = f"{kind}:{j}"


def _add(kb: Knowledge, b: Builder, exercise_id: str, view: View) -> None:
    ex = kb.exercises.get(exercise_id)
    if ex is None:
        view.problems.append("Choose an exercise to add.")
        return
    why = rules.is_contraindicated(ex, b.opts.condition, b.opts.phase)
    if why:
        condition = kb.conditions.get(b.opts.condition)
        view.problems.append(
            f"{ex.name} was not added: it is not allowed for "
            f"{condition.name if condition else b.opts.condition} in the "
            f"{PHASE_NAMES.get(b.opts.phase, b.opts.phase).lower()} phase. {why}"
        )
        return
    if any(r.exercise_id == ex.id for r in b.rows):
        view.problems.append(f"{ex.name} is already in the plan.")
        return
    if len(b.rows) >= MAX_EXERCISES:
        view.problems.append(f"A plan has at most {MAX_EXERCISES} exercises: remove one first.")
        return
    b.rows.append(_row(_prescription_for(kb, b, ex.id), ex.id))
    view.status = f"Added {ex.name} as number {len(b.rows)}."
    view.focus = f"row:{len(b.rows) - 1}"


@router.post(
    "/staff/patients/{patient_id}/plan/build", response_class=HTMLResponse, include_in_schema=False
)
def update_plan_builder(
    patient_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    form: BuilderForm,
) -> Response:
    """Apply one editing button to the posted plan (no database write), or save it."""
    patient = _patient(session, actor, patient_id)
    action = _clip(form.get("action"), 40)
    b = builder_from_form(form)
    old = _old_version(session, kb, actor, patient_id, b.base_version)
    if action == "redraft" or not b.opts.condition:
        b2, view, opts = _draft(session, kb, actor, patient_id, b.opts, [])
        if b2 is not None:
            b2.base_version = b.base_version
            view.status = "A fresh draft is ready: check it and save."
            view.focus = "status"
        status = 400 if view.problems else 200
        return _builder_page(request, kb, patient, b2, view, opts=opts, old=old, status=status)
    view = View(source="")
    if action.startswith(("up:", "down:", "remove:")):
        _move(kb, b, action, view)
    elif action == "add":
        _add(kb, b, _clip(form.get("add_exercise"), 80), view)
    elif action == "save":
        return _save(request, session, kb, actor, patient, b, old)
    if view.problems:
        view.focus = "errors"
    status = 400 if view.problems else 200
    return _builder_page(request, kb, patient, b, view, old=old, status=status)


def _save(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    patient: Patient,
    b: Builder,
    old: PlanVersionRead | None,
) -> Response:
    spec, problems = to_spec(kb, b)
    if spec is not None:
        if not spec.change_summary.strip() and old is not None:
            spec = spec.model_copy(update={"change_summary": what_changed(kb, old, spec)})
        try:
            saved = plans_service.save_plan(
                session,
                kb=kb,
                actor=actor,
                patient_id=patient.id,
                spec=spec,
                address=client_address(request),
            )
        except NotAllowed as exc:
            raise HTTPException(404, str(exc)) from None
        except PlanProblems as exc:
            problems = [p[0].upper() + p[1:] for p in exc.problems]
        except AccountError as exc:
            session.rollback()
            problems = [str(exc)]
        else:
            target = f"/staff/patients/{patient.id}/plan?saved={saved.number}"
            if request.headers.get("HX-Request"):
                return Response(status_code=200, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
    view = View(problems=problems, focus="errors")
    return _builder_page(request, kb, patient, b, view, old=old, status=400)


# ------------------------------------------------------------------ the plan page


def _plan_body(kb: Knowledge, plan: PlanVersionRead) -> dict[str, Any]:
    """What the template needs besides the version: phase goals and exercise details."""
    ph = _phase_of(kb, plan.condition, plan.phase)
    return {
        "phase_goals": list(ph.goals) if ph else [],
        "library": kb.exercises,
        "goal_name": GOAL_NAMES.get(plan.goal, plan.goal),
    }


def _plan_page(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    patient = _patient(session, actor, patient_id)
    address = client_address(request)
    try:
        plan = plans_service.current_plan(
            session, kb=kb, actor=actor, patient_id=patient_id, address=address
        )
        history = plans_service.plan_history(session, kb=kb, actor=actor, patient_id=patient_id)
        found = sessions_service.suggestions(session, kb=kb, actor=actor, patient_id=patient_id)
        progress = sessions_service.progress(
            session, kb=kb, actor=actor, patient_id=patient_id, address=address
        )
    except NotAllowed as exc:
        raise HTTPException(404, str(exc)) from None
    by_id = {e.id: e for e in plan.exercises} if plan else {}
    suggestions = []
    for s in found.exercises if found else ():
        rx = by_id.get(s.exercise_id)
        change = ""
        if s.replace_with:
            change = f"Switch to {_ex_name(kb, s.replace_with)}"
        elif s.new_dose:
            change = f"New dose: {rules.dose_text(dict(s.new_dose))}"
        suggestions.append(
            {
                "id": s.exercise_id,
                "name": rx.name if rx else _ex_name(kb, s.exercise_id),
                "dose": rx.dose if rx else "",
                "verdict": s.verdict,
                "reason": s.reason,
                "change": change,
                "approvable": s.verdict != "hold" and bool(change),
            }
        )
    saved = request.query_params.get("saved", "")
    ctx: dict[str, Any] = {
        "patient": patient,
        "plan": plan,
        # The active plan's versions are the newest ones; older lines belong to ended plans.
        "history": [(v, plan is not None and i < plan.number) for i, v in enumerate(history)],
        "suggestions": suggestions,
        "mode_names": SESSION_MODE_NAMES,
        "phase": found.phase if found else None,
        "phase_names": PHASE_NAMES,
        "progress": progress,
        "recent": progress.sessions[:10],
        "errors": errors or [],
        "saved": saved if saved.isdigit() else "",
        "timezone": _timezone(session, patient),
    }
    if plan is not None:
        ctx.update(_plan_body(kb, plan))
    return _render(request, "plans_staff_plan.html", ctx, status)


def _timezone(session: Session, patient: Patient) -> str:
    from popliteal.accounts.models import Clinic

    clinic = session.get(Clinic, patient.clinic_id)
    tz = clinic.timezone if clinic else "UTC"
    session.rollback()
    return tz


@router.get(
    "/staff/patients/{patient_id}/plan", response_class=HTMLResponse, include_in_schema=False
)
def read_patient_plan(
    patient_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Show the current plan, its versions, progression suggestions and the person's progress."""
    return _plan_page(request, session, kb, actor, patient_id)


@router.get(
    "/staff/patients/{patient_id}/plan/versions/{number}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def read_patient_plan_version(
    patient_id: RowId,
    number: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> Response:
    """Show one saved version of the patient's plan."""
    patient = _patient(session, actor, patient_id)
    try:
        plan = plans_service.read_version(
            session, kb=kb, actor=actor, patient_id=patient_id, number=number
        )
    except NotAllowed as exc:
        raise HTTPException(404, str(exc)) from None
    ctx = {"patient": patient, "plan": plan, "timezone": _timezone(session, patient)}
    ctx.update(_plan_body(kb, plan))
    return _render(request, "plans_staff_version.html", ctx)


@router.post(
    "/staff/patients/{patient_id}/plan/approve",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def approve_plan_suggestions(
    patient_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    form: BuilderForm,
) -> Response:
    """Approve the ticked suggestions, or the phase change: the plan's next version applies them."""
    _patient(session, actor, patient_id)
    phase = _clip(form.get("action"), 20) == "phase"
    chosen = [_clip(x, 80) for x in form.getlist("exercise")[:20]]
    try:
        saved = sessions_service.apply_suggestions(
            session,
            kb=kb,
            actor=actor,
            patient_id=patient_id,
            exercise_ids=[] if phase else chosen,
            phase=phase,
            address=client_address(request),
        )
    except NotAllowed as exc:
        raise HTTPException(404, str(exc)) from None
    except PlanProblems as exc:
        session.rollback()
        return _plan_page(request, session, kb, actor, patient_id, errors=exc.problems, status=400)
    except AccountError as exc:
        session.rollback()
        message = str(exc)
        return _plan_page(
            request,
            session,
            kb,
            actor,
            patient_id,
            errors=[message[:1].upper() + message[1:]],
            status=400,
        )
    return RedirectResponse(
        f"/staff/patients/{patient_id}/plan?saved={saved.number}", status_code=303
    )


# ------------------------------------------------------------------ the patient page's block


def care_summary(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int, address: str = ""
) -> dict[str, Any]:
    """The staff patient page's "Care plan" block: plan, adherence and the latest session."""
    plan = plans_service.current_plan(
        session, kb=kb, actor=actor, patient_id=patient_id, address=address
    )
    if plan is None:
        return {"plan": None}
    progress = sessions_service.progress(
        session, kb=kb, actor=actor, patient_id=patient_id, weeks=1, address=address
    )
    week = progress.adherence[-1].percent if progress.adherence else None
    latest = progress.sessions[0] if progress.sessions else None
    return {
        "plan": plan,
        "adherence": week,
        "latest": latest,
        "hurt": [e.name for e in latest.entries if e.hurt] if latest else [],
    }
