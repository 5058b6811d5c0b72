"""Follow-up: questionnaire check-ins, score history, due questionnaires, knee range of motion,
review flags and discharge.

The person answers their own questionnaires; a clinician of their clinic may enter a paper
form for them. Every check-in carries a short safety checklist run through the screening's
red-flag rules (alerts/): a rule that fires opens an urgent alert at once, and the safety
answers are kept even when the questionnaire itself is refused. Review and surgical-consult
flags read the whole episode, so they are evaluated here (opened through alerts/) whenever a
response, a pain score or a session is recorded (and on demand for the patient list). Reads and
changes of a person's outcomes are audited.

An episode of care starts at the first visit and ends at discharge; a care plan saved after a
discharge starts a new episode, and only its own records count from then on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import AccountError, NotAllowed, ProblemsError
from popliteal.alerts import rules as alert_rules
from popliteal.alerts import service as alerts_service
from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.clock import local_date, utcnow
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import FollowupSettings
from popliteal.outcomes import discharge_rules, review_rules, rules, schedule
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.outcomes.schemas import (
    ChangeRead,
    CriterionRead,
    DischargeCheckRead,
    DischargeCreate,
    DischargeRead,
    DueRead,
    HistoryPoint,
    InstrumentHistory,
    OutcomesRead,
    QuestionnaireCreate,
    QuestionnaireRead,
    RangeOfMotionCreate,
    RangeOfMotionRead,
    SubmitResult,
)
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.models import Activity
from popliteal.running.rules import Run
from popliteal.sessions.models import PainLog, SessionLog, VisitNote
from popliteal.sessions.rules import SafetyAnswer

INITIAL_EVALUATION = "initial_evaluation"
# Paper forms may be entered up to a year late; older ones belong in the notes.
MAX_BACKDATE_DAYS = 365
RUN_HISTORY_DAYS = 365


class OutcomeError(AccountError):
    """A follow-up action that cannot be done as asked (the message is shown as is)."""


class DischargeRefused(ProblemsError):
    """Discharge criteria not met and no override reason given; each unmet criterion listed."""


# ------------------------------------------------------------------ shared helpers


def _patient(session: Session, actor: Actor, patient_id: int) -> Patient:
    return accounts_service.get_patient(session, actor=actor, patient_id=patient_id)


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise NotAllowed("only clinicians can do this")


def _due_read(d: schedule.Due) -> DueRead:
    return DueRead(
        instrument=d.instrument, occasion=d.occasion, due_on=d.due_on, days_overdue=d.days_overdue
    )


def _response_read(r: QuestionnaireResponse) -> QuestionnaireRead:
    scores = r.scores or {}
    return QuestionnaireRead(
        id=r.id,
        patient_id=r.patient_id,
        instrument=r.instrument,
        occasion=r.occasion,
        local_date=r.local_date,
        submitted_at=r.submitted_at,
        valid=r.valid,
        scores=dict(scores.get("scores", {})),
        invalid=list(scores.get("invalid", [])),
        missing_items=list(scores.get("missing_items", [])),
        answers=dict(r.answers),
        safety=dict(r.safety or {}),
        entered_by=r.entered_by,
        knowledge_version=r.knowledge_version,
    )


@dataclass(frozen=True)
class _Context:
    """Everything the follow-up rules read about one person's current episode of care."""

    settings: FollowupSettings
    patient: Patient
    today: date
    interval_days: int
    preferred: str
    condition: str | None
    goal: str | None
    episode_since: date | None  # the day after the last discharge, when a new episode began
    baseline_on: date | None
    discharged_on: date | None  # set while the latest discharge is the current state
    responses: list[QuestionnaireResponse]
    pain: list[review_rules.PainScore]
    periods: list[review_rules.PlanPeriod]
    done_days: list[date]
    rom: list[RangeOfMotion]
    runs: list[Run]

    @property
    def instruments(self) -> tuple[str, ...]:
        return schedule.instruments_for(
            self.settings, condition=self.condition, preferred=self.preferred
        )

    @property
    def main(self) -> str:
        return self.instruments[0]


def _episode(
    plans: Sequence[CarePlan], last_discharge: Discharge | None
) -> tuple[date | None, date | None, list[CarePlan]]:
    """(episode start, discharged on, the episode's plans) from all of a person's plans (by
    creation) and their latest discharge: a plan saved after the discharge starts a new episode."""
    if last_discharge is None:
        return None, None, list(plans)
    later = [p for p in plans if p.created_at > last_discharge.created_at]
    if later:
        return last_discharge.discharged_on + timedelta(days=1), None, later
    return None, last_discharge.discharged_on, list(plans)


