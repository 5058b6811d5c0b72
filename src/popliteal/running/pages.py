"""The person's running log: weekly load chart, flags, walk-run step, manual entry, file import.

Plain forms (POST, then a redirect or the page again with messages), so it all works
without JavaScript.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from popliteal.accounts.deps import CurrentPatient, get_optional_user, page_router
from popliteal.accounts.rules import Actor
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.running import importers, return_to_run, rules
from popliteal.running import service as running_service
from popliteal.running.chart import load_chart, weeks_of
from popliteal.running.schemas import (
    ActivityCreate,
    ActivityUpdate,
    ImportResult,
    Unit,
)
from popliteal.running.sports import SPORT_NAMES
from popliteal.sessions.pages import short_day
from popliteal.web.deps import CsrfProtected, DbSession, Kb, RowId, SettingsDep
from popliteal.web.forms import Posted, PostedForm, parse_pain
from popliteal.web.templating import render

router = page_router("person pages")
# The import form: included with the upload cap as its body limit (server.py).
import_router = APIRouter(
    tags=["person pages"], dependencies=[Depends(get_optional_user), CsrfProtected]
)

SURFACE_NAMES = {
    "road_or_concrete": "Road or concrete",
    "uneven_or_trail": "Uneven ground or trail",
    "track_or_treadmill": "Track or treadmill",
    "grass_or_mixed": "Grass or mixed",
}
ACTION_TEXT = {
    "start": "Start the programme",
    "repeat": "Repeat this level",
    "progress": "Move up a level",
    "step_back": "Go back a level",
    "rest": "Rest today",
}
NOTICES = {
    "run": "Your run is saved.",
    "updated": "Your run is updated.",
    "deleted": "The run is removed.",
    "unit": "Distances now show in your chosen unit.",
}
MAX_FILES = 400


def _sentence(message: str) -> str:
    text = message.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _validation(exc: ValidationError) -> list[str]:
    names = {
        "local_date": "Date",
        "distance": "Distance",
        "duration_minutes": "Time",
        "surface": "Surface",
        "pain_during": "Pain during the run",
        "pain_next_morning": "Pain the next morning",
        "walk_run_level": "Walk-run level",
        "note": "Note",
    }
    out = []
    for e in exc.errors():
        field = str(e["loc"][0]) if e.get("loc") else ""
        out.append(f"{names.get(field, field or 'Form')}: {e['msg'].lower()}.")
    return out


def run_time(seconds: float | None) -> str:
    """A run's time as a watch shows it: 45:07, or 1:05:30 from an hour; blank when unknown."""
    if not seconds:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def run_pace(seconds: float | None, distance: float, unit_name: str) -> str:
    """Minutes per km or per mile (6:05 per km); blank without a time or a distance."""
    if not seconds or distance < 0.01:
        return ""
    per = round(seconds / distance)
    return f"{per // 60}:{per % 60:02d} per {'km' if unit_name == 'km' else 'mile'}"


def change_words(pct: float | None, *, more: str = "more", less: str = "less") -> str:
    """A change as people say it: about 90% more, about 10% less, about the same."""
    if pct is None:
        return ""
    said = rules.about_pct(pct)
    if said == "0":
        return "about the same"
    return f"about {said}% {more if pct > 0 else less}"


def flag_source(kb: Knowledge, key: str | None, *, plain: bool) -> str:
    """A load flag's source as the page's reader needs it: the person reads its plain name
    (knowledge/checks make sure there is one), the clinician the citation."""
    entry = kb.sources.get(key) if key else None
    if entry is None:
        return "Expert judgement"
    return (entry.plain or "a published study") if plain else entry.citation


