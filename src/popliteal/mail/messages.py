"""Account messages the account flows enqueue: each takes the link the flow made.

Like every message, they carry no health details: an e-mail can be read by anyone who sees
the inbox, so it says only what the person needs to act on.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from popliteal.mail.outbox import enqueue
from popliteal.mail.render import render


def duration(valid_for: timedelta) -> str:
    """How long a link works, in words ("2 hours", "3 days", "30 minutes")."""
    hours = int(valid_for.total_seconds() // 3600)
    if hours >= 48 and hours % 24 == 0:
        return f"{hours // 24} days"
    if hours >= 1:
        return "1 hour" if hours == 1 else f"{hours} hours"
    minutes = max(int(valid_for.total_seconds() // 60), 1)
    return f"{minutes} minutes"


def _send(
    session: Session,
    *,
    name: str,
    kind: str,
    to: str,
    subject: str,
    clinic_id: int | None,
    dedupe_key: str | None = None,
    **context: object,
) -> bool:
    text, html = render(name, subject=subject, **context)
    return enqueue(
        session,
        to=to,
        subject=subject,
        text=text,
        html=html,
        kind=kind,
        clinic_id=clinic_id,
        dedupe_key=dedupe_key,
    )


def password_reset(
    session: Session,
    *,
    to: str,
    person_name: str,
    clinic_name: str,
    clinic_phone: str,
    clinic_id: int | None,
    link: str,
    valid_for: timedelta,
) -> bool:
    """Queue the e-mail with a link to choose a new password."""
    return _send(
        session,
        name="password_reset",
        kind="password_reset",
        to=to,
        subject=f"Set a new password for {clinic_name}",
        clinic_id=clinic_id,
        person_name=person_name,
        clinic_name=clinic_name,
        clinic_phone=clinic_phone,
        link=link,
        valid_for=duration(valid_for),
    )


def verify_address(
    session: Session,
    *,
    to: str,
    person_name: str,
    clinic_name: str,
    clinic_phone: str,
    clinic_id: int | None,
    link: str,
    valid_for: timedelta,
    visit: str = "",
) -> bool:
    """Queue the e-mail that asks the person to confirm their address (and the held `visit`,
    when a booking asked for it)."""
    return _send(
        session,
        name="verify_address",
        kind="verify_address",
        to=to,
        subject=f"Please confirm your visit at {clinic_name}"
        if visit
        else f"Please confirm your e-mail for {clinic_name}",
        clinic_id=clinic_id,
        visit=visit,
        person_name=person_name,
        clinic_name=clinic_name,
        clinic_phone=clinic_phone,
        link=link,
        valid_for=duration(valid_for),
    )


def booking_attempt(
    session: Session,
    *,
    to: str,
    person_name: str,
    clinic_name: str,
    clinic_phone: str,
    clinic_id: int | None,
    link: str,
    visit: str,
    valid_for: timedelta,
) -> bool:
    """Queue the e-mail to an address that has an account, when someone booked with it
    without logging in: the link confirms after logging in (no link: a staff address, which
    cannot book). The booking page answered as for any address."""
    return _send(
        session,
        name="booking_attempt",
        kind="booking_attempt",
        to=to,
        subject=f"Someone asked to book a visit at {clinic_name} with your e-mail",
        clinic_id=clinic_id,
        person_name=person_name,
        clinic_name=clinic_name,
        clinic_phone=clinic_phone,
        link=link,
        visit=visit,
        valid_for=duration(valid_for),
    )


def invitation(
    session: Session,
    *,
    to: str,
    person_name: str,
    inviter_name: str,
    clinic_name: str,
    clinic_phone: str,
    clinic_id: int | None,
    link: str,
    valid_for: timedelta,
) -> bool:
    """Queue a new clinician's or administrator's invitation to set their password."""
    return _send(
        session,
        name="invitation",
        kind="invitation",
        to=to,
        subject=f"Your account at {clinic_name}",
        clinic_id=clinic_id,
        person_name=person_name,
        inviter_name=inviter_name,
        clinic_name=clinic_name,
        clinic_phone=clinic_phone,
        link=link,
        valid_for=duration(valid_for),
    )


def visit_freed(
    session: Session,
    *,
    to: str,
    clinician_name: str,
    clinic_name: str,
    clinic_phone: str,
    clinic_id: int,
    visit_name: str,
    when: str,
    appointment_id: int,
) -> bool:
    """Tell the clinician that a booked visit is gone because the person deleted their account.
    The person is not named: their account and data are gone, and the slot is what matters."""
    return _send(
        session,
        name="visit_freed",
        kind="visit_freed",
        to=to,
        subject=f"Cancelled: a visit on {when}",
        clinic_id=clinic_id,
        dedupe_key=f"visit_freed:{appointment_id}",
        clinician_name=clinician_name,
        clinic_name=clinic_name,
        clinic_phone=clinic_phone,
        visit_name=visit_name,
        when=when,
    )


def questionnaire_due(
    session: Session,
    *,
    to: str,
    person_name: str,
    clinic_name: str,
    clinic_phone: str,
    clinic_id: int | None,
    link: str,
    dedupe_key: str,
) -> bool:
    """Queue a check-in form reminder (once per due form: `dedupe_key`). It names no
    questionnaire or condition: only that a form is waiting."""
    return _send(
        session,
        name="questionnaire_due",
        kind="questionnaire_due",
        to=to,
        subject="Your check-in form is ready",
        clinic_id=clinic_id,
        dedupe_key=dedupe_key,
        person_name=person_name,
        clinic_name=clinic_name,
        clinic_phone=clinic_phone,
        link=link,
    )