def _baseline_on(
    plans: Sequence[CarePlan], first_visit: datetime | None, zone: ZoneInfo
) -> date | None:
    """The episode's baseline day: its first plan or its first evaluation, whichever is first."""
    starts = [local_date(p.created_at, zone) for p in plans]
    if first_visit is not None:
        starts.append(local_date(first_visit, zone))
    return min(starts) if starts else None


def _current(
    versions: Sequence[tuple[CarePlanVersion, CarePlan]],
) -> tuple[CarePlanVersion, CarePlan] | None:
    """The version followed now (versions in start order): the active plan's current one,
    else the last one."""
    return next(
        (
            (v, p)
            for v, p in reversed(versions)
            if p.status == "active" and v.number == p.current_version
        ),
        versions[-1] if versions else None,
    )


def logged_pain(session: Session, patient_id: int, since: date) -> list[review_rules.PainScore]:
    """Pain logged on its own (morning or other) and before/after sessions since `since`:
    what the review rules read and the pain chart shows (NPRS answers are added by callers)."""
    pain = [
        review_rules.PainScore(day, float(value), kind)
        for day, value, kind in session.execute(
            select(PainLog.local_date, PainLog.pain, PainLog.kind).where(
                PainLog.patient_id == patient_id, PainLog.local_date >= since
            )
        ).all()
    ]
    for day, before, after in session.execute(
        select(SessionLog.local_date, SessionLog.pain_before, SessionLog.pain_after).where(
            SessionLog.patient_id == patient_id, SessionLog.local_date >= since
        )
    ).all():
        if before is not None:
            pain.append(review_rules.PainScore(day, float(before), "before"))
        if after is not None:
            pain.append(review_rules.PainScore(day, float(after), "after"))
    return pain


def _context(session: Session, kb: Knowledge, patient: Patient, now: datetime) -> _Context:
    clinic = session.get(Clinic, patient.clinic_id)
    zone = clinic.zone if clinic else clock.zone(None)
    today = local_date(now, zone)
    last_discharge = session.scalar(
        select(Discharge)
        .where(Discharge.patient_id == patient.id)
        .order_by(Discharge.discharged_on.desc(), Discharge.id.desc())
        .limit(1)
    )
    plans = list(
        session.scalars(
            select(CarePlan).where(CarePlan.patient_id == patient.id).order_by(CarePlan.created_at)
        )
    )
    episode_since, discharged_on, plans = _episode(plans, last_discharge)
    since = episode_since or date.min

    visits = (
        select(func.min(Appointment.starts_at))
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status == "booked",
            AppointmentType.code == INITIAL_EVALUATION,
        )
    )
    if episode_since is not None:
        visits = visits.where(Appointment.starts_at >= clock.day_start(episode_since, zone))
    baseline_on = _baseline_on(plans, session.scalar(visits), zone)

    versions = session.execute(
        select(CarePlanVersion, CarePlan)
        .join(CarePlan, CarePlan.id == CarePlanVersion.plan_id)
        .where(CarePlan.id.in_([p.id for p in plans]))
        .order_by(CarePlanVersion.starts_on, CarePlanVersion.id)
    ).all()
    periods = [
        review_rules.PlanPeriod(
            starts_on=v.starts_on,
            exercises=v.exercises,
            ends_on=local_date(p.ended_at, zone) if p.ended_at else None,
        )
        for v, p in versions
    ]
    current = _current(versions)
    condition = current[1].condition_id if current else patient.working_diagnosis
    goal = current[0].goal if current else None

    responses = list(
        session.scalars(
            select(QuestionnaireResponse)
            .where(
                QuestionnaireResponse.patient_id == patient.id,
                QuestionnaireResponse.local_date >= since,
            )
            .order_by(QuestionnaireResponse.local_date, QuestionnaireResponse.id)
        )
    )
    pain = logged_pain(session, patient.id, since)
    logs = session.execute(
        select(SessionLog.local_date, SessionLog.status).where(
            SessionLog.patient_id == patient.id, SessionLog.local_date >= since
        )
    ).all()
    pain_scale = kb.outcomes.instruments["nprs"].scales[0].key
    for r in responses:
        value = (r.scores or {}).get("scores", {}).get(pain_scale)
        if r.instrument == "nprs" and value is not None:
            pain.append(review_rules.PainScore(r.local_date, float(value), "nprs"))
    pain.sort(key=lambda p: p.day)
    rom = list(
        session.scalars(
            select(RangeOfMotion)
            .where(RangeOfMotion.patient_id == patient.id, RangeOfMotion.measured_on >= since)
            .order_by(RangeOfMotion.measured_on, RangeOfMotion.id)
        )
    )
    activities = session.scalars(
        select(Activity).where(
            Activity.patient_id == patient.id,
            Activity.local_date >= max(since, today - timedelta(days=RUN_HISTORY_DAYS)),
        )
    ).all()
    runs = [
        Run(
            day=a.local_date,
            distance_km=a.distance_km,
            surface=a.surface,
            pain_during=a.pain_during,
            pain_next_morning=a.pain_next_morning,
            walk_run_level=a.walk_run_level,
        )
        for a in activities
    ]
    return _Context(
        settings=kb.followup,
        patient=patient,
        today=today,
        interval_days=clinic.followup_interval_days if clinic else 14,
        preferred=clinic.preferred_instrument if clinic else "koos",
        condition=condition,
        goal=goal,
        episode_since=episode_since,
        baseline_on=baseline_on,
        discharged_on=discharged_on,
        responses=responses,
        pain=pain,
        periods=periods,
        done_days=[d for d, status in logs if status == "done"],
        rom=rom,
        runs=runs,
    )


