"""JSON API of care plans: the exercise library, drafts and plan versions (progression
suggestions, read from the session logs: sessions/progression_api.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from popliteal.accounts.deps import CurrentClinician, CurrentPatient
from popliteal.knowledge.schema import Goal, Phase
from popliteal.plans import rules
from popliteal.plans import service as plans_service
from popliteal.plans.schemas import PlanCreate, PlanVersionRead, PlanVersionSummary
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, Kb, RowId

router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api", tags=["plans"])


class ExerciseRead(BaseModel):
    id: str
    name: str
    category: str
    purpose: str
    steps: list[str]
    targets: list[str]
    equipment: list[str]
    level: int
    cautions: list[str]
    easier: list[str]
    harder: list[str]
    dose: dict[str, Any]
    illustration_url: str


def _exercise(kb: Any, ex: Any) -> ExerciseRead:
    return ExerciseRead(
        id=ex.id,
        name=ex.name,
        category=ex.category,
        purpose=ex.purpose,
        steps=list(ex.steps),
        targets=list(ex.targets),
        equipment=list(ex.equipment),
        level=ex.level,
        cautions=list(ex.cautions),
        easier=list(ex.easier),
        harder=list(ex.harder),
        dose=ex.dose.model_dump(exclude={"source", "expert_judgement"}),
        illustration_url=plans_service.illustration_url(ex.id),
    )


@router.get("/exercises", response_model=list[ExerciseRead])
def read_exercises(kb: Kb) -> list[ExerciseRead]:
    """List the exercise library (names, steps, default doses, variants, illustrations)."""
    return [_exercise(kb, ex) for ex in kb.exercises.values()]


@router.get("/exercises/{exercise_id}", response_model=ExerciseRead)
def read_exercise(exercise_id: str, kb: Kb) -> ExerciseRead:
    """Read one exercise of the library."""
    ex = kb.exercises.get(exercise_id)
    if ex is None:
        raise HTTPException(404, f"no exercise '{exercise_id[:80]}'")
    return _exercise(kb, ex)


@router.get("/plans/draft")
def read_draft(
    kb: Kb,
    actor: CurrentClinician,
    condition: Annotated[str, Query(max_length=80)],
    goal: Goal = "everyday_life",
    pain: Annotated[int | None, Query(ge=0, le=10)] = None,
    equipment: Annotated[str, Query(max_length=400)] = "",
    minutes: Annotated[int | None, Query(ge=1, le=240)] = None,
    phase: Phase | None = None,
) -> dict[str, Any]:
    """Draft a plan for a condition: the `popliteal plan draft --json` object (clinicians)."""
    items = frozenset(x.strip() for x in equipment.split(",") if x.strip())
    try:
        draft = rules.draft_plan(
            kb,
            rules.DraftRequest(
                condition=condition,
                goal=goal,
                pain=pain,
                equipment=items,
                minutes_per_day=minutes,
                phase=phase,
            ),
        )
    except rules.PlanRequestError as exc:
        raise HTTPException(422, str(exc)) from None
    return rules.draft_to_json(draft)


@router.get("/patients/{patient_id}/plan", response_model=PlanVersionRead | None)
def read_patient_plan(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> PlanVersionRead | None:
    """Read the patient's current plan version (null when they have none)."""
    return plans_service.current_plan(session, kb=kb, actor=actor, patient_id=patient_id)


@router.post("/patients/{patient_id}/plan", response_model=PlanVersionRead, status_code=201)
def create_plan_version(
    patient_id: RowId,
    body: PlanCreate,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> PlanVersionRead:
    """Save the patient's next plan version; it becomes the one they follow."""
    return plans_service.save_plan(
        session,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        spec=body,
    )


@router.get("/patients/{patient_id}/plan/versions", response_model=list[PlanVersionSummary])
def read_plan_versions(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> list[PlanVersionSummary]:
    """List every saved plan version of the patient, newest first."""
    return plans_service.plan_history(session, kb=kb, actor=actor, patient_id=patient_id)


@router.get("/patients/{patient_id}/plan/versions/{number}", response_model=PlanVersionRead)
def read_plan_version(
    patient_id: RowId, number: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> PlanVersionRead:
    """Read one saved version of the patient's active plan."""
    return plans_service.read_version(
        session, kb=kb, actor=actor, patient_id=patient_id, number=number
    )


@router.get("/me/plan", response_model=PlanVersionRead | None)
def read_my_plan(session: DbSession, kb: Kb, actor: CurrentPatient) -> PlanVersionRead | None:
    """Read the plan you follow now (null when your clinician has not set one yet)."""
    assert actor.patient_id is not None  # noqa: S101 - CurrentPatient guarantees it
    return plans_service.current_plan(
        session,
        kb=kb,
        actor=actor,
        patient_id=actor.patient_id,
    )
