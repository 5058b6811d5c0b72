"""Factories for workspace and permission tests: patients with screenings, a second clinic.

Each factory ends its transaction (commit or rollback): on SQLite every transaction takes the
write lock, so a test must not hold one open while the app handles a request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment, AppointmentType, Availability
from popliteal.clock import local_today, utcnow
from popliteal.demo import CHIRO, DEMO_ANSWERS
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes.models import QuestionnaireResponse, RangeOfMotion
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.models import Activity
from popliteal.screening.answers import parse_answers
from popliteal.screening.engine import screen, to_json
from popliteal.screening.models import Screening
from popliteal.sessions.models import SessionLog, VisitNote

PASSWORD = "factory-password-2026"
EMERGENCY_ANSWERS: dict[str, Any] = {"age_years": 61, "sex": "male", "cold_pale_numb_foot": True}


def add_screening(
    session: Session,
    kb: Knowledge,
    *,
    clinic_id: int,
    patient_id: int | None,
    answers: dict[str, Any],
    created_at: datetime | None = None,
) -> Screening:
    """A complete patient screening computed by the real engine."""
    parsed = parse_answers(kb, answers)
    result = to_json(kb, screen(kb, parsed))
    when = created_at or utcnow()
    screening = Screening(
        id=secrets.token_hex(16),
        clinic_id=clinic_id,
        patient_id=patient_id,
        role="patient",
        status="complete",
        answers=dict(parsed),
        history=[[k] for k in parsed],
        result=result,
        urgency=result["urgency"],
        knowledge_version=kb.version,
        created_at=when,
        updated_at=when,
    )
    session.add(screening)
    session.flush()
    return screening


def add_patient(
    session: Session, *, clinic_id: int, name: str, email: str, password: str = PASSWORD
) -> Patient:
    patient = accounts_service.register_patient(
        session, clinic_id=clinic_id, email=email, password=password, full_name=name
    )
    session.flush()
    return patient


def add_appointment(
    session: Session,
    *,
    clinic: Clinic,
    clinician_id: int,
    patient_id: int,
    type_id: int,
    days_ahead: int,
    hour: int,
    screening_id: str | None = None,
    minutes: int = 30,
) -> Appointment:
    tz = clinic.zone
    day = local_today(tz) + timedelta(days=days_ahead)
    starts = datetime.combine(day, time(hour), tzinfo=tz)
    appointment = Appointment(
        clinic_id=clinic.id,
        clinician_id=clinician_id,
        patient_id=patient_id,
        type_id=type_id,
        mode="virtual",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        screening_id=screening_id,
    )
    session.add(appointment)
    session.flush()
    return appointment


@dataclass(frozen=True)
class Records:
    """One patient's records, by id: what a wrong user must never reach."""

    clinic_id: int
    patient_id: int
    patient_email: str
    screening_id: str
    appointment_id: int
    staff_user_id: int
    type_id: int
    availability_id: int
    session_id: int = 0
    note_id: int = 0
    activity_id: int = 0
    alert_id: int = 0
    response_id: int = 0


def other_clinic(session: Session, kb: Knowledge) -> tuple[Records, str]:
    """A second clinic with an admin clinician and a patient with a screening and appointment.

    Returns its records and the admin clinician's email (password: PASSWORD).
    """
    clinic = Clinic(name="Other Knee Clinic", slug="other", timezone="Europe/Berlin")
    session.add(clinic)
    session.flush()
    staff = accounts_service.create_user(
        session,
        clinic_id=clinic.id,
        email="admin@other.popliteal.test",
        password=PASSWORD,
        role="admin",
        display_name="Other Admin, PT",
        profession="physical_therapist",
    )
    kind = AppointmentType(
        clinic_id=clinic.id,
        code="initial_evaluation",
        name="Initial evaluation",
        minutes=60,
        modes=["in_clinic", "virtual"],
    )
    session.add(kind)
    block = Availability(
        clinic_id=clinic.id,
        clinician_id=staff.id,
        weekday=0,
        start_time=time(9),
        end_time=time(12),
        modes=["in_clinic", "virtual"],
    )
    session.add(block)
    session.flush()
    patient = add_patient(
        session, clinic_id=clinic.id, name="Robin Other", email="robin@other.popliteal.test"
    )
    screening = add_screening(
        session, kb, clinic_id=clinic.id, patient_id=patient.id, answers=DEMO_ANSWERS
    )
    appointment = add_appointment(
        session,
        clinic=clinic,
        clinician_id=staff.id,
        patient_id=patient.id,
        type_id=kind.id,
        days_ahead=9,
        hour=10,
        screening_id=screening.id,
        minutes=60,
    )
    log, note = add_plan_records(
        session, clinic=clinic, patient_id=patient.id, staff_id=staff.id, kb=kb
    )
    run = add_run_record(session, clinic=clinic, patient=patient)
    session.commit()
    return (
        Records(
            clinic_id=clinic.id,
            patient_id=patient.id,
            patient_email="robin@other.popliteal.test",
            screening_id=screening.id,
            appointment_id=appointment.id,
            staff_user_id=staff.id,
            type_id=kind.id,
            availability_id=block.id,
            session_id=log.id,
            note_id=note.id,
            activity_id=run.id,
        ),
        staff.email,
    )


