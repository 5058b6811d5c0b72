"""The person's home programme pages that reach across areas: Today (with the questionnaires
due), the guided session's finish (the once-a-day safety checklist; the review flags
re-evaluated), and progress (with the outcome charts).

The session's own screens and the helpers are sessions' (sessions/pages.py); these routes sit on
the top floor because they also read outcomes. Plain forms, as there: GET to read, POST to
change, then a redirect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from popliteal.accounts.deps import CurrentPatient, page_router
from popliteal.accounts.rules import Actor
from popliteal.alerts import rules as alert_rules
from popliteal.alerts import service as alerts_service
from popliteal.alerts.service import CheckInRefused
from popliteal.booking import service as booking_service
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import RedFlagRead
from popliteal.outcomes import patient_charts, questionnaire_forms, score_results
from popliteal.sessions import rules
from popliteal.sessions import service as sessions_service
from popliteal.sessions.pages import (
    MODE_CHOICES,
    MODE_SHORT,
    PAIN_HELP,
    condition_name,
    day_label,
    done_page,
    from_first,
    pain_chart,
    problem_page,
    resume_step,
    sentence,
    session_or_404,
    short_day,
    step_page,
)
from popliteal.sessions.schemas import PainCreate, SessionCreate, SessionFinish, SessionRead
from popliteal.web.deps import DbSession, Kb, RowId
from popliteal.web.forms import Posted, PostedForm, parse_pain
from popliteal.web.templating import render
from popliteal.workspace import flows

router = page_router("person pages")

NOTE_MAX = 2000
TREND_TEXT = {
    "better": "Your pain is going down. Well done.",
    "worse": "Your pain is going up. Ease off a little and tell your clinician.",
    "steady": "Your pain is about the same as before.",
    "unknown": "Log your pain for a few more weeks to see which way it is going.",
}
NOTICES = {
    "pain": "Thank you. Your pain score for this morning is saved.",
}


# ------------------------------------------------------------------ today


def _today_page(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    *,
    errors: Sequence[str] = (),
    status: int = 200,
    form: PostedForm | None = None,
) -> Response:
    view = sessions_service.today(session, kb=kb, actor=actor, patient_id=actor.own_patient_id)
    return render(
        request,
        "sessions_today.html",
        {
            "view": view,
            "condition_name": condition_name(kb, view.plan) if view.plan else "",
            "day_label": day_label(view.today),
            "ask_morning_pain": rules.ask_morning_pain(view.morning_pain),
            "errors": list(errors),
            "notice": NOTICES.get(request.query_params.get("saved", "")),
            "form": form or PostedForm({}),
            "modes": MODE_CHOICES,
            "mode_short": MODE_SHORT,
            "resume": resume_step(view.in_progress) if view.in_progress else None,
            # an open red flag pauses the programme: its message instead of the exercises
            "paused_urgency": alert_rules.worst_urgency(view.paused),
            # outcomes: the "Questionnaires due" card (outcomes/score_results.py)
            "questionnaires_due": score_results.due_for_me(session, kb=kb, actor=actor),
            # booking: the next visit, so "Book a visit" is offered only when none is booked
            "next_visit": booking_service.next_visit(session, actor=actor),
        },
        status,
    )


@router.get("/my/today", response_class=HTMLResponse, include_in_schema=False)
def read_my_today(request: Request, session: DbSession, kb: Kb, actor: CurrentPatient) -> Response:
    """Show today's exercises, this morning's pain and a way to start a guided session."""
    return _today_page(request, session, kb, actor)


@router.post("/my/pain", include_in_schema=False)
def create_my_pain(
    request: Request, session: DbSession, kb: Kb, actor: CurrentPatient, form: Posted
) -> Response:
    """Save this morning's pain; a second score the same morning replaces the first."""
    pain = parse_pain(form.get("pain"))
    if pain is None:
        return _today_page(
            request,
            session,
            kb,
            actor,
            errors=["Morning pain: " + PAIN_HELP],
            status=422,
            form=form,
        )
    try:
        flows.log_pain(
            session,
            kb=kb,
            actor=actor,
            patient_id=actor.own_patient_id,
            body=PainCreate(pain=pain, kind="morning"),
        )
    except AccountError as exc:
        return _today_page(
            request, session, kb, actor, errors=[sentence(str(exc))], status=409, form=form
        )
    return RedirectResponse("/my/today?saved=pain", status_code=303)


@router.post("/my/session", include_in_schema=False)
def create_my_session(
    request: Request, session: DbSession, kb: Kb, actor: CurrentPatient, form: Posted
) -> Response:
    """Start a guided session with your pain now and where you are doing it."""
    problems: list[str] = []
    pain = parse_pain(form.get("pain_before"))
    if pain is None:
        problems.append("Pain before you start: " + PAIN_HELP)
    mode = form.get("mode") or "home"
    if mode not in MODE_SHORT:
        problems.append("Choose where you are doing this session.")
    if problems:
        return _today_page(request, session, kb, actor, errors=problems, status=422, form=form)
    try:
        started = sessions_service.start_session(
            session,
            actor=actor,
            patient_id=actor.own_patient_id,
            body=SessionCreate.model_validate({"mode": mode, "pain_before": pain}),
        )
    except AccountError as exc:
        return _today_page(
            request, session, kb, actor, errors=[sentence(str(exc))], status=409, form=form
        )
    return RedirectResponse(f"/my/session/{started.id}?step=1", status_code=303)


