"""The edges of the clinic's day: every date-sensitive path at instants just before and after
the clinic's midnight, at UTC midnight, and across America/Chicago's 2026 clock changes.

The whole process's clock (the app's too) is moved with time-machine (`pinned_clock`), so
these pass whatever the machine's clock and TZ say; run them with TZ=Asia/Tokyo or
TZ=Pacific/Kiritimati as well. The instants are in tests/clock_edges.py; the paths, by area:

- tests/sessions/test_midnight.py: the day a session counts for, adherence "today", morning
  pain and the next morning of a session, weekly pain and adherence;
- tests/running/test_midnight.py: next-morning pain of a run, the date an imported run lands
  on, weekly distance;
- tests/outcomes/test_midnight.py: the discharge date recorded and shown, due questionnaires,
  the pain chart's days;
- tests/booking/test_midnight.py: booking and cancel notice periods in real hours, slots on
  the 23- and 25-hour days, the booking page's and the staff schedule's days.

Here: the instants are what their names say, and at each of a few of them every page that
offers "today" offers the same, the clinic's.
"""

from __future__ import annotations

import time_machine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal import clock
from popliteal.demo import CHIRO, CLINIC_TZ, PATIENT
from popliteal.knowledge.loader import Knowledge
from tests.clock_edges import (
    ALL,
    FALL_2330,
    ONE_DAY,
    SPRING_2330,
    UTC_MIDNIGHT,
    day_label,
    go,
    log_in,
    noon,
)
from tests.running.factories import demo_records
from tests.sessions.factories import save_demo_plan


def test_the_instants_are_on_the_clinic_dates_their_names_say() -> None:
    for instant in ALL:
        assert clock.local_date(instant.at, CLINIC_TZ) == instant.day, instant.id
    # where the UTC date is not the clinic's, a date made in UTC lands a day late
    assert {i.id for i in ALL if i.at.date() != i.day} == {
        "2359-local-tue",
        "0000-utc-wed",
        "spring-2330-cdt",
        "fall-eve-2330-cdt",
        "fall-2330-cst",
    }
    # where a fixed offset (standard or summer time all year) puts it on another date
    cst, cdt = clock.zone("Etc/GMT+6"), clock.zone("Etc/GMT+5")
    assert {i.id for i in ALL if i.at.astimezone(cst).date() != i.day} == {
        "spring-next-0000-cdt",
        "fall-0030-cdt",
    }
    assert {i.id for i in ALL if i.at.astimezone(cdt).date() != i.day} == {
        "2359-local-tue",
        "fall-2330-cst",
    }


def test_every_page_offers_the_clinics_today(
    client: TestClient, db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    """At UTC midnight, late on the 23-hour day and late on the 25-hour day (when the UTC date
    is already tomorrow), each page that starts from "today" starts from the clinic's."""
    go(pinned_clock, noon(UTC_MIDNIGHT.day - 3 * ONE_DAY))
    patient_id = demo_records(db).patient_id
    save_demo_plan(db, kb, patient_id)
    staff = f"/staff/patients/{patient_id}"

    for instant in (UTC_MIDNIGHT, SPRING_2330, FALL_2330):
        day, iso = instant.day, instant.day.isoformat()
        go(pinned_clock, instant.at)
        log_in(client, PATIENT)
        pages = {
            "today": client.get("/my/today").text,
            "running": client.get("/my/running").text,
            "book": client.get("/book?type=free_screening&mode=in_clinic").text,
        }
        log_in(client, CHIRO)
        pages |= {
            "note": client.get(f"{staff}/notes/new").text,
            "outcomes": client.get(f"{staff}/outcomes").text,
            "discharge": client.get(f"{staff}/discharge").text,
            "schedule": client.get("/staff/schedule").text,
        }
        expected = {
            "today": f'<p class="lead">{day_label(day)}</p>',
            "running": f'max="{iso}" value="{iso}"',
            "book": f"Showing {day:%d %B} to {day + 6 * ONE_DAY:%d %B %Y}.",
            "note": f'name="visit_date" type="date" value="{iso}"',
            "outcomes": f'name="measured_on" value="{iso}"',
            "discharge": f'name="discharged_on" value="{iso}"',
            "schedule": f"<h2>{day:%A %d %B %Y}</h2>",
        }
        wrong = [name for name, text in expected.items() if text not in pages[name]]
        assert wrong == [], instant.id
