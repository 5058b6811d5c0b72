"""Visit e-mails through a real SMTP server: the confirmation with its invite, moves and
cancellations of the same calendar event, and the reminder at the right local time."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts.rules import Actor
from popliteal.booking import notices
from popliteal.booking import service as booking_service
from popliteal.booking.errors import SlotTaken
from popliteal.booking.ics import uid_for
from popliteal.mail.models import OutboxMessage
from popliteal.mail.sender import RunReport, run_once
from popliteal.mail.transport import SmtpTransport, parse_smtp_url
from tests.accounts.factories import add_patient
from tests.booking import factories as f
from tests.conftest import RunCli
from tests.mail.conftest import SmtpServer, attachment, body

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)  # Monday 06:00 in Chicago
TUESDAY = date(2027, 1, 5)
WEDNESDAY = date(2027, 1, 6)
PERSON = "new.person@example.com"
FROM = "Springfield Knee Clinic <clinic@example.com>"


@pytest.fixture
def at_now(pinned_clock: time_machine.Traveller) -> time_machine.Traveller:
    pinned_clock.move_to(NOW)
    return pinned_clock


def person(db: Session, email: str = PERSON, name: str = "New Person") -> Actor:
    """A patient with an account (booking without one waits for the e-mailed link:
    tests/booking/test_holds.py)."""
    if f.patient_by_email(db, email) is None:
        add_patient(db, clinic_id=f.clinic(db).id, name=name, email=email)
        db.commit()
    return f.actor_for(db, email)


def book(db: Session, **kwargs: Any) -> booking_service.Booked:
    args: dict[str, Any] = {
        "clinic": f.clinic(db),
        "type_ref": "free_screening",
        "mode": "in_clinic",
        "starts_at": f.local(TUESDAY, 10),
    }
    args.update(kwargs)
    args.setdefault("actor", person(db))
    return booking_service.book(db, **args)


def send(db: Session, server: SmtpServer) -> RunReport:
    return run_once(db, transport=SmtpTransport(parse_smtp_url(server.url)), mail_from=FROM)


def invite(message: Any) -> Any:
    calendar = Calendar.from_ical(attachment(message, "visit.ics"))
    return calendar, calendar.walk("VEVENT")[0]


@pytest.mark.postgres
def test_a_booking_sends_one_confirmation_with_a_calendar_invite(
    db: Session, smtp_server: SmtpServer, at_now: time_machine.Traveller
) -> None:
    view = book(db, clinician_id=f.pt(db).id).appointment
    assert send(db, smtp_server).sent == 1
    assert send(db, smtp_server).sent == 0  # a second run finds nothing left to send
    [message] = smtp_server.inbox.to(PERSON)
    assert message["Subject"] == "Booked: your visit on Tue 5 Jan at 10:00"
    text = body(message)
    assert "Tuesday 5 January 2027 at 10:00 (CST time)" in text
    assert "100 Main Street" in text
    assert "at least 24 hours before" in text
    assert "Tuesday 5 January 2027 at 10:00" in body(message, "html")
    calendar, event = invite(message)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == uid_for(view)
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == f.local(TUESDAY, 10)
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    assert str(event["ORGANIZER"]) == "mailto:no-reply@localhost"
    assert str(event["ATTENDEE"]) == f"mailto:{PERSON}"


@pytest.mark.postgres
def test_a_move_and_a_cancellation_update_the_same_calendar_event(
    db: Session, smtp_server: SmtpServer, at_now: time_machine.Traveller
) -> None:
    booked = book(db, clinician_id=f.pt(db).id)
    actor = f.actor_for(db, PERSON)
    booking_service.reschedule(
        db, actor=actor, appointment_id=booked.appointment.id, starts_at=f.local(WEDNESDAY, 9)
    )
    booking_service.cancel(db, actor=actor, appointment_id=booked.appointment.id)
    assert send(db, smtp_server).sent == 3
    first, moved, cancelled = smtp_server.inbox.to(PERSON)
    assert moved["Subject"] == "Moved: your visit is now on Wed 6 Jan at 09:00"
    assert cancelled["Subject"] == "Cancelled: your visit on Wed 6 Jan at 09:00"
    assert "Your visit is cancelled" in body(cancelled)
    events = [invite(m) for m in (first, moved, cancelled)]
    assert [str(e["UID"]) for _, e in events] == [uid_for(booked.appointment)] * 3
    assert [int(e["SEQUENCE"]) for _, e in events] == [0, 1, 2]
    assert [c["METHOD"] for c, _ in events] == ["REQUEST", "REQUEST", "CANCEL"]
    assert events[1][1].decoded("DTSTART") == f.local(WEDNESDAY, 9)
    assert events[2][1]["STATUS"] == "CANCELLED"


def test_a_refused_booking_queues_no_mail(db: Session, at_now: time_machine.Traveller) -> None:
    book(db, clinician_id=f.pt(db).id)
    with pytest.raises(SlotTaken):
        book(
            db,
            clinician_id=f.pt(db).id,
            actor=person(db, "other@example.com", "Other"),
        )
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_video_visit_carries_the_clinicians_room_link(
    db: Session, smtp_server: SmtpServer, at_now: time_machine.Traveller
) -> None:
    clinician = f.pt(db)
    clinician.video_room_url = "https://video.example.org/room/pt-42"
    db.commit()
    book(db, clinician_id=clinician.id, mode="virtual")
    send(db, smtp_server)
    [message] = smtp_server.inbox.to(PERSON)
    assert "Join the video call here: https://video.example.org/room/pt-42" in body(message)
    assert 'href="https://video.example.org/room/pt-42"' in body(message, "html")
    _, event = invite(message)
    assert str(event["URL"]) == "https://video.example.org/room/pt-42"


def _reminders(db: Session) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "appointment_reminder")
        )
        or 0
    )


def test_the_reminder_goes_once_24_hours_before_on_the_clinics_clock(
    db: Session,
    database_url: str,
    smtp_server: SmtpServer,
    at_now: time_machine.Traveller,
    run_cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    book(db, clinician_id=f.pt(db).id, starts_at=f.local(WEDNESDAY, 10))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("POPLITEAL_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("POPLITEAL_SMTP_URL", smtp_server.url)
    at_now.move_to(f.local(TUESDAY, 9, 59))  # 24 h and a minute before
    assert run_cli("notify", "run", "--once").returncode == 0
    assert [m["Subject"] for m in smtp_server.inbox.to(PERSON)] == [
        "Booked: your visit on Wed 6 Jan at 10:00"
    ]
    at_now.move_to(f.local(TUESDAY, 10, 0))
    for _ in range(2):  # run as often as one likes: one reminder
        result = run_cli("notify", "run", "--once")
        assert result.returncode == 0, result.stderr
    subjects = [m["Subject"] for m in smtp_server.inbox.to(PERSON)]
    assert subjects[1:] == ["Reminder: your visit on Wed 6 Jan at 10:00"]
    reminder = smtp_server.inbox.to(PERSON)[1]
    assert "This is a reminder of your visit" in body(reminder)
    assert not list(reminder.iter_attachments())


@pytest.mark.postgres
def test_two_scans_at_once_queue_one_reminder(
    app: Any, db: Session, at_now: time_machine.Traveller
) -> None:
    book(db, clinician_id=f.pt(db).id, starts_at=f.local(WEDNESDAY, 10))
    at_now.move_to(f.local(TUESDAY, 10, 30))
    start = threading.Barrier(2)
    found: list[int] = []

    def scan() -> None:
        with app.state.sessionmaker() as session:
            start.wait(timeout=30)
            found.append(notices.enqueue_due_reminders(session))

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(found) == [0, 1]
    assert _reminders(db) == 1


def test_no_reminder_for_a_visit_booked_inside_the_lead_time(
    db: Session, at_now: time_machine.Traveller
) -> None:
    book(db, clinician_id=f.pt(db).id, starts_at=f.local(TUESDAY, 10))  # 22 h ahead
    assert notices.enqueue_due_reminders(db) == 0
    assert _reminders(db) == 0


def test_the_clinic_sets_the_reminder_lead_time(
    db: Session, at_now: time_machine.Traveller
) -> None:
    clinic = f.clinic(db)
    clinic.reminder_lead_hours = 48
    db.commit()
    book(db, clinician_id=f.pt(db).id, starts_at=f.local(WEDNESDAY, 10))
    at_now.move_to(f.local(date(2027, 1, 4), 9, 59) + timedelta(minutes=2))
    assert notices.enqueue_due_reminders(db) == 1
