"""Outcomes at the edges of the clinic's day: the discharge date, due questionnaires, charts.

The date a discharge records, the day a questionnaire falls due and the day a score is charted
on are the clinic's dates (America/Chicago for the demo clinic), never UTC's or the machine's.
Instants: tests/clock_edges.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.demo import CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import patient_charts, questionnaires, questionnaires_due
from popliteal.outcomes.models import Discharge
from popliteal.outcomes.schemas import QuestionnaireCreate
from popliteal.sessions import service as sessions_service
from popliteal.sessions.schemas import PainCreate
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
    SPRING_0030,
    UTC_MIDNIGHT,
    WEDNESDAY,
    Instant,
    chicago,
    go,
    log_in,
    long_day,
    noon,
)
from tests.conftest import csrf_from
from tests.running.factories import actor_for, demo_records
from tests.sessions.factories import save_demo_plan

LEFS = {f"L{i}": 3 for i in range(1, 21)}


def _plan_on(db: Session, kb: Knowledge, clock: time_machine.Traveller, day: date) -> int:
    """The demo patient's hamstring plan (LEFS and NPRS), saved at noon on `day`."""
    go(clock, noon(day))
    patient_id = demo_records(db).patient_id
    save_demo_plan(db, kb, patient_id)
    return patient_id


def _answer(
    db: Session, kb: Knowledge, patient_id: int, instrument: str, answers: dict[str, Any]
) -> None:
    """The patient answers a questionnaire now (the moved clock)."""
    questionnaires.submit_response(
        db,
        kb=kb,
        actor=actor_for(db, PATIENT.email),
        patient_id=patient_id,
        body=QuestionnaireCreate(instrument=instrument, answers=answers),
    )
    db.rollback()


# ------------------------------------------------------------------ discharge


@pytest.mark.parametrize(
    "instant",
    [BEFORE_MIDNIGHT.param(), AFTER_SPRING.param(), FALL_2330.param()],
)
def test_a_discharge_is_dated_and_shown_on_the_clinics_date(
    client: TestClient,
    db: Session,
    kb: Knowledge,
    pinned_clock: time_machine.Traveller,
    instant: Instant,
) -> None:
    """The form starts at the clinic's today, and that date is recorded and shown: on the
    summary and on the patient's page. (23:59:30 CST is 05:59:30 UTC the next day; 00:00:30 CDT
    Monday is still Sunday on a fixed CST clock; 23:30 CST on the 25-hour day is 05:30 UTC
    Monday.)"""
    patient_id = _plan_on(db, kb, pinned_clock, instant.day - 20 * ONE_DAY)
    go(pinned_clock, instant.at)
    log_in(client, CHIRO)
    page = f"/staff/patients/{patient_id}/discharge"
    form = client.get(page).text
    assert f'name="discharged_on" value="{instant.day.isoformat()}"' in form
    done = client.post(
        page,
        data={
            "csrf_token": csrf_from(client, page),
            "discharged_on": instant.day.isoformat(),
            "override_reason": "Moved away.",
        },
    )
    assert done.status_code == 303, done.text
    summary = client.get(done.headers["location"]).text
    assert f"Discharged on <strong>{long_day(instant.day)}</strong>" in summary
    card = client.get(f"/staff/patients/{patient_id}").text
    assert f"Discharged on {instant.day:%a %d %b %Y}." in card
    db.expire_all()
    assert db.scalars(select(Discharge.discharged_on)).all() == [instant.day]
    db.rollback()


