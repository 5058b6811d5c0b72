"""Booking at the edges of the clinic's day and across its clock changes.

Notice periods (`min_booking_notice_hours`, `cancel_notice_hours`) are real hours, whatever the
wall clock did in between; slots are wall times of the clinic (America/Chicago for the demo
clinic), and the booking page's days are the clinic's. Instants: tests/clock_edges.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.booking import service as booking_service
from popliteal.booking import slots as booking_slots
from popliteal.booking.errors import BookingError
from popliteal.booking.models import Appointment, AppointmentType, Availability
from popliteal.demo import CHIRO, PATIENT
from tests.booking import factories as f
from tests.clock_edges import (
    AFTER_MIDNIGHT,
    BEFORE_FALL,
    BEFORE_MIDNIGHT,
    FALL,
    FALL_2330,
    ONE_DAY,
    SPRING,
    UTC_MIDNIGHT,
    WEDNESDAY,
    Instant,
    chicago,
    go,
    log_in,
    noon,
)
from tests.conftest import csrf_from

SUNDAY = 6
FREE_SCREENING = "/book?type=free_screening&mode=in_clinic"  # 20 minutes, every 15 minutes


def _arrange(
    db: Session,
    *,
    sunday_blocks: tuple[tuple[time, time], ...] = (),
    notice_hours: int | None = None,
    cancel_hours: int | None = None,
) -> None:
    """No appointments yet; the PT also works these Sunday blocks; the clinic's notice periods."""
    db.execute(delete(Appointment))
    clinic = f.clinic(db)
    for start, end in sunday_blocks:
        db.add(
            Availability(
                clinic_id=clinic.id,
                clinician_id=f.pt(db).id,
                weekday=SUNDAY,
                start_time=start,
                end_time=end,
                modes=["in_clinic"],
            )
        )
    if notice_hours is not None:
        clinic.min_booking_notice_hours = notice_hours
    if cancel_hours is not None:
        clinic.cancel_notice_hours = cancel_hours
    db.commit()


def _times_on(html: str, day: date) -> list[str]:
    """The free times the booking page lists on this clinic day ('10:30 CDT'), in order."""
    parts = html.split(f"<h3>{day:%A %d %B %Y}</h3>")
    if len(parts) < 2:
        return []
    return re.findall(r">(\d\d:\d\d [A-Z]+)</a>", parts[1].split("</ul>")[0])


def _wall(moment: datetime) -> str:
    """An instant as the booking page writes it: '10:30 CDT'."""
    return moment.astimezone(f.TZ).strftime("%H:%M %Z")


def _book(db: Session, starts_at: datetime) -> booking_service.Booked:
    """The demo patient books a free screening at this instant, now (the moved clock)."""
    return booking_service.book(
        db,
        clinic=f.clinic(db),
        actor=f.demo_patient_actor(db),
        type_ref="free_screening",
        mode="in_clinic",
        starts_at=starts_at,
    )


@pytest.mark.parametrize(
    ("instant", "notice", "day", "first", "refused"),
    [
        # 10 h after 23:30 CST Saturday (05:30 UTC) is 10:30 CDT: the night lost an hour
        Instant("spring-eve-2330-cst", chicago(SPRING - ONE_DAY, 23, 30), SPRING - ONE_DAY).param(
            10, SPRING, chicago(SPRING, 10, 30), chicago(SPRING, 10, 15)
        ),
        # 10 h after 23:30 CDT Saturday (04:30 UTC) is 08:30 CST: the night gained an hour
        BEFORE_FALL.param(10, FALL, chicago(FALL, 8, 30), chicago(FALL, 8, 15)),
        # 9 h after 23:59:30 Tuesday: 09:00 Wednesday is the first; 30 s later it is 09:15
        BEFORE_MIDNIGHT.param(9, WEDNESDAY, chicago(WEDNESDAY, 9), chicago(WEDNESDAY, 8, 45)),
        AFTER_MIDNIGHT.param(9, WEDNESDAY, chicago(WEDNESDAY, 9, 15), chicago(WEDNESDAY, 9)),
    ],
)
def test_the_booking_notice_is_counted_in_real_hours(
    client: TestClient,
    db: Session,
    pinned_clock: time_machine.Traveller,
    instant: Instant,
    notice: int,
    day: date,
    first: datetime,
    refused: datetime,
) -> None:
    _arrange(db, sunday_blocks=((time(8), time(12)),), notice_hours=notice)
    go(pinned_clock, instant.at)
    page = client.get(f"{FREE_SCREENING}&from={day.isoformat()}").text
    offered = _times_on(page, day)
    assert offered, page
    assert offered[0] == _wall(first)
    assert _wall(refused) not in offered
    with pytest.raises(BookingError, match="not open for booking"):
        _book(db, refused)
    booked = _book(db, first).appointment
    assert booked.starts_at == first