def add_plan_records(
    session: Session, *, clinic: Clinic, patient_id: int, staff_id: int, kb: Knowledge
) -> tuple[SessionLog, VisitNote]:
    """A plan (version 1), a finished session of it and a visit note, for permission tests."""
    today = local_today(clinic.zone)
    plan = CarePlan(
        clinic_id=clinic.id,
        patient_id=patient_id,
        condition_id="hamstring_strain",
        status="active",
        current_version=1,
        created_by=staff_id,
    )
    session.add(plan)
    session.flush()
    exercise = {
        "id": "glute_bridge",
        "name": "Bridge",
        "sets": 2,
        "reps": 10,
        "hold_s": None,
        "minutes": None,
        "per_week": 7,
        "rest_s": 30,
        "note": "",
    }
    version = CarePlanVersion(
        plan_id=plan.id,
        number=1,
        phase="restore_motion",
        goal="everyday_life",
        exercises=[exercise],
        knowledge_version=kb.version,
        starts_on=today,
        created_by=staff_id,
    )
    session.add(version)
    session.flush()
    log = SessionLog(
        clinic_id=clinic.id,
        patient_id=patient_id,
        plan_version_id=version.id,
        local_date=today,
        status="done",
        pain_before=3,
        pain_after=3,
        entries=[
            {
                "id": "glute_bridge",
                "name": "Bridge",
                "sets_prescribed": 2,
                "sets_done": 2,
                "hurt": False,
            }
        ],
    )
    note = VisitNote(
        clinic_id=clinic.id,
        patient_id=patient_id,
        clinician_id=staff_id,
        mode="in_clinic",
        visit_date=today,
        subjective="Sore after running.",
    )
    session.add_all([log, note])
    session.flush()
    return log, note


def add_run_record(session: Session, *, clinic: Clinic, patient: Patient) -> Activity:
    """A 5 km run yesterday, entered by the patient, for permission tests."""
    yesterday = local_today(clinic.zone) - timedelta(days=1)
    run = Activity(
        clinic_id=clinic.id,
        patient_id=patient.id,
        local_date=yesterday,
        distance_km=5.0,
        surface="road_or_concrete",
        pain_during=2,
        created_by=patient.user_id,
    )
    session.add(run)
    session.flush()
    return run


def demo_records(session: Session) -> Records:
    """The demo clinic's patient, screening and appointment, and its chiropractor."""
    patient = session.scalars(select(Patient).order_by(Patient.id)).first()
    assert patient is not None
    screening = session.scalar(select(Screening).where(Screening.patient_id == patient.id))
    appointment = session.scalar(select(Appointment).where(Appointment.patient_id == patient.id))
    chiro = session.scalar(select(User).where(User.email == CHIRO.email))
    kind = session.scalar(
        select(AppointmentType).where(AppointmentType.clinic_id == patient.clinic_id)
    )
    block = session.scalar(select(Availability).where(Availability.clinic_id == patient.clinic_id))
    user = session.get(User, patient.user_id)
    run_id = session.scalar(
        select(Activity.id).where(Activity.patient_id == patient.id).order_by(Activity.id)
    )
    assert screening is not None
    assert appointment is not None
    assert chiro is not None
    assert kind is not None
    assert block is not None
    assert user is not None
    records = Records(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        patient_email=user.email,
        screening_id=screening.id,
        appointment_id=appointment.id,
        staff_user_id=chiro.id,
        type_id=kind.id,
        availability_id=block.id,
        activity_id=run_id or 0,
    )
    # End the read: on SQLite every transaction holds the write lock (BEGIN IMMEDIATE).
    session.rollback()
    return records


