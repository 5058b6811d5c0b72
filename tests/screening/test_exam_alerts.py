"""Through the whole episode of care (issue 13): a red flag the clinician's exam fires opens
an alert like one from a check-in, so the person's programme pauses until a clinician resolves
it with a note; saving the exam again opens no second alert. Real app, real database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import User
from popliteal.alerts import service as alerts_service
from popliteal.alerts.models import OutcomeAlert
from popliteal.demo import CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.screening import staff_service
from tests.accounts.factories import add_patient
from tests.conftest import csrf_from, login
from tests.running.factories import demo_records
from tests.screening.factories import EMERGENCY_ANSWERS, add_screening
from tests.sessions.factories import save_demo_plan

PULSING_LUMP = {"popliteal_mass_exam": "pulsatile"}  # fires rf_pulsatile_mass (urgent)
PULSING_RULE = "rf_pulsatile_mass"


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    rule_id: str
    urgency: str | None
    source: str
    reason: str
    resolved_at: datetime | None


def _alerts(db: Session, patient_id: int) -> list[Alert]:
    """The person's alerts, read and let go (on SQLite an open read holds the write lock)."""
    db.expire_all()
    rows = [
        Alert(a.id, a.kind, a.rule_id, a.urgency, a.source, a.reason, a.resolved_at)
        for a in db.scalars(
            select(OutcomeAlert)
            .where(OutcomeAlert.patient_id == patient_id)
            .order_by(OutcomeAlert.id)
        )
    ]
    db.rollback()
    return rows


def _open(db: Session, patient_id: int) -> list[Alert]:
    return [a for a in _alerts(db, patient_id) if a.resolved_at is None]


def _save_exam(client: TestClient, patient_id: int, findings: dict[str, str]) -> None:
    url = f"/staff/patients/{patient_id}/exam"
    saved = client.post(url, data={"csrf_token": csrf_from(client, url), **findings})
    assert saved.status_code == 303, saved.text


def _as(client: TestClient, email: str, password: str) -> TestClient:
    client.cookies.clear()
    login(client, email, password)
    return client


def _patient_row(listing: str, patient_id: int) -> str:
    rows = listing.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    return next(r for r in rows if f'href="/staff/patients/{patient_id}"' in r)


def test_an_exam_red_flag_pauses_the_programme_until_the_alert_is_resolved(
    client: TestClient, db: Session, kb: Knowledge
) -> None:
    patient_id = demo_records(db).patient_id
    save_demo_plan(db, kb, patient_id)
    _as(client, CHIRO.email, CHIRO.password)
    _save_exam(client, patient_id, PULSING_LUMP)

    [alert] = _open(db, patient_id)
    assert (alert.kind, alert.rule_id, alert.urgency, alert.source) == (
        "red_flag",
        PULSING_RULE,
        "urgent",
        "exam",
    )
    assert "clinician's exam" in alert.reason
    # the patient list and the Alerts link show it
    listing = client.get("/staff/patients").text
    row = _patient_row(listing, patient_id)
    assert "Urgent" in row
    assert "A lump or a strong pulse behind the knee" in row
    assert f'data-alert="{alert.id}"' in row
    assert 'data-open-alerts="1"' in listing.split("</nav>")[0]
    assert "at the clinician\u2019s exam" in client.get("/staff/alerts").text  # its origin
    # saving the exam again opens no second alert
    _save_exam(client, patient_id, PULSING_LUMP)
    assert [a.id for a in _open(db, patient_id)] == [alert.id]
    # nobody can start a session while it is open
    refused = client.post(f"/api/patients/{patient_id}/sessions", json={"pain_before": 2})
    assert refused.status_code == 409
    assert "resolve the alert" in refused.json()["detail"]
    _as(client, PATIENT.email, PATIENT.password)
    assert "Your exercises are paused" in client.get("/my/today").text
    assert client.post("/api/me/sessions", json={"pain_before": 2}).status_code == 409

    # a clinician resolves it with a note; saving the same exam again does not reopen it
    _as(client, CHIRO.email, CHIRO.password)
    token = csrf_from(client, "/staff/alerts")
    done = client.post(
        f"/staff/alerts/{alert.id}/resolve",
        data={"csrf_token": token, "note": "Duplex booked today; exercises may go on."},
    )
    assert done.status_code == 303
    _save_exam(client, patient_id, {**PULSING_LUMP, "abi": "1.1"})
    assert _open(db, patient_id) == []
    assert len(_alerts(db, patient_id)) == 1
    assert "data-open-alerts" not in client.get("/staff/patients").text.split("</nav>")[0]
    _as(client, PATIENT.email, PATIENT.password)
    assert "Your exercises are paused" not in client.get("/my/today").text
    started = client.post("/api/me/sessions", json={"pain_before": 2})
    assert started.status_code == 201, started.text


@pytest.mark.postgres
def test_the_exam_api_opens_the_alert_too_and_a_surgical_consult_opens_none(
    client: TestClient, db: Session
) -> None:
    patient_id = demo_records(db).patient_id
    _as(client, CHIRO.email, CHIRO.password)
    api = f"/api/patients/{patient_id}/exam"
    calm = client.post(
        api, json={"answers": {"posterior_drawer": "grade_3", "posterior_sag": True}}
    )
    assert calm.status_code == 201, calm.text
    assert calm.json()["urgency"] == "surgical_consult"
    assert _alerts(db, patient_id) == []
    flagged = client.post(api, json={"answers": {"popliteal_mass_exam": "pulsatile"}})
    assert flagged.status_code == 201, flagged.text
    assert [(a.rule_id, a.source) for a in _open(db, patient_id)] == [(PULSING_RULE, "exam")]
    listed = {p["id"]: p for p in client.get("/api/patients").json()}
    assert listed[patient_id]["urgency"] == "urgent"


def test_a_first_exam_that_still_fires_the_persons_own_red_flag_opens_its_alert(
    db: Session, kb: Knowledge, app: Any
) -> None:
    """The person's screening reported a cold, pale foot; the first exam keeps the emergency.
    Called as the service, with the outcomes area's escalation the app hands over."""
    demo = demo_records(db)
    patient = add_patient(
        db, clinic_id=demo.clinic_id, name="Avery Urgent", email="avery@demo.popliteal.test"
    )
    add_screening(
        db, kb, clinic_id=demo.clinic_id, patient_id=patient.id, answers=EMERGENCY_ANSWERS
    )
    db.commit()
    chiro = db.scalar(select(User).where(User.email == CHIRO.email))
    assert chiro is not None
    actor = accounts_service.actor_for(db, chiro)
    assert app.state.escalate_exam is alerts_service.escalate_exam
    for _ in range(2):
        staff_service.record_exam(
            db,
            kb=kb,
            actor=actor,
            patient_id=patient.id,
            raw_answers={"lachman_positive": False},
            escalate=alerts_service.escalate_exam,
        )
    [alert] = _open(db, patient.id)
    assert (alert.rule_id, alert.urgency) == ("rf_limb_ischaemia", "emergency")
    assert [f.id for f in alerts_service.open_red_flags(db, patient_id=patient.id)] == [
        "rf_limb_ischaemia"
    ]
    db.rollback()
