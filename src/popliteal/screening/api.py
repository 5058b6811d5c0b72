"""JSON API for screenings: the CLI's contract over HTTP (`POST /api/screenings`)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from popliteal.accounts.deps import OptionalActor, get_optional_actor, get_optional_user
from popliteal.errors import NotAllowed
from popliteal.screening import service as screening_service
from popliteal.screening._visitor import new_visitor_token, set_visitor_cookie, visitor_token
from popliteal.screening.answers import InvalidAnswers
from popliteal.screening.schemas import (
    InvalidAnswersRead,
    MessageRead,
    ScreeningCreate,
    ScreeningRead,
)
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, client_address, request_session

router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api/screenings", tags=["screenings"])

_BODY_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ScreeningCreate.model_json_schema()}},
    }
}


def _invalid(problems: list[str], detail: str = "invalid answers") -> JSONResponse:
    return JSONResponse({"detail": detail, "problems": problems}, status_code=422)


@router.post(
    "",
    status_code=201,
    response_model=None,
    openapi_extra=_BODY_SCHEMA,
    responses={
        201: {"model": ScreeningRead, "description": "The CLI's --json result plus its id"},
        403: {"model": MessageRead, "description": "role 'clinician' without a clinician login"},
        422: {"model": InvalidAnswersRead, "description": "The CLI's messages, one per problem"},
    },
)
async def create_screening(request: Request) -> Response:
    """Screen `{"answers": {...}}` and store it; 201 with the CLI's `--json` object plus `id`.

    Bad input gives 422 with `problems`, each the CLI's message for it verbatim. The browser
    gets a visitor cookie (when it has none) so it can read the screening back.
    """
    # The busiest route: no dependencies, as each synchronous one is a thread hop of its own;
    # the session, the caller and the screening are one worker-thread call (`_create`).
    try:
        payload: Any = json.loads(await request.body())
    except ClientDisconnect:  # the client went away mid-body: nobody to answer
        return Response(status_code=400)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _invalid([f"not valid JSON: {exc}"], detail="not valid JSON")
    token = visitor_token(request)
    new_token = None if token else new_visitor_token()
    try:
        created = await run_in_threadpool(_create, request, payload, token or new_token)
    except InvalidAnswers as exc:
        return _invalid([str(p) for p in exc.problems])
    except screening_service.ScreeningForbidden as exc:
        return JSONResponse({"detail": str(exc)}, status_code=403)
    return screening_created(request, created, new_token)


def screening_created(
    request: Request, created: screening_service.CreatedScreening, new_token: str | None
) -> Response:
    """201 with the stored result, and a new visitor's cookie for an anonymous screening.

    The stored result's JSON with the id put first: the same object JSONResponse would make
    of {"id": ..., **result}, without serialising the result a second time."""
    response = Response(
        '{"id":' + json.dumps(created.id) + "," + created.result_json[1:],
        status_code=201,
        headers={"Location": f"/api/screenings/{created.id}"},
        media_type="application/json",
    )
    if new_token is not None and created.token_hash is not None:
        set_visitor_cookie(request, response, new_token)
    return response


def _create(
    request: Request, payload: Any, token: str | None
) -> screening_service.CreatedScreening:
    """Who is asking, then screen and store, in one session."""
    with request_session(request) as session:
        actor = get_optional_actor(request, session, get_optional_user(request, session))
        return screening_service.create_complete(
            session,
            kb=request.app.state.kb,
            payload=payload,
            actor=actor,
            visitor_token=token,
            address=client_address(request),
        )


@router.get(
    "/{screening_id}",
    response_model=None,
    responses={
        200: {"model": ScreeningRead, "description": "The stored result plus id and status"},
        404: {"model": MessageRead, "description": "No such screening, or not yours"},
    },
)
async def read_screening(
    screening_id: str, request: Request, session: DbSession, actor: OptionalActor
) -> JSONResponse:
    """Read a screening this browser took, or that is yours, or your clinic's (404 otherwise)."""
    try:
        screening = await run_in_threadpool(
            screening_service.read,
            session,
            screening_id=screening_id,
            visitor_token=visitor_token(request),
            actor=actor,
            address=client_address(request),
        )
    except NotAllowed:
        return JSONResponse({"detail": "no such screening"}, status_code=404)
    return JSONResponse({"id": screening.id, **screening.result, "status": screening.status})
