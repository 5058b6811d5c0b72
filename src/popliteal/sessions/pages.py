"""The person's guided session, step by step, and the page helpers of the home programme.

Everything is a plain form (GET to read, POST to change, then a redirect), so it all works
without JavaScript; static/guided.js only adds the hold and rest timers. Today, the session's
finish and progress show other areas too (questionnaires due, the once-a-day safety checklist,
outcome charts, review flags), so their routes are on the top floor
(workspace/programme_pages.py) and use the helpers here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.deps import CurrentPatient, page_router
from popliteal.accounts.rules import Actor
from popliteal.db import reading
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Urgency
from popliteal.plans import poses
from popliteal.plans import rules as plan_rules
from popliteal.plans.models import CarePlanVersion
from popliteal.plans.schemas import PlanVersionRead
from popliteal.sessions import service as sessions_service
from popliteal.sessions.models import SessionLog
from popliteal.sessions.schemas import ExerciseDone, SessionRead
from popliteal.web.deps import DbSession, RowId
from popliteal.web.forms import Posted, plain_digits
from popliteal.web.templating import render

router = page_router("person pages")

PAIN_HELP = "choose a number from 0 (no pain) to 10 (the worst pain you can imagine)."
# Where a session happens, as the person says it (the form) and in the log (short).
MODE_CHOICES = (
    ("home", "At home on my own"),
    ("virtual", "On a video visit with my clinician"),
    ("at_home_visit", "My clinician is here for a home visit"),
)
MODE_SHORT = {"home": "At home", "virtual": "Video visit", "at_home_visit": "Home visit"}


# ------------------------------------------------------------------ forms


def sentence(message: str) -> str:
    """A service's message as a sentence on a page."""
    text = message.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def problem_page(request: Request, status: int, title: str, message: str, link: str) -> Response:
    return render(
        request,
        "sessions_problem.html",
        {"title": title, "message": sentence(message), "link": link},
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


def condition_name(kb: Knowledge, plan: PlanVersionRead) -> str:
    condition = kb.conditions.get(plan.condition)
    return condition.patient_name if condition and condition.patient_name else plan.condition_name


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


def session_or_404(session: Session, actor: Actor, session_id: int) -> SessionRead:
    try:
        return sessions_service.get_session(session, actor=actor, session_id=session_id)
    except NotAllowed:
        raise HTTPException(404, "We could not find that session.") from None


def _prescribed(session: Session, session_id: int) -> dict[str, dict[str, Any]]:
    """The doses of the plan version the session follows, by exercise id.

    Read only after get_session has checked the session is the actor's: the session keeps
    the version it was started from even if the plan changed since.
    """
    with reading(session):
        exercises = session.scalar(
            select(CarePlanVersion.exercises)
            .join(SessionLog, SessionLog.plan_version_id == CarePlanVersion.id)
            .where(SessionLog.id == session_id)
        )
    return {str(e["id"]): dict(e) for e in exercises or []}


def step_page(
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
    return render(
        request,
        "sessions_step.html",
        {
            "log": log,
            "step": step,
            "total": len(log.entries),
            "entry": entry,
            "rx": rx or {},
            "exercise": exercise,
            "figure_words": poses.alt_words(entry.id),
            "dose": plan_rules.dose_text(dict(dose)) if dose else "",
            "twice": int(dose.get("per_week") or 0) >= 14,
            "timer": timer_for(dose, kb.drafting.seconds_per_rep),
            "illustration": f"/exercises/{entry.id}.svg" if exercise else None,
        },
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


def done_page(request: Request, kb: Knowledge, log: SessionRead) -> Response:
    safety = [
        text
        for text in (
            _advice(kb, Urgency.CONSERVATIVE, "adv_conservative_safety_net"),
            _advice(kb, Urgency.URGENT, "adv_urgent_escalate_breath"),
        )
        if text
    ]
    return render(
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


@router.post("/my/session/{session_id}/step", include_in_schema=False)
def record_my_step(
    request: Request, session: DbSession, actor: CurrentPatient, session_id: RowId, form: Posted
) -> Response:
    """Save the sets you did of one exercise and whether it hurt, then go on (or back)."""
    log = session_or_404(session, actor, session_id)
    here = f"/my/session/{session_id}"
    ids = [e.id for e in log.entries]
    exercise_id = form.get("exercise")
    if exercise_id not in ids:
        return problem_page(
            request, 422, "Please try again", "that exercise is not part of this session", here
        )
    step = ids.index(exercise_id) + 1
    prescribed = log.entries[step - 1].sets_prescribed
    ticked = {int(v) for v in form.getlist("set") if plain_digits(v) and 1 <= int(v) <= prescribed}
    try:
        sessions_service.record_exercise(
            session,
            actor=actor,
            session_id=session_id,
            body=ExerciseDone(
                exercise_id=exercise_id, sets_done=len(ticked), hurt=form.get("hurt") == "yes"
            ),
        )
    except NotAllowed:
        raise HTTPException(404, "We could not find that session.") from None
    except AccountError as exc:
        return problem_page(request, 409, "This session cannot be changed", str(exc), here)
    target = step - 1 if form.get("action") == "back" else step + 1
    return RedirectResponse(f"{here}?step={max(target, 1)}", status_code=303)


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
