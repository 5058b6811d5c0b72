"""Asked once a day: the safety checklist at most once per clinic date (later forms say when it
was answered and keep it behind "Something changed"), this morning's pain once per morning.

Days are the clinic's dates (America/Chicago for the demo clinic): instants in
tests/clock_edges.py. HTTP page tests, with the real database.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.alerts.models import OutcomeAlert
from popliteal.demo import PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes.models import QuestionnaireResponse
from popliteal.sessions.models import SessionLog
from popliteal.sessions.rules import SafetyAnswer, ask_morning_pain, items_to_ask, safety_today
from tests.clock_edges import (
    AFTER_MIDNIGHT,
    BEFORE_MIDNIGHT,
    ONE_DAY,
    TUESDAY,
    UTC_MIDNIGHT,
    chicago,
    go,
    log_in,
    noon,
)
from tests.conftest import csrf_from
from tests.running.factories import demo_records
from tests.sessions.factories import save_demo_plan

ITEMS = ("calf", "fever", "locked")
NPRS = "/my/questionnaires/nprs"
ANSWERED = 'data-safety="answered"'
CHECKLIST = 'name="safety" value="knee_locked"'


# ------------------------------------------------------------------ the pure rule


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 2, 10, hour, minute, tzinfo=UTC)


def test_no_answer_today_asks_every_item() -> None:
    today = safety_today([], ITEMS)
    assert (today.answered_at, today.to_ask, today.left_open) == (None, ITEMS, False)


def test_a_full_answer_counts_yes_or_no_and_not_sure_does_not() -> None:
    full = SafetyAnswer(_at(10, 42), {"calf": False, "fever": True, "locked": False})
    assert safety_today([full], ITEMS).answered_at == _at(10, 42)
    unsure = SafetyAnswer(_at(9), {"calf": False, "locked": False})  # fever: "Not sure"
    assert items_to_ask(unsure.answers, ITEMS) == ["fever"]
    assert safety_today([unsure], ITEMS).to_ask == ("fever",)
    # the latest answer stands, whatever order the rows come in
    later_unsure = SafetyAnswer(_at(15), unsure.answers)
    today = safety_today([later_unsure, full], ITEMS)
    assert (today.answered_at, today.left_open) == (None, True)
    assert safety_today([unsure, full], ITEMS).answered_at == _at(10, 42)
    # at the same instant, the answer that leaves an item open wins: ask again
    assert safety_today([full, SafetyAnswer(_at(10, 42), unsure.answers)], ITEMS).left_open


def test_an_item_added_to_the_list_since_is_asked() -> None:
    old = SafetyAnswer(_at(8), {"calf": False, "fever": False})
    assert safety_today([old], ITEMS).to_ask == ("locked",)


@given(st.dictionaries(st.sampled_from(ITEMS), st.one_of(st.booleans(), st.none())))
def test_answered_only_when_every_item_has_a_yes_or_no(answers: dict[str, bool | None]) -> None:
    today = safety_today([SafetyAnswer(_at(11), answers)], ITEMS)
    complete = all(isinstance(answers.get(i), bool) for i in ITEMS)
    assert (today.answered_at is not None) == complete
    assert set(today.to_ask) == {i for i in ITEMS if not isinstance(answers.get(i), bool)}


def test_morning_pain_is_asked_until_logged_today() -> None:
    assert ask_morning_pain(None)
    assert not ask_morning_pain(0)


# ------------------------------------------------------------------ the forms


def _plan_before(db: Session, kb: Knowledge, clock: time_machine.Traveller) -> int:
    """The demo patient's plan (LEFS and NPRS due), saved three days before TUESDAY."""
    go(clock, noon(TUESDAY - 3 * ONE_DAY))
    patient_id = demo_records(db).patient_id
    save_demo_plan(db, kb, patient_id)
    return patient_id


def _at_clinic(client: TestClient, clock: time_machine.Traveller, moment: datetime) -> None:
    go(clock, moment)
    log_in(client, PATIENT)


def _post(client: TestClient, page: str, action: str, data: dict[str, Any]) -> Any:
    return client.post(action, data={"csrf_token": csrf_from(client, page), **data})


def _nprs(client: TestClient, **fields: Any) -> Any:
    return _post(client, NPRS, NPRS, {"item_pain": "4", **fields})


def _start_session(client: TestClient) -> int:
    started = _post(client, "/my/today", "/my/session", {"pain_before": "3", "mode": "home"})
    assert started.status_code == 303, started.text
    found = re.fullmatch(r"/my/session/(\d+)\?step=1", started.headers["location"])
    assert found
    return int(found.group(1))


def _finish_page(client: TestClient, session_id: int) -> str:
    page = client.get(f"/my/session/{session_id}?step=9")
    assert "Finish your session" in page.text
    return str(page.text)


def _folded(html: str) -> bool:
    """The checklist is there only behind a closed "Something changed"."""
    return (
        '<details class="safety-again">' in html and "<summary>Something changed</summary>" in html
    )


def _alerts(db: Session) -> list[tuple[str, str | None]]:
    """The alerts opened so far: (kind, urgency)."""
    db.expire_all()
    found = [(k, u) for k, u in db.execute(select(OutcomeAlert.kind, OutcomeAlert.urgency))]
    db.rollback()
    return found


