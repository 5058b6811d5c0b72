"""An .ics invite for one appointment, in the clinic's time zone with a matching VTIMEZONE.

The UID is stable per appointment, so a calendar updates the same event when the visit is
moved (SEQUENCE goes up) or cancelled (STATUS:CANCELLED, METHOD:CANCEL).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event
from icalendar.enums import STATUS

from popliteal import __version__, clock
from popliteal.booking.views import AppointmentView
from popliteal.clock import local_date

PRODID = f"-//popliteal//booking {__version__}//EN"


def uid_for(view: AppointmentView) -> str:
    """The event's UID: the same for every version of this appointment, unique everywhere.

    The id alone repeats across clinics' databases (appointment 2 exists in each); the moment
    the appointment was created, to the microsecond, tells them apart and never changes.
    """
    created = view.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"appointment-{view.id}-{created}@popliteal"


def appointment_ics(
    view: AppointmentView,
    *,
    now: datetime | None = None,
    method: str | None = None,
    organizer: str | None = None,
    attendee: str | None = None,
    video_link: str = "",
) -> bytes:
    """The calendar file for this appointment.

    The download is METHOD:PUBLISH; the e-mailed invite is METHOD:REQUEST with the clinic as
    ORGANIZER and the person as ATTENDEE, as calendar programs expect of an invitation.
    Either way a cancelled visit is METHOD:CANCEL.
    """
    zone = clock.zone(view.timezone)
    cancelled = view.status == "cancelled"
    description = (
        f"{view.type_name} with {view.clinician_name} ({view.mode_name}). "
        f"{view.clinic_name}" + (f", phone {view.clinic_phone}." if view.clinic_phone else ".")
    )
    event = Event.new(
        uid=uid_for(view),
        sequence=view.sequence,
        start=view.starts_at.astimezone(zone),
        end=view.ends_at.astimezone(zone),
        stamp=(now or clock.utcnow()).astimezone(UTC),
        summary=f"{view.type_name} at {view.clinic_name}",
        description=description,
        location=video_link or view.location,
        status=STATUS.CANCELLED if cancelled else STATUS.CONFIRMED,
    )
    calendar = Calendar.new(
        prodid=PRODID,
        method="CANCEL" if cancelled else (method or "PUBLISH"),
        subcomponents=[event],
    )
    if video_link:
        event.add("url", video_link)
    if organizer:
        event.add("organizer", f"mailto:{organizer}", parameters={"CN": view.clinic_name})
    if attendee:
        event.add("attendee", f"mailto:{attendee}", parameters={"CN": view.patient_name})
    # Only the transitions around the visit: a small VTIMEZONE that still covers it.
    local_day = local_date(view.starts_at, zone)
    calendar.add_missing_timezones(
        first_date=date(local_day.year - 1, 1, 1), last_date=local_day + timedelta(days=400)
    )
    ical: bytes = calendar.to_ical()
    return ical
