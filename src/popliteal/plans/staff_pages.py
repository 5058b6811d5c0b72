"""The clinician's plan pages: build a plan from the draft, assign it, read versions (the plan
page itself, with the progression suggestions and progress read from the session logs:
sessions/plan_pages.py).

The builder is one form. Every editing button (Up, Down, Remove, Add, Redraft) posts the whole
form and gets it back changed; nothing is stored until "Save and assign". With JavaScript on,
htmx swaps only the form; without it the whole page comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from popliteal.accounts import service as accounts_service
from popliteal.accounts.deps import CurrentClinician, page_router
from popliteal.accounts.models import Patient
from popliteal.accounts.rules import Actor
from popliteal.db import reading
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import EQUIPMENT, GOALS
from popliteal.plans import rules
from popliteal.plans import service as plans_service
from popliteal.plans.builder import (
    MAX_EXERCISES,
    PER_WEEK_CHOICES,
    Builder,
    Options,
    blocked_reasons,
    builder_from_form,
    clip,
    conditions_with_protocols,
    equipment_name,
    exercise_choices,
    exercise_name,
    from_spec,
    from_version,
    parse_number,
    phase_of,
    prescription_for,
    row_from,
    to_spec,
    treatment_rows,
    what_changed,
)
from popliteal.plans.schemas import PlanVersionRead
from popliteal.plans.service import GOAL_NAMES, PHASE_NAMES, PlanError, PlanProblems
from popliteal.web.deps import DbSession, Kb, RowId
from popliteal.web.forms import plain_digits
from popliteal.web.templating import render

router = page_router("staff")

URGENCY_WORDS = {"emergency": "emergency", "urgent": "urgent"}


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
    # No pain score was known, so the phase fell to the first one: ask for it.
    pain_missing: bool = False


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
    return render(request, "plans_staff_build.html", ctx, status)


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
        pain = parse_number("Pain", opts.pain, 0, 10, problems)
        minutes = parse_number("Minutes a day", opts.minutes, 1, 240, problems)
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
    spec = plans_service.spec_from_draft(draft, pain=found.pain)
    spec = spec.model_copy(
        update={
            "equipment": sorted(request.equipment) if request else [],
            "minutes_per_day": request.minutes_per_day if request else None,
        }
    )
    b = from_spec(kb, spec)
    view = View(
        source=_source_text(kb, found),
        draft_notes=list(draft.notes),
        pain_missing=found.pain is None and (request is None or request.phase is None),
    )
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
    patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
    current = plans_service.current_plan(session, kb=kb, actor=actor, patient_id=patient_id)
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
    if not plain_digits(raw) or int(raw) >= len(b.rows):
        view.problems.append("That exercise is no longer in the form; nothing changed.")
        return
    i = int(raw)
    name = exercise_name(kb, b.rows[i].exercise_id)
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
    b.rows.append(row_from(prescription_for(kb, b, ex.id), ex.id))
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
    patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
    action = clip(form.get("action"), 40)
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
        _add(kb, b, clip(form.get("add_exercise"), 80), view)
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
            )
        except PlanProblems as exc:
            problems = [p[0].upper() + p[1:] for p in exc.problems]
        except AccountError as exc:  # save_plan has rolled back already
            problems = [str(exc)]
        else:
            target = f"/staff/patients/{patient.id}/plan?saved={saved.number}"
            if request.headers.get("HX-Request"):
                return Response(status_code=200, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
    view = View(problems=problems, focus="errors")
    return _builder_page(request, kb, patient, b, view, old=old, status=400)


# ------------------------------------------------------------------ the plan page


def plan_body(kb: Knowledge, plan: PlanVersionRead) -> dict[str, Any]:
    """What the template needs besides the version: phase goals and exercise details."""
    ph = phase_of(kb, plan.condition, plan.phase)
    return {
        "phase_goals": list(ph.goals) if ph else [],
        "library": kb.exercises,
        "goal_name": GOAL_NAMES.get(plan.goal, plan.goal),
    }


def clinic_timezone(session: Session, patient: Patient) -> str:
    from popliteal.accounts.models import Clinic

    with reading(session):
        clinic = session.get(Clinic, patient.clinic_id)
        return clinic.timezone if clinic else "UTC"


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
    patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
    plan = plans_service.read_version(
        session, kb=kb, actor=actor, patient_id=patient_id, number=number
    )
    ctx = {"patient": patient, "plan": plan, "timezone": clinic_timezone(session, patient)}
    ctx.update(plan_body(kb, plan))
    return render(request, "plans_staff_version.html", ctx)