def _due(ctx: _Context) -> list[schedule.Due]:
    dates: dict[str, list[date]] = {}
    for r in ctx.responses:
        dates.setdefault(r.instrument, []).append(r.local_date)
    return schedule.due(
        ctx.today,
        ctx.baseline_on,
        dates,
        ctx.interval_days,
        ctx.discharged_on,
        instruments=ctx.instruments,
        settings=ctx.settings,
    )


def _scored(r: QuestionnaireResponse) -> review_rules.ScoredResponse:
    return review_rules.ScoredResponse(
        day=r.local_date,
        instrument=r.instrument,
        scores=dict((r.scores or {}).get("scores", {})),
        answers=dict(r.answers),
    )


def _adherence(ctx: _Context, until: date) -> float | None:
    if ctx.baseline_on is None:
        return None
    return review_rules.care_adherence(
        ctx.periods, ctx.done_days, start=ctx.baseline_on, today=until
    )


# ------------------------------------------------------------------ review flags


def evaluate_reviews(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient: Patient,
    now: datetime | None = None,
    address: str = "",
) -> list[OutcomeAlert]:
    """Open the review and surgical-consult alerts that hold today. The caller commits."""
    now = now or utcnow()
    ctx = _context(session, kb, patient, now)
    if ctx.discharged_on is not None:
        return []
    main = [_scored(r) for r in ctx.responses if r.instrument == ctx.main]
    latest = main[-1].day if main else ctx.today
    flags = review_rules.review_flags(
        kb,
        today=ctx.today,
        care_start=ctx.baseline_on,
        main=main,
        pain=ctx.pain,
        adherence_percent=_adherence(ctx, latest),
    )
    opened = []
    for flag in flags:
        alert = alerts_service.open_alert(
            session,
            kb=kb,
            patient=patient,
            kind=flag.kind,
            rule_id=flag.rule_id,
            urgency="surgical_consult" if flag.kind == "surgical_consult" else None,
            reason=flag.reason,
            patient_message=flag.patient_message,
            source="review",
            detail={**flag.detail, "citation": flag.source},
            now=now,
        )
        if alert is not None:
            alerts_service.audit_alert(session, actor, alert, address)
            opened.append(alert)
    return opened