def running_context(
    kb: Knowledge, view: running_service.RunningView, *, for_person: bool
) -> dict[str, Any]:
    """What the person's and the clinician's running pages both show."""
    report = view.report
    unit = view.unit
    limit_km = kb.running.load.weekly_limit.km
    limit = limit_km if unit == "km" else kb.running.load.weekly_limit.miles
    weeks = weeks_of(
        report.weekly_totals,
        view.today,
        [(a.local_date, a.pain_during) for a in view.activities],
    )
    levels = return_to_run.walk_run_levels(kb.running) if view.in_plan else []
    return {
        "view": view,
        "report": report,
        "unit": unit,
        "unit_name": "km" if unit == "km" else "miles",
        "weeks": weeks,
        "chart": load_chart(weeks, limit=limit, unit=unit) if any(w.runs for w in weeks) else None,
        "limit": limit,
        "this_week": report.weekly_totals[-1] if report.weekly_totals else 0.0,
        "flag_sources": {f.id: flag_source(kb, f.source, plain=for_person) for f in report.flags},
        "surface_names": SURFACE_NAMES,
        "sport_names": SPORT_NAMES,
        "action_text": ACTION_TEXT,
        "levels": levels,
        "short_day": short_day,
        "distance": lambda a: a.distance_km if unit == "km" else a.distance_mi,
        "run_time": run_time,
        "run_pace": lambda a: run_pace(
            a.duration_s, a.distance_km if unit == "km" else a.distance_mi, unit
        ),
        "change_words": change_words,
    }


def _page(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    *,
    errors: Sequence[str] = (),
    form: PostedForm | None = None,
    imported: ImportResult | None = None,
    status: int = 200,
) -> Response:
    view = running_service.running_view(
        session, kb=kb, actor=actor, patient_id=actor.own_patient_id
    )
    ctx = running_context(kb, view, for_person=True)
    ctx.update(
        {
            "errors": list(errors),
            "form": form or PostedForm({}),
            "imported": imported,
            "notice": NOTICES.get(request.query_params.get("saved", "")),
        }
    )
    return render(request, "running_log.html", ctx, status)


@router.get("/my/running", response_class=HTMLResponse, include_in_schema=False)
def read_my_running(
    request: Request, session: DbSession, kb: Kb, actor: CurrentPatient
) -> Response:
    """Show your runs, weekly distance against the flagged level, and what to do next."""
    return _page(request, session, kb, actor)


def _optional(raw: str) -> str | None:
    return raw.strip() or None


@router.post("/my/running/runs", response_class=HTMLResponse, include_in_schema=False)
def create_my_run(
    request: Request, session: DbSession, kb: Kb, actor: CurrentPatient, form: Posted
) -> Response:
    """Save a run entered by hand."""
    problems: list[str] = []
    pain_raw = form.get("pain_during").strip()
    pain = parse_pain(pain_raw) if pain_raw else None
    if pain_raw and pain is None:
        problems.append("Pain during the run: choose a number from 0 to 10.")
    try:
        body = ActivityCreate.model_validate(
            {
                "local_date": form.get("local_date").strip() or None,
                "distance": form.get("distance").strip().replace(",", ".") or None,
                "duration_minutes": _optional(form.get("duration_minutes")),
                "surface": _optional(form.get("surface")),
                "pain_during": pain,
                "walk_run_level": _optional(form.get("walk_run_level")),
                "note": form.get("note")[:1000],
                "unit": form.get("unit_shown") if form.get("unit_shown") in ("km", "mi") else None,
            }
        )
    except ValidationError as exc:
        problems += _validation(exc)
    if problems:
        return _page(request, session, kb, actor, errors=problems, form=form, status=400)
    try:
        running_service.add_activity(
            session, actor=actor, patient_id=actor.own_patient_id, body=body
        )
    except AccountError as exc:
        return _page(
            request, session, kb, actor, errors=[_sentence(str(exc))], form=form, status=400
        )
    return RedirectResponse("/my/running?saved=run", status_code=303)


