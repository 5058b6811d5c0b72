"""Booking use cases: types, free slots, booking, cancelling, moving, the schedule and admin.

Each call is one transaction. The database's no-overlap guard is the final word on a slot:
the slot check here gives a clear message in the common case, and a concurrent writer that
slips past it is refused by the guard (IntegrityError), which rolls back everything the call
wrote, a new account included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import AccountError, NotAllowed
from popliteal.booking import rules
from popliteal.booking.models import MODES, Appointment, AppointmentType, Availability
from popliteal.clock import day_start, local_date, utcnow
from popliteal.screening import service as screening_service
from popliteal.screening.models import Screening

MAX_RANGE_DAYS = 92
MODE_NAMES = {"in_clinic": "In the clinic", "virtual": "Video call", "at_home": "At your home"}


class BookingError(AccountError):
    """A problem the person can act on; the message is shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SlotTaken(BookingError):
    status_code = 409


class PolicyRefused(BookingError):
    status_code = 403


@dataclass(frozen=True)
class NewAccount:
    email: str
    password: str
    full_name: str
    phone: str = ""


@dataclass(frozen=True)
class SlotView:
    starts_at: datetime
    ends_at: datetime
    clinician_id: int
    clinician_name: str


@dataclass(frozen=True)
class AppointmentView:
    id: int
    type_code: str
    type_name: str
    minutes: int
    mode: str
    status: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    clinician_id: int
    clinician_name: str
    patient_id: int
    patient_name: str
    address: str
    location: str
    screening_id: str | None
    sequence: int
    clinic_name: str
    clinic_phone: str
    created_at: datetime
    may_change: bool
    change_refusal: str | None

    @property
    def mode_name(self) -> str:
        return MODE_NAMES.get(self.mode, self.mode)


@dataclass(frozen=True)
class Booked:
    appointment: AppointmentView
    new_user: User | None


# ------------------------------------------------------------------------------ look-ups


def list_types(
    session: Session, *, clinic_id: int, include_inactive: bool = False
) -> list[AppointmentType]:
    """The clinic's appointment types (active ones unless asked otherwise)."""
    query = select(AppointmentType).where(AppointmentType.clinic_id == clinic_id)
    if not include_inactive:
        query = query.where(AppointmentType.active)
    return list(session.scalars(query.order_by(AppointmentType.minutes, AppointmentType.id)))


def get_type(session: Session, *, clinic_id: int, ref: str) -> AppointmentType:
    """An active appointment type by code or id; BookingError naming the choices if unknown."""
    query = select(AppointmentType).where(
        AppointmentType.clinic_id == clinic_id, AppointmentType.active
    )
    ref = ref.strip()
    if (type_id := rules.row_id(ref)) is not None:
        query = query.where(AppointmentType.id == type_id)
    else:
        query = query.where(AppointmentType.code == ref)
    kind = session.scalar(query)
    if kind is None:
        codes = ", ".join(t.code for t in list_types(session, clinic_id=clinic_id))
        raise BookingError(f"unknown appointment type {ref!r}; choose one of: {codes}")
    return kind


