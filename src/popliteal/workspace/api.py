"""JSON API of the clinician workspace: the clinic's patients, exams and working diagnoses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from popliteal.accounts.deps import CurrentClinician
from popliteal.accounts.schemas import (
    DiagnosisUpdate,
    ExamCreate,
    PatientRecordRead,
    PatientSummaryRead,
    WorkingDiagnosisRead,
)
from popliteal.errors import AccountError
from popliteal.screening import staff_service
from popliteal.screening.answers import InvalidAnswers
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, Kb, Now, RowId
from popliteal.workspace import patient_list
from popliteal.workspace import service as workspace_service

router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api/patients", tags=["patients"])

# Bounded so an absurd id is a 422, not a database integer overflow.


@router.get("", response_model=list[PatientSummaryRead])
def read_patients(
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    now: Now,
    response: Response,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> list[PatientSummaryRead]:
    """List the clinic's patients, most urgent first, 50 a page; `q` filters by name or
    email. The `X-Total-Count` header gives the number of matching patients."""
    found = patient_list.list_page(session, kb=kb, actor=actor, now=now, q=q[:200], page=page)
    response.headers["X-Total-Count"] = str(found.total)
    return found.patients


@router.get("/{patient_id}", response_model=PatientRecordRead)
def read_patient(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> PatientRecordRead:
    """Read one patient's record: details, screenings with results, and appointments."""
    return workspace_service.patient_record(session, kb=kb, actor=actor, patient_id=patient_id)


@router.post("/{patient_id}/exam", status_code=201)
def create_exam(
    patient_id: RowId,
    body: ExamCreate,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> JSONResponse:
    """Record exam findings and re-run the engine; returns the new result with before/after."""
    try:
        screening = staff_service.record_exam(
            session,
            kb=kb,
            actor=actor,
            patient_id=patient_id,
            raw_answers=body.answers,
            escalate=request.app.state.escalate_exam,
        )
        comparison = staff_service.exam_comparison(
            session,
            kb=kb,
            actor=actor,
            patient_id=patient_id,
            screening_id=screening.id,
        )
    except InvalidAnswers as exc:
        raise HTTPException(422, [str(p) for p in exc.problems]) from None
    payload: dict[str, Any] = {
        **screening.result,
        "id": screening.id,
        "patient_id": patient_id,
        "based_on_id": screening.based_on_id,
        "urgency_before": comparison.urgency_before,
        "urgency_after": comparison.urgency_after,
        "changes": [
            {"id": c.id, "name": c.name, "before": c.before, "after": c.after, "delta": c.delta}
            for c in comparison.conditions
        ],
        "red_flags_added": [r["id"] for r in comparison.flags_added],
    }
    return JSONResponse(payload, status_code=201)


@router.put("/{patient_id}/diagnosis", response_model=WorkingDiagnosisRead)
def update_diagnosis(
    patient_id: RowId,
    body: DiagnosisUpdate,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> WorkingDiagnosisRead:
    """Set the working diagnosis (a condition id from the knowledge base) or clear it (null)."""
    try:
        return staff_service.set_working_diagnosis(
            session,
            kb=kb,
            actor=actor,
            patient_id=patient_id,
            condition=body.condition,
            note=body.note,
        )
    except AccountError as exc:
        raise HTTPException(422, [str(exc)]) from None
