"""The clinician's plan page: the current plan and its versions, with the progression
suggestions and the progress read from the person's session logs, and approving suggestions as
the plan's next version; and the patient page's "Care plan" block.

The plan builder and the version pages are plans' (plans/staff_pages.py); these sit on the
sessions floor because they read the session logs.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.deps import CurrentClinician, page_router
from popliteal.accounts.rules import Actor
from popliteal.errors import AccountError
from popliteal.knowledge.loader import Knowledge
from popliteal.plans import rules
from popliteal.plans import service as plans_service
from popliteal.plans.builder import clip, exercise_name
from popliteal.plans.service import PHASE_NAMES, PlanProblems
from popliteal.plans.staff_pages import BuilderForm, clinic_timezone, plan_body
from popliteal.sessions import service as sessions_service
from popliteal.sessions import suggestions as suggestions_service
from popliteal.web.deps import DbSession, Kb, RowId
from popliteal.web.templating import render

router = page_router("staff")

SESSION_MODE_NAMES = {
    "home": "At home",
    "virtual": "Video visit",
    "at_home_visit": "Home visit",
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
    patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
    plan = plans_service.current_plan(session, kb=kb, actor=actor, patient_id=patient_id)
    history = plans_service.plan_history(session, kb=kb, actor=actor, patient_id=patient_id)
    found = suggestions_service.suggestions(session, kb=kb, actor=actor, patient_id=patient_id)
    progress = sessions_service.progress(session, kb=kb, actor=actor, patient_id=patient_id)
    by_id = {e.id: e for e in plan.exercises} if plan else {}
    suggestions = []
    for s in found.exercises if found else ():
        rx = by_id.get(s.exercise_id)
        change = ""
        if s.replace_with:
            change = f"Switch to {exercise_name(kb, s.replace_with)}"
        elif s.new_dose:
            change = f"New dose: {rules.dose_text(dict(s.new_dose))}"
        suggestions.append(
            {
                "id": s.exercise_id,
                "name": rx.name if rx else exercise_name(kb, s.exercise_id),
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
        "timezone": clinic_timezone(session, patient),
    }
    if plan is not None:
        ctx.update(plan_body(kb, plan))
    return render(request, "plans_staff_plan.html", ctx, status)


@router.get(
    "/staff/patients/{patient_id}/plan", response_class=HTMLResponse, include_in_schema=False
)
def read_patient_plan(
    patient_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Show the current plan, its versions, progression suggestions and the person's progress."""
    return _plan_page(request, session, kb, actor, patient_id)


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
    accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
    phase = clip(form.get("action"), 20) == "phase"
    chosen = [clip(x, 80) for x in form.getlist("exercise")[:20]]
    try:
        saved = suggestions_service.apply_suggestions(
            session,
            kb=kb,
            actor=actor,
            patient_id=patient_id,
            exercise_ids=[] if phase else chosen,
            phase=phase,
        )
    except PlanProblems as exc:
        return _plan_page(request, session, kb, actor, patient_id, errors=exc.problems, status=400)
    except AccountError as exc:
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
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int
) -> dict[str, Any]:
    """The staff patient page's "Care plan" block: plan, adherence and the latest session."""
    plan = plans_service.current_plan(session, kb=kb, actor=actor, patient_id=patient_id)
    if plan is None:
        return {"plan": None}
    progress = sessions_service.progress(
        session, kb=kb, actor=actor, patient_id=patient_id, weeks=1
    )
    week = progress.adherence[-1].percent if progress.adherence else None
    latest = progress.sessions[0] if progress.sessions else None
    return {
        "plan": plan,
        "adherence": week,
        "latest": latest,
        "hurt": [e.name for e in latest.entries if e.hurt] if latest else [],
    }