def list_clinicians(session: Session, *, clinic_id: int) -> list[User]:
    """Active clinicians and admins of the clinic (the people who can be booked)."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.clinic_id == clinic_id,
                User.role.in_(("clinician", "admin")),
                User.is_active,
            )
            .order_by(User.display_name)
        )
    )


def _check_mode(kind: AppointmentType, mode: str) -> None:
    if mode not in MODES:
        raise BookingError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    if mode not in kind.modes:
        offered = ", ".join(MODE_NAMES[m].lower() for m in kind.modes if m in MODE_NAMES)
        raise BookingError(
            f"{kind.name} is not offered as {MODE_NAMES[mode].lower()}; "
            f"it is offered: {offered or 'nowhere at the moment'}"
        )


def _check_clinician(session: Session, *, clinic_id: int, clinician_id: int | None) -> None:
    if clinician_id is None:
        return
    if clinician_id not in {u.id for u in list_clinicians(session, clinic_id=clinic_id)}:
        raise BookingError(f"unknown clinician {clinician_id}")


def _blocks(session: Session, clinic_id: int) -> list[rules.Block]:
    active = {u.id for u in list_clinicians(session, clinic_id=clinic_id)}
    rows = session.scalars(select(Availability).where(Availability.clinic_id == clinic_id))
    return [
        rules.Block(r.clinician_id, r.weekday, r.start_time, r.end_time, tuple(r.modes))
        for r in rows
        if r.clinician_id in active
    ]


def _busy(
    session: Session,
    *,
    clinic_id: int,
    since: datetime,
    until: datetime,
    exclude_id: int | None = None,
) -> list[rules.Busy]:
    query = select(Appointment).where(
        Appointment.clinic_id == clinic_id,
        Appointment.status == "booked",
        Appointment.ends_at > since,
        Appointment.starts_at < until,
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return [rules.Busy(a.clinician_id, a.starts_at, a.ends_at) for a in session.scalars(query)]


def _free(
    session: Session,
    *,
    clinic: Clinic,
    kind: AppointmentType,
    mode: str,
    first_day: date,
    last_day: date,
    now: datetime,
    clinician_id: int | None = None,
    exclude_id: int | None = None,
    ignore_bookings: bool = False,
    min_notice_hours: int | None = None,
) -> list[rules.Slot]:
    zone = clinic.zone
    since = day_start(first_day - timedelta(days=1), zone)
    until = day_start(last_day + timedelta(days=2), zone)
    busy = (
        []
        if ignore_bookings
        else _busy(session, clinic_id=clinic.id, since=since, until=until, exclude_id=exclude_id)
    )
    return rules.free_slots(
        blocks=_blocks(session, clinic.id),
        busy=busy,
        tz=clinic.timezone,
        minutes=kind.minutes,
        mode=mode,
        type_modes=kind.modes,
        first_day=first_day,
        last_day=last_day,
        now=now,
        min_notice_hours=clinic.min_booking_notice_hours
        if min_notice_hours is None
        else min_notice_hours,
        horizon_days=clinic.booking_horizon_days,
        clinician_id=clinician_id,
    )


def list_slots(
    session: Session,
    *,
    clinic: Clinic,
    type_ref: str,
    mode: str,
    first_day: date,
    last_day: date,
    clinician_id: int | None = None,
    now: datetime | None = None,
) -> list[SlotView]:
    """Free slots for this type and mode between two clinic-local days (inclusive)."""
    now = now or utcnow()
    if last_day < first_day:
        raise BookingError("the end date is before the start date")
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise BookingError(f"ask for at most {MAX_RANGE_DAYS} days at a time")
    kind = get_type(session, clinic_id=clinic.id, ref=type_ref)
    _check_mode(kind, mode)
    _check_clinician(session, clinic_id=clinic.id, clinician_id=clinician_id)
    names = {u.id: u.display_name for u in list_clinicians(session, clinic_id=clinic.id)}
    slots = _free(
        session,
        clinic=clinic,
        kind=kind,
        mode=mode,
        first_day=first_day,
        last_day=last_day,
        now=now,
        clinician_id=clinician_id,
    )
    return [SlotView(s.starts_at, s.ends_at, s.clinician_id, names[s.clinician_id]) for s in slots]


def _pick_slot(
    session: Session,
    *,
    clinic: Clinic,
    kind: AppointmentType,
    mode: str,
    starts_at: datetime,
    clinician_id: int | None,
    now: datetime,
    prefer: int | None = None,
    exclude_id: int | None = None,
    min_notice_hours: int | None = None,
) -> rules.Slot:
    """The free slot starting at `starts_at` (SlotTaken when booked, BookingError if never open)."""
    day = local_date(starts_at, clinic.zone)

    def free(*, ignore_bookings: bool) -> list[rules.Slot]:
        return [
            s
            for s in _free(
                session,
                clinic=clinic,
                kind=kind,
                mode=mode,
                first_day=day,
                last_day=day,
                now=now,
                clinician_id=clinician_id,
                exclude_id=exclude_id,
                ignore_bookings=ignore_bookings,
                min_notice_hours=min_notice_hours,
            )
            if s.starts_at == starts_at
        ]

    matching = free(ignore_bookings=False)
    if not matching:
        open_at_all = free(ignore_bookings=True)
        if open_at_all:
            raise SlotTaken("That time was just taken. Please pick another time.")
        raise BookingError("That time is not open for booking. Please pick a time from the list.")
    for slot in matching:
        if slot.clinician_id == prefer:
            return slot
    return matching[0]


# ------------------------------------------------------------------------------ views


def _views(
    session: Session, appointments: Sequence[Appointment], *, now: datetime, actor: Actor | None
) -> list[AppointmentView]:
    if not appointments:
        return []
    clinic_ids = {a.clinic_id for a in appointments}
    clinics = {c.id: c for c in session.scalars(select(Clinic).where(Clinic.id.in_(clinic_ids)))}
    types = {
        t.id: t
        for t in session.scalars(
            select(AppointmentType).where(AppointmentType.id.in_({a.type_id for a in appointments}))
        )
    }
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_({a.clinician_id for a in appointments}))
        )
    }
    patients = {
        p.id: p
        for p in session.scalars(
            select(Patient).where(Patient.id.in_({a.patient_id for a in appointments}))
        )
    }
    out = []
    for a in appointments:
        clinic = clinics[a.clinic_id]
        if actor is not None and actor.is_staff:
            refusal = None if a.status == "booked" else "This visit is already cancelled."
        else:
            refusal = rules.change_refusal(
                starts_at=a.starts_at,
                status=a.status,
                now=now,
                cancel_notice_hours=clinic.cancel_notice_hours,
            )
        if a.mode == "in_clinic":
            location = f"{clinic.name}, {clinic.address}" if clinic.address else clinic.name
        elif a.mode == "virtual":
            location = "Video call: the clinic sends you the link before the visit"
        else:
            location = a.address
        kind = types[a.type_id]
        out.append(
            AppointmentView(
                id=a.id,
                type_code=kind.code,
                type_name=kind.name,
                minutes=kind.minutes,
                mode=a.mode,
                status=a.status,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                timezone=clinic.timezone,
                clinician_id=a.clinician_id,
                clinician_name=users[a.clinician_id].display_name,
                patient_id=a.patient_id,
                patient_name=patients[a.patient_id].full_name,
                address=a.address,
                location=location,
                screening_id=a.screening_id,
                sequence=a.sequence,
                clinic_name=clinic.name,
                clinic_phone=clinic.phone,
                created_at=a.created_at,
                may_change=refusal is None,
                change_refusal=refusal,
            )
        )
    return out


def _audit_reads(
    session: Session, *, actor: Actor, appointments: Sequence[Appointment], address: str
) -> None:
    """One read event per patient whose appointments were shown."""
    per_patient: dict[int, list[int]] = {}
    for a in appointments:
        per_patient.setdefault(a.patient_id, []).append(a.id)
    for patient_id, ids in per_patient.items():
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="appointment",
            entity_id=",".join(str(i) for i in ids)[:64],
            patient_id=patient_id,
            address=address,
            detail={"appointment_ids": list(ids)},
        )


def _visible(session: Session, *, actor: Actor, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotAllowed("no such appointment")
    if actor.is_staff:
        if appointment.clinic_id != actor.clinic_id:
            raise NotAllowed("no such appointment")
    elif actor.patient_id is None or appointment.patient_id != actor.patient_id:
        raise NotAllowed("no such appointment")
    return appointment


# ------------------------------------------------------------------------------ use cases


def book(
    session: Session,
    *,
    clinic: Clinic,
    actor: Actor | None,
    type_ref: str,
    mode: str,
    starts_at: datetime,
    clinician_id: int | None = None,
    address: str = "",
    screening_id: str | None = None,
    use_recent_screening: bool = False,
    visitor_token: str | None = None,
    new_account: NewAccount | None = None,
    client_address: str = "",
    now: datetime | None = None,
) -> Booked:
    """Book a visit for the logged-in patient, or create the patient's account and book.

    A screening is attached only when the person chose it: `screening_id`, or
    `use_recent_screening` for the one offered (this browser's or patient's newest calm
    screening of the last 30 days). The triage gate answers to that newest screening either
    way: an emergency or urgent one refuses the booking even when it is not chosen.

    Raises BookingError (or SlotTaken, AccountError, NotAllowed); on any error nothing is
    written.
    """
    now = now or utcnow()
    if starts_at.tzinfo is None:
        raise BookingError("give the start time with its time zone offset")
    try:
        kind = get_type(session, clinic_id=clinic.id, ref=type_ref)
        _check_mode(kind, mode)
        _check_clinician(session, clinic_id=clinic.id, clinician_id=clinician_id)
        address = address.strip()
        if mode == "at_home" and not address:
            raise BookingError("enter the address where the visit should take place")
        if mode != "at_home":
            address = ""
        if actor is not None and actor.role != "patient":
            raise PolicyRefused("log in with a patient account to book a visit")
        if actor is None and new_account is None:
            raise BookingError(
                "log in, or give your name, email, phone and a password to create an account"
            )
        choice = _gate(
            session,
            screening_id=screening_id,
            use_recent=use_recent_screening,
            visitor_token=visitor_token,
            actor=actor,
            client_address=client_address,
            now=now,
        )
        if choice.refusal:
            raise BookingError(choice.refusal)
        screening = choice.chosen
        slot = _pick_slot(
            session,
            clinic=clinic,
            kind=kind,
            mode=mode,
            starts_at=starts_at,
            clinician_id=clinician_id,
            now=now,
        )
        new_user = None
        if actor is None and new_account is not None:
            patient = accounts_service.register_patient(
                session,
                clinic_id=clinic.id,
                email=new_account.email,
                password=new_account.password,
                full_name=new_account.full_name,
                phone=new_account.phone,
                address=address,
            )
            new_user = session.get_one(User, patient.user_id)
            actor = Actor(
                user_id=patient.user_id,
                role="patient",
                clinic_id=clinic.id,
                patient_id=patient.id,
            )
        if actor is None or actor.patient_id is None:
            raise PolicyRefused("log in with a patient account to book a visit")
        if _patient_busy(
            session, patient_id=actor.patient_id, starts_at=slot.starts_at, ends_at=slot.ends_at
        ):
            raise SlotTaken(PATIENT_BUSY)
        appointment = Appointment(
            clinic_id=clinic.id,
            clinician_id=slot.clinician_id,
            patient_id=actor.patient_id,
            type_id=kind.id,
            mode=mode,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            address=address,
            screening_id=screening.id if screening is not None else None,
        )
        session.add(appointment)
        session.flush()
        if screening is not None:
            screening_service.link_to_patient(
                session, screening=screening, patient_id=actor.patient_id
            )
        accounts_service.audit(
            session,
            actor=actor,
            action="create",
            entity="appointment",
            entity_id=appointment.id,
            patient_id=actor.patient_id,
            address=client_address,
            detail={"screening_id": appointment.screening_id, "new_account": new_user is not None},
        )
        view = _views(session, [appointment], now=now, actor=actor)[0]
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise _integrity_problem(exc) from None
    except BaseException:
        session.rollback()
        raise
    return Booked(appointment=view, new_user=new_user)


PATIENT_BUSY = "You already have a visit at this time. Pick another time, or change that visit."


def _patient_busy(
    session: Session,
    *,
    patient_id: int,
    starts_at: datetime,
    ends_at: datetime,
    except_id: int | None = None,
) -> bool:
    """Whether this person already has a booked visit overlapping [starts_at, ends_at)."""
    query = select(Appointment.id).where(
        Appointment.patient_id == patient_id,
        Appointment.status == "booked",
        Appointment.starts_at < ends_at,
        Appointment.ends_at > starts_at,
    )
    if except_id is not None:
        query = query.where(Appointment.id != except_id)
    return session.scalar(query.limit(1)) is not None


def _integrity_problem(exc: IntegrityError) -> BookingError | AccountError:
    text = str(exc.orig).lower()
    if "patient" in text and "overlap" in text:  # 0002's trigger message or constraint name
        return SlotTaken(PATIENT_BUSY)
    if "overlap" in text:  # the SQLite trigger's message or the PostgreSQL constraint's name
        return SlotTaken("That time was just taken. Please pick another time.")
    if "email" in text:
        return AccountError("an account with this email already exists: log in instead")
    return BookingError("the booking could not be saved; nothing was changed. Please try again.")


def list_appointments(
    session: Session, *, actor: Actor, client_address: str = "", now: datetime | None = None
) -> list[AppointmentView]:
    """A patient's own appointments, or (staff) every appointment of their clinic; soonest first."""
    now = now or utcnow()
    query = select(Appointment).order_by(Appointment.starts_at, Appointment.id)
    if actor.is_staff:
        query = query.where(Appointment.clinic_id == actor.clinic_id)
    elif actor.patient_id is not None:
        query = query.where(Appointment.patient_id == actor.patient_id)
    else:
        return []
    appointments = list(session.scalars(query))
    views = _views(session, appointments, now=now, actor=actor)
    _audit_reads(session, actor=actor, appointments=appointments, address=client_address)
    session.commit()
    return views