def refresh_review_flags(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Evaluate review flags for these patients of the clinic (all when None), for the
    clinician's patient list; returns how many alerts were opened. Commits."""
    _require_staff(actor)
    query = select(Patient).where(Patient.clinic_id == actor.clinic_id)
    if patient_ids is not None:
        query = query.where(Patient.id.in_(list(patient_ids)))
    opened = 0
    for patient in session.scalars(query).all():
        opened += len(evaluate_reviews(session, kb=kb, actor=actor, patient=patient, now=now))
    session.commit()
    return opened


# ------------------------------------------------------------------ questionnaires


def submit_response(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    body: QuestionnaireCreate,
    now: datetime | None = None,
    address: str = "",
) -> SubmitResult:
    """Score and store a questionnaire with its safety checklist, in one transaction.

    Everything is checked first. A red flag from the checklist opens its alert even when the
    answers are refused (CheckInRefused then carries the red flags), so a bad answer never
    loses a safety answer.
    """
    patient = _patient(session, actor, patient_id)
    now = now or utcnow()
    zone = accounts_service.clinic_zone(session, patient.clinic_id)
    today = local_date(now, zone)
    safety = dict(body.safety or {})
    problems = alert_rules.safety_problems(kb.followup, safety)
    day = today
    if body.completed_on is not None:
        if not actor.is_staff:
            problems.append("completed_on: only a clinician entering a paper form sets the date")
        elif body.completed_on > today:
            problems.append("completed_on: the date is in the future")
        elif body.completed_on < today - timedelta(days=MAX_BACKDATE_DAYS):
            problems.append("completed_on: more than a year ago; add it to a visit note instead")
        else:
            day = body.completed_on
    result: rules.Score | None = None
    try:
        result = rules.score(body.instrument, body.answers, kb.outcomes)
    except rules.AnswerError as exc:
        problems += [f"answers: {p}" for p in exc.problems]
    check = alert_rules.check_safety(kb, safety)
    if problems or result is None:
        red_flags = alerts_service.escalate_safety(
            session,
            kb=kb,
            actor=actor,
            patient=patient,
            check=check,
            origin="check_in",
            day=day,
            ref={"instrument": body.instrument, "answers_refused": True},
            now=now,
            address=address,
        )
        if red_flags:  # keep the alerts: they must reach the clinician
            session.commit()
        else:
            session.rollback()
        raise alerts_service.CheckInRefused(problems, red_flags)

    ctx = _context(session, kb, patient, now)
    occasion = body.occasion
    if occasion is None:
        found = next((d for d in _due(ctx) if d.instrument == body.instrument), None)
        occasion = found.occasion if found else "ad_hoc"
    inst = kb.outcomes.instruments[body.instrument]
    answers = {
        (item.id if (item := inst.item(str(k))) else str(k)): v
        for k, v in body.answers.items()
        if v is not None
    }
    row = QuestionnaireResponse(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        instrument=body.instrument,
        answers=answers,
        scores=rules.score_to_json(result),
        valid=result.valid,
        knowledge_version=kb.version,
        occasion=occasion,
        safety={k: v for k, v in safety.items() if isinstance(v, bool)},
        local_date=day,
        submitted_at=now,
        entered_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    accounts_service.audit(
        session,
        actor=actor,
        action="create",
        entity="questionnaire_response",
        entity_id=row.id,
        patient_id=patient.id,
        address=address,
        detail={"instrument": body.instrument, "valid": result.valid, "occasion": occasion},
    )
    red_flags = alerts_service.escalate_safety(
        session,
        kb=kb,
        actor=actor,
        patient=patient,
        check=check,
        origin="check_in",
        day=day,
        ref={"response_id": row.id},
        now=now,
        address=address,
    )
    evaluate_reviews(session, kb=kb, actor=actor, patient=patient, now=now, address=address)
    read = _response_read(row)
    due_after = [_due_read(d) for d in _due(_context(session, kb, patient, now))]
    session.commit()
    return SubmitResult(response=read, red_flags=red_flags, due=due_after)


def checked_in_safety(
    session: Session, patient_id: int, day: date, start: datetime, end: datetime
) -> list[SafetyAnswer]:
    """The checklists sent with a questionnaire on the clinic's `day` (between `start` and
    `end`): with the sessions' own, they decide whether a later form asks the list again. A
    paper form entered today but dated earlier was answered that day, not today."""
    rows = session.execute(
        select(QuestionnaireResponse.submitted_at, QuestionnaireResponse.safety).where(
            QuestionnaireResponse.patient_id == patient_id,
            QuestionnaireResponse.local_date == day,
            QuestionnaireResponse.submitted_at >= start,
            QuestionnaireResponse.submitted_at < end,
        )
    ).all()
    # A form that did not ask the list (answered earlier) stored none: it is no answer.
    return [SafetyAnswer(at, dict(answers)) for at, answers in rows if answers]


def _history(kb: Knowledge, responses: Sequence[QuestionnaireResponse]) -> list[InstrumentHistory]:
    """Each instrument's scores over time, each scale's change against its first valid score."""
    out: list[InstrumentHistory] = []
    for instrument in rules.INSTRUMENTS:
        rows = [r for r in responses if r.instrument == instrument]
        if not rows:
            continue
        first: dict[str, float] = {}
        points = []
        for r in rows:
            scores = dict((r.scores or {}).get("scores", {}))
            change: dict[str, ChangeRead] = {}
            for scale, value in scores.items():
                if value is None:
                    continue
                if scale not in first:
                    first[scale] = float(value)
                    continue
                try:
                    c = rules.interpret_change(instrument, scale, first[scale], value, kb.outcomes)
                except ValueError:
                    continue  # no published MCID for this scale (a composite)
                change[scale] = ChangeRead(
                    before=c.before,
                    after=c.after,
                    difference=c.difference,
                    mcid=c.mcid,
                    verdict=c.verdict,
                    source=c.source,
                )
            points.append(
                HistoryPoint(
                    response_id=r.id,
                    local_date=r.local_date,
                    occasion=r.occasion,
                    valid=r.valid,
                    scores=scores,
                    change=change,
                )
            )
        out.append(InstrumentHistory(instrument=instrument, points=points))
    return out


def outcomes(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    now: datetime | None = None,
    address: str = "",
) -> OutcomesRead:
    """The person's questionnaires, score history with change since baseline, and what is due."""
    patient = _patient(session, actor, patient_id)
    ctx = _context(session, kb, patient, now or utcnow())
    all_responses = list(
        session.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == patient.id)
            .order_by(QuestionnaireResponse.local_date.desc(), QuestionnaireResponse.id.desc())
        )
    )
    read = OutcomesRead(
        patient_id=patient.id,
        main_instrument=ctx.main,
        instruments=list(ctx.instruments),
        interval_days=ctx.interval_days,
        baseline_on=ctx.baseline_on,
        discharged_on=ctx.discharged_on,
        due=[_due_read(d) for d in _due(ctx)],
        responses=[_response_read(r) for r in all_responses],
        history=_history(kb, ctx.responses),
        safety_checklist=[{"id": i.id, "text": i.text} for i in kb.followup.safety_checklist.items],
    )
    accounts_service.audit(
        session,
        actor=actor,
        action="read",
        entity="questionnaire_response",
        entity_id="*",
        patient_id=patient.id,
        address=address,
    )
    session.commit()
    return read


