"""Active care plans stored directly (one exercise, a chosen start day), for tests that need one."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic
from popliteal.knowledge.loader import Knowledge
from popliteal.plans.models import CarePlan, CarePlanVersion


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
