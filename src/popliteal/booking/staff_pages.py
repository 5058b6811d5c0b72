"""Staff pages: the day/week schedule, and clinic admin of appointment types and availability."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from popliteal.accounts.deps import (
    CurrentAdmin,
    CurrentClinician,
    StaffClinic,
    page_router,
)
from popliteal.booking import admin as booking_admin
from popliteal.booking import calendar, rules
from popliteal.booking import service as booking_service
from popliteal.booking import slots as booking_slots
from popliteal.booking._pages import page_setup
from popliteal.booking.errors import BookingError
from popliteal.booking.models import MODES
from popliteal.booking.views import MODE_NAMES, AppointmentView
from popliteal.clock import local_date, local_today
from popliteal.errors import NotAllowed
from popliteal.screening import standing as screening_standing
from popliteal.web.deps import DbSession, Now, RowId
from popliteal.web.forms import FormModel
from popliteal.web.templating import render

router = page_router("staff pages", Depends(page_setup))

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _error(request: Request, status: int, title: str, message: str) -> Response:
    return render(
        request, "error.html", {"title": title, "messages": [message], "status": status}, status
    )


@router.get("/staff/schedule", response_class=HTMLResponse, include_in_schema=False)
def read_schedule(
    request: Request,
    session: DbSession,
    actor: CurrentClinician,
    clinic: StaffClinic,
    now: Now,
    view: Literal["day", "week"] = "day",
    day: Annotated[date | None, Query(alias="date")] = None,
    clinician: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    """Show the booked visits of a day or a week (yours unless you choose others)."""
    clinicians = booking_slots.list_clinicians(session, clinic_id=clinic.id)
    if clinician is None or clinician == "":
        clinician_id: int | None = actor.user_id
    elif clinician == "all":
        clinician_id = None
    elif (picked := rules.row_id(clinician)) in {c.id for c in clinicians}:
        clinician_id = picked
    else:
        return _error(request, 422, "Please check your choice", "choose a clinician from the list")
    today = local_today(clinic.zone, now)
    chosen = day or today
    if view == "week":
        first = chosen - timedelta(days=chosen.weekday())
        last = first + timedelta(days=6)
        step = timedelta(days=7)
    else:
        first = last = chosen
        step = timedelta(days=1)
    views = booking_service.schedule(
        session,
        actor=actor,
        first_day=first,
        last_day=last,
        clinician_id=clinician_id,
    )
    # as on the patient list: warning signs the person left at "not sure", to ask at the visit
    not_completed = screening_standing.safety_not_completed(
        session, patient_ids=[v.patient_id for v in views]
    )
    zone = clinic.zone
    by_day: dict[date, list[AppointmentView]] = {}
    for v in views:
        by_day.setdefault(local_date(v.starts_at, zone), []).append(v)
    days = []
    current = first
    while current <= last:
        days.append((current.strftime("%A %d %B %Y"), by_day.get(current, [])))
        current += timedelta(days=1)
    who = "all" if clinician_id is None else str(clinician_id)
    shown = [(c.id, c.display_name) for c in clinicians if clinician_id in (None, c.id)]
    grid = calendar.build_grid(
        views,
        calendar.week_columns(first, (last - first).days + 1, shown),
        column_of=lambda v: (local_date(v.starts_at, zone), v.clinician_id),
        local_span=lambda v: (v.starts_at.astimezone(zone), v.ends_at.astimezone(zone)),
    )

    def link(target: date) -> str:
        return "/staff/schedule?" + urlencode(
            {"view": view, "date": target.isoformat(), "clinician": who}
        )

    return render(
        request,
        "booking_schedule.html",
        {
            "clinic": clinic,
            "view": view,
            "date": chosen,
            "days": days,
            "grid": grid,
            "count": len(views),
            "clinicians": clinicians,
            "clinician_id": clinician_id,
            "previous": link(first - step),
            "next": link(first + step),
            "today": link(today),
            "modes": MODE_NAMES,
            "not_completed": not_completed,
        },
    )


# ------------------------------------------------------------------------------ clinic admin


@router.get("/staff/admin/appointment-types", response_class=HTMLResponse, include_in_schema=False)
def read_admin_types(
    request: Request, session: DbSession, actor: CurrentAdmin, clinic: StaffClinic
) -> Response:
    """Show the clinic's appointment types for editing."""
    types = booking_slots.list_types(session, clinic_id=clinic.id, include_inactive=True)
    return render(
        request,
        "booking_admin_types.html",
        {"types": types, "modes": MODE_NAMES, "saved": request.query_params.get("saved")},
    )


