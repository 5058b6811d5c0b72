"""One person's current episode of care, loaded once for the follow-up rules (what is due, the
review flags, the discharge criteria and summary).

An episode of care starts at the first visit and ends at discharge; a care plan saved after a
discharge starts a new episode, and only its own records count from then on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts.models import Clinic, Patient
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.clock import local_date
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import FollowupSettings
from popliteal.outcomes import review_rules, schedule
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.models import Activity
from popliteal.running.rules import Run
from popliteal.sessions.models import PainLog, SessionLog

INITIAL_EVALUATION = "initial_evaluation"
RUN_HISTORY_DAYS = 365


@dataclass(frozen=True)
class Episode:
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


def current_episode(
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


def baseline_day(
    plans: Sequence[CarePlan], first_visit: datetime | None, zone: ZoneInfo
) -> date | None:
    """The episode's baseline day: its first plan or its first evaluation, whichever is first."""
    starts = [local_date(p.created_at, zone) for p in plans]
    if first_visit is not None:
        starts.append(local_date(first_visit, zone))
    return min(starts) if starts else None


def followed_version(
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


def load_episode(session: Session, kb: Knowledge, patient: Patient, now: datetime) -> Episode:
    """Read the person's current episode of care as of `now`."""
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
    episode_since, discharged_on, plans = current_episode(plans, last_discharge)
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
    baseline_on = baseline_day(plans, session.scalar(visits), zone)

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
    current = followed_version(versions)
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
    return Episode(
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


def due_now(ctx: Episode) -> list[schedule.Due]:
    """The questionnaires due on the episode's today."""
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


def scored_response(r: QuestionnaireResponse) -> review_rules.ScoredResponse:
    """A stored response as the pure rules read it."""
    return review_rules.ScoredResponse(
        day=r.local_date,
        instrument=r.instrument,
        scores=dict((r.scores or {}).get("scores", {})),
        answers=dict(r.answers),
    )


def episode_adherence(ctx: Episode, until: date) -> float | None:
    """Share (%) of the exercise days done from the baseline to `until` (None before one)."""
    if ctx.baseline_on is None:
        return None
    return review_rules.care_adherence(
        ctx.periods, ctx.done_days, start=ctx.baseline_on, today=until
    )
