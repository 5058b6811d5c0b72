"""The booking JSON API: appointment types, free slots and appointments."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from popliteal import clock
from popliteal.accounts.deps import ClinicDep, CurrentActor, OptionalActor
from popliteal.booking import service as booking_service
from popliteal.booking import slots as booking_slots
from popliteal.booking.ics import appointment_ics
from popliteal.booking.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentReschedule,
    AppointmentTypeRead,
    HoldRead,
    Mode,
    SlotRead,
    SlotsRead,
)
from popliteal.booking.views import AppointmentView
from popliteal.clock import local_today
from popliteal.screening.service import VISITOR_COOKIE
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, JsonOnly, RowId, SettingsDep, client_address
from popliteal.web.session_cookie import clear_visitor_cookie

router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api", tags=["booking"])


def appointment_read(view: AppointmentView) -> AppointmentRead:
    zone = clock.zone(view.timezone)
    return AppointmentRead(
        id=view.id,
        type=view.type_code,
        type_name=view.type_name,
        mode=view.mode,
        status=view.status,
        timezone=view.timezone,
        start=view.starts_at.astimezone(zone),
        end=view.ends_at.astimezone(zone),
        start_utc=view.starts_at,
        end_utc=view.ends_at,
        clinician_id=view.clinician_id,
        clinician_name=view.clinician_name,
        patient_id=view.patient_id,
        patient_name=view.patient_name,
        address=view.address,
        location=view.location,
        screening_id=view.screening_id,
        sequence=view.sequence,
        ics_url=f"/api/appointments/{view.id}.ics",
        may_change=view.may_change,
        change_refusal=view.change_refusal,
    )


@router.get("/appointment-types", response_model=list[AppointmentTypeRead])
def read_appointment_types(session: DbSession, clinic: ClinicDep) -> list[AppointmentTypeRead]:
    """List the appointment types the clinic offers."""
    return [
        AppointmentTypeRead(
            id=t.id,
            code=t.code,
            name=t.name,
            description=t.description,
            minutes=t.minutes,
            modes=list(t.modes),
            is_free=t.is_free,
        )
        for t in booking_slots.list_types(session, clinic_id=clinic.id)
    ]


@router.get("/slots", response_model=SlotsRead)
def read_slots(
    session: DbSession,
    clinic: ClinicDep,
    type: Annotated[str, Query(min_length=1, max_length=40, description="Type code or id.")],
    mode: Annotated[Mode, Query()],
    first_day: Annotated[date | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    last_day: Annotated[date | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    clinician: Annotated[int | None, Query(description="A clinician's id; omit for any.")] = None,
) -> SlotsRead:
    """List free slots (clinic days `from`..`to`, inclusive; default: the next 7 days)."""
    zone = clinic.zone
    first = first_day or local_today(zone)
    last = last_day or first + timedelta(days=6)
    slots = booking_slots.list_slots(
        session,
        clinic=clinic,
        type_ref=type,
        mode=mode,
        first_day=first,
        last_day=last,
        clinician_id=clinician,
    )
    return SlotsRead(
        timezone=clinic.timezone,
        type=type,
        mode=mode,
        slots=[
            SlotRead(
                start=s.starts_at.astimezone(zone),
                end=s.ends_at.astimezone(zone),
                start_utc=s.starts_at,
                end_utc=s.ends_at,
                clinician_id=s.clinician_id,
                clinician_name=s.clinician_name,
            )
            for s in slots
        ],
    )


@router.post(
    "/appointments",
    response_model=AppointmentRead,
    status_code=201,
    responses={202: {"model": HoldRead, "description": "Held: check your e-mail to confirm."}},
)
def create_appointment(
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    clinic: ClinicDep,
    actor: OptionalActor,
    body: AppointmentCreate,
) -> AppointmentRead | JSONResponse:
    """Book a visit as the logged-in patient (201). Without a login, give `email` and
    `full_name`: the visit is held and a link is e-mailed to confirm it (202); the answer is
    the same whether or not the address has an account.

    A screening is shared only when chosen (`screening_id` or `use_recent_screening`); an
    emergency or urgent screening from this browser in the last 30 days refuses the booking
    either way. Booking clears the anonymous visitor cookie.
    """
    new_account = None
    if actor is None:
        missing = [name for name in ("email", "full_name") if not getattr(body, name)]
        if missing:
            raise HTTPException(
                422,
                "log in as a patient, or give these fields to book: " + ", ".join(missing),
            )
        new_account = booking_service.NewAccount(
            email=body.email or "", full_name=body.full_name or "", phone=body.phone
        )
    booked = booking_service.book(
        session,
        clinic=clinic,
        actor=actor,
        type_ref=body.type,
        mode=body.mode,
        starts_at=body.start,
        clinician_id=body.clinician_id,
        address=body.address,
        screening_id=body.screening_id,
        use_recent_screening=body.use_recent_screening,
        visitor_token=request.cookies.get(VISITOR_COOKIE),
        new_account=new_account,
        client_address=client_address(request),
        base_url=settings.base_url,
    )
    if booked.appointment is None:
        held = booked.held.message if booked.held is not None else ""
        answer = JSONResponse(HoldRead(message=held).model_dump(), status_code=202)
        clear_visitor_cookie(answer)  # the next person on this browser starts afresh
        return answer
    clear_visitor_cookie(response)
    return appointment_read(booked.appointment)


@router.get("/appointments", response_model=list[AppointmentRead])
def read_appointments(session: DbSession, actor: CurrentActor) -> list[AppointmentRead]:
    """List your appointments (staff: every appointment of the clinic)."""
    views = booking_service.list_appointments(session, actor=actor)
    return [appointment_read(v) for v in views]


@router.get("/appointments/{appointment_id:int}.ics", response_class=Response)
def read_appointment_ics(
    session: DbSession, actor: CurrentActor, appointment_id: RowId
) -> Response:
    """Download the appointment as an .ics calendar invite."""
    view = booking_service.get_appointment(
        session,
        actor=actor,
        appointment_id=appointment_id,
    )
    return ics_response(view)


def ics_response(view: AppointmentView) -> Response:
    return Response(
        appointment_ics(view),
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="appointment-{view.id}.ics"'},
    )


@router.get("/appointments/{appointment_id:int}", response_model=AppointmentRead)
def read_appointment(
    session: DbSession, actor: CurrentActor, appointment_id: RowId
) -> AppointmentRead:
    """Show one appointment."""
    view = booking_service.get_appointment(
        session,
        actor=actor,
        appointment_id=appointment_id,
    )
    return appointment_read(view)


@router.post(
    "/appointments/{appointment_id:int}/cancel",
    response_model=AppointmentRead,
    dependencies=[JsonOnly],
)
def cancel_appointment(
    session: DbSession, actor: CurrentActor, appointment_id: RowId
) -> AppointmentRead:
    """Cancel an appointment (patients: up to the clinic's notice period before it)."""
    view = booking_service.cancel(
        session,
        actor=actor,
        appointment_id=appointment_id,
    )
    return appointment_read(view)


@router.post("/appointments/{appointment_id:int}/reschedule", response_model=AppointmentRead)
def reschedule_appointment(
    session: DbSession,
    actor: CurrentActor,
    appointment_id: RowId,
    body: AppointmentReschedule,
) -> AppointmentRead:
    """Move an appointment to another free slot; it keeps its id and calendar UID."""
    view = booking_service.reschedule(
        session,
        actor=actor,
        appointment_id=appointment_id,
        starts_at=body.start,
        clinician_id=body.clinician_id,
    )
    return appointment_read(view)
