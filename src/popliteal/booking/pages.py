"""Booking pages for the person: choose a visit and a time, confirm, and manage appointments.

Everything works as plain forms (GET to choose, POST to confirm); htmx only swaps the slot
list in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from popliteal import clock
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import AccountError, NotAllowed
from popliteal.booking import rules, screening_gate
from popliteal.booking import service as booking_service
from popliteal.booking import slots as booking_slots
from popliteal.booking.api import ics_response
from popliteal.booking.errors import BookingError
from popliteal.booking.models import MODES
from popliteal.booking.screening_gate import ScreeningChoice
from popliteal.booking.slots import SlotView
from popliteal.booking.views import MODE_NAMES, AppointmentView
from popliteal.clock import local_today, utcnow
from popliteal.knowledge.loader import Knowledge
from popliteal.screening.models import Screening
from popliteal.screening.service import VISITOR_COOKIE
from popliteal.web.deps import (
    ClinicDep,
    CsrfProtected,
    CurrentActor,
    CurrentPatient,
    DbSession,
    Kb,
    Now,
    OptionalActor,
    OptionalUser,
    RowId,
    SettingsDep,
    client_address,
    get_optional_user,
)
from popliteal.web.session_cookie import clear_visitor_cookie, set_login_cookie


def page_setup(request: Request, session: DbSession, clinic: ClinicDep, user: OptionalUser) -> None:
    """Make base.html safe to render on every page of this router, error pages included.

    Works around two foundation traps (reported to the lead): clinic_name() opens a second
    session, which on SQLite waits for the write lock this request's open transaction holds;
    and error pages raised by the auth dependencies render after get_db has rolled back and
    closed the session, so the nav bar's user would be expired and detached.
    """
    if getattr(request.app.state, "clinic_name", None) is None:
        request.app.state.clinic_name = clinic.name
    if user is not None and user in session:
        session.expunge(user)  # keeps its loaded attributes whatever the session does next


router = APIRouter(
    tags=["booking pages"],
    dependencies=[Depends(get_optional_user), CsrfProtected, Depends(page_setup)],
)

DAYS_SHOWN = 7


URGENCY_TYPE = {"surgical_consult": "initial_evaluation", "conservative": "free_screening"}


@dataclass(frozen=True)
class SlotChoice:
    time: str
    start: str
    clinician_id: int | None
    clinician_name: str


@dataclass(frozen=True)
class Day:
    label: str
    slots: list[SlotChoice]


def _render(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, ctx, status_code=status_code
    )
    return response


def _error(request: Request, status: int, title: str, message: str) -> Response:
    return _render(
        request, "error.html", {"title": title, "messages": [message], "status": status}, status
    )


def _today(clinic: Clinic) -> date:
    return local_today(clinic.zone)


def _start_param(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _parse_start(raw: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _parse_clinician(raw: str | None) -> int | None:
    if raw is None or raw in ("", "any"):
        return None
    found = rules.row_id(raw)
    if found is None:
        raise BookingError("choose a clinician from the list")
    return found


def group_by_day(slots: list[SlotView], *, tz: str, any_clinician: bool) -> list[Day]:
    """Slots grouped by clinic-local day; for "any clinician" each time is listed once."""
    zone = clock.zone(tz)
    days: dict[date, list[SlotChoice]] = {}
    seen: set[datetime] = set()
    for s in slots:
        if any_clinician and s.starts_at in seen:
            continue
        seen.add(s.starts_at)
        local = s.starts_at.astimezone(zone)
        days.setdefault(local.date(), []).append(
            SlotChoice(
                time=local.strftime("%H:%M %Z"),
                start=_start_param(s.starts_at),
                clinician_id=None if any_clinician else s.clinician_id,
                clinician_name="" if any_clinician else s.clinician_name,
            )
        )
    return [Day(d.strftime("%A %d %B %Y"), choices) for d, choices in sorted(days.items())]


def red_flag_reasons(kb: Knowledge, screening: Screening) -> list[str]:
    """The plain-language messages of the red flags that fired in this screening."""
    by_id = {rule.id: rule for rule in kb.rules}
    reasons = []
    for flag in screening.result.get("red_flags", []):
        rule = by_id.get(str(flag.get("id")))
        if rule is not None:
            reasons.append(rule.patient_message)
    return reasons


def _screening(
    request: Request,
    session: DbSession,
    actor: Actor | None,
    screening_id: str | None,
) -> ScreeningChoice:
    """The chosen screening (only `screening_id`), the one to offer, and any refusal."""
    return screening_gate.screening_for_booking(
        session,
        screening_id=screening_id,
        visitor_token=request.cookies.get(VISITOR_COOKIE),
        actor=actor,
        client_address=client_address(request),
    )


def _offer(clinic: Clinic, choice: ScreeningChoice) -> dict[str, Any]:
    """The screening offered as a choice ("Use my screening from 10:42 today"), if any."""
    offered = choice.offered
    label = (
        rules.screening_choice_label(offered.created_at, tz=clinic.zone, now=utcnow())
        if offered is not None
        else ""
    )
    return {"offered": offered, "offer_label": label}


def _refused(request: Request, kb: Knowledge, screening: Screening, refusal: str) -> Response:
    return _render(
        request,
        "booking_refused.html",
        {
            "screening": screening,
            "refusal": refusal,
            "reasons": red_flag_reasons(kb, screening),
        },
    )


@router.get("/book", response_class=HTMLResponse, include_in_schema=False)
def read_book(
    request: Request,
    session: DbSession,
    clinic: ClinicDep,
    actor: OptionalActor,
    kb: Kb,
    screening: Annotated[str | None, Query(max_length=32)] = None,
    type: Annotated[str | None, Query(max_length=40)] = None,
    mode: Annotated[str | None, Query(max_length=16)] = None,
    clinician: Annotated[str | None, Query(max_length=12)] = None,
    first_day: Annotated[date | None, Query(alias="from")] = None,
) -> Response:
    """Choose the kind of visit, how it takes place and who, then see the free times.

    `screening` is the person's choice to share that screening (the result page's link, or
    the "Use my screening" box); without it this browser's recent calm screening is only
    offered, never attached.
    """
    try:
        choice = _screening(request, session, actor, screening)
    except NotAllowed:
        return _error(request, 404, "Screening not found", "We could not find that screening.")
    if choice.refusal and choice.gate is not None:
        return _refused(request, kb, choice.gate, choice.refusal)
    attached = choice.chosen
    types = booking_slots.list_types(session, clinic_id=clinic.id)
    clinicians = booking_slots.list_clinicians(session, clinic_id=clinic.id)
    if type is None and attached is not None:
        type = URGENCY_TYPE.get(attached.urgency)
    chosen = next((t for t in types if type in (t.code, str(t.id))), None)
    if type and chosen is None:
        return _error(request, 422, "Please check your choice", f"unknown visit type {type!r}")
    if mode is not None and mode not in MODES:
        return _error(request, 422, "Please check your choice", f"unknown way to meet {mode!r}")
    try:
        clinician_id = _parse_clinician(clinician)
    except BookingError as exc:
        return _error(request, 422, "Please check your choice", exc.message)
    today = _today(clinic)
    first = max(first_day or today, today)
    last = first + timedelta(days=DAYS_SHOWN - 1)
    days: list[Day] = []
    problem = None
    if chosen is not None and mode is not None:
        try:
            slots = booking_slots.list_slots(
                session,
                clinic=clinic,
                type_ref=chosen.code,
                mode=mode,
                first_day=first,
                last_day=last,
                clinician_id=clinician_id,
            )
            days = group_by_day(slots, tz=clinic.timezone, any_clinician=clinician_id is None)
        except BookingError as exc:
            problem = exc.message
    base = {
        "screening": attached.id if attached else "",
        "type": chosen.code if chosen else "",
        "mode": mode or "",
        "clinician": str(clinician_id) if clinician_id else "any",
    }
    horizon_end = today + timedelta(days=clinic.booking_horizon_days)
    given = {k: v for k, v in base.items() if v}  # no empty `screening=` in links
    ctx = {
        "clinic": clinic,
        "types": types,
        "clinicians": clinicians,
        "modes": MODE_NAMES,
        "chosen": chosen,
        "mode": mode,
        "clinician_id": clinician_id,
        "attached": attached,
        **_offer(clinic, choice),
        "days": days,
        "problem": problem,
        "first": first,
        "last": last,
        "base": base,
        "confirm_query": lambda choice: urlencode(
            {
                **given,
                "start": choice.start,
                "clinician": str(choice.clinician_id) if choice.clinician_id else "any",
            }
        ),
        "earlier": urlencode({**given, "from": (first - timedelta(days=DAYS_SHOWN)).isoformat()})
        if first > today
        else None,
        "later": urlencode({**given, "from": (last + timedelta(days=1)).isoformat()})
        if last < horizon_end
        else None,
        "logged_in_staff": actor is not None and actor.is_staff,
    }
    if request.headers.get("hx-request") == "true":
        return _render(request, "booking_slots.html", ctx)
    return _render(request, "booking_book.html", ctx)


def _confirm_ctx(
    session: DbSession,
    clinic: Clinic,
    *,
    type_ref: str,
    mode: str,
    start: str,
    clinician: str,
    screening: Screening | None,
) -> dict[str, Any]:
    """What the confirm page shows; BookingError when the choice does not make sense."""
    kind = booking_slots.get_type(session, clinic_id=clinic.id, ref=type_ref)
    if mode not in kind.modes:
        raise BookingError(f"{kind.name} is not offered that way; please choose again")
    starts_at = _parse_start(start)
    if starts_at is None:
        raise BookingError("that time is not valid; please pick a time from the list")
    earliest, latest = rules.booking_window(
        now=utcnow(),
        min_notice_hours=clinic.min_booking_notice_hours,
        horizon_days=clinic.booking_horizon_days,
    )
    if not earliest <= starts_at <= latest:
        raise BookingError("that time cannot be booked online; please pick a time from the list")
    clinician_id = _parse_clinician(clinician)
    names = {
        u.id: u.display_name for u in booking_slots.list_clinicians(session, clinic_id=clinic.id)
    }
    if clinician_id is not None and clinician_id not in names:
        raise BookingError("choose a clinician from the list")
    zone = clinic.zone
    return {
        "clinic": clinic,
        "kind": kind,
        "mode": mode,
        "mode_name": MODE_NAMES[mode],
        "start": start,
        "when": starts_at.astimezone(zone).strftime("%A %d %B %Y, %H:%M %Z"),
        "clinician": clinician or "any",
        "clinician_name": names.get(clinician_id, "") if clinician_id else "",
        "screening": screening,
        "back": urlencode(
            {
                "type": kind.code,
                "mode": mode,
                "clinician": clinician or "any",
                **({"screening": screening.id} if screening else {}),
            }
        ),
    }


def _confirm_url(type_ref: str, mode: str, start: str, clinician: str, screening: str) -> str:
    query = {"type": type_ref, "mode": mode, "start": start, "clinician": clinician or "any"}
    if screening:
        query["screening"] = screening
    return "/book/confirm?" + urlencode(query)


@router.get("/book/confirm", response_class=HTMLResponse, include_in_schema=False)
def read_book_confirm(
    request: Request,
    session: DbSession,
    clinic: ClinicDep,
    actor: OptionalActor,
    kb: Kb,
    type: Annotated[str, Query(max_length=40)],
    mode: Annotated[str, Query(max_length=16)],
    start: Annotated[str, Query(max_length=40)],
    clinician: Annotated[str, Query(max_length=12)] = "any",
    screening: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """Show the chosen visit and ask for the details needed to book it."""
    return _confirm_page(
        request,
        session,
        clinic,
        actor,
        kb,
        choice=(type, mode, start, clinician, screening or ""),
    )


def _confirm_page(
    request: Request,
    session: DbSession,
    clinic: Clinic,
    actor: Actor | None,
    kb: Knowledge,
    *,
    choice: tuple[str, str, str, str, str],
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    """The confirm page for (type, mode, start, clinician, screening), or why it cannot be.

    The triage gate is checked every time, with or without a screening link; the screening
    is attached only when chosen (the link, or the "Use my screening" box ticked).
    """
    type_ref, mode, start, clinician, screening = choice
    try:
        found = _screening(request, session, actor, screening or None)
    except NotAllowed:
        return _error(request, 404, "Screening not found", "We could not find that screening.")
    if found.refusal and found.gate is not None:
        return _refused(request, kb, found.gate, found.refusal)
    try:
        ctx = _confirm_ctx(
            session,
            clinic,
            type_ref=type_ref,
            mode=mode,
            start=start,
            clinician=clinician,
            screening=found.chosen,
        )
    except BookingError as exc:
        return _error(request, 422, "Please check your choice", exc.message)
    ctx.update(
        _offer(clinic, found),
        actor=actor,
        error=error,
        taken=status_code == 409,
        form=form or {},
        login_url="/login?"
        + urlencode({"next": _confirm_url(type_ref, mode, start, clinician, screening)}),
    )
    return _render(request, "booking_confirm.html", ctx, status_code=status_code)


@router.post("/book/confirm", include_in_schema=False)
def create_booking(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    clinic: ClinicDep,
    actor: OptionalActor,
    kb: Kb,
    type: Annotated[str, Form(max_length=40)],
    mode: Annotated[str, Form(max_length=16)],
    start: Annotated[str, Form(max_length=40)],
    clinician: Annotated[str, Form(max_length=12)] = "any",
    screening: Annotated[str, Form(max_length=32)] = "",
    address: Annotated[str, Form(max_length=500)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """Book the chosen visit (creating the account when needed) and show the confirmation."""
    new_account = None
    if actor is None:
        new_account = booking_service.NewAccount(
            email=email, password=password, full_name=full_name, phone=phone
        )
    status = 422
    try:
        starts_at = _parse_start(start)
        if starts_at is None:
            raise BookingError("that time is not valid; please pick a time from the list")
        booked = booking_service.book(
            session,
            clinic=clinic,
            actor=actor,
            type_ref=type,
            mode=mode,
            starts_at=starts_at,
            clinician_id=_parse_clinician(clinician),
            address=address,
            screening_id=screening or None,
            visitor_token=request.cookies.get(VISITOR_COOKIE),
            new_account=new_account,
            client_address=client_address(request),
        )
    except NotAllowed:
        return _error(request, 404, "Screening not found", "We could not find that screening.")
    except BookingError as exc:
        message, status = exc.message, exc.status_code
    except AccountError as exc:
        message = str(exc)
    else:
        response = RedirectResponse(
            f"/my/appointments/{booked.appointment.id}?booked=1", status_code=303
        )
        clear_visitor_cookie(response)  # the next person on this browser starts afresh
        if booked.new_user is not None:
            token = accounts_service.start_session(session, settings=settings, user=booked.new_user)
            set_login_cookie(response, request=request, settings=settings, token=token)
        return response
    # Show the form again with the problem and what was typed (never the password).
    return _confirm_page(
        request,
        session,
        clinic,
        actor,
        kb,
        choice=(type, mode, start, clinician, screening),
        error=message,
        status_code=status,
        form={"address": address, "full_name": full_name, "email": email, "phone": phone},
    )


# ------------------------------------------------------------------------------ my appointments


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
    views = booking_service.list_appointments(
        session, actor=actor, client_address=client_address(request)
    )
    upcoming, past = _split(views, now)
    return _render(
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
            client_address=client_address(request),
        )
    except NotAllowed:
        return _error(request, 404, "Appointment not found", "We could not find that appointment.")


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
    return _render(request, "booking_appointment.html", {"a": view, "booked": booked})


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
    return _render(request, "booking_cancel.html", {"a": view})


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
            client_address=client_address(request),
        )
    except NotAllowed:
        return _error(request, 404, "Appointment not found", "We could not find that appointment.")
    except BookingError as exc:
        return _error(request, exc.status_code, "This visit cannot be cancelled", exc.message)
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
    today = _today(clinic)
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
    return _render(
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
        status_code=status_code,
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
        return _error(request, 403, "This visit cannot be moved online", view.change_refusal or "")
    return _reschedule_page(request, session, clinic, view, first_day)


@router.post("/my/appointments/{appointment_id:int}/reschedule", include_in_schema=False)
def reschedule_my_appointment(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    clinic: ClinicDep,
    appointment_id: RowId,
    slot: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    """Move one of your appointments to the chosen time."""
    start, _, clinician = slot.partition("|")
    starts_at = _parse_start(start)
    try:
        if starts_at is None:
            raise BookingError("choose a new time from the list")
        booking_service.reschedule(
            session,
            actor=actor,
            appointment_id=appointment_id,
            starts_at=starts_at,
            clinician_id=_parse_clinician(clinician),
            client_address=client_address(request),
        )
    except NotAllowed:
        return _error(request, 404, "Appointment not found", "We could not find that appointment.")
    except BookingError as exc:
        try:
            view = booking_service.get_appointment(
                session, actor=actor, appointment_id=appointment_id
            )
        except NotAllowed:
            return _error(request, 404, "Appointment not found", "We could not find it.")
        if not view.may_change:
            return _error(request, exc.status_code, "This visit cannot be moved", exc.message)
        return _reschedule_page(
            request, session, clinic, view, None, error=exc.message, status_code=exc.status_code
        )
    return RedirectResponse(f"/my/appointments/{appointment_id}?moved=1", status_code=303)
