"""Which questionnaires are due: for one person (the Today page), and for the clinician's
patient list, where the episode rules of episode.py run on rows loaded for all the patients at
once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts.models import Clinic, Patient
from popliteal.accounts.rules import Actor
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.clock import local_date, utcnow
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import schedule
from popliteal.outcomes._access import require_staff, visible_patient
from popliteal.outcomes.episode import (
    INITIAL_EVALUATION,
    baseline_day,
    current_episode,
    due_now,
    followed_version,
    load_episode,
)
from popliteal.outcomes.models import Discharge, QuestionnaireResponse
from popliteal.outcomes.schemas import DueRead
from popliteal.plans.models import CarePlan, CarePlanVersion


def due_read(d: schedule.Due) -> DueRead:
    """A due questionnaire as the services return it."""
    return DueRead(
        instrument=d.instrument, occasion=d.occasion, due_on=d.due_on, days_overdue=d.days_overdue
    )


def due_for_patient(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int, now: datetime | None = None
) -> list[DueRead]:
    """The questionnaires due for one person today (for the Today page)."""
    patient = visible_patient(session, actor, patient_id)
    found = [due_read(d) for d in due_now(load_episode(session, kb, patient, now or utcnow()))]
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
    the episode rules of load_episode applied to rows loaded for all the patients at once."""
    require_staff(actor)
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
        last_discharge[d.patient_id] = d  # the last in order wins, as in load_episode
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
        episode_since, discharged_on, episode_plans = current_episode(
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
        current = followed_version([(v, p) for v, p in versions.get(pid, []) if p.id in in_episode])
        condition = current[1].condition_id if current else working_diagnosis
        by_instrument: dict[str, list[date]] = {}
        for instrument, day in dates.get(pid, []):
            if day >= since:
                by_instrument.setdefault(instrument, []).append(day)
        found = schedule.due(
            today,
            baseline_day(episode_plans, first_visit, zone),
            by_instrument,
            interval,
            discharged_on,
            instruments=schedule.instruments_for(
                kb.followup, condition=condition, preferred=preferred
            ),
            settings=kb.followup,
        )
        if found:
            out[pid] = [due_read(d) for d in found]
    session.rollback()  # after the loop: a rollback expires the loaded rows
    return out