def get_appointment(
    session: Session,
    *,
    actor: Actor,
    appointment_id: int,
    client_address: str = "",
    now: datetime | None = None,
) -> AppointmentView:
    """One appointment the actor may see (NotAllowed otherwise, even when it exists)."""
    now = now or utcnow()
    appointment = _visible(session, actor=actor, appointment_id=appointment_id)
    view = _views(session, [appointment], now=now, actor=actor)[0]
    _audit_reads(session, actor=actor, appointments=[appointment], address=client_address)
    session.commit()
    return view


def _policy(session: Session, *, actor: Actor, appointment: Appointment, now: datetime) -> None:
    if appointment.status != "booked":
        raise SlotTaken("This visit is already cancelled.")
    if actor.is_staff:
        return
    clinic = session.get_one(Clinic, appointment.clinic_id)
    refusal = rules.change_refusal(
        starts_at=appointment.starts_at,
        status=appointment.status,
        now=now,
        cancel_notice_hours=clinic.cancel_notice_hours,
    )
    if refusal:
        phone = f" at {clinic.phone}" if clinic.phone else ""
        raise PolicyRefused(refusal.replace("call the clinic", f"call the clinic{phone}"))


def cancel(
    session: Session,
    *,
    actor: Actor,
    appointment_id: int,
    client_address: str = "",
    now: datetime | None = None,
) -> AppointmentView:
    """Cancel a visit: a patient their own within the notice period, staff their clinic's."""
    now = now or utcnow()
    try:
        appointment = _visible(session, actor=actor, appointment_id=appointment_id)
        _policy(session, actor=actor, appointment=appointment, now=now)
        appointment.status = "cancelled"
        appointment.cancelled_at = now
        appointment.sequence += 1
        accounts_service.audit(
            session,
            actor=actor,
            action="update",
            entity="appointment",
            entity_id=appointment.id,
            patient_id=appointment.patient_id,
            address=client_address,
            detail={"cancelled": True},
        )
        session.flush()
        view = _views(session, [appointment], now=now, actor=actor)[0]
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return view


