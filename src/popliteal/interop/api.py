"""FHIR over HTTP: a patient's record as a Bundle, the screening Questionnaire, and a
QuestionnaireResponse to it screened like `POST /api/screenings`.

Answers are `application/fhir+json`; requests may be sent as it or as `application/json`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from popliteal.accounts.deps import CurrentActor, get_optional_actor, get_optional_user
from popliteal.interop import service as interop_service
from popliteal.interop.questionnaire import ResponseProblems, screening_questionnaire
from popliteal.screening import service as screening_service
from popliteal.screening._visitor import new_visitor_token, visitor_token
from popliteal.screening.answers import InvalidAnswers
from popliteal.screening.api import screening_created
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, Kb, Now, RowId, client_address, request_session

FHIR_JSON = "application/fhir+json"
JSON_TYPES = ("application/json", FHIR_JSON)

router = APIRouter(max_body_size=MAX_BODY_BYTES, tags=["fhir"])


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def _problems(status: int, detail: str, problems: list[str]) -> JSONResponse:
    return JSONResponse({"detail": detail, "problems": problems}, status_code=status)


@router.get(
    "/api/patients/{patient_id}/fhir",
    response_class=FhirResponse,
    responses={
        200: {"description": "A FHIR R4 Bundle (collection) of the patient's whole record"},
        404: {"description": "No such patient, or not one you may see"},
    },
)
def read_patient_fhir(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentActor, now: Now
) -> FhirResponse:
    """Export one patient's record as a FHIR R4 Bundle: clinicians of the patient's clinic,
    or the person themself; audited."""
    bundle = interop_service.read_patient_bundle(
        session, kb=kb, actor=actor, patient_id=patient_id, now=now
    )
    return FhirResponse(
        bundle,
        headers={"Content-Disposition": f'attachment; filename="patient-{patient_id}-fhir.json"'},
    )


@router.get("/api/fhir/Questionnaire/screening", response_class=FhirResponse)
def read_screening_questionnaire(kb: Kb) -> FhirResponse:
    """The screening questions as a FHIR Questionnaire (linkIds are the finding ids)."""
    return FhirResponse(screening_questionnaire(kb))


@router.post(
    "/api/fhir/QuestionnaireResponse",
    status_code=201,
    response_model=None,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
        }
    },
    responses={
        201: {"description": "The screening result, as `POST /api/screenings` returns it"},
        415: {"description": "Not sent as application/fhir+json or application/json"},
        422: {"description": "Not a response to the screening Questionnaire, or bad answers"},
    },
)
async def create_questionnaire_response(request: Request) -> Response:
    """Screen a QuestionnaireResponse to `GET /api/fhir/Questionnaire/screening` and store
    it like any screening; 201 with the result and its `id`, 422 naming each problem."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in JSON_TYPES:
        return _problems(415, "unsupported media type", [f"send the response as {FHIR_JSON}"])
    try:
        payload: Any = json.loads(await request.body())
    except ClientDisconnect:
        return Response(status_code=400)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _problems(422, "not valid JSON", [f"not valid JSON: {exc}"])
    token = visitor_token(request)
    new_token = None if token else new_visitor_token()
    try:
        created = await run_in_threadpool(_create, request, payload, token or new_token)
    except ResponseProblems as exc:
        return _problems(422, "not a response to the screening questionnaire", exc.problems)
    except InvalidAnswers as exc:
        return _problems(422, "invalid answers", [str(p) for p in exc.problems])
    except screening_service.ScreeningForbidden as exc:
        return JSONResponse({"detail": str(exc)}, status_code=403)
    return screening_created(request, created, new_token)


def _create(
    request: Request, payload: Any, token: str | None
) -> screening_service.CreatedScreening:
    with request_session(request) as session:
        actor = get_optional_actor(request, session, get_optional_user(request, session))
        return interop_service.import_response(
            session,
            kb=request.app.state.kb,
            payload=payload,
            actor=actor,
            visitor_token=token,
            address=client_address(request),
        )