# ------------------------------------------------------------------ the session's finish


def _finish_page(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    log: SessionRead,
    *,
    errors: Sequence[str] = (),
    status: int = 200,
    form: PostedForm | None = None,
) -> Response:
    form = form or PostedForm({})
    return render(
        request,
        "sessions_finish.html",
        {
            "log": log,
            "total": len(log.entries),
            "errors": list(errors),
            "form": form,
            "note_max": NOTE_MAX,
            # outcomes: the "since last time" safety checklist (followup.yaml), asked once a
            # day: answered today, it folds behind "Something changed"
            "checklist": kb.followup.safety_checklist,
            "safety_prompt": questionnaire_forms.safety_prompt(
                session, kb=kb, actor=actor, patient_id=log.patient_id
            ),
            "ticked": set(form.getlist("safety")),
            "unsure": set(form.getlist("safety_unsure")),
        },
        status,
    )


def _urgent_page(
    request: Request, flags: Sequence[RedFlagRead], *, saved: bool, status: int = 200
) -> Response:
    """The urgency message first and alone, as after a questionnaire (outcomes_urgent.html):
    what to do now, nothing about easing off or telling the clinician next time."""
    return render(
        request,
        "outcomes_urgent.html",
        {
            "flags": list(flags),
            "urgency": alert_rules.worst_urgency(flags),
            "saved": saved,
            "not_saved": "Your session was not saved as finished.",
        },
        status,
    )


@router.get("/my/session/{session_id}", response_class=HTMLResponse, include_in_schema=False)
def read_my_session(
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentPatient,
    session_id: RowId,
    step: Annotated[int, Query(ge=1, le=100)] = 1,
) -> Response:
    """Show one screen of a guided session: an exercise, the finish form, or the summary."""
    log = session_or_404(session, actor, session_id)
    if log.status == "done":
        return done_page(request, kb, log)
    if step > len(log.entries):
        return _finish_page(request, session, kb, actor, log)
    return step_page(request, session, kb, log, step)


@router.post("/my/session/{session_id}/finish", include_in_schema=False)
def finish_my_session(
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentPatient,
    session_id: RowId,
    form: Posted,
) -> Response:
    """Finish the session with your pain now, the safety checklist and an optional note.

    A ticked warning sign shows what to do now instead of the summary (its alert is on the
    clinician's list already), even when the rest of the form has to be sent again.
    """
    log = session_or_404(session, actor, session_id)
    here = f"/my/session/{session_id}"
    if log.status == "done":
        return RedirectResponse(here, status_code=303)
    problems: list[str] = []
    pain = parse_pain(form.get("pain_after"))
    if pain is None:
        problems.append("Pain now: " + PAIN_HELP)
    note = form.get("note").strip()
    if len(note) > NOTE_MAX:
        problems.append(f"Your note is too long: keep it under {NOTE_MAX:,} characters.")
    safety, safety_problems = alert_rules.parse_safety(
        kb,
        form.getlist("safety"),
        form.getlist("safety_unsure"),
        reused=form.get("safety_reused") == "1",
    )
    problems += safety_problems
    if pain is None or problems:
        flags = alerts_service.report_safety(
            session,
            kb=kb,
            actor=actor,
            patient_id=log.patient_id,
            safety=safety,
            origin="session",
        )
        if flags:
            return _urgent_page(request, flags, saved=False)
        return _finish_page(
            request, session, kb, actor, log, errors=problems, status=422, form=form
        )
    try:
        done = flows.finish_session(
            session,
            kb=kb,
            actor=actor,
            session_id=session_id,
            body=SessionFinish(pain_after=pain, note=note, safety=safety),
        )
    except NotAllowed:
        raise HTTPException(404, "We could not find that session.") from None
    except CheckInRefused as exc:  # the checklist changed under the form: flags still stand
        if exc.red_flags:
            return _urgent_page(request, exc.red_flags, saved=False)
        return problem_page(request, 409, "This session cannot be finished", str(exc), here)
    except (AccountError, ValidationError) as exc:
        return problem_page(request, 409, "This session cannot be finished", str(exc), here)
    if done.red_flags:
        return _urgent_page(request, done.red_flags, saved=True)
    return RedirectResponse(here, status_code=303)


# ------------------------------------------------------------------ progress


@router.get("/my/progress", response_class=HTMLResponse, include_in_schema=False)
def read_my_progress(
    request: Request, session: DbSession, kb: Kb, actor: CurrentPatient
) -> Response:
    """Show how often you did your exercises, your pain week by week, and your sessions."""
    progress = sessions_service.progress(
        session, kb=kb, actor=actor, patient_id=actor.own_patient_id
    )
    # Weeks before the plan began (or before the first score) would only fill the page.
    weekly = from_first(progress.weekly_pain, lambda week: week[1] is not None)
    return render(
        request,
        "sessions_progress.html",
        {
            "progress": progress,
            "adherence": from_first(progress.adherence, lambda week: week.due_days > 0),
            "weekly": weekly,
            "chart": pain_chart(weekly) if weekly else None,
            "trend_text": TREND_TEXT.get(progress.pain_trend, ""),
            "mode_short": MODE_SHORT,
            "short_day": short_day,
            # outcomes: questionnaire scores, daily pain and knee range of motion
            "outcome_charts": patient_charts.outcome_charts(
                session,
                kb=kb,
                actor=actor,
                patient_id=actor.own_patient_id,
                prefix="my",
                compact=True,
            ),
        },
    )