def reschedule(
    session: Session,
    *,
    actor: Actor,
    appointment_id: int,
    starts_at: datetime,
    clinician_id: int | None = None,
    client_address: str = "",
    now: datetime | None = None,
) -> AppointmentView:
    """Move a visit to another free slot; it keeps its id (and .ics UID), sequence goes up."""
    now = now or utcnow()
    if starts_at.tzinfo is None:
        raise BookingError("give the start time with its time zone offset")
    try:
        appointment = _visible(session, actor=actor, appointment_id=appointment_id)
        _policy(session, actor=actor, appointment=appointment, now=now)
        clinic = session.get_one(Clinic, appointment.clinic_id)
        kind = session.get_one(AppointmentType, appointment.type_id)
        _check_clinician(session, clinic_id=clinic.id, clinician_id=clinician_id)
        slot = _pick_slot(
            session,
            clinic=clinic,
            kind=kind,
            mode=appointment.mode,
            starts_at=starts_at,
            clinician_id=clinician_id,
            now=now,
            prefer=appointment.clinician_id,
            exclude_id=appointment.id,
            min_notice_hours=0 if actor.is_staff else None,
        )
        if _patient_busy(
            session,
            patient_id=appointment.patient_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            except_id=appointment.id,
        ):
            raise SlotTaken(PATIENT_BUSY)
        before = appointment.starts_at.isoformat()
        appointment.starts_at = slot.starts_at
        appointment.ends_at = slot.ends_at
        appointment.clinician_id = slot.clinician_id
        appointment.sequence += 1
        accounts_service.audit(
            session,
            actor=actor,
            action="update",
            entity="appointment",
            entity_id=appointment.id,
            patient_id=appointment.patient_id,
            address=client_address,
            detail={"from": before, "to": slot.starts_at.isoformat()},
        )
        session.flush()
        view = _views(session, [appointment], now=now, actor=actor)[0]
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise _integrity_problem(exc) from None
    except BaseException:
        session.rollback()
        raise
    return view