class AppointmentTypeForm(FormModel):
    """One appointment type's row on the admin page (typed: the page is not shown again, a
    value that does not fit is FastAPI's "Please check what you entered" page)."""

    name: str = Field(max_length=120)
    minutes: int
    modes: list[str] | None = None
    active: bool = False


@router.post("/staff/admin/appointment-types/{type_id:int}", include_in_schema=False)
def update_admin_type(
    request: Request,
    session: DbSession,
    actor: CurrentAdmin,
    type_id: RowId,
    form: Annotated[AppointmentTypeForm, Form()],
) -> Response:
    """Save an appointment type's name, length, modes and whether it can be booked."""
    try:
        booking_admin.update_type(
            session,
            actor=actor,
            type_id=type_id,
            name=form.name,
            minutes=form.minutes,
            modes=form.modes or [],
            active=form.active,
        )
    except NotAllowed:
        return _error(request, 404, "Not found", "no such appointment type")
    except BookingError as exc:
        return _error(request, 422, "Please check what you entered", exc.message)
    return RedirectResponse(f"/staff/admin/appointment-types?saved={type_id}", status_code=303)


@router.get("/staff/admin/availability", response_class=HTMLResponse, include_in_schema=False)
def read_admin_availability(
    request: Request, session: DbSession, actor: CurrentAdmin, clinic: StaffClinic
) -> Response:
    """Show each clinician's weekly availability, with forms to add and remove blocks."""
    clinicians = booking_slots.list_clinicians(session, clinic_id=clinic.id)
    blocks = booking_admin.list_availability(session, clinic_id=clinic.id)
    per_clinician = [(c, [b for b in blocks if b.clinician_id == c.id]) for c in clinicians]
    return render(
        request,
        "booking_admin_availability.html",
        {
            "clinic": clinic,
            "per_clinician": per_clinician,
            "clinicians": clinicians,
            "weekdays": WEEKDAYS,
            "modes": MODE_NAMES,
            "all_modes": MODES,
        },
    )


class AvailabilityForm(FormModel):
    """A new weekly availability block (typed, as AppointmentTypeForm)."""

    clinician_id: int
    weekday: int
    start: time
    end: time
    modes: list[str] | None = None


@router.post("/staff/admin/availability", include_in_schema=False)
def create_admin_availability(
    request: Request,
    session: DbSession,
    actor: CurrentAdmin,
    form: Annotated[AvailabilityForm, Form()],
) -> Response:
    """Add a weekly availability block."""
    try:
        booking_admin.add_availability(
            session,
            actor=actor,
            clinician_id=form.clinician_id,
            weekday=form.weekday,
            start=form.start,
            end=form.end,
            modes=form.modes or [],
        )
    except BookingError as exc:
        return _error(request, 422, "Please check what you entered", exc.message)
    return RedirectResponse("/staff/admin/availability", status_code=303)


@router.post("/staff/admin/availability/{availability_id:int}/delete", include_in_schema=False)
def delete_admin_availability(
    request: Request, session: DbSession, actor: CurrentAdmin, availability_id: RowId
) -> Response:
    """Remove a weekly availability block."""
    try:
        booking_admin.remove_availability(session, actor=actor, availability_id=availability_id)
    except NotAllowed:
        return _error(request, 404, "Not found", "no such availability block")
    return RedirectResponse("/staff/admin/availability", status_code=303)