def due_for_patient(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int, now: datetime | None = None
) -> list[DueRead]:
    """The questionnaires due for one person today (for the Today page)."""
    patient = _patient(session, actor, patient_id)
    found = [_due_read(d) for d in _due(_context(session, kb, patient, now or utcnow()))]
    session.rollback()
    return found


def clinic_due(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_ids: Sequence[int],
    now: datetime | None = None,
) -> dict[int, list[DueRead]]:
    """Questionnaires due for each of these patients of the clinic who has any (the patient
    list), with the same answer as due_for_patient for each, in a fixed number of queries:
    the episode rules of _context applied to rows loaded for all the patients at once."""
    _require_staff(actor)
    now = now or utcnow()
    clinic = session.get(Clinic, actor.clinic_id)
    zone = clinic.zone if clinic else clock.zone(None)
    today = local_date(now, zone)
    interval = clinic.followup_interval_days if clinic else 14
    preferred = clinic.preferred_instrument if clinic else "koos"
    patients = session.execute(
        select(Patient.id, Patient.working_diagnosis).where(
            Patient.clinic_id == actor.clinic_id, Patient.id.in_(list(patient_ids))
        )
    ).all()
    ids = [pid for pid, _ in patients]
    if not ids:
        session.rollback()
        return {}
    last_discharge: dict[int, Discharge] = {}
    for d in session.scalars(
        select(Discharge)
        .where(Discharge.patient_id.in_(ids))
        .order_by(Discharge.discharged_on, Discharge.id)
    ):
        last_discharge[d.patient_id] = d  # the last in order wins, as in _context
    plans: dict[int, list[CarePlan]] = {}
    for p in session.scalars(
        select(CarePlan).where(CarePlan.patient_id.in_(ids)).order_by(CarePlan.created_at)
    ):
        plans.setdefault(p.patient_id, []).append(p)
    visits: dict[int, list[datetime]] = {}
    for pid, starts_at in session.execute(
        select(Appointment.patient_id, Appointment.starts_at)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .where(
            Appointment.patient_id.in_(ids),
            Appointment.status == "booked",
            AppointmentType.code == INITIAL_EVALUATION,
        )
    ).all():
        visits.setdefault(pid, []).append(starts_at)
    plan_by_id = {p.id: p for found in plans.values() for p in found}
    versions: dict[int, list[tuple[CarePlanVersion, CarePlan]]] = {}
    if plan_by_id:
        for v in session.scalars(
            select(CarePlanVersion)
            .where(CarePlanVersion.plan_id.in_(list(plan_by_id)))
            .order_by(CarePlanVersion.starts_on, CarePlanVersion.id)
        ):
            p = plan_by_id[v.plan_id]
            versions.setdefault(p.patient_id, []).append((v, p))
    dates: dict[int, list[tuple[str, date]]] = {}
    for pid, instrument, day in session.execute(
        select(
            QuestionnaireResponse.patient_id,
            QuestionnaireResponse.instrument,
            QuestionnaireResponse.local_date,
        )
        .where(QuestionnaireResponse.patient_id.in_(ids))
        .order_by(QuestionnaireResponse.local_date, QuestionnaireResponse.id)
    ).all():
        dates.setdefault(pid, []).append((instrument, day))

    out: dict[int, list[DueRead]] = {}
    for pid, working_diagnosis in patients:
        episode_since, discharged_on, episode_plans = _episode(
            plans.get(pid, []), last_discharge.get(pid)
        )
        since = episode_since or date.min
        first_visit = min(
            (
                v
                for v in visits.get(pid, [])
                if episode_since is None or v >= clock.day_start(episode_since, zone)
            ),
            default=None,
        )
        in_episode = {p.id for p in episode_plans}
        current = _current([(v, p) for v, p in versions.get(pid, []) if p.id in in_episode])
        condition = current[1].condition_id if current else working_diagnosis
        by_instrument: dict[str, list[date]] = {}
        for instrument, day in dates.get(pid, []):
            if day >= since:
                by_instrument.setdefault(instrument, []).append(day)
        found = schedule.due(
            today,
            _baseline_on(episode_plans, first_visit, zone),
            by_instrument,
            interval,
            discharged_on,
            instruments=schedule.instruments_for(
                kb.followup, condition=condition, preferred=preferred
            ),
            settings=kb.followup,
        )
        if found:
            out[pid] = [_due_read(d) for d in found]
    session.rollback()  # after the loop: a rollback expires the loaded rows
    return out


