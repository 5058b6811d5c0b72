"""Booking use cases: booking a visit, cancelling and moving it, the appointments and schedule.

Each call is one transaction (db.transaction). The database's no-overlap guard is the final
word on a slot: the slot check here gives a clear message in the common case, and a concurrent
writer that slips past it is refused by the guard (IntegrityError), which rolls back everything
the call wrote, a new account included. Free slots are found in slots.py, the triage gate in
screening_gate.py, the clinic's set-up in admin.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from popliteal.accounts import audit_keys
from popliteal.accounts import rules as accounts_rules
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import AuditEvent, Clinic
from popliteal.accounts.rules import Actor, Role
from popliteal.booking import holds, notices, rules
from popliteal.booking.errors import (
    PATIENT_BUSY,
    BookingError,
    PolicyRefused,
    SlotTaken,
    TooManyNewAccounts,
)
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.booking.screening_gate import choose_screening
from popliteal.booking.slots import check_clinician, check_mode, get_type, pick_slot
from popliteal.booking.views import AppointmentView, appointment_views, audit_reads
from popliteal.clock import day_start, utcnow
from popliteal.db import transaction
from popliteal.errors import AccountError, NotAllowed
from popliteal.screening import service as screening_service

# Who books without logging in: name, e-mail and phone (they choose a password with the link).
NewAccount = holds.Person


@dataclass(frozen=True)
class Booked:
    """A booked visit (a logged-in patient), or a held one waiting for the e-mailed link
    (`held`: what the page says, the same for every address; `appointment` is then None)."""

    appointment: AppointmentView | None
    held: holds.Held | None = None


# Held and expired holds are not visits yet: no page lists them (booking/holds.py).
VISIBLE = ("booked", "cancelled")


def _visible(session: Session, *, actor: Actor, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.status not in VISIBLE:
        raise NotAllowed("no such appointment")
    if actor.is_staff:
        if appointment.clinic_id != actor.clinic_id:
            raise NotAllowed("no such appointment")
    elif actor.patient_id is None or appointment.patient_id != actor.patient_id:
        raise NotAllowed("no such appointment")
    return appointment


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
    base_url: str = "",
    now: datetime | None = None,
) -> Booked:
    """Book a visit for the logged-in patient, or hold it for someone not logged in until
    they follow the e-mailed link (booking/holds.py).

    A screening is attached only when the person chose it: `screening_id`, or
    `use_recent_screening` for the one offered (this browser's or patient's newest calm
    screening of the last 30 days). The triage gate answers to that newest screening either
    way: an emergency or urgent one refuses the booking even when it is not chosen.

    Raises BookingError (or SlotTaken, AccountError, NotAllowed); on any error nothing is
    written. Holds past their time are released first, so their slots are free again.
    """
    now = now or utcnow()
    if starts_at.tzinfo is None:
        raise BookingError("give the start time with its time zone offset")
    try:
        with transaction(session):
            holds.release_expired(session, now=now, clinic_id=clinic.id)
            kind = get_type(session, clinic_id=clinic.id, ref=type_ref)
            check_mode(kind, mode)
            check_clinician(session, clinic_id=clinic.id, clinician_id=clinician_id)
            address = address.strip()
            if mode == "at_home" and not address:
                raise BookingError("enter the address where the visit should take place")
            if mode != "at_home":
                address = ""
            if actor is not None and actor.role != Role.PATIENT:
                raise PolicyRefused("log in with a patient account to book a visit")
            if actor is None and new_account is None:
                raise BookingError("log in, or give your name, e-mail and phone")
            if new_account is not None and actor is None:
                problem = holds.person_problem(new_account)
                if problem:
                    raise AccountError(problem)
            choice = choose_screening(
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
            slot = pick_slot(
                session,
                clinic=clinic,
                kind=kind,
                mode=mode,
                starts_at=starts_at,
                clinician_id=clinician_id,
                now=now,
            )
            if actor is None and new_account is not None:
                _limit_new_accounts(session, client_address=client_address, now=now)
                held = holds.place_hold(
                    session,
                    clinic=clinic,
                    kind=kind,
                    mode=mode,
                    clinician_id=slot.clinician_id,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    address=address,
                    screening=screening,
                    person=new_account,
                    client_address=client_address,
                    base_url=base_url,
                    now=now,
                )
                return Booked(appointment=None, held=held)
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
                detail={"screening_id": appointment.screening_id, "new_account": False},
            )
            view = appointment_views(session, [appointment], now=now, actor=actor)[0]
            notices.appointment_notice(session, appointment=appointment, view=view, change="booked")
    except IntegrityError as exc:  # a racing writer got past the checks: the guard's word
        raise _integrity_problem(exc) from None
    return Booked(appointment=view)


# Visits booked with a new account from one address in an hour, before it must wait: a family
# or a clinic's front desk books a few; 80 throwaway accounts had emptied ten days of slots.
NEW_ACCOUNT_BOOKINGS_PER_HOUR = 5
# The same from one network (a /24 or /64: accounts_rules.network_of), so stepping through the
# addresses of one block does not dodge the limit; a campus or carrier shares one, hence more.
NEW_ACCOUNT_BOOKINGS_PER_NETWORK_HOUR = 10


def _limit_new_accounts(session: Session, *, client_address: str, now: datetime) -> None:
    """Refuse a booking without logging in when this address, or its network, made too many in
    the hour (every such booking counts, whatever the e-mail: the answer never depends on
    whether an account exists)."""
    if not client_address:
        return
    # The hour's new-account bookings are few (the limit keeps them so): networks are
    # compared here, as the textual forms of IPv6 addresses do not share prefixes in SQL.
    # A new account's hold is about its person, so its address is sealed: opened here.
    stored = session.execute(
        select(AuditEvent.address, AuditEvent.detail).where(
            AuditEvent.entity == "appointment",
            AuditEvent.action == "hold",
            AuditEvent.at >= now - timedelta(hours=1),
        )
    ).all()
    opened = audit_keys.open_stored(session, [(r[0], r[1]) for r in stored])
    addresses = [o.address for o in opened if not o.erased]
    network = accounts_rules.network_of(client_address)
    same_address = sum(1 for a in addresses if a == client_address)
    same_network = sum(1 for a in addresses if accounts_rules.network_of(a) == network)
    if (
        same_address >= NEW_ACCOUNT_BOOKINGS_PER_HOUR
        or same_network >= NEW_ACCOUNT_BOOKINGS_PER_NETWORK_HOUR
    ):
        raise TooManyNewAccounts(
            "too many visits were booked with new accounts from this network in the last "
            "hour: log in to an account you have, or try again later"
        )


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
    return BookingError("the booking could not be saved; nothing was changed. Please try again.")


def list_appointments(
    session: Session, *, actor: Actor, now: datetime | None = None
) -> list[AppointmentView]:
    """A patient's own appointments, or (staff) every appointment of their clinic; soonest first."""
    now = now or utcnow()
    query = (
        select(Appointment)
        .where(Appointment.status.in_(VISIBLE))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if actor.is_staff:
        query = query.where(Appointment.clinic_id == actor.clinic_id)
    elif actor.patient_id is not None:
        query = query.where(Appointment.patient_id == actor.patient_id)
    else:
        return []
    with transaction(session):  # the read audit rows are written
        appointments = list(session.scalars(query))
        views = appointment_views(session, appointments, now=now, actor=actor)
        audit_reads(session, actor=actor, appointments=appointments)
    return views


def next_visit(
    session: Session, *, actor: Actor, now: datetime | None = None
) -> AppointmentView | None:
    """The person's soonest booked visit that has not started yet (audited when shown), so
    their pages offer it instead of another "Book a visit"."""
    if actor.patient_id is None:
        return None
    now = now or utcnow()
    with transaction(session):
        found = session.scalar(
            select(Appointment)
            .where(
                Appointment.patient_id == actor.patient_id,
                Appointment.status == "booked",
                Appointment.starts_at > now,
            )
            .order_by(Appointment.starts_at, Appointment.id)
            .limit(1)
        )
        if found is None:
            return None
        audit_reads(session, actor=actor, appointments=[found])
        return appointment_views(session, [found], now=now, actor=actor)[0]


def get_appointment(
    session: Session,
    *,
    actor: Actor,
    appointment_id: int,
    now: datetime | None = None,
) -> AppointmentView:
    """One appointment the actor may see (NotAllowed otherwise, even when it exists)."""
    now = now or utcnow()
    with transaction(session):  # the read audit row is written
        appointment = _visible(session, actor=actor, appointment_id=appointment_id)
        view = appointment_views(session, [appointment], now=now, actor=actor)[0]
        audit_reads(session, actor=actor, appointments=[appointment])
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
    now: datetime | None = None,
) -> AppointmentView:
    """Cancel a visit: a patient their own within the notice period, staff their clinic's."""
    now = now or utcnow()
    with transaction(session):
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
            detail={"cancelled": True},
        )
        session.flush()
        view = appointment_views(session, [appointment], now=now, actor=actor)[0]
        notices.appointment_notice(session, appointment=appointment, view=view, change="cancelled")
    return view