def neighbour_patient(session: Session, kb: Knowledge) -> Records:
    """A second patient of the demo clinic, with a screening and an appointment with the DC."""
    demo = demo_records(session)
    clinic = session.get(Clinic, demo.clinic_id)
    assert clinic is not None
    patient = add_patient(
        session, clinic_id=clinic.id, name="Casey Neighbour", email="casey@demo.popliteal.test"
    )
    screening = add_screening(
        session, kb, clinic_id=clinic.id, patient_id=patient.id, answers=DEMO_ANSWERS
    )
    appointment = add_appointment(
        session,
        clinic=clinic,
        clinician_id=demo.staff_user_id,
        patient_id=patient.id,
        type_id=demo.type_id,
        days_ahead=12,
        hour=15,
        screening_id=screening.id,
    )
    session.commit()
    return Records(
        clinic_id=clinic.id,
        patient_id=patient.id,
        patient_email="casey@demo.popliteal.test",
        screening_id=screening.id,
        appointment_id=appointment.id,
        staff_user_id=demo.staff_user_id,
        type_id=demo.type_id,
        availability_id=demo.availability_id,
    )


def add_care_plan(
    session: Session,
    *,
    clinic: Clinic,
    patient_id: int,
    staff_id: int,
    kb: Knowledge,
    starts_on: date,
    condition: str = "meniscal_tear",
    goal: str = "everyday_life",
    per_week: int = 7,
) -> CarePlanVersion:
    """An active plan (version 1, one exercise) saved on `starts_on` at 10:00 clinic time."""
    created = datetime.combine(starts_on, time(10), tzinfo=clinic.zone)
    plan = CarePlan(
        clinic_id=clinic.id,
        patient_id=patient_id,
        condition_id=condition,
        status="active",
        current_version=1,
        created_by=staff_id,
        created_at=created,
    )
    session.add(plan)
    session.flush()
    version = CarePlanVersion(
        plan_id=plan.id,
        number=1,
        phase="restore_motion",
        goal=goal,
        exercises=[
            {
                "id": "glute_bridge",
                "name": "Bridge",
                "sets": 2,
                "reps": 10,
                "hold_s": None,
                "minutes": None,
                "per_week": per_week,
                "rest_s": 30,
                "note": "",
            }
        ],
        knowledge_version=kb.version,
        starts_on=starts_on,
        created_by=staff_id,
        created_at=created,
    )
    session.add(version)
    session.flush()
    return version


def add_outcome_records(
    session: Session, *, clinic: Clinic, patient_id: int, staff_id: int, kb: Knowledge
) -> tuple[QuestionnaireResponse, RangeOfMotion, OutcomeAlert]:
    """An NPRS answer, a knee measurement and an open red-flag alert, for permission tests."""
    today = local_today(clinic.zone)
    patient = session.get(Patient, patient_id)
    assert patient is not None
    response = QuestionnaireResponse(
        clinic_id=clinic.id,
        patient_id=patient_id,
        instrument="nprs",
        answers={"pain": 4},
        scores={"instrument": "nprs", "valid": True, "scores": {"pain": 4.0}, "invalid": []},
        valid=True,
        knowledge_version=kb.version,
        occasion="baseline",
        local_date=today,
        entered_by=patient.user_id,
    )
    rom = RangeOfMotion(
        clinic_id=clinic.id,
        patient_id=patient_id,
        side="left",
        flexion_deg=120,
        extension_deg=-5,
        measured_on=today,
        clinician_id=staff_id,
    )
    alert = OutcomeAlert(
        clinic_id=clinic.id,
        patient_id=patient_id,
        kind="red_flag",
        urgency="emergency",
        rule_id="rf_unexplained_leg_swelling",
        reason="Swollen calf reported at a check-in.",
        patient_message="Get checked today.",
        source="check_in",
    )
    session.add_all([response, rom, alert])
    session.flush()
    return response, rom, alert