# ------------------------------------------------------------------ range of motion


def _rom_read(r: RangeOfMotion) -> RangeOfMotionRead:
    return RangeOfMotionRead(
        id=r.id,
        patient_id=r.patient_id,
        side=r.side,
        affected=r.affected,
        flexion_deg=r.flexion_deg,
        extension_deg=r.extension_deg,
        measured_on=r.measured_on,
        clinician_id=r.clinician_id,
        appointment_id=r.appointment_id,
        visit_note_id=r.visit_note_id,
        note=r.note,
        created_at=r.created_at,
    )


def record_range_of_motion(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    body: RangeOfMotionCreate,
    now: datetime | None = None,
    address: str = "",
) -> RangeOfMotionRead:
    """Record a knee's flexion and extension measured at a visit (clinicians only)."""
    _require_staff(actor)
    patient = _patient(session, actor, patient_id)
    now = now or utcnow()
    today = local_date(now, accounts_service.clinic_zone(session, patient.clinic_id))
    problems = []
    measured_on = body.measured_on or today
    if measured_on > today:
        problems.append("measured_on: the date is in the future")
    elif measured_on < today - timedelta(days=MAX_BACKDATE_DAYS):
        problems.append("measured_on: more than a year ago")
    if body.appointment_id is not None:
        appt = session.get(Appointment, body.appointment_id)
        if appt is None or appt.patient_id != patient.id:
            problems.append("appointment_id: not one of this person's visits")
    if body.visit_note_id is not None:
        note = session.get(VisitNote, body.visit_note_id)
        if note is None or note.patient_id != patient.id:
            problems.append("visit_note_id: not one of this person's visit notes")
    if problems:
        session.rollback()
        raise ProblemsError(problems)
    row = RangeOfMotion(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        side=body.side,
        affected=body.affected,
        flexion_deg=body.flexion_deg,
        extension_deg=body.extension_deg,
        measured_on=measured_on,
        clinician_id=actor.user_id,
        appointment_id=body.appointment_id,
        visit_note_id=body.visit_note_id,
        note=body.note.strip(),
        created_at=now,
    )
    session.add(row)
    session.flush()
    accounts_service.audit(
        session,
        actor=actor,
        action="create",
        entity="range_of_motion",
        entity_id=row.id,
        patient_id=patient.id,
        address=address,
        detail={"side": body.side, "flexion": body.flexion_deg, "extension": body.extension_deg},
    )
    read = _rom_read(row)
    session.commit()
    return read


