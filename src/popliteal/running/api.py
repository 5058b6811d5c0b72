"""Runs and running load under /api: the person's own, and staff for their clinic's patients."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from popliteal.accounts.deps import CurrentActor, CurrentClinician, CurrentPatient
from popliteal.accounts.rules import Actor
from popliteal.running import importers, report_json
from popliteal.running import service as running_service
from popliteal.running.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityUpdate,
    ImportResult,
    Surface,
    UnitUpdate,
)
from popliteal.running.sports import Sport
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import CsrfProtected, DbSession, Kb, RowId, SettingsDep

router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api", tags=["running"])
# The watch-file imports: the app includes them with the upload cap as their body limit
# (server.py); every other route keeps the app's small JSON limit. A multipart post is one a
# cross-site form can send with the login cookie, so it needs the CSRF token
# (X-CSRF-Token header, from GET /api/auth/csrf), as the JSON routes need their content type.
import_router = APIRouter(prefix="/api", tags=["running"], dependencies=[CsrfProtected])

# One request may carry a year of runs; each file is still held to the per-file limit.
MAX_FILES = 400
FILES_PER_LIMIT = 10


class WalkRunRead(BaseModel):
    level: int
    action: str
    reason: str
    can_run_today: bool
    next_run_on: str
    sessions_this_week: int
    max_sessions_per_week: int
    weekly_cap_km: float
    planned_week_km: float
    preferred_surfaces: list[str]


class RunningRead(BaseModel):
    unit: str
    today: str
    load: dict[str, Any]
    walk_run_in_plan: bool
    walk_run: WalkRunRead | None
    activities: list[ActivityRead]
    cross_training: list[ActivityRead] = []


def _running(view: running_service.RunningView) -> RunningRead:
    advice = view.walk_run
    return RunningRead(
        unit=view.unit,
        today=view.today.isoformat(),
        load=report_json.report_to_json(view.report),
        walk_run_in_plan=view.in_plan,
        walk_run=None
        if advice is None
        else WalkRunRead(
            level=advice.level,
            action=advice.action,
            reason=advice.reason,
            can_run_today=advice.can_run_today,
            next_run_on=advice.next_run_on.isoformat(),
            sessions_this_week=advice.sessions_this_week,
            max_sessions_per_week=advice.max_sessions_per_week,
            weekly_cap_km=advice.weekly_cap_km,
            planned_week_km=advice.planned_week_km,
            preferred_surfaces=list(advice.preferred_surfaces),
        ),
        activities=view.activities,
        cross_training=view.cross_training,
    )


def upload_sources(
    request: Request, files: list[UploadFile], max_bytes: int
) -> list[tuple[str, running_service.FileSource]]:
    """Each uploaded file's name and a reader of its bytes, called when the file's turn comes.

    The request size is checked first (Content-Length); the multipart parser has spooled each
    file to disk, `read_capped` stops at the first byte over the per-file limit, and only one
    file's bytes are in memory at a time.
    """
    declared = request.headers.get("content-length", "")
    limit = max_bytes * FILES_PER_LIMIT
    if declared.isdigit() and int(declared) > limit:
        size = f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 1024} KB"
        raise HTTPException(413, f"send at most {size} at once")
    if not files:
        raise HTTPException(422, "choose at least one file")
    if len(files) > MAX_FILES:
        raise HTTPException(422, f"send at most {MAX_FILES} files at once")
    return [
        (name, partial(importers.read_capped, upload.file, filename=name, max_bytes=max_bytes))
        for upload in files
        for name in [(upload.filename or "upload").rsplit("/", 1)[-1][:255] or "upload"]
    ]


def _import(
    session: Any,
    actor: Actor,
    patient_id: int,
    sources: list[tuple[str, running_service.FileSource]],
    surface: Surface | None,
    sport: Sport | None,
) -> ImportResult:
    return running_service.import_files(
        session,
        actor=actor,
        patient_id=patient_id,
        files=sources,
        surface=surface,
        sport=sport or "running",
    )


def _answer(result: ImportResult) -> ImportResult | JSONResponse:
    """422 when every file was refused, so a program sees the failure; the body is the same."""
    if result.rejected and not result.imported and not result.duplicates:
        return JSONResponse(result.model_dump(mode="json"), status_code=422)
    return result


def _check_patient(session: Any, actor: Actor, patient_id: int) -> None:
    running_service.check_patient(session, actor=actor, patient_id=patient_id)


Files = Annotated[list[UploadFile], File(description="GPX, TCX or FIT files")]
SurfaceForm = Annotated[Surface | None, Form(description="the surface of these runs")]
SportForm = Annotated[
    Sport | None,
    Form(description="what the files recorded, used when a file does not say (default running)"),
]


@router.get("/me/running", response_model=RunningRead)
def read_my_running(session: DbSession, kb: Kb, actor: CurrentPatient) -> RunningRead:
    """Your runs of the last year, weekly load, flags and the walk-run programme step."""
    view = running_service.running_view(
        session, kb=kb, actor=actor, patient_id=actor.own_patient_id
    )
    return _running(view)


@router.post("/me/activities", response_model=ActivityRead, status_code=201)
def create_my_activity(
    body: ActivityCreate, session: DbSession, actor: CurrentPatient
) -> ActivityRead:
    """Log a run by hand (distance in `unit`, or your preferred unit when left out)."""
    return running_service.add_activity(
        session, actor=actor, patient_id=actor.own_patient_id, body=body
    )


@import_router.post("/me/activities/import", response_model=ImportResult)
async def import_my_activities(
    files: Files,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    actor: CurrentPatient,
    surface: SurfaceForm = None,
    sport: SportForm = None,
) -> ImportResult | JSONResponse:
    """Import GPX, TCX or FIT files; each file is reported as imported, duplicate or rejected.

    Rides, swims and rows are kept as cross-training and not counted as running. Every file
    is read before the database is written, in one short transaction."""
    await run_in_threadpool(_check_patient, session, actor, actor.own_patient_id)
    sources = upload_sources(request, files, settings.max_upload_bytes)
    return _answer(
        await run_in_threadpool(
            _import, session, actor, actor.own_patient_id, sources, surface, sport
        )
    )


@router.put("/me/distance-unit", response_model=UnitUpdate)
def update_my_distance_unit(
    body: UnitUpdate, session: DbSession, actor: CurrentPatient
) -> UnitUpdate:
    """Show your distances in km or miles."""
    unit = running_service.set_unit(
        session,
        actor=actor,
        patient_id=actor.own_patient_id,
        unit=body.unit,
    )
    return UnitUpdate(unit=unit)


@router.get("/patients/{patient_id}/running", response_model=RunningRead)
def read_patient_running(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> RunningRead:
    """A patient's runs, weekly load, flags and walk-run programme step."""
    view = running_service.running_view(session, kb=kb, actor=actor, patient_id=patient_id)
    return _running(view)