def test_a_second_form_the_same_day_shows_when_and_still_takes_a_warning_sign(
    client: TestClient, db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    _plan_before(db, kb, pinned_clock)
    _at_clinic(client, pinned_clock, chicago(TUESDAY, 10, 42))
    first = client.get(NPRS).text
    assert CHECKLIST in first
    assert ANSWERED not in first
    assert _nprs(client).status_code == 303  # nothing ticked: "no" to every item

    _at_clinic(client, pinned_clock, chicago(TUESDAY, 15))
    # a guided session's finish: the checklist is not asked again
    finish = _finish_page(client, _start_session(client))
    assert "You answered the safety questions today at 10:42. Tell us at once if anything" in (
        finish
    )
    assert _folded(finish)
    # and a questionnaire: the same line, and the list still there to tick
    lefs = client.get("/my/questionnaires/lefs").text
    assert "You answered the safety questions today at 10:42." in lefs
    assert "First a short safety check" not in lefs
    assert _folded(lefs)
    assert CHECKLIST in lefs
    # "Something changed": a new warning sign is taken at once
    sent = _post(
        client,
        "/my/questionnaires/lefs",
        "/my/questionnaires/lefs",
        {
            **{f"item_L{i}": "3" for i in range(1, 21)},
            "safety_reused": "1",
            "safety": "new_calf_swelling",
        },
    )
    assert sent.status_code == 303
    assert "Get emergency care now" in client.get(sent.headers["location"]).text
    assert _alerts(db) == [("red_flag", "emergency")]  # on the clinician's list


@pytest.mark.postgres
def test_a_session_finish_counts_and_a_folded_list_records_nothing_new(
    client: TestClient, db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    _plan_before(db, kb, pinned_clock)
    _at_clinic(client, pinned_clock, chicago(TUESDAY, 9, 5))
    session_id = _start_session(client)
    assert CHECKLIST in _finish_page(client, session_id)
    done = _post(
        client,
        f"/my/session/{session_id}?step=9",
        f"/my/session/{session_id}/finish",
        {"pain_after": "2"},
    )
    assert done.status_code == 303
    db.expire_all()
    log = db.get(SessionLog, session_id)
    assert log is not None
    assert log.safety
    assert not any(log.safety.values())
    db.rollback()

    _at_clinic(client, pinned_clock, chicago(TUESDAY, 18))
    form = client.get(NPRS).text
    assert "You answered the safety questions today at 09:05." in form
    assert _nprs(client, safety_reused="1").status_code == 303
    db.expire_all()
    assert db.scalars(select(QuestionnaireResponse.safety)).all() == [{}]  # not asked: none
    db.rollback()
    assert _alerts(db) == []
    # the folded list's answer is not a new one: still 09:05
    assert "today at 09:05." in client.get(NPRS).text


def test_not_sure_is_asked_again_on_the_next_form(
    client: TestClient, db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    _plan_before(db, kb, pinned_clock)
    _at_clinic(client, pinned_clock, chicago(TUESDAY, 8))
    assert _nprs(client, safety_unsure="fever").status_code == 303
    db.expire_all()
    stored = db.scalars(select(QuestionnaireResponse.safety)).one()
    db.rollback()
    assert "fever" not in stored
    assert stored["knee_locked"] is False
    again = client.get(NPRS).text
    assert ANSWERED not in again
    assert CHECKLIST in again
    assert 'data-safety="asked-again"' in again
    # answered yes or no this time: then it stands for the day
    _at_clinic(client, pinned_clock, chicago(TUESDAY, 8, 30))
    assert _nprs(client).status_code == 303
    assert ANSWERED in client.get(NPRS).text


def test_the_next_clinic_day_asks_again_not_the_next_utc_day(
    client: TestClient, db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    """Answered at 10:00 Tuesday: at 18:00:30 (already Wednesday in UTC) it still stands, at
    23:59:30 too; at 00:00:30 Wednesday in the clinic it is asked again."""
    _plan_before(db, kb, pinned_clock)
    _at_clinic(client, pinned_clock, chicago(TUESDAY, 10))
    assert _nprs(client).status_code == 303
    for instant in (UTC_MIDNIGHT, BEFORE_MIDNIGHT):
        _at_clinic(client, pinned_clock, instant.at)
        assert "You answered the safety questions today at 10:00." in client.get(NPRS).text
    _at_clinic(client, pinned_clock, AFTER_MIDNIGHT.at)
    wednesday = client.get(NPRS).text
    assert ANSWERED not in wednesday
    assert CHECKLIST in wednesday


def test_morning_pain_is_asked_once_a_morning_and_can_be_corrected(
    client: TestClient, db: Session, kb: Knowledge, pinned_clock: time_machine.Traveller
) -> None:
    _plan_before(db, kb, pinned_clock)
    _at_clinic(client, pinned_clock, chicago(TUESDAY, 7))
    morning = client.get("/my/today").text
    assert 'data-morning="logged"' not in morning
    assert "How bad is the pain in your knee this morning?" in morning
    assert _post(client, "/my/today", "/my/pain", {"pain": "4"}).status_code == 303

    _at_clinic(client, pinned_clock, BEFORE_MIDNIGHT.at)  # 05:59:30 UTC: still Tuesday
    later = client.get("/my/today").text
    assert "You logged <strong>4 out of 10</strong> this morning." in later
    # the question is folded away with the score ticked, to correct it
    assert '<details class="morning-change" data-morning="logged">' in later
    assert re.search(r'id="pain-4"[^>]*checked', later)
    assert _post(client, "/my/today", "/my/pain", {"pain": "3"}).status_code == 303
    assert "You logged <strong>3 out of 10</strong>" in client.get("/my/today").text

    _at_clinic(client, pinned_clock, AFTER_MIDNIGHT.at)  # a new morning in the clinic
    wednesday = client.get("/my/today").text
    assert 'data-morning="logged"' not in wednesday
    assert "How bad is the pain in your knee this morning?" in wednesday
