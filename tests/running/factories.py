"""Runs, and a patient's records across areas (up to a run), for running and permission tests."""

# Each factory that hands records to a test ends its transaction (commit or rollback): on SQLite
# every transaction takes the write lock, so a test must not hold one open while the app handles
# a request.

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.accounts.rules import Actor
from popliteal.booking.models import Appointment, AppointmentType, Availability
from popliteal.clock import local_today
from popliteal.demo import CHIRO, DEMO_ANSWERS, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.plans.models import CarePlanVersion
from popliteal.running.models import Activity
from popliteal.running.service import WALK_RUN_LIMIT
from popliteal.screening.models import Screening
from tests.accounts.factories import PASSWORD, add_patient
from tests.booking.factories import add_appointment
from tests.screening.factories import add_screening
from tests.sessions.factories import add_plan_records


def user(db: Session, email: str) -> User:
    found = db.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def actor_for(db: Session, email: str) -> Actor:
    """The logged-in view of a user (ends the read)."""
    actor = accounts_service.actor_for(db, user(db, email))
    db.rollback()
    return actor


def demo_patient(db: Session) -> Patient:
    found = db.scalar(select(Patient).where(Patient.user_id == user(db, PATIENT.email).id))
    assert found is not None
    return found


def clinic_zone(db: Session, clinic_id: int) -> ZoneInfo:
    clinic = db.get(Clinic, clinic_id)
    assert clinic is not None
    return ZoneInfo(clinic.timezone)


def clinic_today(db: Session, clinic_id: int, now: datetime | None = None) -> date:
    """Today in the clinic's time zone, as runs are dated (ends the read)."""
    day = (now or datetime.now(UTC)).astimezone(clinic_zone(db, clinic_id)).date()
    db.rollback()
    return day


def add_run(
    db: Session,
    *,
    patient_id: int,
    day: date,
    km: float,
    surface: str | None = None,
    pain_during: int | None = None,
    pain_next_morning: int | None = None,
    walk_run_level: int | None = None,
    start: time | None = None,
    file_name: str = "",
) -> Activity:
    """One stored run; with `file_name` it is a file import (with a content hash of its own)."""
    patient = db.get(Patient, patient_id)
    assert patient is not None
    started_at = (
        None
        if start is None
        else datetime.combine(day, start, tzinfo=clinic_zone(db, patient.clinic_id))
    )
    from_file = bool(file_name)
    row = Activity(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        local_date=day,
        started_at=started_at,
        distance_km=km,
        surface=surface,
        pain_during=pain_during,
        pain_next_morning=pain_next_morning,
        walk_run_level=walk_run_level,
        source="file" if from_file else "manual",
        distance_source="track" if from_file else "manual",
        file_name=file_name,
        file_format=file_name.rsplit(".", 1)[-1] if from_file else None,
        content_hash=hashlib.sha256(f"{patient_id}{day}{file_name}".encode()).hexdigest()
        if from_file
        else None,
        created_by=patient.user_id,
    )
    db.add(row)
    db.commit()
    return row


def add_runs(
    db: Session,
    *,
    patient_id: int,
    last_day: date,
    daily_km: Sequence[float],
    surface: str | None = None,
) -> list[Activity]:
    """A run on every day with a distance, oldest first, the last entry on `last_day`."""
    first = last_day - timedelta(days=len(daily_km) - 1)
    return [
        add_run(db, patient_id=patient_id, day=first + timedelta(days=i), km=km, surface=surface)
        for i, km in enumerate(daily_km)
        if km > 0
    ]


def run_count(db: Session, patient_id: int | None = None) -> int:
    """Stored runs (of one patient, or of everyone), read fresh."""
    db.expire_all()
    query = select(func.count()).select_from(Activity)
    if patient_id is not None:
        query = query.where(Activity.patient_id == patient_id)
    count = int(db.scalar(query) or 0)
    db.rollback()
    return count


def add_walk_run_plan(
    db: Session,
    kb: Knowledge,
    *,
    patient_id: int,
    staff_id: int | None = None,
    with_walk_run: bool = True,
) -> CarePlanVersion:
    """An active plan whose current version has the walk-jog limit (or only another limit).

    `staff_id` is the plan's author: the demo clinic's chiropractor unless given.
    """
    patient = db.get(Patient, patient_id)
    assert patient is not None
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    author = staff_id if staff_id is not None else user(db, CHIRO.email).id
    log, _ = add_plan_records(db, clinic=clinic, patient_id=patient_id, staff_id=author, kb=kb)
    version = db.get(CarePlanVersion, log.plan_version_id)
    assert version is not None
    limits = [{"id": "no_sprint_kick", "text": "No running fast, sprinting or kicking yet."}]
    if with_walk_run:
        limits.append({"id": WALK_RUN_LIMIT, "text": "Build up running with a walk-jog plan."})
    version.activity_limits = limits
    db.commit()
    return version


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
