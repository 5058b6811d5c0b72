"""Through the whole episode of care (issue 13): a red flag reported at a check-in or after a
guided session pauses the person's programme until a clinician resolves its alert with a note;
the clinician's patient list and the staff navigation count it. Real app, real database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.alerts.models import OutcomeAlert
from popliteal.demo import CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.sessions.models import SessionLog
from tests.conftest import csrf_from, login
from tests.running.factories import demo_records, neighbour_patient
from tests.sessions.factories import save_demo_plan

LEFS = {f"item_L{i}": "3" for i in range(1, 21)}
CALF_RULE = "rf_unexplained_leg_swelling"


def _main(html: str) -> str:
    return html.split('<main id="main"')[1]


def _sessions(db: Session) -> int:
    db.expire_all()
    count = db.scalar(select(func.count()).select_from(SessionLog)) or 0
    db.rollback()
    return count


def _open_alert_id(db: Session, patient_id: int) -> int:
    db.expire_all()
    ids = db.scalars(
        select(OutcomeAlert.id).where(
            OutcomeAlert.patient_id == patient_id, OutcomeAlert.resolved_at.is_(None)
        )
    ).all()
    db.rollback()
    assert len(ids) == 1, ids
    return ids[0]


def _check_in_with_swollen_calf(client: TestClient) -> None:
    """The person ticks "calf swollen" in a check-in's safety checklist (the LEFS form)."""
    token = csrf_from(client, "/my/questionnaires/lefs")
    sent = client.post(
        "/my/questionnaires/lefs",
        data={"csrf_token": token, **LEFS, "safety": "new_calf_swelling"},
    )
    assert sent.status_code == 303, sent.text


def _paused_person(client: TestClient, db: Session, kb: Knowledge) -> int:
    """The demo patient with a plan, logged in, after a check-in with a red flag."""
    patient_id = demo_records(db).patient_id
    save_demo_plan(db, kb, patient_id)
    login(client, PATIENT.email, PATIENT.password)
    before = client.get("/my/today").text
    assert "Start guided session" in before
    assert "Today's exercises" in before
    _check_in_with_swollen_calf(client)
    return patient_id


def _resolve(client: TestClient, alert_id: int, note: str) -> Any:
    token = csrf_from(client, "/staff/alerts")
    return client.post(
        f"/staff/alerts/{alert_id}/resolve", data={"csrf_token": token, "note": note}
    )


def test_a_red_flag_at_a_check_in_pauses_today_and_refuses_a_session(
    client: TestClient, db: Session, kb: Knowledge
) -> None:
    _paused_person(client, db, kb)
    page = client.get("/my/today")
    assert page.status_code == 200
    main = _main(page.text)
    # the urgency message first, the rule's own words for the person, no exercises, no start
    assert main.index('role="alert"') < main.index("Get emergency care now")
    assert main.index('role="alert"') < main.index("Your exercises are paused")
    assert "Swollen calf or leg" in main
    rule = next(r for r in kb.rules if r.id == CALF_RULE)
    assert rule.patient_message.strip() in main
    assert "Start guided session" not in main
    assert "Today's exercises" not in main
    assert 'class="exercise-list"' not in main
    # a hand-made post to start a session is refused, with why
    token = csrf_from(client, "/my/today")
    refused = client.post(
        "/my/session", data={"csrf_token": token, "pain_before": "2", "mode": "home"}
    )
    assert refused.status_code == 409
    assert "programme is paused" in refused.text
    # the API says the same
    today = client.get("/api/me/today").json()
    assert today["paused"] is True
    assert today["due"] == []
    assert [(f["id"], f["urgency"]) for f in today["red_flags"]] == [(CALF_RULE, "emergency")]
    api = client.post("/api/me/sessions", json={"pain_before": 2})
    assert api.status_code == 409
    assert "programme is paused" in api.json()["detail"]
    assert _sessions(db) == 0