@import_router.post("/my/running/import", response_class=HTMLResponse, include_in_schema=False)
async def import_my_runs(
    request: Request, session: DbSession, kb: Kb, settings: SettingsDep, actor: CurrentPatient
) -> Response:
    """Import GPX, TCX or FIT files from a watch or phone; each file is reported by name."""
    # Signing in opened a transaction (on SQLite, the write lock): end it before the upload
    # streams in and is parsed, so nobody else waits for this import.
    await run_in_threadpool(
        running_service.check_patient, session, actor=actor, patient_id=actor.own_patient_id
    )
    form = await request.form()
    uploads = [v for v in form.getlist("files") if isinstance(v, UploadFile) and v.filename]
    surface = form.get("surface")
    surface = surface if isinstance(surface, str) and surface in SURFACE_NAMES else None
    chosen = form.get("sport")
    sport = chosen if isinstance(chosen, str) and chosen in SPORT_NAMES else "running"
    errors: list[str] = []
    if not uploads:
        errors.append("Choose one or more files to import.")
    elif len(uploads) > MAX_FILES:
        errors.append(f"Import at most {MAX_FILES} files at once.")
    if errors:
        return await run_in_threadpool(
            _page, request, session, kb, actor, errors=errors, status=400
        )
    # Each file is read from its spooled copy when its turn comes (one in memory at a time).
    files: list[tuple[str, running_service.FileSource]] = [
        (
            name,
            partial(
                importers.read_capped,
                upload.file,
                filename=name,
                max_bytes=settings.max_upload_bytes,
            ),
        )
        for upload in uploads
        for name in [(upload.filename or "upload").rsplit("/", 1)[-1][:255]]
    ]

    def work() -> Response:
        result = running_service.import_files(
            session,
            actor=actor,
            patient_id=actor.own_patient_id,
            files=files,
            surface=surface,
            sport=sport,
        )
        status = 400 if not result.imported and result.rejected else 200
        return _page(request, session, kb, actor, imported=result, status=status)

    try:
        return await run_in_threadpool(work)
    finally:
        await form.close()


@router.post("/my/running/runs/{activity_id}", response_class=HTMLResponse, include_in_schema=False)
def update_my_run(
    activity_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentPatient,
    form: Posted,
) -> Response:
    """Add the pain the next morning (or the surface) to a run."""
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for field, label in (
        ("pain_during", "Pain during"),
        ("pain_next_morning", "Pain next morning"),
    ):
        raw = form.get(field).strip()
        if raw:
            value = parse_pain(raw)
            if value is None:
                problems.append(f"{label}: choose a number from 0 to 10.")
            changes[field] = value
    if form.get("surface").strip():
        changes["surface"] = form.get("surface").strip()
    try:
        body = ActivityUpdate.model_validate(changes) if not problems else None
    except ValidationError as exc:
        problems += _validation(exc)
        body = None
    if body is None or problems:
        return _page(request, session, kb, actor, errors=problems, status=400)
    try:
        running_service.update_activity(
            session,
            actor=actor,
            activity_id=activity_id,
            body=body,
        )
    except NotAllowed:
        return _page(request, session, kb, actor, errors=["That run was not found."], status=404)
    except AccountError as exc:
        return _page(request, session, kb, actor, errors=[_sentence(str(exc))], status=400)
    return RedirectResponse("/my/running?saved=updated", status_code=303)


@router.post(
    "/my/running/runs/{activity_id}/delete", response_class=HTMLResponse, include_in_schema=False
)
def delete_my_run(
    activity_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentPatient
) -> Response:
    """Remove a run logged by mistake."""
    try:
        running_service.delete_activity(session, actor=actor, activity_id=activity_id)
    except NotAllowed:
        return _page(request, session, kb, actor, errors=["That run was not found."], status=404)
    return RedirectResponse("/my/running?saved=deleted", status_code=303)


@router.post("/my/running/unit", response_class=HTMLResponse, include_in_schema=False)
def update_my_unit(
    request: Request, session: DbSession, kb: Kb, actor: CurrentPatient, form: Posted
) -> Response:
    """Show distances in km or miles."""
    raw = form.get("unit")
    if raw not in ("km", "mi"):
        return _page(request, session, kb, actor, errors=["Choose km or miles."], status=400)
    unit: Unit = "km" if raw == "km" else "mi"
    running_service.set_unit(session, actor=actor, patient_id=actor.own_patient_id, unit=unit)
    return RedirectResponse("/my/running?saved=unit", status_code=303)
