"""Guided sessions, pain logs, today's programme and answers, and progress with adherence (the
progression suggestions read from these logs: suggestions.py).

The person logs their own sessions; a clinician may run a guided session for them during a
virtual or at-home visit. Staff of the person's clinic read the logs. Every read or change of a
person's logs is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import visible_patient
from popliteal.alerts import rules as alert_rules
from popliteal.alerts import service as alerts_service
from popliteal.booking.models import Appointment
from popliteal.clock import utcnow
from popliteal.db import reading, transaction
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import RedFlagRead
from popliteal.plans import service as plans_service
from popliteal.plans.schemas import PlanVersionRead
from popliteal.sessions import rules
from popliteal.sessions._logs import (
    active_plan,
    adherence_weeks,
    logs_since,
    read_log,
    session_read,
    version_numbers,
)
from popliteal.sessions.models import PainLog, SessionLog
from popliteal.sessions.schemas import (
    AdherenceRead,
    ExerciseDone,
    PainCreate,
    ProgressRead,
    SessionCreate,
    SessionFinish,
    SessionRead,
)


class SessionError(AccountError):
    """A session action that cannot be done as asked (message shown to the person)."""


class ProgrammePaused(SessionError):
    """An open red-flag alert pauses the programme until a clinician resolves it."""

    status_code = 409


PAUSED_FOR_PERSON = (
    "your programme is paused: a warning sign you reported needs care first. Your clinician "
    "will restart it once they have looked at it"
)
PAUSED_FOR_STAFF = (
    "this person's programme is paused by an open red flag: resolve the alert with a note on "
    "the Alerts page first"
)


class ReviewFlags(Protocol):
    """Re-evaluates the review flags of a person's episode after a log, in its transaction.

    They read the whole episode (questionnaires, discharge, runs: floors above this one), so
    the caller passes them in: workspace/flows.py hands over `outcomes.reviews.evaluate_reviews`.
    """

    def __call__(
        self,
        session: Session,
        *,
        kb: Knowledge,
        actor: Actor,
        patient: Patient,
        now: datetime | None,
    ) -> object: ...


# The checklists sent on the clinic's day elsewhere than at a session's finish (with a
# questionnaire): (session, patient id, day, day's start, day's end) -> answers.
SafetySent = Callable[[Session, int, date, datetime, datetime], Sequence[rules.SafetyAnswer]]


@dataclass(frozen=True)
class TodayView:
    plan: PlanVersionRead | None
    today: date
    due: list[dict[str, Any]]  # prescriptions due today, with times (2 = twice a day)
    sessions_today: list[SessionRead]
    in_progress: SessionRead | None
    morning_pain: int | None
    adherence_this_week: float | None
    # Open red flags, most urgent first: while any is open the programme is paused (no
    # exercises due, no guided session) until a clinician resolves it.
    paused: list[RedFlagRead] = field(default_factory=list)


def today(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    now: datetime | None = None,
) -> TodayView:
    """Today's home programme: due exercises, sessions already done, this morning's pain;
    nothing due while an open red flag pauses it (`paused`)."""
    with reading(session):
        patient = visible_patient(session, actor, patient_id)
        day = plans_service.local_today(session, patient.clinic_id, now)
        paused = alerts_service.open_red_flags(session, patient_id=patient.id, kb=kb)
        morning = session.scalar(
            select(PainLog.pain).where(
                PainLog.patient_id == patient.id,
                PainLog.local_date == day,
                PainLog.kind == "morning",
            )
        )
        # current_plan commits its own audit row (a read of the plan); the reads after it
        # are ended by this block.
        plan = plans_service.current_plan(session, kb=kb, actor=actor, patient_id=patient.id)
        if plan is None:
            return TodayView(None, day, [], [], None, morning, None, paused)
        exercises = [e.model_dump() for e in plan.exercises]
        due = [
            {**e, "times": rules.times_on_day(e["per_week"])}
            for e in rules.due_exercises(exercises, plan.starts_on, day)
        ]
        logs = session.scalars(
            select(SessionLog)
            .where(SessionLog.patient_id == patient.id, SessionLog.local_date == day)
            .order_by(SessionLog.started_at)
        ).all()
        numbers = version_numbers(session, [s.plan_version_id for s in logs])
        reads = [session_read(s, numbers.get(s.plan_version_id, 0)) for s in logs]
        week = adherence_weeks(session, patient.id, exercises, plan.starts_on, day, weeks=1)
    return TodayView(
        plan=plan,
        today=day,
        due=[] if paused else due,
        sessions_today=[r for r in reads if r.status == "done"],
        in_progress=next((r for r in reads if r.status == "in_progress"), None),
        morning_pain=morning,
        adherence_this_week=week[-1].percent if week else None,
        paused=paused,
    )


def start_session(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    body: SessionCreate,
    now: datetime | None = None,
) -> SessionRead:
    """Start a guided session of the current plan (the person, or their clinician on a visit);
    refused (ProgrammePaused, 409) while an open red flag pauses the programme."""
    with transaction(session):
        patient = visible_patient(session, actor, patient_id)
        if alerts_service.open_red_flags(session, patient_id=patient.id):
            raise ProgrammePaused(PAUSED_FOR_STAFF if actor.is_staff else PAUSED_FOR_PERSON)
        active = active_plan(session, patient.id)
        if active is None:
            raise SessionError("there is no plan to follow yet: your clinician will set one up")
        _plan, version = active
        if body.appointment_id is not None:
            appt = session.get(Appointment, body.appointment_id)
            if appt is None or appt.patient_id != patient.id:
                raise SessionError("that appointment is not one of this person's visits")
        now = now or utcnow()
        day = plans_service.local_today(session, patient.clinic_id, now)
        existing = session.scalar(
            select(SessionLog).where(
                SessionLog.patient_id == patient.id,
                SessionLog.status == "in_progress",
                SessionLog.local_date == day,
            )
        )
        if existing is not None:
            raise SessionError("a session is already under way today: finish it first")
        log = SessionLog(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            plan_version_id=version.id,
            mode=body.mode,
            appointment_id=body.appointment_id,
            local_date=day,
            status="in_progress",
            pain_before=body.pain_before,
            entries=[
                {
                    "id": e["id"],
                    "name": e["name"],
                    "sets_prescribed": int(e.get("sets") or 1) * rules.times_on_day(e["per_week"]),
                    "sets_done": 0,
                    "hurt": False,
                }
                for e in rules.due_exercises(version.exercises, version.starts_on, day)
                or version.exercises
            ],
            started_at=now,
        )
        session.add(log)
        session.flush()
        accounts_service.audit(
            session,
            actor=actor,
            action="create",
            entity="session_log",
            entity_id=log.id,
            patient_id=patient.id,
        )
    return session_read(log, version.number)


def _own_session(
    session: Session, actor: Actor, session_id: int, *, for_update: bool = False
) -> SessionLog:
    log = session.get(SessionLog, session_id)
    if log is None:
        raise NotAllowed("no such session")
    visible_patient(session, actor, log.patient_id)
    return log


def record_exercise(
    session: Session, *, actor: Actor, session_id: int, body: ExerciseDone
) -> SessionRead:
    """Record the sets done of one exercise of an unfinished session, and whether it hurt."""
    with transaction(session):
        log = _own_session(session, actor, session_id)
        if log.status != "in_progress":
            raise SessionError("this session is finished; start a new one")
        entries = [dict(e) for e in log.entries]
        for e in entries:
            if e["id"] == body.exercise_id:
                if body.sets_done > int(e["sets_prescribed"]) + 5:
                    raise SessionError(f"{e['name']}: {body.sets_done} sets is more than planned")
                e["sets_done"] = body.sets_done
                e["hurt"] = body.hurt
                break
        else:
            raise SessionError(f"'{body.exercise_id}' is not part of this session")
        log.entries = entries
        read = read_log(session, log)
        accounts_service.audit(
            session,
            actor=actor,
            action="update",
            entity="session_log",
            entity_id=log.id,
            patient_id=log.patient_id,
            detail={"exercise": body.exercise_id, "sets_done": body.sets_done, "hurt": body.hurt},
        )
    return read


def finish_session(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    session_id: int,
    body: SessionFinish,
    now: datetime | None = None,
    reviews: ReviewFlags | None = None,
) -> SessionRead:
    """Finish a session with the pain after it; the session then counts for adherence.

    With a safety checklist, a red-flag rule that fires opens an urgent alert and comes back in
    `red_flags`; an unknown checklist item refuses the finish but keeps the alerts it raised.
    The answers are kept on the log: later forms that day need not ask the checklist again.
    `reviews`, when given, re-evaluates the review flags before the commit.
    """
    with transaction(session):
        log = _own_session(session, actor, session_id)
        if log.status != "in_progress":
            raise SessionError("this session is already finished")
        now = now or utcnow()
        patient = visible_patient(session, actor, log.patient_id)
        safety = dict(body.safety or {})
        check = alert_rules.check_safety(kb, safety)
        problems = alert_rules.safety_problems(kb.followup, safety)
        if problems:
            # Commits the alerts the checklist raised, then raises: this block rolls back the rest.
            alerts_service.refuse_check_in(
                session,
                problems,
                kb=kb,
                actor=actor,
                patient=patient,
                check=check,
                origin="session",
                day=log.local_date,
                ref={"session_id": log.id},
                now=now,
            )
        log.status = "done"
        log.pain_after = body.pain_after
        log.note = body.note.strip()
        log.safety = {k: v for k, v in safety.items() if isinstance(v, bool)}
        log.finished_at = now
        red_flags = alerts_service.escalate_safety(
            session,
            kb=kb,
            actor=actor,
            patient=patient,
            check=check,
            origin="session",
            day=log.local_date,
            ref={"session_id": log.id},
            now=now,
        )
        if reviews is not None:
            reviews(session, kb=kb, actor=actor, patient=patient, now=now)
        read = read_log(session, log).model_copy(update={"red_flags": red_flags})
        accounts_service.audit(
            session,
            actor=actor,
            action="update",
            entity="session_log",
            entity_id=log.id,
            patient_id=log.patient_id,
            detail={
                "finished": True,
                "pain_after": body.pain_after,
                "red_flags": [r.id for r in red_flags],
            },
        )
    return read


@dataclass(frozen=True)
class TodaysAnswers:
    """What the person already answered on the clinic's today, so later forms need not ask."""

    day: date
    zone: ZoneInfo
    safety: rules.SafetyToday
    morning_pain: int | None


