"""The home programme at the edges of the clinic's day: sessions, adherence, morning pain.

A session or a pain score belongs to the clinic's date at the moment it is logged (America/
Chicago for the demo clinic), never to the UTC date or the machine's; weeks are the 7 clinic
dates ending today. Instants: tests/clock_edges.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.accounts.rules import Actor
from popliteal.demo import CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.sessions import service as sessions_service
from popliteal.sessions import suggestions as suggestions_service
from popliteal.sessions.models import PainLog, SessionLog
from popliteal.sessions.schemas import PainCreate, SessionCreate, SessionFinish
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
    TUESDAY,
    UTC_MIDNIGHT,
    Instant,
    chicago,
    day_label,
    go,
    log_in,
    noon,
    short_day,
)
from tests.conftest import csrf_from
from tests.running.factories import actor_for, demo_records
from tests.sessions.factories import save_demo_plan


def _plan_from(db: Session, kb: Knowledge, clock: time_machine.Traveller, day: date) -> int:
    """The demo patient's plan (every exercise due every day), saved at noon on `day`."""
    go(clock, noon(day))
    patient_id = demo_records(db).patient_id
    save_demo_plan(db, kb, patient_id)
    return patient_id


def _session_now(db: Session, kb: Knowledge, patient: Actor, pain_before: int = 3) -> None:
    """A guided session started and finished now (the moved clock), as the person."""
    assert patient.patient_id is not None
    started = sessions_service.start_session(
        db,
        actor=patient,
        patient_id=patient.patient_id,
        body=SessionCreate(pain_before=pain_before),
    )
    sessions_service.finish_session(
        db, kb=kb, actor=patient, session_id=started.id, body=SessionFinish(pain_after=3)
    )


def _session_days(db: Session) -> list[date]:
    db.expire_all()
    days = list(db.scalars(select(SessionLog.local_date).order_by(SessionLog.id)))
    db.rollback()
    return days


def _mornings(db: Session) -> dict[date, int]:
    db.expire_all()
    rows = select(PainLog.local_date, PainLog.pain).where(PainLog.kind == "morning")
    found = {day: pain for day, pain in db.execute(rows)}
    db.rollback()
    return found


def _done_today(html: str) -> str:
    return html.split('id="done-h"')[1].split("</section>")[0]


@pytest.mark.parametrize(
    "instant",
    [UTC_MIDNIGHT.param(), AFTER_SPRING.param(), FALL_2330.param()],
)
def test_a_session_done_at_this_instant_is_done_on_the_clinics_date(
    client: TestClient,
    db: Session,
    kb: Knowledge,
    pinned_clock: time_machine.Traveller,
    instant: Instant,
) -> None:
    _plan_from(db, kb, pinned_clock, instant.day - 3 * ONE_DAY)
    go(pinned_clock, instant.at)
    _session_now(db, kb, actor_for(db, PATIENT.email))
    assert _session_days(db) == [instant.day]
    log_in(client, PATIENT)
    today = client.get("/my/today").text
    assert f'<p class="lead">{day_label(instant.day)}</p>' in today
    assert "Session 1" in _done_today(today)


