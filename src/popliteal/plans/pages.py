"""Pages of the exercise library and the person's plan (illustrations are public data)."""

from __future__ import annotations

from functools import cache
from typing import Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from popliteal.plans import figures, poses
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import Kb

router = APIRouter(max_body_size=MAX_BODY_BYTES, tags=["pages"])


@router.get("/exercises/{exercise_id}.svg", include_in_schema=False)
def exercise_illustration(exercise_id: str, kb: Kb) -> Response:
    """Serve an exercise's illustration (an SVG that ships with the knowledge base)."""
    ex = kb.exercises.get(exercise_id)
    if ex is None:
        raise HTTPException(404, "no such exercise")
    body = kb.illustration_path(ex).read_bytes()
    return Response(
        body,
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


POSITION_WORDS = {"start": "start position", "end": "end position"}


@cache
def _position_svg(exercise_id: str, name: str, position: str) -> bytes:
    start, end = poses.POSES[exercise_id]
    pose, other = (start, end) if position == "start" else (end, start)
    title = f"{name}: {POSITION_WORDS[position]}"
    if words := figures.movement_words(pose):
        title += f", {words}"
    return figures.figure_svg(pose, title, with_pose=other).encode()


@router.get("/exercises/{exercise_id}/{position}.svg", include_in_schema=False)
def exercise_position(exercise_id: str, position: Literal["start", "end"], kb: Kb) -> Response:
    """Serve the drawing of an exercise's start or end position (drawn from joint angles)."""
    ex = kb.exercises.get(exercise_id)
    if ex is None or exercise_id not in poses.POSES:
        raise HTTPException(404, "no such exercise")
    return Response(
        _position_svg(exercise_id, ex.name, position),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# ---- handout routes (handout helper): the home programme as a PDF --------------------------
# Kept in one block with its own imports so parallel edits above do not collide.

from datetime import date as _date  # noqa: E402

from fastapi import Request  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from popliteal.accounts.deps import CurrentClinician, CurrentPatient  # noqa: E402
from popliteal.accounts.models import Clinic, Patient  # noqa: E402
from popliteal.accounts.rules import Actor  # noqa: E402
from popliteal.db import reading  # noqa: E402
from popliteal.errors import NotAllowed  # noqa: E402
from popliteal.plans import service as plans_service  # noqa: E402
from popliteal.plans.handout import render_handout  # noqa: E402
from popliteal.web.deps import DbSession, RowId  # noqa: E402
from popliteal.web.errors import error_page  # noqa: E402

HANDOUT_FILENAME = "home-programme.pdf"


def _handout_details(session: Session, patient_id: int) -> tuple[str, Clinic, _date] | None:
    """The person's name, their clinic and today's date there, read in one transaction that
    ends before the PDF renders (on SQLite an open one holds the write lock)."""
    with reading(session):
        patient = session.get(Patient, patient_id)
        clinic = session.get(Clinic, patient.clinic_id) if patient else None
        if patient is None or clinic is None:
            return None
        today = plans_service.local_today(session, clinic.id)
        session.expunge(clinic)  # keep its loaded fields: the rollback would expire them
        return patient.full_name, clinic, today


def _handout_pdf(
    request: Request, session: DbSession, kb: Kb, actor: Actor, patient_id: int
) -> Response:
    """The current plan's handout as a PDF download, or a 404 page saying why not."""
    try:
        plan = plans_service.current_plan(session, kb=kb, actor=actor, patient_id=patient_id)
    except NotAllowed:
        return error_page(request, 404, "Patient not found", ["We could not find that person."])
    if plan is None:
        message = (
            "There is no care plan for this person yet. Save a plan first, then print it."
            if actor.is_staff
            else "Your clinician has not set up your home exercise plan yet, so there is no "
            "handout to print. Ask at your next visit."
        )
        return error_page(request, 404, "No plan yet", [message])
    found = _handout_details(session, patient_id)
    if found is None:
        return error_page(request, 404, "Patient not found", ["We could not find that person."])
    patient_name, clinic, today = found
    number: str = clinic.emergency_number or request.app.state.settings.emergency_number
    pdf = render_handout(
        kb=kb,
        plan=plan,
        clinic=clinic,
        patient_name=patient_name,
        today=today,
        emergency_number=number,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{HANDOUT_FILENAME}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/my/plan/handout.pdf", include_in_schema=False)
def my_plan_handout(
    request: Request, session: DbSession, kb: Kb, actor: CurrentPatient
) -> Response:
    """Download my home exercise plan as a printable PDF."""
    assert actor.patient_id is not None  # noqa: S101 - CurrentPatient guarantees it
    return _handout_pdf(request, session, kb, actor, actor.patient_id)


@router.get("/staff/patients/{patient_id}/plan/handout.pdf", include_in_schema=False)
def staff_plan_handout(
    request: Request, session: DbSession, kb: Kb, actor: CurrentClinician, patient_id: RowId
) -> Response:
    """Download a patient's home exercise plan as a printable PDF (clinicians of the clinic)."""
    return _handout_pdf(request, session, kb, actor, patient_id)


# ---- end of handout routes -----------------------------------------------------------------


# ---- the person's plan page (person-pages helper) ------------------------------------------
# Kept in one block with its own imports so parallel edits above do not collide.

from fastapi import Depends  # noqa: E402
from fastapi.responses import HTMLResponse  # noqa: E402

from popliteal.accounts.deps import get_optional_user  # noqa: E402
from popliteal.knowledge.loader import Knowledge  # noqa: E402
from popliteal.plans.schemas import PlanVersionRead  # noqa: E402

# How the plan's "when to get help" items are introduced, most urgent first.
# Within care, a sign the clinic should hear about; the two red-flag levels use the one
# urgency heading (advice.yaml urgency_messages), so the plan page never disagrees with it.
HELP_LEADS = {
    "emergency": "",
    "urgent": "",
    "surgical_consult": "Tell your clinician soon",
    "conservative": "Tell your clinician at your next visit",
}


def help_leads(kb: Knowledge) -> dict[str, str]:
    """The lead line for each urgency of a plan's "get help if" signs."""
    headings = {str(level): m.heading for level, m in kb.advice.urgency_messages.items()}
    return {level: lead or headings[level] for level, lead in HELP_LEADS.items()}


def phase_goals(kb: Knowledge, plan: PlanVersionRead) -> list[str]:
    """The goals of the plan's phase, from its condition's protocol."""
    protocol = kb.protocols.get(plan.condition)
    for phase in protocol.phases if protocol else ():
        if phase.id == plan.phase:
            return list(phase.goals)
    return []


def patient_condition_name(kb: Knowledge, plan: PlanVersionRead) -> str:
    """The plan's condition in the person's words (its clinical name when there are none)."""
    condition = kb.conditions.get(plan.condition)
    return condition.patient_name if condition and condition.patient_name else plan.condition_name


@router.get(
    "/my/plan",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(get_optional_user)],
)
def read_my_plan(request: Request, session: DbSession, kb: Kb, actor: CurrentPatient) -> Response:
    """Show my home exercise plan: the phase and its goals, each exercise, limits and help."""
    assert actor.patient_id is not None  # noqa: S101 - CurrentPatient guarantees it
    plan = plans_service.current_plan(session, kb=kb, actor=actor, patient_id=actor.patient_id)
    prescribed = plan.exercises if plan else []
    order = list(HELP_LEADS)
    help_items = sorted(
        plan.refer_when if plan else [],
        key=lambda r: order.index(r["urgency"]) if r.get("urgency") in order else len(order),
    )
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "plans_my_plan.html",
        {
            "plan": plan,
            "condition_name": patient_condition_name(kb, plan) if plan else "",
            "goals": phase_goals(kb, plan) if plan else [],
            "exercises": [(rx, kb.exercises.get(rx.id)) for rx in plan.exercises] if plan else [],
            "figure_words": {rx.id: poses.alt_words(rx.id) for rx in prescribed},
            "help_items": help_items,
            "help_leads": help_leads(kb),
            "pain_limit": kb.progression.pain_during_at_most,
        },
    )


# ---- end of the person's plan page ---------------------------------------------------------