def list_range_of_motion(
    session: Session, *, actor: Actor, patient_id: int, address: str = ""
) -> list[RangeOfMotionRead]:
    """A person's knee measurements, oldest first (their own, or staff of their clinic)."""
    patient = _patient(session, actor, patient_id)
    rows = session.scalars(
        select(RangeOfMotion)
        .where(RangeOfMotion.patient_id == patient.id)
        .order_by(RangeOfMotion.measured_on, RangeOfMotion.id)
    ).all()
    reads = [_rom_read(r) for r in rows]
    accounts_service.audit(
        session,
        actor=actor,
        action="read",
        entity="range_of_motion",
        entity_id="*",
        patient_id=patient.id,
        address=address,
    )
    session.commit()
    return reads


# ------------------------------------------------------------------ discharge


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _summary(kb: Knowledge, ctx: _Context) -> dict[str, Any]:
    """Before/after per instrument scale, pain, range of motion and adherence of the episode."""
    instruments: list[dict[str, Any]] = []
    for instrument in rules.INSTRUMENTS:
        rows = [r for r in ctx.responses if r.instrument == instrument]
        if not rows:
            continue
        scales: dict[str, dict[str, Any]] = {}
        for r in rows:
            for scale, value in (r.scores or {}).get("scores", {}).items():
                if value is None:
                    continue
                entry = scales.setdefault(
                    scale, {"before": value, "before_on": r.local_date.isoformat()}
                )
                entry["after"] = value
                entry["after_on"] = r.local_date.isoformat()
        for scale, entry in scales.items():
            if entry["before_on"] == entry["after_on"]:
                entry["verdict"] = None
                continue
            try:
                change = rules.interpret_change(
                    instrument, scale, entry["before"], entry["after"], kb.outcomes
                )
            except ValueError:
                entry["verdict"] = None
                continue
            entry["verdict"] = change.verdict
            entry["mcid"] = change.mcid
        instruments.append({"instrument": instrument, "scales": scales})
    week = timedelta(days=6)
    first = [p.pain for p in ctx.pain if ctx.pain and p.day <= ctx.pain[0].day + week]
    last = [p.pain for p in ctx.pain if ctx.pain and p.day >= ctx.pain[-1].day - week]
    knees: dict[str, dict[str, Any]] = {}
    for m in ctx.rom:
        key = f"{m.side}{'' if m.affected else ' (other knee)'}"
        entry = knees.setdefault(
            key,
            {
                "side": m.side,
                "affected": m.affected,
                "first_on": m.measured_on.isoformat(),
                "first": {"flexion": m.flexion_deg, "extension": m.extension_deg},
            },
        )
        entry["latest_on"] = m.measured_on.isoformat()
        entry["latest"] = {"flexion": m.flexion_deg, "extension": m.extension_deg}
    adherence = _adherence(ctx, ctx.discharged_on or ctx.today)
    return {
        "care_start": ctx.baseline_on.isoformat() if ctx.baseline_on else None,
        "until": (ctx.discharged_on or ctx.today).isoformat(),
        "main_instrument": ctx.main,
        "instruments": instruments,
        "pain": {
            "first_week_mean": _mean(first),
            "last_week_mean": _mean(last),
            "first_on": ctx.pain[0].day.isoformat() if ctx.pain else None,
            "last_on": ctx.pain[-1].day.isoformat() if ctx.pain else None,
        },
        "range_of_motion": list(knees.values()),
        "adherence_percent": adherence,
        "sessions_done": len(ctx.done_days),
    }


def _criteria(kb: Knowledge, ctx: _Context) -> list[discharge_rules.Criterion]:
    return discharge_rules.discharge_criteria(
        kb,
        today=ctx.today,
        main=ctx.main,
        responses=[_scored(r) for r in ctx.responses],
        pain=ctx.pain,
        rom=[
            discharge_rules.RomMeasure(
                day=m.measured_on,
                side=m.side,
                affected=m.affected,
                flexion=m.flexion_deg,
                extension=m.extension_deg,
            )
            for m in ctx.rom
        ],
        goal=ctx.goal,
        runs=ctx.runs,
    )


def _criterion_read(c: discharge_rules.Criterion) -> CriterionRead:
    return CriterionRead(**discharge_rules.criterion_to_json(c))


