"""The person's account page: download everything about me, and delete my account.

The download is a zip written to a temporary file and streamed (workspace/my_data.py); the
file is deleted once sent. Deleting asks for the password again, after a page that says in
plain words what goes and what the clinic must keep (workspace/erasure.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import Field
from sqlalchemy import func, select
from starlette.background import BackgroundTask

from popliteal.accounts.deps import CurrentPatient, page_router
from popliteal.accounts.models import Patient, User
from popliteal.accounts.rules import Actor
from popliteal.db import reading
from popliteal.sessions.models import VisitNote
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, Kb, Now, SettingsDep
from popliteal.web.forms import FormModel
from popliteal.web.session_cookie import clear_login_cookie, clear_visitor_cookie
from popliteal.web.templating import emergency_number, render
from popliteal.workspace import erasure, my_data

router = page_router("person pages")
api_router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api", tags=["my data"])


def zip_download(export: my_data.Export) -> FileResponse:
    """The zip as a download; the temporary file is deleted once it is sent."""
    return FileResponse(
        export.path,
        media_type="application/zip",
        filename=export.filename,
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(export.path.unlink, missing_ok=True),
    )


def _export(request: Request, session: DbSession, kb: Kb, actor: Actor) -> FileResponse:
    export = my_data.export_my_data(
        session,
        kb=kb,
        actor=actor,
        emergency_number=emergency_number(request),
        extra_parts=my_data.extra_parts_for(session, kb=kb, actor=actor),
    )
    return zip_download(export)


def _account_facts(session: DbSession, actor: Actor) -> tuple[str, str, int]:
    """The person's name, e-mail and how many visit notes the clinic holds about them."""
    with reading(session):
        patient = session.get(Patient, actor.own_patient_id)
        user = session.get(User, actor.user_id)
        notes = session.scalar(
            select(func.count(VisitNote.id)).where(VisitNote.patient_id == actor.own_patient_id)
        )
        return (
            patient.full_name if patient else "",
            user.email if user else "",
            int(notes or 0),
        )


@router.get("/my/account", response_class=HTMLResponse, include_in_schema=False)
def read_my_account(request: Request, session: DbSession, actor: CurrentPatient) -> Response:
    """My account: my details, download my data, change my password, delete my account."""
    name, email, _ = _account_facts(session, actor)
    return render(request, "workspace_my_account.html", {"name": name, "email": email})


@router.get("/my/account/data.zip", include_in_schema=False)
def read_my_data(
    request: Request, session: DbSession, kb: Kb, actor: CurrentPatient
) -> FileResponse:
    """Download everything about me as a zip file."""
    return _export(request, session, kb, actor)


@api_router.get(
    "/me/export",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the zip file"}},
)
def read_my_export(
    request: Request, session: DbSession, kb: Kb, actor: CurrentPatient
) -> FileResponse:
    """Download everything popliteal holds about you as a zip (JSON files, PDFs, README)."""
    return _export(request, session, kb, actor)


def _delete_page(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    actor: Actor,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    _, email, notes = _account_facts(session, actor)
    ctx = {
        "email": email,
        "notes": notes,
        "years": settings.record_retention_years,
        "error": error,
    }
    return render(request, "workspace_delete_account.html", ctx, status)


@router.get("/my/account/delete", response_class=HTMLResponse, include_in_schema=False)
def read_delete_account(
    request: Request, session: DbSession, settings: SettingsDep, actor: CurrentPatient
) -> Response:
    """What deleting my account removes and what the clinic must keep; the confirm form."""
    return _delete_page(request, session, settings, actor)


class DeleteAccountForm(FormModel):
    password: str = Field(max_length=256)


@router.post("/my/account/delete", response_class=HTMLResponse, include_in_schema=False)
def delete_my_account(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    actor: CurrentPatient,
    now: Now,
    form: Annotated[DeleteAccountForm, Form()],
) -> Response:
    """Delete my account and data (the password again confirms it); log out everywhere."""
    try:
        erasure.delete_account(
            session,
            actor=actor,
            password=form.password,
            now=now,
            retention_years=settings.record_retention_years,
        )
    except erasure.WrongPassword:
        error = "That password is not right. Your account is not deleted."
        return _delete_page(request, session, settings, actor, error=error, status=400)
    response = RedirectResponse("/account/deleted", status_code=303)
    clear_login_cookie(response)
    clear_visitor_cookie(response)
    return response


@router.get("/account/deleted", response_class=HTMLResponse, include_in_schema=False)
def read_account_deleted(request: Request, settings: SettingsDep) -> Response:
    """The goodbye page after a deletion (it shows nothing about anyone)."""
    return render(
        request, "workspace_account_deleted.html", {"years": settings.record_retention_years}
    )