def test_adherence_today_flips_at_the_clinics_midnight(
    client: TestClient, db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    """Plan from Monday; a session at 23:59:30 Tuesday counts for Tuesday, one at 00:00:30 for
    Wednesday. Dated by UTC (05:59:30 Wednesday), the first would make Wednesday open as done
    and the week read 1 of 3 days instead of 1 of 2."""
    _plan_from(db, kb, pinned_clock, TUESDAY - ONE_DAY)
    go(pinned_clock, UTC_MIDNIGHT.at)  # 18:00:30 Tuesday: Tuesday is not over
    log_in(client, PATIENT)
    evening = client.get("/my/today").text
    assert f'<p class="lead">{day_label(TUESDAY)}</p>' in evening
    assert "No session done yet today." in evening
    assert "<strong>0%</strong>" in evening  # Monday missed; Tuesday not due until done

    go(pinned_clock, BEFORE_MIDNIGHT.at)
    csrf = csrf_from(client, "/my/today")
    started = client.post("/my/session", data={"csrf_token": csrf, "pain_before": "3"})
    session_id = started.headers["location"].split("/")[-1].split("?")[0]
    done = client.post(
        f"/my/session/{session_id}/finish", data={"csrf_token": csrf, "pain_after": "3"}
    )
    assert done.status_code == 303, done.text
    tuesday = client.get("/my/today").text
    assert "Session 1" in _done_today(tuesday)
    assert "<strong>50%</strong>" in tuesday  # Monday missed, Tuesday done

    go(pinned_clock, AFTER_MIDNIGHT.at)
    wednesday = client.get("/my/today").text
    assert f'<p class="lead">{day_label(AFTER_MIDNIGHT.day)}</p>' in wednesday
    assert "No session done yet today." in wednesday
    assert "<strong>50%</strong>" in wednesday  # today is not over: it counts once done
    _session_now(db, kb, actor_for(db, PATIENT.email))
    assert "<strong>67%</strong>" in client.get("/my/today").text  # Monday to Wednesday: 2 of 3

    assert _session_days(db) == [TUESDAY, AFTER_MIDNIGHT.day]
    progress = client.get("/my/progress").text
    log = progress.split('id="log-h"')[1]
    assert log.index(short_day(AFTER_MIDNIGHT.day)) < log.index(short_day(TUESDAY))
    this_week = progress.split('id="adh-h"')[1].split("</table>")[0].split("<tr>")[-1]
    assert short_day(AFTER_MIDNIGHT.day - 6 * ONE_DAY) in this_week
    assert "2 of 3" in this_week


# (when, the score logged then, the score the form shows ticked before it, none if none)
TUESDAY_MORNINGS = [
    (chicago(TUESDAY, 7), 3, None),
    (UTC_MIDNIGHT.at, 4, 3),  # 18:00:30 Tuesday: the same morning, replaced
    (BEFORE_MIDNIGHT.at, 5, 4),  # 05:59:30 UTC Wednesday: still Tuesday's morning
    (AFTER_MIDNIGHT.at, 6, None),  # a new morning
]
FALL_MORNINGS = [
    (BEFORE_FALL.at, 3, None),  # 04:30 UTC Sunday: Saturday's morning
    (FALL_0030.at, 4, None),  # Sunday's morning
    (FALL_2330.at, 5, 4),  # 05:30 UTC Monday: still Sunday's, 25 hours long
]


@pytest.mark.parametrize(
    ("steps", "stored"),
    [
        pytest.param(
            TUESDAY_MORNINGS, {TUESDAY: 5, AFTER_MIDNIGHT.day: 6}, id="tuesday-to-wednesday"
        ),
        pytest.param(FALL_MORNINGS, {BEFORE_FALL.day: 3, FALL: 5}, id="the-25-hour-day"),
    ],
)
def test_morning_pain_belongs_to_the_clinics_date_when_it_is_logged(
    client: TestClient,
    db: Session,
    kb: Knowledge,
    pinned_clock: time_machine.Traveller,
    steps: list[tuple[datetime, int, int | None]],
    stored: dict[date, int],
) -> None:
    """The Today page's morning-pain field shows (ticked) the score of the clinic's today only,
    and a second score the same clinic date replaces the first."""
    _plan_from(db, kb, pinned_clock, min(stored) - 3 * ONE_DAY)
    for moment, pain, shown in steps:
        go(pinned_clock, moment)
        log_in(client, PATIENT)
        page = client.get("/my/today").text
        ticked = re.search(r'id="pain-(\d+)"[^>]*checked', page)
        assert (int(ticked.group(1)) if ticked else None) == shown, moment
        if shown is not None:
            assert f"You logged <strong>{shown} out of 10</strong>" in page
        saved = client.post(
            "/my/pain", data={"csrf_token": csrf_from(client, "/my/today"), "pain": str(pain)}
        )
        assert saved.status_code == 303
    assert _mornings(db) == stored


def test_the_next_morning_of_a_late_session_is_the_next_clinic_date(
    db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    """Sessions at 23:59:30 on two days, each followed by a worse morning at 00:00:30.

    By the clinic's dates each morning is the one after its session, so the pain-monitoring
    rule (worse next morning, twice) steps the exercises back. By UTC dates (05:59:30 and
    06:00:30) session and morning would share a date and nothing would be flagged.
    """
    patient_id = _plan_from(db, kb, pinned_clock, TUESDAY - 3 * ONE_DAY)
    patient = actor_for(db, PATIENT.email)
    for day in (TUESDAY - ONE_DAY, TUESDAY):
        go(pinned_clock, chicago(day, 23, 59, 30))
        _session_now(db, kb, patient, pain_before=2)
        go(pinned_clock, chicago(day + ONE_DAY, 0, 0, 30))
        sessions_service.log_pain(
            db, kb=kb, actor=patient, patient_id=patient_id, body=PainCreate(pain=6)
        )
    assert _session_days(db) == [TUESDAY - ONE_DAY, TUESDAY]
    assert _mornings(db) == {TUESDAY: 6, TUESDAY + ONE_DAY: 6}

    go(pinned_clock, noon(TUESDAY + ONE_DAY))
    found = suggestions_service.suggestions(
        db, kb=kb, actor=actor_for(db, CHIRO.email), patient_id=patient_id
    )
    assert found is not None
    assert {(s.verdict, s.reason) for s in found.exercises} == {
        ("regress", "pain next morning was higher than before the session twice")
    }


def test_weekly_pain_and_adherence_split_at_the_clinics_week_across_the_spring_change(
    client: TestClient, db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    """On Saturday 14 March at 23:59:30 the progress page's last week is 8-14 March, the week
    of the 23-hour day. A score and a session at 23:59:30 CST on the 7th (05:59:30 UTC on the
    8th) fall in the week before; those at 00:30 CST on the 8th and 23:30 CDT on the 14th
    (04:30 UTC on the 15th) in the last week."""
    patient_id = _plan_from(db, kb, pinned_clock, SPRING - 7 * ONE_DAY)
    patient = actor_for(db, PATIENT.email)
    saturday = SPRING + 6 * ONE_DAY
    for moment, pain in (
        (chicago(SPRING - ONE_DAY, 23, 59, 30), 2),
        (SPRING_0030.at, 8),
        (chicago(saturday, 23, 30), 6),
    ):
        go(pinned_clock, moment)
        sessions_service.log_pain(
            db, kb=kb, actor=patient, patient_id=patient_id, body=PainCreate(pain=pain)
        )
        _session_now(db, kb, patient, pain_before=pain)
    go(pinned_clock, chicago(saturday, 23, 59, 30))
    log_in(client, PATIENT)
    page = client.get("/my/progress").text
    pain = page.split('id="pain-h"')[1].split("</table>")[0]
    # mean of the morning scores and the pain before and after each session
    assert re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", pain) == [
        (short_day(SPRING - 7 * ONE_DAY), "2.3"),  # 2, 2 and 3
        (short_day(SPRING), "5.7"),  # 8, 8, 3, 6, 6, 3
    ]
    weeks = page.split('id="adh-h"')[1].split("</table>")[0].split("<tr>")[2:]
    assert [re.findall(r"<td>([^<]+)</td>", w)[:2] for w in weeks] == [
        [short_day(SPRING - 7 * ONE_DAY), "1 of 7"],  # 1-7 March: only the 7th
        [short_day(SPRING), "2 of 7"],  # 8-14 March: the 8th and the 14th
    ]