def _finished_safety(
    session: Session, patient_id: int, start: datetime, end: datetime
) -> list[rules.SafetyAnswer]:
    """The checklists sent at a session's finish between `start` and `end`."""
    finished = session.execute(
        select(SessionLog.finished_at, SessionLog.safety).where(
            SessionLog.patient_id == patient_id,
            SessionLog.status == "done",
            SessionLog.finished_at >= start,
            SessionLog.finished_at < end,
        )
    ).all()
    # A form that did not ask the list (answered earlier) stored none: it is no answer.
    return [
        rules.SafetyAnswer(at, dict(answers))
        for at, answers in finished
        if at is not None and answers
    ]


def todays_answers(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    checked_in: SafetySent,
    now: datetime | None = None,
) -> TodaysAnswers:
    """Today's safety checklist (answered, and when) and this morning's pain, on the clinic's
    date: a later form that day shows them instead of asking again. `checked_in` reads the
    checklists sent with the day's questionnaires (outcomes), which count as much as a
    session's."""
    with reading(session):
        patient = visible_patient(session, actor, patient_id)
        zone = accounts_service.clinic_zone(session, patient.clinic_id)
        day = clock.local_today(zone, now)
        start, end = clock.day_bounds(day, zone)
        sent = [
            *checked_in(session, patient.id, day, start, end),
            *_finished_safety(session, patient.id, start, end),
        ]
        morning = session.scalar(
            select(PainLog.pain).where(
                PainLog.patient_id == patient.id,
                PainLog.local_date == day,
                PainLog.kind == "morning",
            )
        )
    items = [i.id for i in kb.followup.safety_checklist.items]
    return TodaysAnswers(day, zone, rules.safety_today(sent, items), morning)