@pytest.mark.parametrize(
    ("day", "night", "times"),
    [
        pytest.param(
            SPRING,
            (time(1), time(4)),  # 01:00 CST to 04:00 CDT: two real hours
            [
                *("01:00 CST", "01:15 CST", "01:30 CST", "01:45 CST"),
                *("03:00 CDT", "03:15 CDT", "03:30 CDT", "09:00 CDT"),
            ],
            id="23-hour-day: no 02:xx",
        ),
        pytest.param(
            FALL,
            (time(1), time(3)),  # 01:00 CDT to 03:00 CST: three real hours
            [
                *("01:00 CDT", "01:15 CDT", "01:30 CDT", "01:45 CDT"),
                *("01:00 CST", "01:15 CST", "01:30 CST", "01:45 CST"),
                *("02:00 CST", "02:15 CST", "02:30 CST", "09:00 CST"),
            ],
            id="25-hour-day: 01:xx twice",
        ),
    ],
)
def test_slots_on_the_clock_change_days_are_the_clinics_wall_times(
    client: TestClient,
    db: Session,
    pinned_clock: time_machine.Traveller,
    day: date,
    night: tuple[time, time],
    times: list[str],
) -> None:
    _arrange(db, sunday_blocks=(night, (time(9), time(9, 30))))
    go(pinned_clock, noon(day - 4 * ONE_DAY))
    page = client.get(f"{FREE_SCREENING}&from={day.isoformat()}").text
    assert _times_on(page, day) == times
    slots = booking_slots.list_slots(
        db,
        clinic=f.clinic(db),
        type_ref="free_screening",
        mode="in_clinic",
        first_day=day,
        last_day=day,
    )
    starts = [s.starts_at for s in slots]
    assert starts == sorted(set(starts))  # one real instant each, 15 real minutes apart at night
    assert chicago(day, 9) in starts


def test_the_booking_page_starts_on_the_clinics_today(
    client: TestClient, pinned_clock: time_machine.Traveller
) -> None:
    """The first day offered is the clinic's today: still Tuesday at 00:00:30 UTC (18:00:30
    in the clinic) and at 23:59:30, Wednesday from 00:00:30; Sunday to the last minute of the
    25-hour day (23:30 CST is 05:30 UTC Monday)."""
    for instant, showing in (
        (UTC_MIDNIGHT, "Showing 10 February to 16 February 2026."),
        (BEFORE_MIDNIGHT, "Showing 10 February to 16 February 2026."),
        (AFTER_MIDNIGHT, "Showing 11 February to 17 February 2026."),
        (FALL_2330, "Showing 01 November to 07 November 2026."),
    ):
        go(pinned_clock, instant.at)
        page = client.get(FREE_SCREENING).text
        assert showing in page, instant.id
        assert "Earlier dates" not in page  # nothing before the clinic's today


def _appointment(db: Session, starts_at: datetime) -> int:
    """The demo patient's free screening with the PT at this instant (20 minutes)."""
    patient_id = f.demo_patient_actor(db).patient_id
    clinic = f.clinic(db)
    kind = db.scalar(
        select(AppointmentType).where(
            AppointmentType.clinic_id == clinic.id, AppointmentType.code == "free_screening"
        )
    )
    assert kind is not None
    assert patient_id is not None
    row = Appointment(
        clinic_id=clinic.id,
        clinician_id=f.pt(db).id,
        patient_id=patient_id,
        type_id=kind.id,
        mode="in_clinic",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=kind.minutes),
    )
    db.add(row)
    db.commit()
    return row.id


SPRING_VISIT = chicago(SPRING, 10)  # Sunday 10:00 CDT = 15:00 UTC
FALL_VISIT = chicago(FALL, 10)  # Sunday 10:00 CST = 16:00 UTC
WEDNESDAY_VISIT = chicago(WEDNESDAY, 9)  # Wednesday 09:00 CST = 15:00 UTC