def test_at_utc_midnight_the_utc_date_is_tomorrow_for_a_discharge(
    client: TestClient, db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    """At 00:00:30 UTC Wednesday it is 18:00:30 Tuesday in the clinic: Wednesday is refused as
    a future date, and a discharge with no date given is dated Tuesday."""
    patient_id = _plan_on(db, kb, pinned_clock, UTC_MIDNIGHT.day - 20 * ONE_DAY)
    go(pinned_clock, UTC_MIDNIGHT.at)
    log_in(client, CHIRO)
    page = f"/staff/patients/{patient_id}/discharge"
    sent = {"csrf_token": csrf_from(client, page), "override_reason": "Moved away."}
    refused = client.post(page, data={**sent, "discharged_on": WEDNESDAY.isoformat()})
    assert refused.status_code == 409
    assert "the date is in the future" in refused.text
    done = client.post(page, data={**sent, "discharged_on": ""})
    assert done.status_code == 303, done.text
    db.expire_all()
    assert db.scalars(select(Discharge.discharged_on)).all() == [UTC_MIDNIGHT.day]
    db.rollback()


# ------------------------------------------------------------------ due questionnaires


SPRING_EVE = Instant("spring-eve-2359-cst", chicago(SPRING - ONE_DAY, 23, 59, 30), SPRING - ONE_DAY)


@pytest.mark.parametrize(
    ("due_on", "checks"),
    [
        # answered on Wednesday 28 January, due again 14 days later; the checks in time order
        pytest.param(
            WEDNESDAY,
            [(UTC_MIDNIGHT, False), (BEFORE_MIDNIGHT, False), (AFTER_MIDNIGHT, True)],
            id="wednesday",
        ),
        # due on the 23-hour day: not at 23:59:30 CST the evening before (05:59:30 UTC)
        pytest.param(SPRING, [(SPRING_EVE, False), (SPRING_0030, True)], id="spring-change-day"),
        # due on the 25-hour day: not at 23:30 CDT the evening before (04:30 UTC)
        pytest.param(FALL, [(BEFORE_FALL, False), (FALL_0030, True)], id="fall-change-day"),
    ],
)
def test_a_questionnaire_falls_due_on_the_clinics_date(
    client: TestClient,
    db: Session,
    kb: Knowledge,
    pinned_clock: time_machine.Traveller,
    due_on: date,
    checks: list[tuple[Instant, bool]],
) -> None:
    """Due on exactly the clinic date the interval says: not a day early at UTC midnight, not
    at the evening before a clock change, and from a minute after the clinic's midnight."""
    patient_id = _plan_on(db, kb, pinned_clock, due_on - 14 * ONE_DAY)
    _answer(db, kb, patient_id, "lefs", LEFS)
    _answer(db, kb, patient_id, "nprs", {"pain": 4})
    staff = actor_for(db, CHIRO.email)

    go(pinned_clock, checks[0][0].at)
    log_in(client, PATIENT)
    for instant, due in checks:
        go(pinned_clock, instant.at)
        today = client.get("/my/today").text
        assert ('id="questionnaires-due-h"' in today) is due, instant.id
        listed = questionnaires_due.clinic_due(db, kb=kb, actor=staff, patient_ids=[patient_id])
        if not due:
            assert listed == {}, instant.id
            continue
        assert 'href="/my/questionnaires/lefs"' in today
        assert "day ago" not in today
        assert [
            (d.instrument, d.occasion, d.due_on, d.days_overdue) for d in listed[patient_id]
        ] == [
            ("lefs", "follow_up", due_on, 0),
            ("nprs", "follow_up", due_on, 0),
        ]


# ------------------------------------------------------------------ charts


def test_pain_is_charted_on_the_clinics_dates_across_the_fall_change(
    db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    """An NPRS answer at 23:30 CDT Saturday (04:30 UTC Sunday) is Saturday's; a morning score at
    00:30 CDT and an NPRS answer at 23:30 CST (05:30 UTC Monday) are both Sunday's."""
    patient_id = _plan_on(db, kb, pinned_clock, FALL - 7 * ONE_DAY)
    patient = actor_for(db, PATIENT.email)
    go(pinned_clock, BEFORE_FALL.at)
    _answer(db, kb, patient_id, "nprs", {"pain": 2})
    go(pinned_clock, FALL_0030.at)
    sessions_service.log_pain(
        db, kb=kb, actor=patient, patient_id=patient_id, body=PainCreate(pain=5)
    )
    go(pinned_clock, FALL_2330.at)
    _answer(db, kb, patient_id, "nprs", {"pain": 7})

    go(pinned_clock, noon(FALL + ONE_DAY))
    charts = patient_charts.outcome_charts(
        db, kb=kb, actor=actor_for(db, CHIRO.email), patient_id=patient_id, prefix="staff"
    )
    assert charts.pain.table.headers == ("Date", "Morning", "Questionnaire (NPRS)")
    assert list(charts.pain.table.rows) == [
        (long_day(FALL), "5", "7"),
        (long_day(BEFORE_FALL.day), "\N{EN DASH}", "2"),
    ]