def schedule(
    session: Session,
    *,
    actor: Actor,
    first_day: date,
    last_day: date,
    clinician_id: int | None,
    client_address: str = "",
    now: datetime | None = None,
) -> list[AppointmentView]:
    """Booked visits of the clinic (or one clinician) between two clinic-local days."""
    if not actor.is_staff:
        raise NotAllowed("the schedule is for the clinic's staff")
    now = now or utcnow()
    clinic = session.get_one(Clinic, actor.clinic_id)
    since = day_start(first_day, clinic.zone)
    until = day_start(last_day + timedelta(days=1), clinic.zone)
    query = (
        select(Appointment)
        .where(
            Appointment.clinic_id == clinic.id,
            Appointment.status == "booked",
            Appointment.starts_at < until,
            Appointment.ends_at > since,
        )
        .order_by(Appointment.starts_at, Appointment.clinician_id)
    )
    if clinician_id is not None:
        query = query.where(Appointment.clinician_id == clinician_id)
    appointments = list(session.scalars(query))
    views = _views(session, appointments, now=now, actor=actor)
    _audit_reads(session, actor=actor, appointments=appointments, address=client_address)
    session.commit()
    return views


# ------------------------------------------------------------------------------ clinic admin


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise NotAllowed("this is for the clinic's administrators")


