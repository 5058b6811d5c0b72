"""JSON API of the home programme's steps that reach across areas: logging pain and finishing
a guided session also re-evaluate the review flags (workspace/flows.py). Same paths and tag as
the rest of the sessions API (sessions/api.py)."""

from __future__ import annotations

from fastapi import APIRouter

from popliteal.accounts.deps import CurrentActor, CurrentPatient
from popliteal.sessions.schemas import PainCreate, SessionFinish, SessionRead
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, Kb, RowId
from popliteal.workspace import flows

router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api", tags=["sessions"])


@router.post("/me/pain", status_code=201)
def create_my_pain(
    body: PainCreate, session: DbSession, kb: Kb, actor: CurrentPatient
) -> dict[str, int]:
    """Log your pain (0-10); a second morning score the same day replaces the first."""
    row = flows.log_pain(
        session,
        kb=kb,
        actor=actor,
        patient_id=actor.own_patient_id,
        body=body,
    )
    return {"id": row, "pain": body.pain}


@router.post("/sessions/{session_id}/finish", response_model=SessionRead)
def finish_session(
    session_id: RowId,
    body: SessionFinish,
    session: DbSession,
    kb: Kb,
    actor: CurrentActor,
) -> SessionRead:
    """Finish a session with the pain after it (and the optional safety checklist)."""
    return flows.finish_session(
        session,
        kb=kb,
        actor=actor,
        session_id=session_id,
        body=body,
    )
