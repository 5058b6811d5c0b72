"""Outcomes and follow-up under /api: the person's own check-ins, and the clinic's view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from popliteal.accounts.deps import CurrentClinician, CurrentPatient
from popliteal.accounts.rules import Actor
from popliteal.alerts import service as alerts_service
from popliteal.alerts.schemas import AlertRead, AlertResolve
from popliteal.outcomes import discharges, questionnaires, range_of_motion
from popliteal.outcomes.schemas import (
    DischargeCheckRead,
    DischargeCreate,
    DischargeRead,
    OutcomesRead,
    QuestionnaireCreate,
    RangeOfMotionCreate,
    RangeOfMotionRead,
    SubmitResult,
)
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, Kb, RowId

router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api", tags=["outcomes"])

REFUSED: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "Answers refused: `detail` lists every problem; `red_flags` holds any "
        "red flag the safety checklist raised (its alert is open and its message must be shown)."
    }
}


def _submit(
    session: DbSession,
    kb: Kb,
    actor: Actor,
    patient_id: int,
    body: QuestionnaireCreate,
) -> SubmitResult | JSONResponse:
    try:
        return questionnaires.submit_response(
            session, kb=kb, actor=actor, patient_id=patient_id, body=body
        )
    except alerts_service.CheckInRefused as exc:
        return JSONResponse(
            {"detail": exc.problems, "red_flags": [r.model_dump() for r in exc.red_flags]},
            status_code=422,
        )


@router.get("/me/outcomes", response_model=OutcomesRead)
def read_my_outcomes(session: DbSession, kb: Kb, actor: CurrentPatient) -> OutcomesRead:
    """Your questionnaires, scores over time with the change since your first, and what is due."""
    return questionnaires.outcomes(session, kb=kb, actor=actor, patient_id=actor.own_patient_id)


@router.post("/me/questionnaires", response_model=SubmitResult, status_code=201, responses=REFUSED)
def create_my_questionnaire(
    body: QuestionnaireCreate, session: DbSession, kb: Kb, actor: CurrentPatient
) -> SubmitResult | JSONResponse:
    """Answer a questionnaire with the safety checklist; returns your scores and, if a warning
    sign was ticked, what to do now."""
    return _submit(session, kb, actor, actor.own_patient_id, body)


@router.get("/patients/{patient_id}/outcomes", response_model=OutcomesRead)
def read_patient_outcomes(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> OutcomesRead:
    """A patient's questionnaires, score history with change since baseline, and what is due."""
    return questionnaires.outcomes(session, kb=kb, actor=actor, patient_id=patient_id)


@router.post(
    "/patients/{patient_id}/questionnaires",
    response_model=SubmitResult,
    status_code=201,
    responses=REFUSED,
)
def create_patient_questionnaire(
    patient_id: RowId,
    body: QuestionnaireCreate,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> SubmitResult | JSONResponse:
    """Enter a patient's questionnaire (a paper form: `completed_on` is its date)."""
    return _submit(session, kb, actor, patient_id, body)


@router.get("/patients/{patient_id}/range-of-motion", response_model=list[RangeOfMotionRead])
def read_range_of_motion(
    patient_id: RowId, session: DbSession, actor: CurrentClinician
) -> list[RangeOfMotionRead]:
    """A patient's knee range-of-motion measurements, oldest first."""
    return range_of_motion.list_range_of_motion(session, actor=actor, patient_id=patient_id)


@router.post(
    "/patients/{patient_id}/range-of-motion", response_model=RangeOfMotionRead, status_code=201
)
def create_range_of_motion(
    patient_id: RowId,
    body: RangeOfMotionCreate,
    session: DbSession,
    actor: CurrentClinician,
) -> RangeOfMotionRead:
    """Record knee flexion and extension (degrees; extension 0 = straight, negative = lacking)."""
    return range_of_motion.record_range_of_motion(
        session, actor=actor, patient_id=patient_id, body=body
    )


@router.get("/alerts", response_model=list[AlertRead])
def read_alerts(
    session: DbSession,
    actor: CurrentClinician,
    patient_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    include_resolved: bool = False,
) -> list[AlertRead]:
    """The clinic's open alerts (red flags first, then surgical consults, then reviews)."""
    return alerts_service.list_alerts(
        session,
        actor=actor,
        patient_id=patient_id,
        include_resolved=include_resolved,
    )


@router.post("/alerts/{alert_id}/resolve", response_model=AlertRead)
def resolve_alert(
    alert_id: RowId,
    body: AlertResolve,
    session: DbSession,
    actor: CurrentClinician,
) -> AlertRead:
    """Close an alert, saying what was done."""
    return alerts_service.resolve_alert(session, actor=actor, alert_id=alert_id, note=body.note)


@router.get("/patients/{patient_id}/discharge", response_model=DischargeCheckRead)
def read_discharge_check(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> DischargeCheckRead:
    """The discharge criteria (met, not met or unknown, with evidence) and the summary."""
    return discharges.discharge_check(session, kb=kb, actor=actor, patient_id=patient_id)


@router.post("/patients/{patient_id}/discharge", response_model=DischargeRead, status_code=201)
def create_discharge(
    patient_id: RowId,
    body: DischargeCreate,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> DischargeRead:
    """Discharge a patient; refused with the unmet criteria unless `override_reason` is given."""
    return discharges.discharge(
        session,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        body=body,
    )