def _clean_modes(modes: Sequence[str]) -> list[str]:
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise BookingError(f"unknown mode {unknown[0]!r}; choose from: {', '.join(MODES)}")
    chosen = [m for m in MODES if m in modes]
    if not chosen:
        raise BookingError("choose at least one way the visit can take place")
    return chosen


def update_type(
    session: Session,
    *,
    actor: Actor,
    type_id: int,
    name: str,
    minutes: int,
    modes: Sequence[str],
    active: bool,
) -> AppointmentType:
    """Change an appointment type's name, length, modes and whether it can be booked."""
    _require_admin(actor)
    kind = session.get(AppointmentType, type_id)
    if kind is None or kind.clinic_id != actor.clinic_id:
        raise NotAllowed("no such appointment type")
    name = name.strip()
    if not name or len(name) > 120:
        raise BookingError("the name must have 1 to 120 characters")
    if not 5 <= minutes <= 480:
        raise BookingError("the length must be between 5 and 480 minutes")
    kind.name = name
    kind.minutes = minutes
    kind.modes = _clean_modes(modes)
    kind.active = active
    session.commit()
    return kind


def list_availability(session: Session, *, clinic_id: int) -> list[Availability]:
    """The clinic's weekly blocks, by clinician, weekday and start."""
    return list(
        session.scalars(
            select(Availability)
            .where(Availability.clinic_id == clinic_id)
            .order_by(Availability.clinician_id, Availability.weekday, Availability.start_time)
        )
    )


def add_availability(
    session: Session,
    *,
    actor: Actor,
    clinician_id: int,
    weekday: int,
    start: time,
    end: time,
    modes: Sequence[str],
) -> Availability:
    """Add a weekly block for one of the clinic's clinicians."""
    _require_admin(actor)
    _check_clinician(session, clinic_id=actor.clinic_id, clinician_id=clinician_id)
    if not 0 <= weekday <= 6:
        raise BookingError("choose a day of the week")
    if start.tzinfo is not None or end.tzinfo is not None:
        raise BookingError("give times without a time zone: they are in the clinic's time zone")
    if end <= start:
        raise BookingError("the block must end after it starts")
    block = Availability(
        clinic_id=actor.clinic_id,
        clinician_id=clinician_id,
        weekday=weekday,
        start_time=start,
        end_time=end,
        modes=_clean_modes(modes),
    )
    session.add(block)
    session.commit()
    return block


