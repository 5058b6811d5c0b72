"""The .ics invite, parsed back: time zone, stable UID, sequence, status."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar
from sqlalchemy.orm import Session

from popliteal.booking import service as booking_service
from popliteal.booking import views as booking_views
from popliteal.booking.ics import appointment_ics
from tests.booking import factories as f
from tests.booking.test_service import NOW, TUESDAY, book


def parse(data: bytes) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_ics_has_version_prodid_vtimezone_and_local_times(db: Session) -> None:
    a = book(db, clinician_id=f.pt(db).id).appointment
    calendar, event = parse(appointment_ics(a, now=NOW))
    assert calendar["VERSION"] == "2.0"
    assert "popliteal" in str(calendar["PRODID"])
    assert calendar["METHOD"] == "PUBLISH"
    zones = calendar.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["America/Chicago"]
    start = event["DTSTART"]  # type: ignore[index]
    assert start.params["TZID"] == "America/Chicago"
    assert start.dt == f.local(TUESDAY, 10)
    assert start.dt.hour == 10  # wall time in the clinic's zone
    assert event["DTEND"].dt == f.local(TUESDAY, 10, 20)  # type: ignore[index]
    uid = str(event["UID"])  # type: ignore[index]
    # The id plus the creation instant: appointment 2 of another clinic gets another UID.
    assert uid.startswith(f"appointment-{a.id}-{a.created_at.astimezone(UTC):%Y%m%dT%H%M%S}")
    assert uid.endswith("@popliteal")
    assert event["STATUS"] == "CONFIRMED"  # type: ignore[index]
    assert "Free screening" in str(event["SUMMARY"])  # type: ignore[index]
    assert "100 Main Street" in str(event["LOCATION"])  # type: ignore[index]
    # The VTIMEZONE's rules give the visit the offset Chicago has that day (CST, -6 h).
    assert start.dt.utcoffset().total_seconds() == -6 * 3600


def test_uid_is_stable_and_sequence_rises_across_reschedule_and_cancel(db: Session) -> None:
    actor = f.demo_patient_actor(db)
    a = book(db, actor=actor, mode="virtual").appointment
    _, first = parse(appointment_ics(a, now=NOW))
    moved = booking_service.reschedule(
        db, actor=actor, appointment_id=a.id, starts_at=f.local(TUESDAY, 11), now=NOW
    )
    _, second = parse(appointment_ics(moved, now=NOW))
    cancelled = booking_service.cancel(db, actor=actor, appointment_id=a.id, now=NOW)
    calendar, third = parse(appointment_ics(cancelled, now=NOW))
    assert first["UID"] == second["UID"] == third["UID"]  # type: ignore[index]
    assert [e["SEQUENCE"] for e in (first, second, third)] == [0, 1, 2]  # type: ignore[index]
    assert second["DTSTART"].dt == f.local(TUESDAY, 11)  # type: ignore[index]
    assert str(second["LOCATION"]).startswith("Video call")  # type: ignore[index]
    assert third["STATUS"] == "CANCELLED"  # type: ignore[index]
    assert calendar["METHOD"] == "CANCEL"


def test_a_summer_visit_gets_daylight_time(db: Session) -> None:
    a = book(db, clinician_id=f.pt(db).id).appointment
    summer = booking_views.AppointmentView(
        **{
            **a.__dict__,
            "starts_at": datetime(2027, 7, 6, 15, 0, tzinfo=UTC),
            "ends_at": datetime(2027, 7, 6, 15, 20, tzinfo=UTC),
        }
    )
    _, event = parse(appointment_ics(summer, now=NOW))
    assert event["DTSTART"].dt.hour == 10  # type: ignore[index]  # 15:00 UTC = 10:00 CDT
    assert event["DTSTART"].dt.utcoffset().total_seconds() == -5 * 3600  # type: ignore[index]