def discharge_check(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    now: datetime | None = None,
    address: str = "",
) -> DischargeCheckRead:
    """Each discharge criterion (met, not met, unknown, with its evidence) and the before/after
    summary (clinicians)."""
    _require_staff(actor)
    patient = _patient(session, actor, patient_id)
    ctx = _context(session, kb, patient, now or utcnow())
    criteria = _criteria(kb, ctx)
    discharge_due = [
        _due_read(d)
        for d in schedule.due(
            ctx.today,
            ctx.baseline_on,
            {
                i: [r.local_date for r in ctx.responses if r.instrument == i]
                for i in ctx.instruments
            },
            ctx.interval_days,
            ctx.discharged_on or ctx.today,
            instruments=ctx.instruments,
            settings=kb.followup,
        )
    ]
    read = DischargeCheckRead(
        patient_id=patient.id,
        all_met=all(c.status == "met" for c in criteria),
        criteria=[_criterion_read(c) for c in criteria],
        summary=_summary(kb, ctx),
        due=discharge_due,
        discharged_on=ctx.discharged_on,
    )
    accounts_service.audit(
        session,
        actor=actor,
        action="read",
        entity="discharge",
        entity_id="*",
        patient_id=patient.id,
        address=address,
    )
    session.commit()
    return read


def discharge(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    body: DischargeCreate,
    now: datetime | None = None,
    address: str = "",
) -> DischargeRead:
    """Discharge the person, ending their care plan; with criteria unmet only when the
    clinician gives a reason (DischargeRefused lists the unmet criteria otherwise)."""
    _require_staff(actor)
    patient = _patient(session, actor, patient_id)
    now = now or utcnow()
    ctx = _context(session, kb, patient, now)
    if ctx.discharged_on is not None:
        session.rollback()
        raise OutcomeError(
            f"already discharged on {ctx.discharged_on.isoformat()}; a new care plan starts a "
            "new episode"
        )
    day = body.discharged_on or ctx.today
    if day > ctx.today:
        session.rollback()
        raise OutcomeError("discharged_on: the date is in the future")
    if ctx.baseline_on is not None and day < ctx.baseline_on:
        session.rollback()
        raise OutcomeError("discharged_on: before the episode of care began")
    criteria = _criteria(kb, ctx)
    unmet = [c for c in criteria if c.status != "met"]
    reason = (body.override_reason or "").strip()
    if unmet and not reason:
        session.rollback()
        raise DischargeRefused(
            [f"{c.name}: {c.status.replace('_', ' ')}: {c.evidence}" for c in unmet]
            + ["give an override_reason to discharge anyway"]
        )
    row = Discharge(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        discharged_on=day,
        discharged_by=actor.user_id,
        criteria=[discharge_rules.criterion_to_json(c) for c in criteria],
        summary=_summary(kb, ctx),
        note=body.note.strip(),
        overridden=bool(unmet),
        override_reason=reason if unmet else "",
        knowledge_version=kb.version,
        created_at=now,
    )
    session.add(row)
    for plan in session.scalars(
        select(CarePlan).where(CarePlan.patient_id == patient.id, CarePlan.status == "active")
    ):
        plan.status = "ended"
        plan.ended_at = now
    session.flush()
    accounts_service.audit(
        session,
        actor=actor,
        action="create",
        entity="discharge",
        entity_id=row.id,
        patient_id=patient.id,
        address=address,
        detail={"overridden": row.overridden, "unmet": [c.id for c in unmet]},
    )
    read = _discharge_read(row)
    session.commit()
    return read


def _discharge_read(d: Discharge) -> DischargeRead:
    return DischargeRead(
        id=d.id,
        patient_id=d.patient_id,
        discharged_on=d.discharged_on,
        discharged_by=d.discharged_by,
        criteria=[CriterionRead(**c) for c in d.criteria],
        summary=dict(d.summary),
        note=d.note,
        overridden=d.overridden,
        override_reason=d.override_reason,
        created_at=d.created_at,
    )


def list_discharges(
    session: Session, *, actor: Actor, patient_id: int, address: str = ""
) -> list[DischargeRead]:
    """A person's discharges, newest first (their own, or staff of their clinic)."""
    patient = _patient(session, actor, patient_id)
    rows = session.scalars(
        select(Discharge)
        .where(Discharge.patient_id == patient.id)
        .order_by(Discharge.discharged_on.desc(), Discharge.id.desc())
    ).all()
    reads = [_discharge_read(d) for d in rows]
    accounts_service.audit(
        session,
        actor=actor,
        action="read",
        entity="discharge",
        entity_id="*",
        patient_id=patient.id,
        address=address,
    )
    session.commit()
    return reads
