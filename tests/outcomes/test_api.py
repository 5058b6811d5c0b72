"""The outcomes JSON API as a person, their clinician and strangers use it (real time)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.accounts.models import Clinic
from popliteal.alerts.models import OutcomeAlert
from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes.models import QuestionnaireResponse
from tests.accounts.factories import PASSWORD
from tests.conftest import csrf_from, login
from tests.plans.factories import add_care_plan
from tests.running import factories as f
from tests.running.factories import other_clinic


def setup(db: Session, kb: Knowledge, *, plan_days_ago: int | None = 3) -> tuple[int, date]:
    """The demo patient's id and the clinic's today; with a care plan saved days ago."""
    patient = f.demo_patient(db)
    pid = patient.id
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    today = f.clinic_today(db, clinic.id)
    if plan_days_ago is not None:
        add_care_plan(
            db,
            clinic=clinic,
            patient_id=pid,
            staff_id=f.user(db, CHIRO.email).id,
            kb=kb,
            starts_on=today - timedelta(days=plan_days_ago),
        )
        db.commit()
    return pid, today


def lefs(value: int) -> dict[str, int]:
    return {f"L{i}": value for i in range(1, 21)}


@pytest.mark.postgres
def test_a_person_answers_a_questionnaire_and_sees_scores_history_and_what_is_due(
    client: Any, db: Session, kb: Knowledge
) -> None:
    pid, today = setup(db, kb)
    login(client, PATIENT.email, PATIENT.password)
    before = client.get("/api/me/outcomes").json()
    assert [(d["instrument"], d["occasion"]) for d in before["due"]] == [
        ("koos", "baseline"),
        ("nprs", "baseline"),
    ]
    assert before["safety_checklist"][0]["id"] == "new_calf_swelling"
    sent = client.post(
        "/api/me/questionnaires",
        json={"instrument": "nprs", "answers": {"pain": 6}, "safety": {"fever": False}},
    )
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["response"]["scores"] == {"pain": 6.0}
    assert body["response"]["occasion"] == "baseline"
    assert body["red_flags"] == []
    assert [d["instrument"] for d in body["due"]] == ["koos"]
    view = client.get("/api/me/outcomes").json()
    assert view["patient_id"] == pid
    assert [r["instrument"] for r in view["responses"]] == ["nprs"]
    assert view["history"][0]["points"][0]["scores"] == {"pain": 6.0}
    assert view["baseline_on"] == (today - timedelta(days=3)).isoformat()


def test_bad_answers_get_a_problems_list_and_a_ticked_red_flag_still_reaches_the_clinic(
    app: Any, client: Any, db: Session, kb: Knowledge
) -> None:
    pid, _ = setup(db, kb, plan_days_ago=None)
    login(client, PATIENT.email, PATIENT.password)
    refused = client.post(
        "/api/me/questionnaires",
        json={
            "instrument": "lefs",
            "answers": {**lefs(3), "L7": 9, "L21": 1},
            "safety": {"new_calf_swelling": True},
        },
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["detail"] == ["answers: L7: 9 is out of range 0-4", "answers: unknown item 'L21'"]
    (flag,) = body["red_flags"]
    assert (flag["id"], flag["urgency"]) == ("rf_unexplained_leg_swelling", "emergency")
    assert "blood clot" in flag["patient_message"]  # why; what to do is the level's message
    db.expire_all()
    assert db.scalars(select(QuestionnaireResponse)).all() == []
    db.rollback()
    with TestClient(app, follow_redirects=False) as staff:
        login(staff, CHIRO.email, CHIRO.password)
        listed = staff.get("/api/alerts").json()
        assert [(a["patient_id"], a["kind"], a["urgency"]) for a in listed] == [
            (pid, "red_flag", "emergency")
        ]
        assert listed[0]["patient_name"]
    # an unknown instrument or a missing answers object is refused before the service
    assert (
        client.post(
            "/api/me/questionnaires", json={"instrument": "sf36", "answers": {}}
        ).status_code
        == 422
    )
    assert client.post("/api/me/questionnaires", json={"instrument": "nprs"}).status_code == 422


def test_a_red_flag_answer_is_shown_at_once_and_opens_one_alert(
    client: Any, db: Session, kb: Knowledge
) -> None:
    pid, _ = setup(db, kb)
    login(client, PATIENT.email, PATIENT.password)
    for _ in range(2):
        sent = client.post(
            "/api/me/questionnaires",
            json={
                "instrument": "nprs",
                "answers": {"pain": 7},
                "safety": {"hot_swollen_knee": True},
            },
        )
        assert sent.status_code == 201, sent.text
        assert [r["id"] for r in sent.json()["red_flags"]] == ["rf_septic_arthritis"]
    db.expire_all()
    found = db.scalars(select(OutcomeAlert).where(OutcomeAlert.patient_id == pid)).all()
    assert [(a.rule_id, a.urgency) for a in found] == [("rf_septic_arthritis", "emergency")]
    db.rollback()


def test_a_session_finished_through_the_api_returns_its_red_flags(
    client: Any, db: Session, kb: Knowledge
) -> None:
    setup(db, kb, plan_days_ago=0)
    login(client, PATIENT.email, PATIENT.password)
    first = client.post("/api/me/sessions", json={"pain_before": 2}).json()
    old_client = client.post(f"/api/sessions/{first['id']}/finish", json={"pain_after": 2})
    assert old_client.status_code == 200, old_client.text
    assert old_client.json()["red_flags"] == []
    second = client.post("/api/me/sessions", json={"pain_before": 2}).json()
    finished = client.post(
        f"/api/sessions/{second['id']}/finish",
        json={"pain_after": 3, "safety": {"numbness_or_weakness_spreading": True}},
    )
    assert finished.status_code == 200, finished.text
    (flag,) = finished.json()["red_flags"]
    assert (flag["id"], flag["urgency"]) == ("rf_progressive_neuro_deficit", "emergency")


def test_the_clinician_enters_a_paper_form_records_range_of_motion_and_resolves_alerts(
    client: Any, db: Session, kb: Knowledge
) -> None:
    pid, today = setup(db, kb)
    login(client, CHIRO.email, CHIRO.password)
    paper = client.post(
        f"/api/patients/{pid}/questionnaires",
        json={
            "instrument": "lefs",
            "answers": lefs(2),
            "completed_on": (today - timedelta(days=2)).isoformat(),
            "safety": {"knee_locked": True},
        },
    )
    assert paper.status_code == 201, paper.text
    assert paper.json()["response"]["scores"] == {"total": 40.0}
    assert [r["urgency"] for r in paper.json()["red_flags"]] == ["urgent"]
    rom = client.post(
        f"/api/patients/{pid}/range-of-motion",
        json={"side": "right", "flexion_deg": 110, "extension_deg": -8},
    )
    assert rom.status_code == 201, rom.text
    impossible = client.post(
        f"/api/patients/{pid}/range-of-motion",
        json={"side": "right", "flexion_deg": 5, "extension_deg": -20},
    )
    assert impossible.status_code == 422
    assert "already bent" in impossible.text
    for year_typo in ("0001-01-01", "9999-12-31"):
        dated = client.post(
            f"/api/patients/{pid}/range-of-motion",
            json={"side": "right", "flexion_deg": 100, "measured_on": year_typo},
        )
        assert dated.status_code == 422, year_typo  # a mistyped year is refused, not charted
    assert [
        r["extension_deg"] for r in client.get(f"/api/patients/{pid}/range-of-motion").json()
    ] == [-8]
    outcomes = client.get(f"/api/patients/{pid}/outcomes").json()
    assert outcomes["responses"][0]["entered_by"] == f.user(db, CHIRO.email).id
    db.rollback()
    (alert,) = client.get("/api/alerts").json()
    assert client.post(f"/api/alerts/{alert['id']}/resolve", json={}).status_code == 422
    done = client.post(f"/api/alerts/{alert['id']}/resolve", json={"note": "Seen today."})
    assert done.status_code == 200, done.text
    assert done.json()["resolution_note"] == "Seen today."
    again = client.post(f"/api/alerts/{alert['id']}/resolve", json={"note": "Again."})
    assert again.status_code == 409
    assert client.get("/api/alerts").json() == []
    history = client.get("/api/alerts", params={"include_resolved": True, "patient_id": pid})
    assert [a["id"] for a in history.json()] == [alert["id"]]


def test_discharge_is_refused_with_the_unmet_criteria_then_overridden_with_a_reason(
    client: Any, db: Session, kb: Knowledge
) -> None:
    pid, _ = setup(db, kb)
    login(client, CHIRO.email, CHIRO.password)
    check = client.get(f"/api/patients/{pid}/discharge")
    assert check.status_code == 200
    assert check.json()["all_met"] is False
    assert [c["status"] for c in check.json()["criteria"]] == ["unknown"] * 4
    refused = client.post(f"/api/patients/{pid}/discharge", json={})
    assert refused.status_code == 422
    assert refused.json()["detail"][0].startswith("Pain-free: unknown:")
    done = client.post(
        f"/api/patients/{pid}/discharge",
        json={"override_reason": "Goals met at the last visit; scores not entered."},
    )
    assert done.status_code == 201, done.text
    assert done.json()["overridden"] is True
    again = client.get(f"/api/patients/{pid}/discharge").json()
    assert again["discharged_on"] == done.json()["discharged_on"]


def test_people_reach_only_their_own_outcomes(app: Any, db: Session, kb: Knowledge) -> None:
    pid, _ = setup(db, kb)
    other, other_email = other_clinic(db, kb)
    with TestClient(app, follow_redirects=False) as person:
        login(person, PATIENT.email, PATIENT.password)
        for path in (
            f"/api/patients/{pid}/outcomes",
            f"/api/patients/{pid}/discharge",
            f"/api/patients/{pid}/range-of-motion",
            "/api/alerts",
        ):
            assert person.get(path).status_code == 403, path
        assert (
            person.post(
                f"/api/patients/{other.patient_id}/questionnaires",
                json={"instrument": "nprs", "answers": {"pain": 1}},
            ).status_code
            == 403
        )
    with TestClient(app, follow_redirects=False) as stranger:
        login(stranger, other_email, PASSWORD)
        assert stranger.get(f"/api/patients/{pid}/outcomes").status_code == 404
        assert (
            stranger.post(
                f"/api/patients/{pid}/questionnaires",
                json={"instrument": "nprs", "answers": {"pain": 1}},
            ).status_code
            == 404
        )
        assert (
            stranger.post(
                f"/api/patients/{pid}/discharge", json={"override_reason": "x"}
            ).status_code
            == 404
        )
        assert stranger.get("/api/alerts", params={"patient_id": pid}).status_code == 404
        assert stranger.get("/api/me/outcomes").status_code == 403
    with TestClient(app, follow_redirects=False) as anonymous:
        assert anonymous.get("/api/me/outcomes").status_code == 401
        assert anonymous.get("/api/alerts").status_code == 401
    db.expire_all()
    assert db.scalars(select(QuestionnaireResponse)).all() == []
    db.rollback()


def test_the_admin_sets_the_follow_up_interval_and_instrument_on_the_settings_page(
    client: Any, db: Session
) -> None:
    login(client, ADMIN.email, ADMIN.password)
    token = csrf_from(client, "/staff/admin")
    page = client.get("/staff/admin").text
    assert 'name="followup_interval_days"' in page
    assert 'value="14"' in page
    form = {
        "csrf_token": token,
        "name": "Demo",
        "timezone": "America/Chicago",
        "cancel_notice_hours": "24",
        "min_booking_notice_hours": "2",
        "booking_horizon_days": "60",
    }
    bad = client.post("/staff/admin", data={**form, "followup_interval_days": "60"})
    assert bad.status_code == 400
    assert "followup_interval_days: expected 7 to 56 days" in bad.text
    saved = client.post(
        "/staff/admin",
        data={**form, "followup_interval_days": "21", "preferred_instrument": "lefs"},
    )
    assert saved.status_code == 303
    db.expire_all()
    clinic = db.scalars(select(Clinic).order_by(Clinic.id)).first()
    assert clinic is not None
    assert (clinic.followup_interval_days, clinic.preferred_instrument) == (21, "lefs")
    db.rollback()
    # an older form without the fields leaves them as they are
    assert client.post("/staff/admin", data=form).status_code == 303
    db.expire_all()
    clinic = db.scalars(select(Clinic).order_by(Clinic.id)).first()
    assert clinic is not None
    assert clinic.followup_interval_days == 21
    db.rollback()
