"""Booking helpers: demo clinic look-ups, visitor screenings, appointments, clinic-local times."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.accounts.rules import Actor
from popliteal.booking.models import Appointment
from popliteal.clock import local_today
from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.screening.models import Screening
from popliteal.screening.service import visitor_hash

TZ = ZoneInfo("America/Chicago")


def clinic(db: Session) -> Clinic:
    return accounts_service.default_clinic(db)


def user(db: Session, email: str) -> User:
    found = db.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def pt(db: Session) -> User:
    return user(db, ADMIN.email)


def chiro(db: Session) -> User:
    return user(db, CHIRO.email)


def actor_for(db: Session, email: str) -> Actor:
    return accounts_service.actor_for(db, user(db, email))


def demo_patient_actor(db: Session) -> Actor:
    return actor_for(db, PATIENT.email)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware datetime at this clinic-local wall time."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def make_screening(
    db: Session,
    kb: Knowledge,
    *,
    urgency: str,
    visitor_token: str,
    status: str = "complete",
    red_flags: list[dict[str, Any]] | None = None,
) -> Screening:
    """An anonymous screening of this visitor with the given outcome."""
    screening = Screening(
        id=secrets.token_hex(16),
        clinic_id=clinic(db).id,
        token_hash=visitor_hash(visitor_token),
        role="patient",
        status=status,
        answers={},
        history=[],
        result={"urgency": urgency, "red_flags": red_flags or []},
        urgency=urgency,
        knowledge_version=kb.version,
    )
    db.add(screening)
    db.commit()
    return screening


def user_count(db: Session) -> int:
    return len(list(db.scalars(select(User.id))))


def patient_by_email(db: Session, email: str) -> Patient | None:
    u = db.scalar(select(User).where(User.email == email))
    if u is None:
        return None
    return db.scalar(select(Patient).where(Patient.user_id == u.id))


def add_appointment(
    session: Session,
    *,
    clinic: Clinic,
    clinician_id: int,
    patient_id: int,
    type_id: int,
    days_ahead: int,
    hour: int,
    screening_id: str | None = None,
    minutes: int = 30,
) -> Appointment:
    tz = clinic.zone
    day = local_today(tz) + timedelta(days=days_ahead)
    starts = datetime.combine(day, time(hour), tzinfo=tz)
    appointment = Appointment(
        clinic_id=clinic.id,
        clinician_id=clinician_id,
        patient_id=patient_id,
        type_id=type_id,
        mode="virtual",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        screening_id=screening_id,
    )
    session.add(appointment)
    session.flush()
    return appointment


def link_token(link: str | None) -> str:
    """The token of an e-mailed link (…?token=…)."""
    from urllib.parse import parse_qs, urlsplit

    assert link is not None, "no link: nothing was held"
    return parse_qs(urlsplit(link).query)["token"][0]


def confirm_hold(
    db: Session,
    link: str | None,
    *,
    now: datetime,
    password: str = "a-long-password",  # noqa: S107 (a test account)
    actor: Actor | None = None,
) -> Any:
    """Follow a held visit's e-mailed link as its person would (holds.confirm)."""
    from popliteal.booking import holds

    return holds.confirm(
        db,
        token=link_token(link),
        password=password,
        actor=actor,
        client_address="203.0.113.9",
        now=now,
    )


def outbox(db: Session, *, to: str, kind: str | None = None) -> list[Any]:
    """The messages queued for this address (oldest first), of one kind if given."""
    from popliteal.mail.models import OutboxMessage

    query = select(OutboxMessage).where(OutboxMessage.to_address == to)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.scalars(query.order_by(OutboxMessage.id)))


LINK_RE = r"https?://[^\s\"<>]+/(?:book/verify|welcome|reset-password)\?token=[\w-]+"


def emailed_link(db: Session, *, to: str, kind: str) -> str:
    """The link in the newest message of this kind to this address."""
    import re

    messages = outbox(db, to=to, kind=kind)
    assert messages, f"no {kind} e-mail to {to}"
    found = re.search(LINK_RE, messages[-1].text_body)
    assert found, messages[-1].text_body
    return found.group(0)


def follow_booking_link(
    client: Any,
    db: Session,
    email: str,
    *,
    password: str = "a-long-password",  # noqa: S107 (a test account)
    kind: str = "verify_address",
) -> Any:
    """Open the newest e-mailed booking link to `email` in this browser and confirm the visit
    (choosing `password` when the account is new); the 303 to the booked visit comes back."""
    from tests.conftest import CSRF_RE

    db.rollback()  # a fresh read of the outbox (and no read left holding SQLite's lock)
    link = emailed_link(db, to=email.lower(), kind=kind)
    db.rollback()
    page = client.get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert page.status_code == 200, page.text
    csrf = CSRF_RE.search(page.text)
    assert csrf is not None
    done = client.post(
        "/book/verify",
        data={
            "csrf_token": csrf.group(1),
            "token": link_token(link),
            "new_password": password,
            "repeat_password": password,
        },
    )
    assert done.status_code == 303, done.text
    return done


def booked_id(response: Any) -> int:
    """The visit id of a redirect to /my/appointments/ID?booked=1."""
    location = str(response.headers["location"])
    return int(location.split("/my/appointments/", 1)[1].split("?", 1)[0])
