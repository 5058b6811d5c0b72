"""An .ics invite for one appointment, in the clinic's time zone with a matching VTIMEZONE.

The UID is stable per appointment, so a calendar updates the same event when the visit is
moved (SEQUENCE goes up) or cancelled (STATUS:CANCELLED, METHOD:CANCEL).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from icalendar.enums import STATUS

from popliteal import __version__
from popliteal.booking.service import AppointmentView

PRODID = f"-//popliteal//booking {__version__}//EN"


def uid_for(appointment_id: int) -> str:
    """The event's UID: the same for every version of this appointment."""
    return f"appointment-{appointment_id}@popliteal"


def appointment_ics(view: AppointmentView, *, now: datetime | None = None) -> bytes:
    """The calendar file for this appointment."""
    zone = ZoneInfo(view.timezone)
    cancelled = view.status == "cancelled"
    description = (
        f"{view.type_name} with {view.clinician_name} ({view.mode_name}). "
        f"{view.clinic_name}" + (f", phone {view.clinic_phone}." if view.clinic_phone else ".")
    )
    event = Event.new(
        uid=uid_for(view.id),
        sequence=view.sequence,
        start=view.starts_at.astimezone(zone),
        end=view.ends_at.astimezone(zone),
        stamp=(now or datetime.now(UTC)).astimezone(UTC),
        summary=f"{view.type_name} at {view.clinic_name}",
        description=description,
        location=view.location,
        status=STATUS.CANCELLED if cancelled else STATUS.CONFIRMED,
    )
    calendar = Calendar.new(
        prodid=PRODID,
        uid=f"calendar-{uid_for(view.id)}",
        method="CANCEL" if cancelled else "PUBLISH",
        subcomponents=[event],
    )
    # Only the transitions around the visit: a small VTIMEZONE that still covers it.
    local_day = view.starts_at.astimezone(zone).date()
    calendar.add_missing_timezones(
        first_date=date(local_day.year - 1, 1, 1), last_date=local_day + timedelta(days=400)
    )
    ical: bytes = calendar.to_ical()
    return ical
