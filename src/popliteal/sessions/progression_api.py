"""JSON API of progression suggestions: read from the person's session logs, approved as the
plan's next version. Under the plan's paths and tag (plans/api.py), on the sessions floor
because the suggestions come from the logs (sessions/suggestions.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from popliteal.accounts.deps import CurrentClinician
from popliteal.plans.schemas import PlanVersionRead
from popliteal.sessions import suggestions as suggestions_service
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, Kb, RowId

router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api", tags=["plans"])


class SuggestionsRead(BaseModel):
    exercises: list[dict[str, Any]]
    phase: dict[str, Any]


class SuggestionsApprove(BaseModel):
    exercise_ids: list[str] = []
    phase: bool = False


@router.get("/patients/{patient_id}/plan/suggestions", response_model=SuggestionsRead | None)
def read_suggestions(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> SuggestionsRead | None:
    """Progress / hold / regress for each exercise and the phase, from the person's logs."""
    found = suggestions_service.suggestions(session, kb=kb, actor=actor, patient_id=patient_id)
    if found is None:
        return None
    return SuggestionsRead(
        exercises=[
            {
                "id": s.exercise_id,
                "verdict": s.verdict,
                "reason": s.reason,
                "replace_with": s.replace_with,
                "new_dose": dict(s.new_dose) if s.new_dose else None,
            }
            for s in found.exercises
        ],
        phase={
            "verdict": found.phase.verdict,
            "reason": found.phase.reason,
            "to_phase": found.phase.to_phase,
            "met": list(found.phase.met),
            "unmet": list(found.phase.unmet),
            "clinician_checks": list(found.phase.clinician_checks),
        },
    )


@router.post(
    "/patients/{patient_id}/plan/suggestions/approve",
    response_model=PlanVersionRead,
    status_code=201,
)
def approve_suggestions(
    patient_id: RowId,
    body: SuggestionsApprove,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> PlanVersionRead:
    """Approve suggestions: the plan's next version applies them and the person sees it."""
    return suggestions_service.apply_suggestions(
        session,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        exercise_ids=body.exercise_ids[:20],
        phase=body.phase,
    )
