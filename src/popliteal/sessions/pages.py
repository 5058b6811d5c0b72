"""The person's home programme: Today, the guided session, and progress.

Everything is a plain form (GET to read, POST to change, then a redirect), so it all works
without JavaScript; static/guided.js only adds the hold and rest timers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.rules import Actor
from popliteal.accounts.service import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Urgency
from popliteal.outcomes import views as outcome_views
from popliteal.outcomes.schemas import RedFlagRead
from popliteal.outcomes.service import CheckInRefused
from popliteal.plans import rules as plan_rules
from popliteal.plans.models import CarePlanVersion
from popliteal.plans.schemas import PlanVersionRead
from popliteal.sessions import rules
from popliteal.sessions import service as sessions_service
from popliteal.sessions.models import SessionLog
from popliteal.sessions.schemas import (
    ExerciseDone,
    PainCreate,
    SessionCreate,
    SessionFinish,
    SessionRead,
)
from popliteal.web.deps import (
    CsrfProtected,
    CurrentPatient,
    DbSession,
    Kb,
    RowId,
    client_address,
    get_optional_user,
)

router = APIRouter(tags=["person pages"], dependencies=[Depends(get_optional_user), CsrfProtected])

MAX_FIELD = 4000
NOTE_MAX = 2000
PAIN_HELP = "choose a number from 0 (no pain) to 10 (the worst pain you can imagine)."
# Where a session happens, as the person says it (the form) and in the log (short).
MODE_CHOICES = (
    ("home", "At home on my own"),
    ("virtual", "On a video visit with my clinician"),
    ("at_home_visit", "My clinician is here for a home visit"),
)
MODE_SHORT = {"home": "At home", "virtual": "Video visit", "at_home_visit": "Home visit"}
TREND_TEXT = {
    "better": "Your pain is going down. Well done.",
    "worse": "Your pain is going up. Ease off a little and tell your clinician.",
    "steady": "Your pain is about the same as before.",
    "unknown": "Log your pain for a few more weeks to see which way it is going.",
}
NOTICES = {
    "pain": "Thank you. Your pain score for this morning is saved.",
}


# ------------------------------------------------------------------ forms


@dataclass(frozen=True)
class PostedForm:
    """A posted form as plain strings; a field that was not sent reads as ""."""

    fields: dict[str, list[str]]

    def get(self, name: str) -> str:
        values = self.fields.get(name)
        return values[0] if values else ""

    def getlist(self, name: str) -> list[str]:
        return self.fields.get(name, [])


async def posted_form(request: Request) -> PostedForm:
    """Read the posted form (the CSRF check has already parsed it; files are ignored)."""
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, []).append(value[:MAX_FIELD])
    return PostedForm(fields)


Posted = Annotated[PostedForm, Depends(posted_form)]


def parse_pain(raw: str) -> int | None:
    """A 0-10 pain score from a form field, or None when it is not one."""
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,2}", text):
        return None
    value = int(text)
    return value if value <= 10 else None


def _sentence(message: str) -> str:
    """A service's message as a sentence on a page."""
    text = message.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _me(actor: Actor) -> int:
    assert actor.patient_id is not None  # noqa: S101 - CurrentPatient guarantees it
    return actor.patient_id


def _render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, ctx, status_code=status
    )


def _error(request: Request, status: int, title: str, message: str, link: str) -> Response:
    return _render(
        request,
        "sessions_problem.html",
        {"title": title, "message": _sentence(message), "link": link},
        status,
    )


def day_label(day: date) -> str:
    """Write a date as 'Monday 3 March 2025' (no leading zero, whatever the platform)."""
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


def short_day(day: date) -> str:
    """Write a date as 'Mon 3 Mar', for tables and logs."""
    return f"{day.strftime('%a')} {day.day} {day.strftime('%b')}"


# ------------------------------------------------------------------ today


def resume_step(log: SessionRead) -> int:
    """The screen to come back to: the first exercise with no set ticked, else the finish."""
    for i, entry in enumerate(log.entries, start=1):
        if entry.sets_done == 0:
            return i
    return len(log.entries) + 1