def remove_availability(session: Session, *, actor: Actor, availability_id: int) -> None:
    """Remove a weekly block (booked visits stay booked)."""
    _require_admin(actor)
    block = session.get(Availability, availability_id)
    if block is None or block.clinic_id != actor.clinic_id:
        raise NotAllowed("no such availability block")
    session.delete(block)
    session.commit()


# Every booking answers to this browser's or patient's newest screening of the last 30 days:
# leaving out the link must not get past the triage gate. That screening is only *offered*
# to the person, never attached unless they choose it: a shared browser must not hand one
# person's screening to another's record.
RECENT_SCREENING_DAYS = 30


def _recent_screening(
    session: Session, *, visitor_token: str | None, actor: Actor | None, now: datetime
) -> Screening | None:
    """The newest complete screening this visitor or patient took in the last 30 days."""
    mine = []
    if actor is not None and actor.patient_id is not None:
        mine.append(Screening.patient_id == actor.patient_id)
    if visitor_token:
        mine.append(
            and_(
                Screening.patient_id.is_(None),
                Screening.token_hash == screening_service.visitor_hash(visitor_token),
            )
        )
    if not mine:
        return None
    return session.scalar(
        select(Screening)
        .where(
            or_(*mine),
            Screening.status == "complete",
            Screening.created_at >= now - timedelta(days=RECENT_SCREENING_DAYS),
        )
        .order_by(Screening.created_at.desc(), Screening.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class ScreeningChoice:
    """What a booking does with screenings.

    `chosen` is the screening the person chose to attach (None: attach nothing); `offered` is
    the one to offer as a choice (the chosen one, else this browser's or patient's newest calm
    screening of the last 30 days); `refusal` says why booking is not offered, and `gate` is
    the screening that refuses (the chosen one or the newest recent one, chosen or not).
    """

    chosen: Screening | None = None
    offered: Screening | None = None
    gate: Screening | None = None
    refusal: str | None = None


def _gate(
    session: Session,
    *,
    screening_id: str | None,
    use_recent: bool,
    visitor_token: str | None,
    actor: Actor | None,
    client_address: str,
    now: datetime,
) -> ScreeningChoice:
    chosen = None
    if screening_id:
        chosen = screening_service.get_visible(
            session,
            screening_id=screening_id,
            visitor_token=visitor_token,
            actor=actor,
            address=client_address,
        )
        refusal = rules.screening_refusal(urgency=chosen.urgency, status=chosen.status)
        if refusal:
            return ScreeningChoice(chosen=chosen, gate=chosen, refusal=refusal)
    recent = _recent_screening(session, visitor_token=visitor_token, actor=actor, now=now)
    if recent is not None:
        refusal = rules.screening_refusal(urgency=recent.urgency, status=recent.status)
        if refusal:
            return ScreeningChoice(chosen=chosen, gate=recent, refusal=refusal)
    if chosen is None and use_recent:
        chosen = recent
    return ScreeningChoice(chosen=chosen, offered=chosen or recent)


def screening_for_booking(
    session: Session,
    *,
    screening_id: str | None,
    visitor_token: str | None,
    actor: Actor | None,
    client_address: str = "",
    now: datetime | None = None,
) -> ScreeningChoice:
    """The screening a booking would attach (only `screening_id`), the one to offer, and why
    booking is refused (None: it is not).

    The gate also answers to this browser's or patient's newest screening of the last 30
    days, chosen or not: an emergency or urgent result there blocks online booking just the
    same.
    """
    try:
        choice = _gate(
            session,
            screening_id=screening_id,
            use_recent=False,
            visitor_token=visitor_token,
            actor=actor,
            client_address=client_address,
            now=now or utcnow(),
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return choice
