"""The clinic's e-mail settings, for its administrators: how long before a visit the reminder
goes, each clinician's video room link (the join link video visits' e-mails carry), and the
messages that could not be sent, with a way to try them again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.models import User
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import STAFF_ROLES, admin_clinic, audit, clinic_staff_member
from popliteal.clock import utcnow
from popliteal.db import reading, transaction
from popliteal.errors import AccountError, NotAllowed
from popliteal.mail import sender
from popliteal.mail.sender import FailedMessage

REMINDER_LEAD_HOURS = (1, 168)
# How long a visit booked without logging in is held for its e-mailed link (booking/holds.py):
# long enough to find the e-mail, short enough that a held slot is soon free again.
HOLD_MINUTES = (10, 1440)
MAX_LINK = 500


@dataclass(frozen=True)
class VideoRoom:
    user_id: int
    name: str
    url: str


@dataclass(frozen=True)
class EmailSettings:
    reminder_lead_hours: int
    booking_hold_minutes: int
    timezone: str
    rooms: list[VideoRoom]
    failed: list[FailedMessage]


def read_email_settings(session: Session, *, actor: Actor) -> EmailSettings:
    """What the e-mail settings page shows."""
    with reading(session):
        clinic = admin_clinic(session, actor=actor)
        lead, timezone = clinic.reminder_lead_hours, clinic.timezone
        hold = clinic.booking_hold_minutes
        rooms = [
            VideoRoom(user_id=u.id, name=u.display_name, url=u.video_room_url)
            for u in session.scalars(
                select(User)
                .where(User.clinic_id == clinic.id, User.role.in_(STAFF_ROLES), User.is_active)
                .order_by(User.display_name)
            )
        ]
    failed = sender.failed_messages(session, clinic_id=actor.clinic_id)
    return EmailSettings(
        reminder_lead_hours=lead,
        booking_hold_minutes=hold,
        timezone=timezone,
        rooms=rooms,
        failed=failed,
    )


def set_reminder_lead(session: Session, *, actor: Actor, hours: int) -> None:
    """Send visit reminders this many hours before the visit (1 to 168)."""
    low, high = REMINDER_LEAD_HOURS
    if not low <= hours <= high:
        raise AccountError(f"reminder: expected {low} to {high} hours before the visit")
    _set_clinic_setting(session, actor=actor, field="reminder_lead_hours", value=hours)


def set_hold_minutes(session: Session, *, actor: Actor, minutes: int) -> None:
    """Hold a visit booked without logging in this many minutes for its link (10 to 1440)."""
    low, high = HOLD_MINUTES
    if not low <= minutes <= high:
        raise AccountError(f"hold: expected {low} to {high} minutes")
    _set_clinic_setting(session, actor=actor, field="booking_hold_minutes", value=minutes)


def _set_clinic_setting(session: Session, *, actor: Actor, field: str, value: int) -> None:
    """Store one checked setting of the admin's clinic, audited with the value it replaces."""
    with transaction(session):
        clinic = admin_clinic(session, actor=actor)
        before = getattr(clinic, field)
        setattr(clinic, field, value)
        audit(
            session,
            actor=actor,
            action="update",
            entity="clinic",
            entity_id=clinic.id,
            patient_id=None,
            detail={"before": {field: before}},
        )


def video_link_problem(url: str) -> str | None:
    """Why this video room link cannot be used (None: it can; empty clears it)."""
    if not url:
        return None
    if len(url) > MAX_LINK:
        return f"video link: {MAX_LINK} characters at most"
    if not url.startswith("https://") or any(c.isspace() for c in url) or len(url) < 12:
        return "video link: enter the full https:// address of the video room"
    return None


def set_video_room(session: Session, *, actor: Actor, user_id: int, url: str) -> None:
    """Set (or clear, with "") a clinician's video room link."""
    url = url.strip()
    problem = video_link_problem(url)
    if problem:
        raise AccountError(problem)
    with transaction(session):
        admin_clinic(session, actor=actor)  # administrators only
        user = clinic_staff_member(session, actor=actor, user_id=user_id)
        user.video_room_url = url
        audit(
            session,
            actor=actor,
            action="update",
            entity="user",
            entity_id=user.id,
            patient_id=None,
            detail={"video_room_url": url},
        )


def retry_message(session: Session, *, actor: Actor, message_id: int) -> None:
    """Queue a failed message of the clinic again (after its address was corrected, say)."""
    with reading(session):
        admin_clinic(session, actor=actor)
    retried = sender.retry_failed(
        session, message_ids=[message_id], clinic_id=actor.clinic_id, now=utcnow()
    )
    if not retried:
        raise NotAllowed("no such message")
