"""JSON API of guided sessions, progress and visit notes (logging pain and finishing a
session also re-evaluate the review flags: workspace/programme_api.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from popliteal.accounts.deps import CurrentActor, CurrentClinician, CurrentPatient
from popliteal.sessions import service as sessions_service
from popliteal.sessions import visit_notes
from popliteal.sessions.schemas import (
    ExerciseDone,
    ProgressRead,
    SessionCreate,
    SessionRead,
    VisitNoteCreate,
    VisitNoteRead,
)
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, Kb, RowId

router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api", tags=["sessions"])


@router.get("/me/today")
def read_my_today(session: DbSession, kb: Kb, actor: CurrentPatient) -> dict[str, Any]:
    """Today's home programme: exercises due, sessions done, this morning's pain. While an
    open red flag pauses it, `paused` is true, `red_flags` say what to do and nothing is due."""
    view = sessions_service.today(session, kb=kb, actor=actor, patient_id=actor.own_patient_id)
    return {
        "date": view.today.isoformat(),
        "plan_version": view.plan.number if view.plan else None,
        "phase": view.plan.phase if view.plan else None,
        "due": view.due,
        "sessions_done": [s.model_dump(mode="json") for s in view.sessions_today],
        "in_progress": view.in_progress.model_dump(mode="json") if view.in_progress else None,
        "morning_pain": view.morning_pain,
        "adherence_this_week": view.adherence_this_week,
        "paused": bool(view.paused),
        "red_flags": [f.model_dump() for f in view.paused],
    }


@router.get("/me/progress", response_model=ProgressRead)
def read_my_progress(session: DbSession, kb: Kb, actor: CurrentPatient) -> ProgressRead:
    """Your sessions, weekly adherence and weekly pain."""
    return sessions_service.progress(session, kb=kb, actor=actor, patient_id=actor.own_patient_id)


@router.post("/me/sessions", response_model=SessionRead, status_code=201)
def create_my_session(
    body: SessionCreate, session: DbSession, actor: CurrentPatient
) -> SessionRead:
    """Start a guided session of your plan with your pain before it (409 while paused)."""
    return sessions_service.start_session(
        session, actor=actor, patient_id=actor.own_patient_id, body=body
    )


@router.post("/patients/{patient_id}/sessions", response_model=SessionRead, status_code=201)
def create_patient_session(
    patient_id: RowId,
    body: SessionCreate,
    session: DbSession,
    actor: CurrentClinician,
) -> SessionRead:
    """Start a guided session for a patient during a virtual or at-home visit."""
    return sessions_service.start_session(session, actor=actor, patient_id=patient_id, body=body)


@router.get("/sessions/{session_id}", response_model=SessionRead)
def read_session(session_id: RowId, session: DbSession, actor: CurrentActor) -> SessionRead:
    """Read one session log (its person, or staff of their clinic)."""
    return sessions_service.get_session(session, actor=actor, session_id=session_id)


@router.post("/sessions/{session_id}/exercises", response_model=SessionRead)
def record_session_exercise(
    session_id: RowId,
    body: ExerciseDone,
    session: DbSession,
    actor: CurrentActor,
) -> SessionRead:
    """Record the sets done of one exercise, and whether it hurt."""
    return sessions_service.record_exercise(session, actor=actor, session_id=session_id, body=body)


@router.get("/patients/{patient_id}/progress", response_model=ProgressRead)
def read_patient_progress(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> ProgressRead:
    """A patient's sessions, weekly adherence and weekly pain."""
    return sessions_service.progress(session, kb=kb, actor=actor, patient_id=patient_id)


@router.get("/patients/{patient_id}/visit-notes", response_model=list[VisitNoteRead])
def read_visit_notes(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> list[VisitNoteRead]:
    """List a patient's visit notes, newest visit first."""
    return visit_notes.list_notes(session, kb=kb, actor=actor, patient_id=patient_id)


@router.post("/patients/{patient_id}/visit-notes", response_model=VisitNoteRead, status_code=201)
def create_visit_note(
    patient_id: RowId,
    body: VisitNoteCreate,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> VisitNoteRead:
    """Write the SOAP note of a visit: treatments given, findings, pain, plan changes."""
    return visit_notes.create_note(
        session,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        body=body,
    )


@router.get("/visit-notes/{note_id}", response_model=VisitNoteRead)
def read_visit_note(
    note_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> VisitNoteRead:
    """Read one visit note."""
    return visit_notes.get_note(session, kb=kb, actor=actor, note_id=note_id)


@router.put("/visit-notes/{note_id}", response_model=VisitNoteRead)
def update_visit_note(
    note_id: RowId,
    body: VisitNoteCreate,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> VisitNoteRead:
    """Amend a visit note (its author only)."""
    return visit_notes.update_note(session, kb=kb, actor=actor, note_id=note_id, body=body)