@router.post("/patients/{patient_id}/activities", response_model=ActivityRead, status_code=201)
def create_patient_activity(
    patient_id: RowId,
    body: ActivityCreate,
    session: DbSession,
    actor: CurrentClinician,
) -> ActivityRead:
    """Log a run for a patient (e.g. told at a visit)."""
    return running_service.add_activity(session, actor=actor, patient_id=patient_id, body=body)


@import_router.post("/patients/{patient_id}/activities/import", response_model=ImportResult)
async def import_patient_activities(
    patient_id: RowId,
    files: Files,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    actor: CurrentClinician,
    surface: SurfaceForm = None,
    sport: SportForm = None,
) -> ImportResult | JSONResponse:
    """Import a patient's watch files (e.g. brought to a visit)."""
    await run_in_threadpool(_check_patient, session, actor, patient_id)
    sources = upload_sources(request, files, settings.max_upload_bytes)
    return _answer(
        await run_in_threadpool(_import, session, actor, patient_id, sources, surface, sport)
    )


@router.get("/activities/{activity_id}", response_model=ActivityRead)
def read_activity(activity_id: RowId, session: DbSession, actor: CurrentActor) -> ActivityRead:
    """Read one run (its person, or staff of their clinic)."""
    return running_service.get_activity(session, actor=actor, activity_id=activity_id)


@router.patch("/activities/{activity_id}", response_model=ActivityRead)
def update_activity(
    activity_id: RowId,
    body: ActivityUpdate,
    session: DbSession,
    actor: CurrentActor,
) -> ActivityRead:
    """Add surface, pain during, pain next morning or the walk-run level to a run."""
    return running_service.update_activity(
        session,
        actor=actor,
        activity_id=activity_id,
        body=body,
    )


@router.delete("/activities/{activity_id}", status_code=204)
def delete_activity(activity_id: RowId, session: DbSession, actor: CurrentActor) -> Response:
    """Remove a run logged by mistake."""
    running_service.delete_activity(session, actor=actor, activity_id=activity_id)
    return Response(status_code=204)
