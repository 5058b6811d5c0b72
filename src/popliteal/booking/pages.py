"""Booking pages for the person: choose a visit and a time, then confirm (managing the booked
visits: appointment_pages.py).

Everything works as plain forms (GET to choose, POST to confirm); htmx only swaps the slot
list in place.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from popliteal.accounts.deps import ClinicDep, OptionalActor, page_router
from popliteal.accounts.models import Clinic
from popliteal.accounts.rules import Actor
from popliteal.booking import rules, screening_gate
from popliteal.booking import service as booking_service
from popliteal.booking import slots as booking_slots
from popliteal.booking._pages import (
    DAYS_SHOWN,
    Day,
    clinic_today,
    error_page,
    group_by_day,
    page_setup,
    parse_clinician,
    parse_start,
)
from popliteal.booking.errors import BookingError
from popliteal.booking.models import MODES
from popliteal.booking.screening_gate import ScreeningChoice
from popliteal.booking.views import MODE_NAMES
from popliteal.clock import utcnow
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.screening.models import Screening
from popliteal.screening.service import VISITOR_COOKIE
from popliteal.web.deps import DbSession, Kb, SettingsDep, client_address
from popliteal.web.forms import FormModel
from popliteal.web.session_cookie import clear_visitor_cookie
from popliteal.web.templating import render

router = page_router("booking pages", Depends(page_setup))


URGENCY_TYPE = {"surgical_consult": "initial_evaluation", "conservative": "free_screening"}


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
    return render(
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
        return error_page(request, 404, "Screening not found", "We could not find that screening.")
    if choice.refusal and choice.gate is not None:
        return _refused(request, kb, choice.gate, choice.refusal)
    attached = choice.chosen
    types = booking_slots.list_types(session, clinic_id=clinic.id)
    clinicians = booking_slots.list_clinicians(session, clinic_id=clinic.id)
    if type is None and attached is not None:
        type = URGENCY_TYPE.get(attached.urgency)
    chosen = next((t for t in types if type in (t.code, str(t.id))), None)
    if type and chosen is None:
        return error_page(request, 422, "Please check your choice", f"unknown visit type {type!r}")
    if mode is not None and mode not in MODES:
        return error_page(request, 422, "Please check your choice", f"unknown way to meet {mode!r}")
    try:
        clinician_id = parse_clinician(clinician)
    except BookingError as exc:
        return error_page(request, 422, "Please check your choice", exc.message)
    today = clinic_today(clinic)
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
        return render(request, "booking_slots.html", ctx)
    return render(request, "booking_book.html", ctx)


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
    starts_at = parse_start(start)
    if starts_at is None:
        raise BookingError("that time is not valid; please pick a time from the list")
    earliest, latest = rules.booking_window(
        now=utcnow(),
        min_notice_hours=clinic.min_booking_notice_hours,
        horizon_days=clinic.booking_horizon_days,
    )
    if not earliest <= starts_at <= latest:
        raise BookingError("that time cannot be booked online; please pick a time from the list")
    clinician_id = parse_clinician(clinician)
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
        return error_page(request, 404, "Screening not found", "We could not find that screening.")
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
        return error_page(request, 422, "Please check your choice", exc.message)
    ctx.update(
        _offer(clinic, found),
        actor=actor,
        error=error,
        taken=status_code == 409,
        form=form or {},
        login_url="/login?"
        + urlencode({"next": _confirm_url(type_ref, mode, start, clinician, screening)}),
    )
    return render(request, "booking_confirm.html", ctx, status=status_code)


class BookingForm(FormModel):
    """The confirm form: the chosen visit (from the page) and the person's details."""

    type: str = Field(max_length=40)
    mode: str = Field(max_length=16)
    start: str = Field(max_length=40)
    clinician: str = Field("any", max_length=12)
    screening: str = Field("", max_length=32)
    address: str = Field("", max_length=500)
    full_name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)

    def choice(self) -> tuple[str, str, str, str, str]:
        """The chosen (type, mode, start, clinician, screening), as the confirm page takes it."""
        return (self.type, self.mode, self.start, self.clinician, self.screening)

    def typed(self) -> dict[str, str]:
        """What the person typed, shown again with a problem (never the password)."""
        return self.model_dump(include={"address", "full_name", "email", "phone"})


@router.post("/book/confirm", include_in_schema=False)
def create_booking(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    clinic: ClinicDep,
    actor: OptionalActor,
    kb: Kb,
    form: Annotated[BookingForm, Form()],
) -> Response:
    """Book the chosen visit and show it; without a login, hold it and ask the person to
    confirm with the link we e-mail them (the same answer for every address)."""
    new_account = None
    if actor is None:
        new_account = booking_service.NewAccount(
            email=form.email, full_name=form.full_name, phone=form.phone
        )
    status = 422
    try:
        starts_at = parse_start(form.start)
        if starts_at is None:
            raise BookingError("that time is not valid; please pick a time from the list")
        booked = booking_service.book(
            session,
            clinic=clinic,
            actor=actor,
            type_ref=form.type,
            mode=form.mode,
            starts_at=starts_at,
            clinician_id=parse_clinician(form.clinician),
            address=form.address,
            screening_id=form.screening or None,
            visitor_token=request.cookies.get(VISITOR_COOKIE),
            new_account=new_account,
            client_address=client_address(request),
            base_url=settings.base_url,
        )
    except NotAllowed:
        return error_page(request, 404, "Screening not found", "We could not find that screening.")
    except BookingError as exc:
        message, status = exc.message, exc.status_code
    except AccountError as exc:
        message = str(exc)
    else:
        if booked.appointment is None:
            held = booked.held.message if booked.held is not None else ""
            context = {"message": held, "clinic_phone": clinic.phone}
            response = render(request, "booking_check_email.html", context)
        else:
            response = RedirectResponse(
                f"/my/appointments/{booked.appointment.id}?booked=1", status_code=303
            )
        clear_visitor_cookie(response)  # the next person on this browser starts afresh
        return response
    # Show the form again with the problem and what was typed (never the password).
    return _confirm_page(
        request,
        session,
        clinic,
        actor,
        kb,
        choice=form.choice(),
        error=message,
        status_code=status,
        form=form.typed(),
    )
