"""The person's appointments: the list, one visit and its calendar invite, cancelling (after
asking) and moving it to another free time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from popliteal.accounts.deps import (
    ClinicDep,
    CurrentActor,
    CurrentPatient,
    page_router,
)
from popliteal.accounts.models import Clinic
from popliteal.accounts.rules import Actor
from popliteal.booking import service as booking_service
from popliteal.booking import slots as booking_slots
from popliteal.booking._pages import (
    DAYS_SHOWN,
    SlotChoice,
    clinic_today,
    error_page,
    group_by_day,
    page_setup,
    parse_clinician,
    parse_start,
)
from popliteal.booking.api import ics_response
from popliteal.booking.errors import BookingError
from popliteal.booking.views import AppointmentView
from popliteal.errors import NotAllowed
from popliteal.web.deps import DbSession, Now, RowId
from popliteal.web.forms import FormModel
from popliteal.web.templating import render

router = page_router("booking pages", Depends(page_setup))


def _split(
    views: list[AppointmentView], now: datetime
) -> tuple[list[AppointmentView], list[AppointmentView]]:
    upcoming = [v for v in views if v.status == "booked" and v.ends_at > now]
    past = [v for v in views if v not in upcoming]
    past.reverse()
    return upcoming, past


@router.get("/my/appointments", response_class=HTMLResponse, include_in_schema=False)
def read_my_appointments(
    request: Request, session: DbSession, actor: CurrentPatient, clinic: ClinicDep, now: Now
) -> Response:
    """Show your upcoming and past appointments."""
    views = booking_service.list_appointments(session, actor=actor)
    upcoming, past = _split(views, now)
    return render(
        request,
        "booking_my.html",
        {
            "upcoming": upcoming,
            "past": past,
            "clinic": clinic,
            "notice": request.query_params.get("done"),
        },
    )


def _appointment_or_404(
    request: Request, session: DbSession, actor: Actor, appointment_id: int
) -> AppointmentView | Response:
    """The appointment if this person may see it, else the friendly 404 page."""
    try:
        return booking_service.get_appointment(
            session,
            actor=actor,
            appointment_id=appointment_id,
        )
    except NotAllowed:
        return error_page(
            request, 404, "Appointment not found", "We could not find that appointment."
        )


@router.get(
    "/my/appointments/{appointment_id:int}.ics", response_class=Response, include_in_schema=False
)
def read_my_appointment_ics(
    request: Request, session: DbSession, actor: CurrentActor, appointment_id: RowId
) -> Response:
    """Download the appointment as an .ics calendar invite."""
    view = _appointment_or_404(request, session, actor, appointment_id)
    if isinstance(view, Response):
        return view
    return ics_response(view)


@router.get(
    "/my/appointments/{appointment_id:int}", response_class=HTMLResponse, include_in_schema=False
)
def read_my_appointment(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    appointment_id: RowId,
    booked: bool = False,
) -> Response:
    """Show one appointment: when, where, with whom, and the calendar invite."""
    view = _appointment_or_404(request, session, actor, appointment_id)
    if isinstance(view, Response):
        return view
    return render(request, "booking_appointment.html", {"a": view, "booked": booked})


@router.get(
    "/my/appointments/{appointment_id:int}/cancel",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def read_cancel_my_appointment(
    request: Request, session: DbSession, actor: CurrentActor, appointment_id: RowId
) -> Response:
    """Ask before cancelling: one click on a list must not cancel a visit."""
    view = _appointment_or_404(request, session, actor, appointment_id)
    if isinstance(view, Response):
        return view
    return render(request, "booking_cancel.html", {"a": view})


@router.post("/my/appointments/{appointment_id:int}/cancel", include_in_schema=False)
def cancel_my_appointment(
    request: Request, session: DbSession, actor: CurrentActor, appointment_id: RowId
) -> Response:
    """Cancel one of your appointments."""
    try:
        booking_service.cancel(
            session,
            actor=actor,
            appointment_id=appointment_id,
        )
    except NotAllowed:
        return error_page(
            request, 404, "Appointment not found", "We could not find that appointment."
        )
    except BookingError as exc:
        return error_page(request, exc.status_code, "This visit cannot be cancelled", exc.message)
    return RedirectResponse("/my/appointments?done=cancelled", status_code=303)


def _reschedule_page(
    request: Request,
    session: DbSession,
    clinic: Clinic,
    view: AppointmentView,
    first_day: date | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    today = clinic_today(clinic)
    first = max(first_day or today, today)
    last = first + timedelta(days=DAYS_SHOWN - 1)
    try:
        slots = booking_slots.list_slots(
            session,
            clinic=clinic,
            type_ref=view.type_code,
            mode=view.mode,
            first_day=first,
            last_day=last,
        )
    except BookingError as exc:
        slots, error = [], exc.message
    # One entry per time, with this visit's clinician first when they are free.
    slots.sort(key=lambda s: (s.starts_at, s.clinician_id != view.clinician_id))
    days = group_by_day(slots, tz=clinic.timezone, any_clinician=False)
    for day in days:
        unique: dict[str, SlotChoice] = {}
        for choice in day.slots:
            unique.setdefault(choice.start, choice)
        day.slots[:] = list(unique.values())
    horizon_end = today + timedelta(days=clinic.booking_horizon_days)
    return render(
        request,
        "booking_reschedule.html",
        {
            "a": view,
            "days": days,
            "error": error,
            "clinic": clinic,
            "earlier": (first - timedelta(days=DAYS_SHOWN)).isoformat() if first > today else None,
            "later": (last + timedelta(days=1)).isoformat() if last < horizon_end else None,
        },
        status=status_code,
    )


@router.get(
    "/my/appointments/{appointment_id:int}/reschedule",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def read_reschedule(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    clinic: ClinicDep,
    appointment_id: RowId,
    first_day: Annotated[date | None, Query(alias="from")] = None,
) -> Response:
    """Choose a new time for one of your appointments."""
    view = _appointment_or_404(request, session, actor, appointment_id)
    if isinstance(view, Response):
        return view
    if not view.may_change:
        return error_page(
            request, 403, "This visit cannot be moved online", view.change_refusal or ""
        )
    return _reschedule_page(request, session, clinic, view, first_day)


class RescheduleForm(FormModel):
    """The chosen new time, sent as one radio value "start|clinician"."""

    slot: str = Field("", max_length=60)


@router.post("/my/appointments/{appointment_id:int}/reschedule", include_in_schema=False)
def reschedule_my_appointment(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    clinic: ClinicDep,
    appointment_id: RowId,
    form: Annotated[RescheduleForm, Form()],
) -> Response:
    """Move one of your appointments to the chosen time."""
    start, _, clinician = form.slot.partition("|")
    starts_at = parse_start(start)
    try:
        if starts_at is None:
            raise BookingError("choose a new time from the list")
        booking_service.reschedule(
            session,
            actor=actor,
            appointment_id=appointment_id,
            starts_at=starts_at,
            clinician_id=parse_clinician(clinician),
        )
    except NotAllowed:
        return error_page(
            request, 404, "Appointment not found", "We could not find that appointment."
        )
    except BookingError as exc:
        try:
            view = booking_service.get_appointment(
                session, actor=actor, appointment_id=appointment_id
            )
        except NotAllowed:
            return error_page(request, 404, "Appointment not found", "We could not find it.")
        if not view.may_change:
            return error_page(request, exc.status_code, "This visit cannot be moved", exc.message)
        return _reschedule_page(
            request, session, clinic, view, None, error=exc.message, status_code=exc.status_code
        )
    return RedirectResponse(f"/my/appointments/{appointment_id}?moved=1", status_code=303)