def _condition_name(kb: Knowledge, plan: PlanVersionRead) -> str:
    condition = kb.conditions.get(plan.condition)
    return condition.patient_name if condition and condition.patient_name else plan.condition_name


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
    view = sessions_service.today(
        session, kb=kb, actor=actor, patient_id=_me(actor), address=client_address(request)
    )
    return _render(
        request,
        "sessions_today.html",
        {
            "view": view,
            "condition_name": _condition_name(kb, view.plan) if view.plan else "",
            "day_label": day_label(view.today),
            "ask_morning_pain": rules.ask_morning_pain(view.morning_pain),
            "errors": list(errors),
            "notice": NOTICES.get(request.query_params.get("saved", "")),
            "form": form or PostedForm({}),
            "modes": MODE_CHOICES,
            "mode_short": MODE_SHORT,
            "resume": resume_step(view.in_progress) if view.in_progress else None,
            # an open red flag pauses the programme: its message instead of the exercises
            "paused_urgency": outcome_views.worst_urgency(view.paused),
            # outcomes: the "Questionnaires due" card (outcomes/views.py)
            "questionnaires_due": outcome_views.due_for_me(session, kb=kb, actor=actor),
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
        sessions_service.log_pain(
            session,
            kb=kb,
            actor=actor,
            patient_id=_me(actor),
            body=PainCreate(pain=pain, kind="morning"),
            address=client_address(request),
        )
    except AccountError as exc:
        return _today_page(
            request, session, kb, actor, errors=[_sentence(str(exc))], status=409, form=form
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
            patient_id=_me(actor),
            body=SessionCreate.model_validate({"mode": mode, "pain_before": pain}),
            address=client_address(request),
        )
    except AccountError as exc:
        return _today_page(
            request, session, kb, actor, errors=[_sentence(str(exc))], status=409, form=form
        )
    return RedirectResponse(f"/my/session/{started.id}?step=1", status_code=303)


# ------------------------------------------------------------------ the guided session


@dataclass(frozen=True)
class Timer:
    """What guided.js counts for one set: `units` stretches of `seconds`, then `rest` seconds."""

    kind: str  # "hold", "reps" or "minutes"
    units: int
    seconds: int
    rest: int
    start_label: str


def timer_for(dose: Mapping[str, Any], seconds_per_rep: int) -> Timer | None:
    """The set timer of a prescription: its hold, else its reps at the usual tempo, else its
    minutes; None when the dose has none of them."""
    hold, reps, minutes = dose.get("hold_s"), dose.get("reps"), dose.get("minutes")
    rest = int(dose.get("rest_s") or 0)
    if hold:
        return Timer("hold", int(reps or 1), int(hold), rest, "Start hold")
    if reps:
        return Timer("reps", int(reps), seconds_per_rep, rest, "Start set")
    if minutes:
        return Timer("minutes", 1, int(minutes) * 60, rest, "Start timer")
    return None


def _session_or_404(session: Session, actor: Actor, session_id: int) -> SessionRead:
    try:
        return sessions_service.get_session(session, actor=actor, session_id=session_id)
    except NotAllowed:
        raise HTTPException(404, "We could not find that session.") from None


def _prescribed(session: Session, session_id: int) -> dict[str, dict[str, Any]]:
    """The doses of the plan version the session follows, by exercise id.

    Read only after get_session has checked the session is the actor's: the session keeps
    the version it was started from even if the plan changed since.
    """
    exercises = session.scalar(
        select(CarePlanVersion.exercises)
        .join(SessionLog, SessionLog.plan_version_id == CarePlanVersion.id)
        .where(SessionLog.id == session_id)
    )
    session.rollback()  # end the read: on SQLite every transaction holds the write lock
    return {str(e["id"]): dict(e) for e in exercises or []}


def _step_page(
    request: Request,
    session: Session,
    kb: Knowledge,
    log: SessionRead,
    step: int,
) -> Response:
    entry = log.entries[step - 1]
    rx = _prescribed(session, log.id).get(entry.id)
    exercise = kb.exercises.get(entry.id)
    dose: Mapping[str, Any] = rx or (exercise.dose.model_dump() if exercise else {})
    return _render(
        request,
        "sessions_step.html",
        {
            "log": log,
            "step": step,
            "total": len(log.entries),
            "entry": entry,
            "rx": rx or {},
            "exercise": exercise,
            "dose": plan_rules.dose_text(dict(dose)) if dose else "",
            "twice": int(dose.get("per_week") or 0) >= 14,
            "timer": timer_for(dose, kb.drafting.seconds_per_rep),
            "illustration": f"/exercises/{entry.id}.svg" if exercise else None,
        },
    )


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
    return _render(
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
            "safety_prompt": outcome_views.safety_prompt(
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
    return _render(
        request,
        "outcomes_urgent.html",
        {
            "flags": list(flags),
            "urgency": outcome_views.worst_urgency(flags),
            "saved": saved,
            "not_saved": "Your session was not saved as finished.",
        },
        status,
    )


def ease_off(kb: Knowledge, pain_before: int | None, pain_after: int | None) -> bool:
    """Did the session flare the knee: pain after above the pain-monitoring limit, or a rise
    of the smallest change a person notices (drafting.yaml: pain_during_at_most,
    session_pain_rise)?"""
    if pain_after is None:
        return False
    if pain_after > kb.progression.pain_during_at_most:
        return True
    return pain_before is not None and pain_after - pain_before >= kb.progression.session_pain_rise


def _advice(kb: Knowledge, level: Urgency, advice_id: str) -> str | None:
    for snippet in kb.advice.by_urgency.get(level, []):
        if snippet.id == advice_id:
            return str(snippet.text)
    return None


def _done_page(request: Request, kb: Knowledge, log: SessionRead) -> Response:
    safety = [
        text
        for text in (
            _advice(kb, "conservative", "adv_conservative_safety_net"),
            _advice(kb, "urgent", "adv_urgent_escalate_breath"),
        )
        if text
    ]
    return _render(
        request,
        "sessions_done.html",
        {
            "log": log,
            "sets_done": sum(e.sets_done for e in log.entries),
            "sets_prescribed": sum(e.sets_prescribed for e in log.entries),
            "hurt": [e.name for e in log.entries if e.hurt],
            "ease_off": ease_off(kb, log.pain_before, log.pain_after),
            "pain_limit": kb.progression.pain_during_at_most,
            "safety": safety,
            "mode_short": MODE_SHORT,
        },
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
    log = _session_or_404(session, actor, session_id)
    if log.status == "done":
        return _done_page(request, kb, log)
    if step > len(log.entries):
        return _finish_page(request, session, kb, actor, log)
    return _step_page(request, session, kb, log, step)


@router.post("/my/session/{session_id}/step", include_in_schema=False)
def record_my_step(
    request: Request, session: DbSession, actor: CurrentPatient, session_id: RowId, form: Posted
) -> Response:
    """Save the sets you did of one exercise and whether it hurt, then go on (or back)."""
    log = _session_or_404(session, actor, session_id)
    here = f"/my/session/{session_id}"
    ids = [e.id for e in log.entries]
    exercise_id = form.get("exercise")
    if exercise_id not in ids:
        return _error(
            request, 422, "Please try again", "that exercise is not part of this session", here
        )
    step = ids.index(exercise_id) + 1
    prescribed = log.entries[step - 1].sets_prescribed
    ticked = {int(v) for v in form.getlist("set") if v.isdigit() and 1 <= int(v) <= prescribed}
    try:
        sessions_service.record_exercise(
            session,
            actor=actor,
            session_id=session_id,
            body=ExerciseDone(
                exercise_id=exercise_id, sets_done=len(ticked), hurt=form.get("hurt") == "yes"
            ),
            address=client_address(request),
        )
    except NotAllowed:
        raise HTTPException(404, "We could not find that session.") from None
    except AccountError as exc:
        return _error(request, 409, "This session cannot be changed", str(exc), here)
    target = step - 1 if form.get("action") == "back" else step + 1
    return RedirectResponse(f"{here}?step={max(target, 1)}", status_code=303)


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
    log = _session_or_404(session, actor, session_id)
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
    safety, safety_problems = outcome_views.parse_safety(
        kb,
        form.getlist("safety"),
        form.getlist("safety_unsure"),
        reused=form.get("safety_reused") == "1",
    )
    problems += safety_problems
    if pain is None or problems:
        flags = outcome_views.report_safety(
            session,
            kb=kb,
            actor=actor,
            patient_id=log.patient_id,
            safety=safety,
            address=client_address(request),
            origin="session",
        )
        if flags:
            return _urgent_page(request, flags, saved=False)
        return _finish_page(
            request, session, kb, actor, log, errors=problems, status=422, form=form
        )
    try:
        done = sessions_service.finish_session(
            session,
            kb=kb,
            actor=actor,
            session_id=session_id,
            body=SessionFinish(pain_after=pain, note=note, safety=safety),
            address=client_address(request),
        )
    except NotAllowed:
        raise HTTPException(404, "We could not find that session.") from None
    except CheckInRefused as exc:  # the checklist changed under the form: flags still stand
        if exc.red_flags:
            return _urgent_page(request, exc.red_flags, saved=False)
        return _error(request, 409, "This session cannot be finished", str(exc), here)
    except (AccountError, ValidationError) as exc:
        return _error(request, 409, "This session cannot be finished", str(exc), here)
    if done.red_flags:
        return _urgent_page(request, done.red_flags, saved=True)
    return RedirectResponse(here, status_code=303)


# ------------------------------------------------------------------ progress


T = TypeVar("T")
CHART_W, CHART_H = 360, 230
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 34, 22, 24, 36


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: float
    label: str


@dataclass(frozen=True)
class PainChart:
    """A line chart of weekly pain (0-10), drawn server-side as SVG."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    points: list[ChartPoint]
    lines: list[str]  # polyline point lists; a week without a score breaks the line
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]


def pain_chart(weekly: Sequence[tuple[date, float | None]]) -> PainChart:
    """Lay out the weekly pain means: x by week, y by score (10 at the top)."""
    left, right = PAD_LEFT, CHART_W - PAD_RIGHT
    top, bottom = PAD_TOP, CHART_H - PAD_BOTTOM
    gap = (right - left) / max(len(weekly) - 1, 1)

    def y_of(value: float) -> float:
        return round(top + (10 - value) / 10 * (bottom - top), 1)

    points: list[ChartPoint] = []
    lines: list[str] = []
    run: list[str] = []
    labels: list[tuple[float, str]] = []
    for i, (start, value) in enumerate(weekly):
        x = round(left + i * gap, 1)
        labels.append((x, f"{start.day} {start.strftime('%b')}"))
        if value is None:
            if len(run) > 1:
                lines.append(" ".join(run))
            run = []
            continue
        point = ChartPoint(x, y_of(value), value, f"{value:g}")
        points.append(point)
        run.append(f"{point.x},{point.y}")
    if len(run) > 1:
        lines.append(" ".join(run))
    return PainChart(
        width=CHART_W,
        height=CHART_H,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        points=points,
        lines=lines,
        x_labels=labels,
        y_ticks=[(y_of(v), v) for v in range(0, 11, 2)],
    )


def from_first(rows: Sequence[T], keep: Callable[[T], bool]) -> list[T]:
    """The rows from the first one that `keep` accepts (none when it accepts none)."""
    for i, row in enumerate(rows):
        if keep(row):
            return list(rows[i:])
    return []


@router.get("/my/progress", response_class=HTMLResponse, include_in_schema=False)
def read_my_progress(
    request: Request, session: DbSession, kb: Kb, actor: CurrentPatient
) -> Response:
    """Show how often you did your exercises, your pain week by week, and your sessions."""
    progress = sessions_service.progress(
        session, kb=kb, actor=actor, patient_id=_me(actor), address=client_address(request)
    )
    # Weeks before the plan began (or before the first score) would only fill the page.
    weekly = from_first(progress.weekly_pain, lambda week: week[1] is not None)
    return _render(
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
            "outcome_charts": outcome_views.outcome_charts(
                session,
                kb=kb,
                actor=actor,
                patient_id=_me(actor),
                prefix="my",
                compact=True,
                address=client_address(request),
            ),
        },
    )
