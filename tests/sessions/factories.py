"""A saved plan for the demo patient, made the way a clinician makes it (plans_service)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import User
from popliteal.demo import ADMIN
from popliteal.knowledge.loader import Knowledge
from popliteal.plans import service as plans_service
from popliteal.plans.schemas import LimitIn, PlanCreate, PlanVersionRead, PrescriptionIn

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
