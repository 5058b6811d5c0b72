"""E-mails about a visit: booked, moved, cancelled, and the reminder before it.

Each is queued in the outbox inside the transaction that changed the appointment, so the
e-mail goes out exactly when the change is saved. The attached invite keeps the appointment's
UID; its SEQUENCE is the appointment's, which every move or cancellation raises, so the
person's calendar updates the one event. The bodies say only what the visit is, when, where
and with whom: no screening answers, no diagnosis (README, "E-mail").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal import config
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.booking.ics import appointment_ics
from popliteal.booking.models import Appointment
from popliteal.booking.views import AppointmentView, appointment_views
from popliteal.clock import utcnow, zone
from popliteal.db import transaction
from popliteal.mail.outbox import Attachment, enqueue
from popliteal.mail.render import render

Change = Literal["booked", "moved", "cancelled", "reminder"]
# Longest reminder lead a clinic may set (a week): the scan reads visits this far ahead.
LONGEST_LEAD_HOURS = 168

_SUBJECTS: dict[str, str] = {
    "booked": "Booked: your visit on {when}",
    "moved": "Moved: your visit is now on {when}",
    "cancelled": "Cancelled: your visit on {when}",
    "reminder": "Reminder: your visit on {when}",
}


def _when(moment: datetime, tz: str, *, short: bool) -> str:
    local = moment.astimezone(zone(tz))
    if short:
        return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def when_words(moment: datetime, tz: str) -> str:
    """The visit's day and time on the clinic's wall clock, as e-mails write it."""
    return _when(moment, tz, short=False)


def appointment_notice(
    session: Session, *, appointment: Appointment, view: AppointmentView, change: Change
) -> bool:
    """Queue the e-mail for this change of the visit (inside the caller's transaction).

    Stored once per appointment and change: the key holds the SEQUENCE (each move or
    cancellation raises it) or, for the reminder, the start time (a moved visit gets its own).
    """
    patient = session.get_one(Patient, appointment.patient_id)
    person = session.get_one(User, patient.user_id)
    clinician = session.get_one(User, appointment.clinician_id)
    clinic = session.get_one(Clinic, appointment.clinic_id)
    video_link = clinician.video_room_url if appointment.mode == "virtual" else ""
    where = view.location
    if appointment.mode == "virtual":
        where = "Video call" if video_link else "Video call: we will send you the link"
    attachments: list[Attachment] = []
    if change != "reminder":
        method = "CANCEL" if change == "cancelled" else "REQUEST"
        ics = appointment_ics(
            view,
            method=method,
            organizer=parseaddr(config.mail_from())[1] or None,
            attendee=person.email,
            video_link=video_link,
        )
        attachments.append(Attachment("visit.ics", f"text/calendar; method={method}", ics))
    local = view.starts_at.astimezone(zone(view.timezone))
    subject = _SUBJECTS[change].format(when=_when(view.starts_at, view.timezone, short=True))
    text, html = render(
        "appointment",
        subject=subject,
        change=change,
        person_name=patient.full_name,
        when=_when(view.starts_at, view.timezone, short=False),
        zone_name=local.tzname() or view.timezone,
        type_name=view.type_name,
        minutes=view.minutes,
        clinician_name=view.clinician_name,
        where=where,
        video_link=video_link,
        attached=bool(attachments),
        notice_hours=clinic.cancel_notice_hours,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
    )
    if change == "reminder":
        key = f"appointment:{appointment.id}:reminder:{appointment.starts_at.isoformat()}"
    else:
        key = f"appointment:{appointment.id}:{change}:{appointment.sequence}"
    return enqueue(
        session,
        to=person.email,
        subject=subject,
        text=text,
        html=html,
        attachments=attachments,
        kind=f"appointment_{change}",
        dedupe_key=key,
        clinic_id=clinic.id,
    )


def enqueue_due_reminders(session: Session, *, now: datetime | None = None) -> int:
    """Queue the reminder of every booked visit within its clinic's lead time; how many new.

    Safe to run as often and from as many workers as one likes: the outbox's unique key keeps
    one reminder per visit and start time. A visit booked inside the lead time gets none: its
    confirmation has just gone out.
    """
    now = now or utcnow()
    queued = 0
    with transaction(session):
        rows = session.execute(
            select(Appointment, Clinic)
            .join(Clinic, Clinic.id == Appointment.clinic_id)
            .where(
                Appointment.status == "booked",
                Appointment.starts_at > now,
                Appointment.starts_at <= now + timedelta(hours=LONGEST_LEAD_HOURS),
            )
            .order_by(Appointment.starts_at, Appointment.id)
        ).all()
        due = [
            appointment
            for appointment, clinic in rows
            if appointment.starts_at - timedelta(hours=clinic.reminder_lead_hours) <= now
            and appointment.created_at
            < appointment.starts_at - timedelta(hours=clinic.reminder_lead_hours)
        ]
        views = appointment_views(session, due, now=now, actor=None)
        for appointment, view in zip(due, views, strict=True):
            if appointment_notice(session, appointment=appointment, view=view, change="reminder"):
                queued += 1
    return queued