def get_session(session: Session, *, actor: Actor, session_id: int) -> SessionRead:
    """One home session's log, for its owner or their clinic's staff (audited)."""
    with transaction(session):
        log = _own_session(session, actor, session_id)
        read = read_log(session, log)
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="session_log",
            entity_id=log.id,
            patient_id=log.patient_id,
        )
    return read


def log_pain(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    body: PainCreate,
    now: datetime | None = None,
    reviews: ReviewFlags | None = None,
) -> int:
    """Log pain now; this morning's score replaces an earlier one of the same morning.

    `reviews`, when given, re-evaluates the review flags before the commit: a rise of pain
    over two weeks may open a review alert for the clinician (workspace/flows.py).
    """
    with transaction(
        session,
        on_conflict=lambda: SessionError("this morning's pain was just logged; reload to see it"),
    ):
        patient = visible_patient(session, actor, patient_id)
        now = now or utcnow()
        day = plans_service.local_today(session, patient.clinic_id, now)
        row = None
        if body.kind == "morning":
            row = session.scalar(
                select(PainLog).where(
                    PainLog.patient_id == patient.id,
                    PainLog.local_date == day,
                    PainLog.kind == "morning",
                )
            )
        if row is None:
            row = PainLog(patient_id=patient.id, local_date=day, kind=body.kind, pain=body.pain)
            session.add(row)
        row.pain = body.pain
        row.note = body.note.strip()
        row.recorded_at = now
        session.flush()
        accounts_service.audit(
            session,
            actor=actor,
            action="create",
            entity="pain_log",
            entity_id=row.id,
            patient_id=patient.id,
            detail={"pain": body.pain, "kind": body.kind},
        )
        if reviews is not None:
            reviews(session, kb=kb, actor=actor, patient=patient, now=now)
    return row.id