@pytest.mark.parametrize(
    ("visit", "hours", "too_late", "in_time"),
    [
        # 24 h before 10:00 CDT Sunday is 09:00 CST Saturday (the wall clock says 10:00)
        pytest.param(
            SPRING_VISIT,
            24,
            chicago(SPRING - ONE_DAY, 9, 30),  # 23.5 real hours before
            chicago(SPRING - ONE_DAY, 8, 30),  # 24.5 real hours before
            id="23-hour-night",
        ),
        # 24 h before 10:00 CST Sunday is 11:00 CDT Saturday (the wall clock says 10:00)
        pytest.param(
            FALL_VISIT,
            24,
            chicago(FALL - ONE_DAY, 11, 30),  # 23.5 real hours before
            chicago(FALL - ONE_DAY, 10, 30),  # 24.5 real hours before
            id="25-hour-night",
        ),
        # 9 h before 09:00 Wednesday is the clinic's midnight
        pytest.param(
            WEDNESDAY_VISIT, 9, AFTER_MIDNIGHT.at, BEFORE_MIDNIGHT.at, id="local-midnight"
        ),
    ],
)
def test_the_cancel_notice_is_counted_in_real_hours(
    client: TestClient,
    db: Session,
    pinned_clock: time_machine.Traveller,
    visit: datetime,
    hours: int,
    too_late: datetime,
    in_time: datetime,
) -> None:
    """Too late, the person can neither move nor cancel the visit online (the page says so);
    in time, both (it is cancelled)."""
    _arrange(db, sunday_blocks=((time(8), time(12)),), cancel_hours=hours)
    appointment_id = _appointment(db, visit)
    here = f"/my/appointments/{appointment_id}"
    refusal = f"Visits can be changed online up to {hours} hours before they start."

    go(pinned_clock, too_late)
    log_in(client, PATIENT)
    move = client.get(f"{here}/reschedule")
    assert move.status_code == 403
    assert refusal in move.text
    cancel = client.post(f"{here}/cancel", data={"csrf_token": csrf_from(client, here)})
    assert cancel.status_code == 403
    assert refusal in cancel.text

    go(pinned_clock, in_time)
    log_in(client, PATIENT)
    assert client.get(f"{here}/reschedule").status_code == 200
    cancel = client.post(f"{here}/cancel", data={"csrf_token": csrf_from(client, here)})
    assert cancel.status_code == 303
    db.expire_all()
    assert db.scalar(select(Appointment.status).where(Appointment.id == appointment_id)) == (
        "cancelled"
    )
    db.rollback()


@pytest.mark.parametrize(
    ("day", "visits", "times"),
    [
        pytest.param(
            SPRING,
            [chicago(SPRING, 1, 30), chicago(SPRING, 3, 30), chicago(SPRING, 23, 30)],
            ["01:30-01:50 CST", "03:30-03:50 CDT", "23:30-23:50 CDT"],
            id="23-hour-day",
        ),
        pytest.param(
            FALL,
            [chicago(FALL, 1, 30), chicago(FALL, 1, 30, fold=1), chicago(FALL, 23, 30)],
            ["01:30-01:50 CDT", "01:30-01:50 CST", "23:30-23:50 CST"],
            id="25-hour-day",
        ),
    ],
)
def test_the_staff_schedule_of_a_clock_change_day_holds_exactly_its_visits(
    client: TestClient,
    db: Session,
    pinned_clock: time_machine.Traveller,
    day: date,
    visits: list[datetime],
    times: list[str],
) -> None:
    """The day's visits from its first minute to its last (23:30 is 04:30 or 05:30 UTC the
    next day), and none of the visits half an hour either side of it."""
    _arrange(db)
    for starts_at in (chicago(day - ONE_DAY, 23, 30), *visits, chicago(day + ONE_DAY, 0, 30)):
        _appointment(db, starts_at)
    go(pinned_clock, noon(day - 2 * ONE_DAY))
    log_in(client, CHIRO)
    page = client.get(f"/staff/schedule?view=day&clinician=all&date={day.isoformat()}").text
    assert f"<h2>{day:%A %d %B %Y}</h2>" in page
    shown = re.findall(r"<td>(\d\d:\d\d)\N{EN DASH}(\d\d:\d\d [A-Z]+)</td>", page)
    assert [f"{start}-{end}" for start, end in shown] == times
