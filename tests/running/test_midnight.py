"""Runs at the edges of the clinic's day: the date a run lands on, next-morning pain, weeks.

A run belongs to the clinic's date when it started (America/Chicago for the demo clinic); its
"next morning" is the clinic's next date; weekly distance is counted in 7-day blocks of the
clinic's dates ending today. Instants: tests/clock_edges.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.demo import PATIENT
from popliteal.knowledge.schema import MILE_KM
from popliteal.running.models import Activity
from tests.clock_edges import (
    AFTER_MIDNIGHT,
    AFTER_SPRING,
    BEFORE_FALL,
    BEFORE_MIDNIGHT,
    FALL,
    FALL_0030,
    FALL_2330,
    ONE_DAY,
    SPRING,
    SPRING_2330,
    TUESDAY,
    UTC_MIDNIGHT,
    Instant,
    chicago,
    go,
    log_in,
)
from tests.conftest import api_csrf, csrf_from
from tests.running import factories as f
from tests.running.fixtures import sample_gpx


@pytest.mark.parametrize(
    ("run_day", "checks"),
    [
        # a run on Tuesday: not at 00:00:30 UTC (18:00:30) nor 23:59:30, from 00:00:30 Wednesday
        pytest.param(
            TUESDAY,
            [(UTC_MIDNIGHT, False), (BEFORE_MIDNIGHT, False), (AFTER_MIDNIGHT, True)],
            id="tuesday",
        ),
        # a run on the 23-hour day: not at 23:30 CDT (04:30 UTC Monday), from 00:00:30 CDT
        pytest.param(SPRING, [(SPRING_2330, False), (AFTER_SPRING, True)], id="spring-change-day"),
        # a run the evening before the 25-hour day: from 00:30 CDT (05:30 UTC), which is also
        # when a fixed CST offset would still say Saturday
        pytest.param(
            BEFORE_FALL.day, [(BEFORE_FALL, False), (FALL_0030, True)], id="fall-change-eve"
        ),
    ],
)
def test_next_morning_pain_of_a_run_opens_on_the_clinics_next_date(
    client: TestClient,
    db: Session,
    pinned_clock: time_machine.Traveller,
    run_day: date,
    checks: list[tuple[Instant, bool]],
) -> None:
    """The running log offers "Pain next morning" for a run from the clinic's next date on,
    and the service refuses it before; the run form's date goes up to the clinic's today."""
    run_id = f.add_run(db, patient_id=f.demo_patient(db).id, day=run_day, km=5.0).id
    for instant, offered in checks:
        go(pinned_clock, instant.at)
        log_in(client, PATIENT)
        page = client.get("/my/running").text
        iso = instant.day.isoformat()
        assert f'max="{iso}" value="{iso}"' in page, instant.id
        assert (f'id="pm-{run_id}"' in page) is offered, instant.id
        sent = client.post(
            f"/my/running/runs/{run_id}",
            data={"csrf_token": csrf_from(client, "/my/running"), "pain_next_morning": "4"},
        )
        db.expire_all()
        stored = db.get(Activity, run_id)
        assert stored is not None
        if offered:
            assert sent.status_code == 303, instant.id
            assert stored.pain_next_morning == 4
        else:
            assert sent.status_code == 400, instant.id
            assert "Next-morning pain can be added tomorrow morning." in sent.text
            assert stored.pain_next_morning is None
        db.rollback()


# (start of the run, km, the clinic's date it lands on); the week ends on `saturday`.
SPRING_RUNS = [
    (chicago(SPRING - ONE_DAY, 23, 30), 1.0, SPRING - ONE_DAY),  # 05:30 UTC Sunday
    (chicago(SPRING, 0, 30), 2.0, SPRING),  # 06:30 UTC, before the change
    (chicago(SPRING + 5 * ONE_DAY, 23, 30), 4.0, SPRING + 5 * ONE_DAY),  # 04:30 UTC Saturday
]
FALL_RUNS = [
    (BEFORE_FALL.at, 1.0, BEFORE_FALL.day),  # 04:30 UTC Sunday
    (FALL_2330.at, 2.0, FALL),  # 05:30 UTC Monday, after the change
    (chicago(FALL + 5 * ONE_DAY, 23, 30), 4.0, FALL + 5 * ONE_DAY),  # 05:30 UTC Saturday
]


@pytest.mark.parametrize(
    ("runs", "saturday"),
    [
        pytest.param(SPRING_RUNS, SPRING + 6 * ONE_DAY, id="week-of-the-23-hour-day"),
        pytest.param(FALL_RUNS, FALL + 6 * ONE_DAY, id="week-of-the-25-hour-day"),
    ],
)
def test_imported_runs_and_weekly_distance_follow_the_clinics_dates(
    client: TestClient,
    db: Session,
    pinned_clock: time_machine.Traveller,
    runs: list[tuple[datetime, float, date]],
    saturday: date,
) -> None:
    """Weekly blocks end on the clinic's today. On Saturday night the last week runs Sunday to
    Saturday and holds the clock change; a minute after midnight it has moved on a day, and
    at 00:00:30 UTC (Saturday evening in the clinic) it has not."""
    sunday = saturday + ONE_DAY
    go(pinned_clock, chicago(sunday, 0, 0, 30))
    log_in(client, PATIENT)
    api_csrf(client)
    files = [
        ("files", (f"run-{i}.gpx", sample_gpx(km, start), "application/gpx+xml"))
        for i, (start, km, _) in enumerate(runs)
    ]
    imported = client.post("/api/me/activities/import", files=files)
    assert imported.status_code == 200, imported.text
    assert sorted(a["local_date"] for a in imported.json()["imported"]) == [
        day.isoformat() for _, _, day in runs
    ]

    (a, b, c) = (km for _, km, _ in runs)
    for moment, today, weeks in (
        (chicago(saturday, 23, 59, 30), saturday, [a, b + c]),
        (datetime.combine(sunday, time(0, 0, 30), tzinfo=UTC), saturday, [a, b + c]),
        (chicago(sunday, 0, 0, 30), sunday, [a + b, c]),
    ):
        go(pinned_clock, moment)
        log_in(client, PATIENT)
        running = client.get("/api/me/running").json()
        assert running["today"] == today.isoformat()
        per_unit = 1.0 if running["load"]["unit"] == "km" else 1 / MILE_KM
        assert running["load"]["weekly_totals"] == pytest.approx(
            [km * per_unit for km in weeks], rel=1e-3
        )
