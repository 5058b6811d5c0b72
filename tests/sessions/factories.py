"""Plans as a clinician saves them, and a finished session and visit note, for session tests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, User
from popliteal.clock import local_today
from popliteal.demo import ADMIN
from popliteal.knowledge.loader import Knowledge
from popliteal.plans import service as plans_service
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.plans.schemas import LimitIn, PlanCreate, PlanVersionRead, PrescriptionIn
from popliteal.sessions.models import SessionLog, VisitNote

# Three exercises of the hamstring-strain protect phase: a hold, a twice-a-day strength
# exercise (so twice the sets in a session) and a daily one.
DEFAULT_EXERCISES = (
    PrescriptionIn(exercise_id="hamstring_isometric", sets=2, hold_s=45, rest_s=60, per_week=7),
    PrescriptionIn(exercise_id="glute_bridge", sets=2, reps=10, rest_s=30, per_week=14),
    PrescriptionIn(
        exercise_id="prone_hip_extension", sets=3, reps=10, rest_s=30, per_week=7, note="Go slow."
    ),
)


def save_demo_plan(
    session: Session,
    kb: Knowledge,
    patient_id: int,
    exercises: tuple[PrescriptionIn, ...] = DEFAULT_EXERCISES,
) -> PlanVersionRead:
    """Save a hamstring-strain plan for the patient as the demo physical therapist."""
    user = session.scalar(select(User).where(User.email == ADMIN.email))
    assert user is not None
    actor = accounts_service.actor_for(session, user)
    session.rollback()
    saved = plans_service.save_plan(
        session,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        spec=PlanCreate(
            condition="hamstring_strain",
            phase="protect",
            pain=3,
            exercises=list(exercises),
            activity_limits=[
                LimitIn(id="no_sprint_kick", text="No running fast, sprinting or kicking yet.")
            ],
            notes="Short sessions are fine.",
        ),
    )
    # save_plan reads the author back after its commit; end that read, or on SQLite the open
    # transaction keeps the write lock while the app handles the next request.
    session.rollback()
    return saved


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
