"""Runs for a patient, stored as the service stores them, and the clinic's dates around them.

Each factory ends its transaction (commit or rollback): on SQLite every transaction takes the
write lock, so a test must not hold one open while the app handles a request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.accounts.rules import Actor
from popliteal.demo import CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.plans.models import CarePlanVersion
from popliteal.running.models import Activity
from popliteal.running.service import WALK_RUN_LIMIT
from tests.accounts.factories import add_plan_records


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
