"""The administrators' e-mail page: reminder lead time, how long a booking waits for its
e-mailed link, video room links, failed messages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from popliteal.accounts import email_settings
from popliteal.accounts.deps import CurrentAdmin, page_router
from popliteal.errors import AccountError
from popliteal.web.deps import DbSession, RowId, SettingsDep
from popliteal.web.forms import FormModel, parse_whole_number
from popliteal.web.templating import render

router = page_router("accounts")

PAGE = "/staff/admin/email"


def _page(
    request: Request,
    session: DbSession,
    actor: Any,
    settings: Any,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    found = email_settings.read_email_settings(session, actor=actor)
    return render(
        request,
        "accounts_email.html",
        {
            "found": found,
            "error": error,
            "saved": request.query_params.get("saved", ""),
            "offline": settings.smtp_url is None,
            "outbox": str(settings.var_dir / "outbox"),
        },
        status,
    )


@router.get(PAGE, response_class=HTMLResponse, include_in_schema=False)
def read_email_settings(
    request: Request, session: DbSession, actor: CurrentAdmin, settings: SettingsDep
) -> Response:
    """Show the clinic's e-mail settings and the messages that could not be sent."""
    return _page(request, session, actor, settings)


class ReminderForm(FormModel):
    reminder_lead_hours: str = Field("", max_length=10)


@router.post(f"{PAGE}/reminder", response_class=HTMLResponse, include_in_schema=False)
def update_reminder_lead(
    request: Request,
    session: DbSession,
    actor: CurrentAdmin,
    settings: SettingsDep,
    form: Annotated[ReminderForm, Form()],
) -> Response:
    """Set how many hours before a visit its reminder is sent."""
    hours = parse_whole_number(form.reminder_lead_hours)
    try:
        email_settings.set_reminder_lead(session, actor=actor, hours=-1 if hours is None else hours)
    except AccountError as exc:
        return _page(request, session, actor, settings, error=str(exc), status=400)
    return RedirectResponse(f"{PAGE}?saved=reminder", status_code=303)


class HoldForm(FormModel):
    booking_hold_minutes: str = Field("", max_length=10)


@router.post(f"{PAGE}/hold", response_class=HTMLResponse, include_in_schema=False)
def update_hold_minutes(
    request: Request,
    session: DbSession,
    actor: CurrentAdmin,
    settings: SettingsDep,
    form: Annotated[HoldForm, Form()],
) -> Response:
    """Set how long a visit booked without logging in waits for its e-mailed link."""
    minutes = parse_whole_number(form.booking_hold_minutes)
    try:
        email_settings.set_hold_minutes(
            session, actor=actor, minutes=-1 if minutes is None else minutes
        )
    except AccountError as exc:
        return _page(request, session, actor, settings, error=str(exc), status=400)
    return RedirectResponse(f"{PAGE}?saved=hold", status_code=303)


class VideoRoomForm(FormModel):
    video_room_url: str = Field("", max_length=600)


@router.post(
    f"{PAGE}/video-rooms/{{user_id}}", response_class=HTMLResponse, include_in_schema=False
)
def update_video_room(
    user_id: RowId,
    request: Request,
    session: DbSession,
    actor: CurrentAdmin,
    settings: SettingsDep,
    form: Annotated[VideoRoomForm, Form()],
) -> Response:
    """Set a clinician's video room link (empty clears it)."""
    try:
        email_settings.set_video_room(
            session, actor=actor, user_id=user_id, url=form.video_room_url
        )
    except AccountError as exc:
        return _page(request, session, actor, settings, error=str(exc), status=400)
    return RedirectResponse(f"{PAGE}?saved=video", status_code=303)


@router.post(f"{PAGE}/failed/{{message_id}}/retry", include_in_schema=False)
def retry_message(message_id: RowId, session: DbSession, actor: CurrentAdmin) -> Response:
    """Try a message that could not be sent once more."""
    email_settings.retry_message(session, actor=actor, message_id=message_id)
    return RedirectResponse(f"{PAGE}?saved=retry", status_code=303)