def morning_pain(session: Session, patient_id: int, since: date) -> dict[date, int]:
    """Morning pain scores by day since `since`: the baseline of the pain-monitoring model."""
    return mornings_of(session, [patient_id], since)[patient_id]


def mornings_of(
    session: Session, patient_ids: Sequence[int], since: date
) -> dict[int, dict[date, int]]:
    """`morning_pain` for several people in one query (every id gets a dict, maybe empty)."""
    out: dict[int, dict[date, int]] = {pid: {} for pid in patient_ids}
    for pid, day, pain in session.execute(
        select(PainLog.patient_id, PainLog.local_date, PainLog.pain).where(
            PainLog.patient_id.in_(list(patient_ids)),
            PainLog.kind == "morning",
            PainLog.local_date >= since,
        )
    ):
        out[pid][day] = pain
    return out


def progress(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    now: datetime | None = None,
    weeks: int = 8,
) -> ProgressRead:
    """Session logs, weekly adherence and weekly pain for the last `weeks` weeks; audited."""
    with transaction(session):
        patient = visible_patient(session, actor, patient_id)
        day = plans_service.local_today(session, patient.clinic_id, now)
        since = day - timedelta(days=7 * weeks)
        logs = logs_since(session, patient.id, since)
        numbers = version_numbers(session, list({s.plan_version_id for s in logs}))
        active = active_plan(session, patient.id)
        adherence: list[rules.WeekAdherence] = []
        if active is not None:
            _, version = active
            adherence = adherence_weeks(
                session, patient.id, version.exercises, version.starts_on, day, weeks=min(weeks, 8)
            )
        points = [
            rules.PainPoint(d, p, "morning")
            for d, p in morning_pain(session, patient.id, since).items()
        ]
        for s in logs:
            if s.pain_before is not None:
                points.append(rules.PainPoint(s.local_date, s.pain_before, "before"))
            if s.pain_after is not None:
                points.append(rules.PainPoint(s.local_date, s.pain_after, "after"))
        weekly = rules.weekly_pain(points, today=day, weeks=weeks)
        hurt = [
            {"date": s.local_date.isoformat(), "exercise": e["id"], "name": e["name"]}
            for s in logs
            for e in s.entries
            if e.get("hurt")
        ]
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="session_log",
            entity_id="*",
            patient_id=patient.id,
        )
        read = ProgressRead(
            sessions=[session_read(s, numbers.get(s.plan_version_id, 0)) for s in logs],
            adherence=[
                AdherenceRead(
                    week_start=w.week_start,
                    due_days=w.due_days,
                    done_days=w.done_days,
                    percent=w.percent,
                )
                for w in adherence
            ],
            weekly_pain=weekly,
            pain_trend=rules.pain_trend(weekly, change=kb.progression.session_pain_rise),
            hurt_flags=hurt,
        )
    return read