def reschedule(
    session: Session,
    *,
    actor: Actor,
    appointment_id: int,
    starts_at: datetime,
    clinician_id: int | None = None,
    now: datetime | None = None,
) -> AppointmentView:
    """Move a visit to another free slot; it keeps its id (and .ics UID), sequence goes up."""
    now = now or utcnow()
    if starts_at.tzinfo is None:
        raise BookingError("give the start time with its time zone offset")
    try:
        with transaction(session):
            appointment = _visible(session, actor=actor, appointment_id=appointment_id)
            _policy(session, actor=actor, appointment=appointment, now=now)
            holds.release_expired(session, now=now, clinic_id=appointment.clinic_id)
            clinic = session.get_one(Clinic, appointment.clinic_id)
            kind = session.get_one(AppointmentType, appointment.type_id)
            check_clinician(session, clinic_id=clinic.id, clinician_id=clinician_id)
            slot = pick_slot(
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
                detail={"from": before, "to": slot.starts_at.isoformat()},
            )
            session.flush()
            view = appointment_views(session, [appointment], now=now, actor=actor)[0]
            notices.appointment_notice(session, appointment=appointment, view=view, change="moved")
    except IntegrityError as exc:  # a racing writer took the slot: the guard's word
        raise _integrity_problem(exc) from None
    return view


def schedule(
    session: Session,
    *,
    actor: Actor,
    first_day: date,
    last_day: date,
    clinician_id: int | None,
    now: datetime | None = None,
) -> list[AppointmentView]:
    """Booked visits of the clinic (or one clinician) between two clinic-local days."""
    if not actor.is_staff:
        raise NotAllowed("the schedule is for the clinic's staff")
    now = now or utcnow()
    with transaction(session):  # the read audit rows are written
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
        views = appointment_views(session, appointments, now=now, actor=actor)
        audit_reads(session, actor=actor, appointments=appointments)
    return views
