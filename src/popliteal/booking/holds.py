"""A visit booked without logging in is held until the person follows the e-mailed link.

Booking without an account answers the same for every address ("check your e-mail"), so no
one learns who has an account here:
- a new address gets an account waiting for its link (no password yet) and a held visit; the
  link confirms the visit and lets them choose a password;
- an address whose account is still waiting is treated the same, with a fresh link;
- an address with an account gets a held visit too, and an e-mail saying someone asked to book
  with it: the link confirms the visit only after logging in to that account;
- a staff address gets no hold (staff accounts cannot book), only an e-mail saying so.

A held visit keeps its slot (the availability and the clinician's no-overlap guard count it)
until `clinic.booking_hold_minutes` have passed; after that it is free again: availability
ignores it at once, and `release_expired` marks it 'expired' (each booking, and `popliteal
maintenance run`). Nothing about the visit goes on the person's record until it is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from popliteal.accounts import links, rules
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, OneTimeLink, Patient, User
from popliteal.accounts.rules import Actor
from popliteal.booking import notices
from popliteal.booking.errors import PATIENT_BUSY, SlotTaken
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.booking.views import AppointmentView, appointment_views
from popliteal.db import reading, transaction
from popliteal.errors import AccountError, NotAllowed
from popliteal.mail import messages
from popliteal.screening.models import Screening

BOOKING = "booking"
VERIFY_PATH = "/book/verify"
HOLD_MINUTES_RANGE = (10, 24 * 60)
CHECK_EMAIL = (
    "Check your e-mail. We sent a link to {email}. Open it within {valid_for} to confirm "
    "your visit. Until then we hold the time for you."
)


@dataclass(frozen=True)
class Person:
    """Who is booking without logging in: their name, address and phone."""

    email: str
    full_name: str
    phone: str = ""


@dataclass(frozen=True)
class Held:
    """What the booking page may say: the same for every address."""

    email: str
    valid_for: str
    # The link itself, for tests and the command line; pages never show it.
    link: str | None

    @property
    def message(self) -> str:
        return CHECK_EMAIL.format(email=self.email, valid_for=self.valid_for)


def release_expired(session: Session, *, now: datetime, clinic_id: int | None = None) -> int:
    """Mark every hold past its time 'expired' (in the caller's transaction); how many."""
    query = (
        update(Appointment)
        .where(Appointment.status == "held", Appointment.hold_expires_at <= now)
        .values(status="expired")
        .execution_options(synchronize_session=False)
    )
    if clinic_id is not None:
        query = query.where(Appointment.clinic_id == clinic_id)
    return int(getattr(session.execute(query), "rowcount", 0) or 0)


def _duration(minutes: int) -> str:
    return messages.duration(timedelta(minutes=minutes))


def person_problem(person: Person) -> str | None:
    """What is wrong with the details typed, in the person's words, or None."""
    if not person.full_name.strip():
        return "enter your name"
    return rules.email_problem(person.email)


def _holder(session: Session, *, clinic: Clinic, person: Person) -> tuple[Patient | None, str, str]:
    """The patient record the hold is for, which e-mail to send: 'verify' (new or still
    waiting), 'existing' (an account with a password), 'staff' (no hold), and the name it
    greets. An account's own name, never the one typed: the form must not be a way to put
    someone's words into another person's inbox."""
    email = rules.normalise_email(person.email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        new = accounts_service.register_patient(
            session,
            clinic_id=clinic.id,
            email=email,
            password=None,
            full_name=person.full_name,
            phone=person.phone,
        )
        return new, "verify", new.full_name
    patient = session.scalar(select(Patient).where(Patient.user_id == user.id))
    if patient is None or not user.is_active or patient.clinic_id != clinic.id:
        return None, "staff", user.display_name
    return patient, "verify" if user.email_verified_at is None else "existing", patient.full_name


def place_hold(
    session: Session,
    *,
    clinic: Clinic,
    kind: AppointmentType,
    mode: str,
    clinician_id: int,
    starts_at: datetime,
    ends_at: datetime,
    address: str,
    screening: Screening | None,
    person: Person,
    client_address: str,
    base_url: str,
    now: datetime,
) -> Held:
    """Hold the slot and queue the e-mail (in the caller's transaction; see the module)."""
    problem = person_problem(person)
    if problem:
        raise AccountError(problem)
    patient, mail, greet = _holder(session, clinic=clinic, person=person)
    email = rules.normalise_email(person.email)
    valid_for = _duration(clinic.booking_hold_minutes)
    if patient is None:
        messages.booking_attempt(
            session,
            to=email,
            person_name=greet,
            clinic_name=clinic.name,
            clinic_phone=clinic.phone,
            clinic_id=clinic.id,
            link="",
            visit="",
            valid_for=timedelta(minutes=clinic.booking_hold_minutes),
        )
        accounts_service.audit(
            session,
            actor=None,
            action="hold",
            entity="appointment",
            entity_id="none",
            patient_id=None,
            clinic_id=clinic.id,
            address=client_address,
            detail={"refused": "a staff or inactive account's address"},
        )
        return Held(email=email, valid_for=valid_for, link=None)
    expires_at = now + timedelta(minutes=clinic.booking_hold_minutes)
    appointment = Appointment(
        clinic_id=clinic.id,
        clinician_id=clinician_id,
        patient_id=patient.id,
        type_id=kind.id,
        mode=mode,
        starts_at=starts_at,
        ends_at=ends_at,
        address=address,
        screening_id=screening.id if screening is not None else None,
        status="held",
        hold_expires_at=expires_at,
        created_at=now,
    )
    session.add(appointment)
    session.flush()  # the clinician's no-overlap guard speaks here
    token = links.issue(
        session,
        purpose=BOOKING,
        user_id=patient.user_id,
        appointment_id=appointment.id,
        expires_at=expires_at,
        now=now,
    )
    link = f"{base_url}{VERIFY_PATH}?token={token}"
    view = appointment_views(session, [appointment], now=now, actor=None)[0]
    visit = f"{view.type_name}, {notices.when_words(view.starts_at, view.timezone)}"
    send = messages.verify_address if mail == "verify" else messages.booking_attempt
    send(
        session,
        to=email,
        person_name=greet,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        clinic_id=clinic.id,
        link=link,
        visit=visit,
        valid_for=timedelta(minutes=clinic.booking_hold_minutes),
    )
    accounts_service.audit(
        session,
        actor=None,
        action="hold",
        entity="appointment",
        entity_id=appointment.id,
        patient_id=patient.id,
        clinic_id=clinic.id,
        address=client_address,
        detail={"screening_id": appointment.screening_id, "account": mail},
    )
    return Held(email=email, valid_for=valid_for, link=link)


@dataclass(frozen=True)
class HoldLink:
    """A working link: the held visit, and what following it needs."""

    view: AppointmentView
    user_id: int
    needs_password: bool  # a new person: choose a password to confirm
    email: str


def read_link(session: Session, *, token: str, now: datetime) -> HoldLink | None:
    """What this link would confirm, while it works (else None): the page asks first."""
    with reading(session):
        found = _usable(session, token=token, now=now)
        if found is None:
            return None
        _link, appointment, user = found
        view = appointment_views(session, [appointment], now=now, actor=None)[0]
        return HoldLink(
            view=view,
            user_id=user.id,
            needs_password=user.email_verified_at is None,
            email=user.email,
        )


def _usable(
    session: Session, *, token: str, now: datetime
) -> tuple[OneTimeLink, Appointment, User] | None:
    link = links.find(session, token=token, purpose=BOOKING, now=now)
    if link is None or link.appointment_id is None:
        return None
    appointment = session.get(Appointment, link.appointment_id)
    user = session.get(User, link.user_id)
    if (
        appointment is None
        or appointment.status != "held"
        or appointment.hold_expires_at is None
        or appointment.hold_expires_at <= now
        or user is None
        or not user.is_active
    ):
        return None
    return link, appointment, user


@dataclass(frozen=True)
class Confirmed:
    view: AppointmentView
    user: User
    new_account: bool


def confirm(
    session: Session,
    *,
    token: str,
    password: str | None,
    actor: Actor | None,
    client_address: str,
    now: datetime,
) -> Confirmed:
    """Turn the held visit into a booked one and queue the confirmation with its invite (one
    transaction). A new person sets their password here; an account that has one must be the
    one logged in. Raises AccountError(links.LINK_USELESS) for a bad link, the password rules'
    words, NotAllowed for another account, SlotTaken(PATIENT_BUSY)."""
    try:
        with transaction(session):
            confirmed = _confirm(
                session,
                token=token,
                password=password,
                actor=actor,
                client_address=client_address,
                now=now,
            )
            session.expunge(confirmed.user)
    except IntegrityError:  # a visit of theirs booked at that time meanwhile
        raise SlotTaken(PATIENT_BUSY) from None
    return confirmed


def _confirm(
    session: Session,
    *,
    token: str,
    password: str | None,
    actor: Actor | None,
    client_address: str,
    now: datetime,
) -> Confirmed:
    found = _usable(session, token=token, now=now)
    if found is None:
        raise AccountError(links.LINK_USELESS)
    link, appointment, user = found
    new_account = user.email_verified_at is None
    if new_account:
        problem = rules.password_problem(password or "", email=user.email, name=user.display_name)
        if problem:
            raise AccountError(problem)
        user.password_hash = accounts_service.hash_password(password or "")
        user.email_verified_at = now
    elif actor is None or actor.user_id != user.id:
        raise NotAllowed("log in to the account this link was sent to")
    busy = session.scalar(
        select(Appointment.id).where(
            Appointment.patient_id == appointment.patient_id,
            Appointment.status == "booked",
            Appointment.starts_at < appointment.ends_at,
            Appointment.ends_at > appointment.starts_at,
        )
    )
    if busy is not None:
        raise SlotTaken(PATIENT_BUSY)
    if not links.use(session, link=link, now=now):
        raise AccountError(links.LINK_USELESS)
    appointment.status = "booked"
    appointment.hold_expires_at = None
    appointment.created_at = now  # booked now: the reminder scan reads this
    if appointment.screening_id is not None:
        screening = session.get(Screening, appointment.screening_id)
        if screening is not None and screening.patient_id in (None, appointment.patient_id):
            screening.patient_id = appointment.patient_id
            screening.token_hash = None
        else:
            appointment.screening_id = None
    session.flush()
    who = accounts_service.actor_for(session, user, address=client_address)
    accounts_service.audit(
        session,
        actor=who,
        action="create",
        entity="appointment",
        entity_id=appointment.id,
        patient_id=appointment.patient_id,
        detail={
            "screening_id": appointment.screening_id,
            "new_account": new_account,
            "confirmed_by_link": True,
        },
    )
    view = appointment_views(session, [appointment], now=now, actor=who)[0]
    notices.appointment_notice(session, appointment=appointment, view=view, change="booked")
    return Confirmed(view=view, user=user, new_account=new_account)