def test_a_clinician_can_not_start_a_session_for_a_paused_person_either(
    client: TestClient, db: Session, kb: Knowledge
) -> None:
    patient_id = _paused_person(client, db, kb)
    client.cookies.clear()
    login(client, CHIRO.email, CHIRO.password)
    refused = client.post(f"/api/patients/{patient_id}/sessions", json={"pain_before": 2})
    assert refused.status_code == 409
    assert "resolve the alert" in refused.json()["detail"]
    assert _sessions(db) == 0


def test_the_patient_list_and_the_alerts_link_count_the_check_in_red_flag(
    client: TestClient, db: Session, kb: Knowledge
) -> None:
    neighbour = neighbour_patient(db, kb)  # same conservative screening, no alert
    patient_id = _paused_person(client, db, kb)
    alert_id = _open_alert_id(db, patient_id)
    assert 'href="/staff/alerts"' not in client.get("/my/today").text  # a person: no link
    client.cookies.clear()
    login(client, CHIRO.email, CHIRO.password)
    listing = client.get("/staff/patients")
    assert listing.status_code == 200
    rows = listing.text.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    first = rows[0]
    assert f"/staff/patients/{patient_id}" in first
    cells = first.split("<td>")
    urgency_cell, flags_cell = cells[2], cells[3]
    assert "Emergency" in urgency_cell
    assert "Conservative care" not in urgency_cell
    assert 'data-red-flags="1"' in flags_cell
    assert "Swollen calf or leg" in flags_cell
    assert "None" not in flags_cell
    assert f'data-alert="{alert_id}"' in first
    neighbour_row = next(r for r in rows if f"/staff/patients/{neighbour.patient_id}" in r)
    assert "data-red-flags" not in neighbour_row
    # the Alerts link counts the clinic's open alerts on every staff page
    for path in ("/staff/patients", "/staff/schedule", "/staff/alerts"):
        nav = client.get(path).text.split("</nav>")[0]
        link = nav.split('href="/staff/alerts"')[1].split("</a>")[0]
        assert 'data-open-alerts="1"' in link, path


def test_resolving_the_alert_with_a_note_resumes_the_programme(
    client: TestClient, db: Session, kb: Knowledge
) -> None:
    patient_id = _paused_person(client, db, kb)
    alert_id = _open_alert_id(db, patient_id)
    client.cookies.clear()
    login(client, CHIRO.email, CHIRO.password)
    assert _resolve(client, alert_id, " ").status_code == 400  # a note is needed
    done = _resolve(client, alert_id, "Phoned; duplex scan negative, carry on.")
    assert done.status_code == 303
    after = client.get("/staff/patients").text
    assert "data-open-alerts" not in after.split("</nav>")[0]
    assert "data-red-flags" not in after
    client.cookies.clear()
    login(client, PATIENT.email, PATIENT.password)
    main = _main(client.get("/my/today").text)
    assert "Your exercises are paused" not in main
    assert "Today's exercises" in main
    assert "Start guided session" in main
    assert client.get("/api/me/today").json()["paused"] is False
    started = client.post("/api/me/sessions", json={"pain_before": 2})
    assert started.status_code == 201, started.text


def test_a_red_flag_after_a_guided_session_pauses_the_programme_too(
    client: TestClient, db: Session, kb: Knowledge
) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id)
    login(client, PATIENT.email, PATIENT.password)
    started = client.post("/api/me/sessions", json={"pain_before": 2})
    assert started.status_code == 201
    token = csrf_from(client, "/my/today")
    finished = client.post(
        f"/my/session/{started.json()['id']}/finish",
        data={"csrf_token": token, "pain_after": "3", "safety": "knee_locked"},
    )
    assert finished.status_code == 200
    main = _main(client.get("/my/today").text)
    assert main.index("See a doctor within the next few days") < main.index(
        "Your exercises are paused"
    )
    assert "Start guided session" not in main
    assert client.post("/api/me/sessions", json={"pain_before": 2}).status_code == 409
