"""The plans and sessions JSON API: drafts, versions, sessions, pain, suggestions, notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.plans.rules import DraftRequest, draft_plan, draft_to_json
from popliteal.sessions.models import PainLog, SessionLog, VisitNote
from tests.conftest import login
from tests.running.factories import demo_records


def draft_body(kb: Knowledge, condition: str = "hamstring_strain", pain: int = 4) -> dict[str, Any]:
    draft = draft_plan(kb, DraftRequest(condition=condition, pain=pain))
    return {
        "condition": condition,
        "phase": draft.phase,
        "pain": pain,
        "exercises": [
            {k: v for k, v in p.as_record().items() if k not in ("id", "name")}
            | {"exercise_id": p.exercise_id}
            for p in draft.exercises
        ],
        "treatments": [t["id"] for t in draft.treatments],
        "activity_limits": [
            {"id": lim["id"], "text": lim["text"]} for lim in draft.activity_limits
        ],
    }


def counts(db: Session) -> tuple[int, ...]:
    db.expire_all()
    found = tuple(
        db.scalar(select(func.count()).select_from(m)) or 0
        for m in (CarePlan, CarePlanVersion, SessionLog, PainLog, VisitNote)
    )
    db.rollback()
    return found


def test_draft_endpoint_is_the_cli_contract_and_clinician_only(client: Any, kb: Knowledge) -> None:
    assert client.get("/api/plans/draft?condition=pcl_injury").status_code == 401
    login(client, ADMIN.email, ADMIN.password)
    got = client.get("/api/plans/draft?condition=pcl_injury&pain=3&equipment=band,step")
    assert got.status_code == 200
    want = draft_to_json(
        draft_plan(
            kb, DraftRequest(condition="pcl_injury", pain=3, equipment=frozenset({"band", "step"}))
        )
    )
    assert got.json() == want
    assert client.get("/api/plans/draft?condition=dvt").json() == {
        "condition": "dvt",
        "referral": "emergency",
        "exercises": [],
    }
    bad = client.get("/api/plans/draft?condition=pcl_injury&equipment=jetpack")
    assert bad.status_code == 422
    assert "jetpack" in bad.text


@pytest.mark.postgres
def test_saving_versions_keeps_history_and_the_person_sees_the_current_one(
    client: Any, app: Any, db: Session, kb: Knowledge
) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    body = draft_body(kb)
    first = client.post(f"/api/patients/{patient_id}/plan", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["number"] == 1
    body["exercises"] = body["exercises"][:-1]
    body["exercises"][0]["sets"] = 1
    body["change_summary"] = "Fewer exercises while the knee settles"
    second = client.post(f"/api/patients/{patient_id}/plan", json=body)
    assert second.json()["number"] == 2
    history = client.get(f"/api/patients/{patient_id}/plan/versions").json()
    assert [v["number"] for v in history] == [2, 1]
    assert history[0]["change_summary"] == "Fewer exercises while the knee settles"
    old = client.get(f"/api/patients/{patient_id}/plan/versions/1").json()
    assert len(old["exercises"]) == len(body["exercises"]) + 1
    assert old["is_current"] is False
    client.post("/api/auth/logout")
    login(client, PATIENT.email, PATIENT.password)
    mine = client.get("/api/me/plan").json()
    assert mine["number"] == 2
    assert mine["exercises"][0]["sets"] == 1
    assert mine["exercises"][0]["illustration_url"].endswith(".svg")
    svg = client.get(mine["exercises"][0]["illustration_url"])
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<title>" in svg.content


def test_a_contraindicated_exercise_is_refused_with_the_reason_and_nothing_saved(
    client: Any, db: Session, kb: Knowledge
) -> None:
    patient_id = demo_records(db).patient_id
    before = counts(db)
    login(client, ADMIN.email, ADMIN.password)
    body = draft_body(kb, "pcl_injury", pain=8)
    banned = next(
        ex.id
        for ex in kb.exercises.values()
        if any(
            c.condition == "pcl_injury" and body["phase"] in c.phases for c in ex.contraindications
        )
    )
    body["exercises"].append({"exercise_id": banned, "sets": 2, "reps": 8, "per_week": 3})
    refused = client.post(f"/api/patients/{patient_id}/plan", json=body)
    assert refused.status_code == 422
    assert kb.exercises[banned].name in " ".join(refused.json()["detail"])
    assert counts(db) == before


@pytest.mark.parametrize("condition", ["dvt", "popliteal_artery_aneurysm"])
def test_no_plan_can_be_saved_for_a_referral_condition(
    client: Any, db: Session, kb: Knowledge, condition: str
) -> None:
    patient_id = demo_records(db).patient_id
    before = counts(db)
    login(client, ADMIN.email, ADMIN.password)
    body = draft_body(kb) | {"condition": condition}
    refused = client.post(f"/api/patients/{patient_id}/plan", json=body)
    assert refused.status_code == 422
    assert "not an exercise plan" in refused.text
    assert counts(db) == before


@pytest.mark.postgres
def test_a_new_condition_ends_the_old_plan(client: Any, db: Session, kb: Knowledge) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    assert client.post(f"/api/patients/{patient_id}/plan", json=draft_body(kb)).status_code == 201
    other = client.post(
        f"/api/patients/{patient_id}/plan", json=draft_body(kb, "knee_osteoarthritis")
    )
    assert other.json()["number"] == 1
    db.expire_all()
    plans = db.scalars(select(CarePlan).where(CarePlan.patient_id == patient_id)).all()
    assert sorted(p.status for p in plans) == ["active", "ended"]
    db.rollback()


def test_a_guided_session_is_logged_and_counted(client: Any, db: Session, kb: Knowledge) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    client.post(f"/api/patients/{patient_id}/plan", json=draft_body(kb))
    client.post("/api/auth/logout")
    login(client, PATIENT.email, PATIENT.password)
    today = client.get("/api/me/today").json()
    assert today["due"], "a new plan has work on its first day"
    started = client.post("/api/me/sessions", json={"pain_before": 3})
    assert started.status_code == 201, started.text
    sid = started.json()["id"]
    again = client.post("/api/me/sessions", json={"pain_before": 3})
    assert again.status_code == 422
    entries = started.json()["entries"]
    for i, entry in enumerate(entries):
        done = client.post(
            f"/api/sessions/{sid}/exercises",
            json={
                "exercise_id": entry["id"],
                "sets_done": entry["sets_prescribed"],
                "hurt": i == 0,
            },
        )
        assert done.status_code == 200
    unknown = client.post(
        f"/api/sessions/{sid}/exercises", json={"exercise_id": "moonwalk", "sets_done": 1}
    )
    assert unknown.status_code == 422
    finished = client.post(f"/api/sessions/{sid}/finish", json={"pain_after": 4})
    assert finished.json()["status"] == "done"
    assert client.post(f"/api/sessions/{sid}/finish", json={"pain_after": 4}).status_code == 422
    progress = client.get("/api/me/progress").json()
    assert progress["adherence"][-1]["done_days"] == 1
    assert progress["adherence"][-1]["percent"] == 100.0
    assert progress["hurt_flags"][0]["exercise"] == entries[0]["id"]
    client.post("/api/auth/logout")
    login(client, CHIRO.email, CHIRO.password)
    seen = client.get(f"/api/patients/{patient_id}/progress").json()
    assert [s["id"] for s in seen["sessions"]] == [sid]
    assert seen["sessions"][0]["pain_before"] == 3
    assert seen["sessions"][0]["pain_after"] == 4


def test_morning_pain_is_replaced_not_doubled(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    assert client.post("/api/me/pain", json={"pain": 6}).status_code == 201
    assert client.post("/api/me/pain", json={"pain": 4}).status_code == 201
    bad = client.post("/api/me/pain", json={"pain": 11})
    assert bad.status_code == 422
    db.expire_all()
    assert db.scalars(select(PainLog.pain)).all() == [4]
    db.rollback()
    assert client.get("/api/me/today").json()["morning_pain"] == 4


def test_without_a_plan_a_session_cannot_start(client: Any, db: Session) -> None:
    before = counts(db)
    login(client, PATIENT.email, PATIENT.password)
    refused = client.post("/api/me/sessions", json={"pain_before": 2})
    assert refused.status_code == 422
    assert "no plan" in refused.json()["detail"]
    assert counts(db) == before


def test_approved_suggestions_make_the_next_version(
    client: Any, db: Session, kb: Knowledge
) -> None:
    """Hurting sessions regress; the clinician approves; the person sees the new plan."""
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    client.post(f"/api/patients/{patient_id}/plan", json=draft_body(kb, "knee_osteoarthritis", 3))
    db.expire_all()
    version = db.scalar(select(CarePlanVersion))
    assert version is not None
    first = version.exercises[0]
    clinic_id = demo_records(db).clinic_id  # (ends its own read transaction: call it first)
    version = db.scalar(select(CarePlanVersion))
    assert version is not None
    version.starts_on -= timedelta(days=3)  # the plan began three days ago
    for days_ago in (1, 2, 3):
        day = version.starts_on + timedelta(days=3 - days_ago)
        db.add(
            SessionLog(
                clinic_id=clinic_id,
                patient_id=patient_id,
                plan_version_id=version.id,
                local_date=day,
                status="done",
                pain_before=2,
                pain_after=7,
                entries=[
                    {
                        "id": first["id"],
                        "name": first["name"],
                        "sets_prescribed": 3,
                        "sets_done": 3,
                        "hurt": days_ago == 1,
                    }
                ],
            )
        )
    db.commit()
    found = client.get(f"/api/patients/{patient_id}/plan/suggestions").json()
    mine = next(s for s in found["exercises"] if s["id"] == first["id"])
    assert mine["verdict"] == "regress", mine
    approved = client.post(
        f"/api/patients/{patient_id}/plan/suggestions/approve", json={"exercise_ids": [first["id"]]}
    )
    assert approved.status_code == 201, approved.text
    assert approved.json()["number"] == 2
    assert "regress" in approved.json()["change_summary"]
    nothing = client.post(f"/api/patients/{patient_id}/plan/suggestions/approve", json={})
    assert nothing.status_code == 422


def test_visit_notes_need_a_mobilization_grade_and_one_per_visit(client: Any, db: Session) -> None:
    records = demo_records(db)
    login(client, ADMIN.email, ADMIN.password)
    url = f"/api/patients/{records.patient_id}/visit-notes"
    note = {
        "appointment_id": records.appointment_id,
        "subjective": "Pain 4/10 after runs.",
        "objective": "Knee flexion 120 degrees.",
        "treatments": [{"id": "joint_mobilization"}],
        "pain": 4,
    }
    missing = client.post(url, json=note)
    assert missing.status_code == 422
    assert "grade" in missing.text
    note["treatments"] = [{"id": "joint_mobilization", "grade": "III"}, {"id": "ice"}]
    saved = client.post(url, json=note)
    assert saved.status_code == 201, saved.text
    assert saved.json()["mode"] == "in_clinic"
    assert saved.json()["treatments"][0]["grade"] == "III"
    twice = client.post(url, json=note)
    assert twice.status_code == 422
    assert "already has a note" in twice.text
    nid = saved.json()["id"]
    client.post("/api/auth/logout")
    login(client, CHIRO.email, CHIRO.password)
    assert client.get(f"/api/visit-notes/{nid}").json()["subjective"] == "Pain 4/10 after runs."
    amend = client.put(f"/api/visit-notes/{nid}", json=note | {"plan": "Add step-ups"})
    assert amend.status_code == 422
    assert "only the clinician who wrote" in amend.text
    client.post("/api/auth/logout")
    login(client, ADMIN.email, ADMIN.password)
    ok = client.put(f"/api/visit-notes/{nid}", json=note | {"plan": "Add step-ups"})
    assert ok.json()["plan"] == "Add step-ups"
    empty = client.post(url, json={})
    assert empty.status_code == 422
    assert "empty" in empty.text
