"""Outcome pages through the real app: the person's questionnaire, result and Today card; the
clinician's outcomes, alerts, range of motion, paper forms, discharge and its PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.accounts.models import Clinic, User
from popliteal.accounts.service import actor_for
from popliteal.alerts.models import OutcomeAlert
from popliteal.demo import CHIRO, PATIENT
from popliteal.outcomes import questionnaires
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.outcomes.schemas import QuestionnaireCreate
from tests.accounts.factories import PASSWORD
from tests.conftest import csrf_from, login
from tests.running.factories import Records, demo_records, neighbour_patient, other_clinic
from tests.sessions.factories import add_plan_records

LEFS_ITEMS = [f"L{i}" for i in range(1, 21)]


def with_plan(db: Session, kb: Any, target: Records | None = None) -> Records:
    """The demo patient (or `target`) with a care plan for a hamstring strain: LEFS and NPRS."""
    rec = target or demo_records(db)
    clinic = db.get(Clinic, rec.clinic_id)
    assert clinic is not None
    add_plan_records(
        db, clinic=clinic, patient_id=rec.patient_id, staff_id=rec.staff_user_id, kb=kb
    )
    db.commit()
    return rec


def lefs(value: int) -> dict[str, str]:
    return {f"item_{i}": str(value) for i in LEFS_ITEMS}


def submit_as(
    db: Session,
    kb: Any,
    *,
    email: str,
    patient_id: int,
    instrument: str,
    answers: dict[str, Any],
    days_ago: int = 0,
    safety: dict[str, bool] | None = None,
) -> int:
    """Store a response through the service, dated `days_ago` (arranging history)."""
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    actor = actor_for(db, user)
    result = questionnaires.submit_response(
        db,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        body=QuestionnaireCreate(instrument=instrument, answers=answers, safety=safety),
        now=datetime.now(UTC) - timedelta(days=days_ago),
    )
    db.rollback()
    return result.response.id


def patient_client(client: TestClient) -> TestClient:
    login(client, PATIENT.email, PATIENT.password)
    return client


def post_form(client: TestClient, page: str, action: str, data: dict[str, Any]) -> Any:
    token = csrf_from(client, page)
    return client.post(action, data={"csrf_token": token, **data})


# ------------------------------------------------------------------ the person


def test_today_lists_due_questionnaires_with_links(
    client: TestClient, db: Session, kb: Any
) -> None:
    with_plan(db, kb)
    page = patient_client(client).get("/my/today")
    assert page.status_code == 200
    card = page.text.split('id="questionnaires-due-h"')[1].split("</section>")[0]
    assert 'href="/my/questionnaires/lefs"' in card
    assert 'href="/my/questionnaires/nprs"' in card
    assert "Lower Extremity Functional Scale" in card
    assert "how easy or hard everyday tasks are" in card  # what it is for, in a line
    assert "LEFS" not in card  # no acronyms for the person
    assert "NPRS" not in card


def test_no_care_no_questionnaire_card(client: TestClient) -> None:
    page = patient_client(client).get("/my/today")
    assert page.status_code == 200
    assert "Questionnaires due" not in page.text


def test_form_asks_the_safety_checklist_first_then_one_row_per_item(
    client: TestClient, kb: Any
) -> None:
    page = patient_client(client).get("/my/questionnaires/lefs")
    assert page.status_code == 200
    html = page.text
    assert html.index('name="safety"') < html.index('name="item_L1"')
    for item in kb.followup.safety_checklist.items:
        assert f'value="{item.id}"' in html
    for i in LEFS_ITEMS:  # five radio answers per item, with the free wording
        assert len(re.findall(rf'name="item_{i}" value="[0-4]"', html)) == 5
    assert "Walking between rooms." in html
    assert "No difficulty" in html
    nprs = client.get("/my/questionnaires/nprs").text
    assert len(re.findall(r'name="item_pain" value="\d+"', nprs)) == 11


def test_licensed_form_shows_neutral_labels_marked_not_loaded(client: TestClient) -> None:
    html = patient_client(client).get("/my/questionnaires/koos").text
    assert "licensed wording not loaded" in html
    assert "knee swelling" in html  # our neutral label for S1
    assert len(re.findall(r'name="item_S1" value="[0-4]"', html)) == 5
    assert "(S1)" not in html  # item ids are for the clinician's paper-form entry only
    h1 = html.split("<h1>")[1].split("</h1>")[0]
    assert h1 == "Knee Injury and Osteoarthritis Outcome Score"
    # 42 questions come in parts, one per scale, so a phone is not one endless scroll.
    parts = re.findall(r'<h3 class="questionnaire-part">([^<]+)</h3>', html)
    assert parts[0] == "Part 1 of 5: Symptoms"
    assert "Part 3 of 5: Function in daily living" in parts
    assert "KOOS" not in html.split("<main")[1].split("data-marker=")[0]


def test_unknown_instrument_is_404(client: TestClient) -> None:
    patient_client(client)
    assert client.get("/my/questionnaires/sf36").status_code == 404
    token = csrf_from(client, "/my/questionnaires/lefs")
    assert client.post("/my/questionnaires/sf36", data={"csrf_token": token}).status_code == 404


def test_missing_and_bad_answers_come_back_with_messages_and_kept_answers(
    client: TestClient, db: Session, kb: Any
) -> None:
    rec = with_plan(db, kb)
    patient_client(client)
    data = lefs(3)
    del data["item_L7"]
    data["item_L9"] = "7"
    data["safety"] = ""  # nothing ticked
    page = post_form(client, "/my/questionnaires/lefs", "/my/questionnaires/lefs", data)
    assert page.status_code == 400
    assert "Question 9 (heavy activities at home): choose one of the answers." in page.text
    assert "question 7" in page.text.lower()
    assert 'name="item_L1" value="3" checked' in page.text  # kept
    db.expire_all()
    stored = db.scalars(
        select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == rec.patient_id)
    ).all()
    assert stored == []


def test_answers_give_scores_and_the_change_since_baseline(
    client: TestClient, db: Session, kb: Any
) -> None:
    rec = with_plan(db, kb)
    submit_as(
        db,
        kb,
        email=PATIENT.email,
        patient_id=rec.patient_id,
        instrument="lefs",
        answers={i: 2 for i in LEFS_ITEMS},
        days_ago=14,
    )
    patient_client(client)
    sent = post_form(client, "/my/questionnaires/lefs", "/my/questionnaires/lefs", lefs(3))
    assert sent.status_code == 303
    result = client.get(sent.headers["location"])
    assert result.status_code == 200
    html = result.text
    row = html.split('data-scale="total"')[1].split("</tr>")[0]
    assert "<strong>60.0</strong>" in row  # 20 x 3
    assert "improved" in row  # +20 from 40.0, MCID 9
    assert "+20.0 from 40.0" in row
    assert "big enough to matter" in row
    assert "Get emergency care now" not in html
    main = html.split("<main")[1]
    assert "Your scores: Lower Extremity Functional Scale" in main
    for jargon in ("LEFS", "MCID", "(0-80)"):
        assert jargon not in main, jargon


def test_first_answer_has_no_verdict(client: TestClient, db: Session, kb: Any) -> None:
    with_plan(db, kb)
    patient_client(client)
    sent = post_form(
        client, "/my/questionnaires/nprs", "/my/questionnaires/nprs", {"item_pain": "4"}
    )
    html = client.get(sent.headers["location"]).text
    assert "<strong>4.0</strong>" in html
    assert "your first score" in html
    assert "improved" not in html
    assert "worse" not in html


def test_a_safety_answer_shows_the_urgency_first_and_alerts_the_clinic(
    client: TestClient, db: Session, kb: Any
) -> None:
    rec = with_plan(db, kb)
    patient_client(client)
    sent = post_form(
        client,
        "/my/questionnaires/lefs",
        "/my/questionnaires/lefs",
        {**lefs(3), "safety": "new_calf_swelling"},
    )
    assert sent.status_code == 303
    html = client.get(sent.headers["location"]).text
    main = html.split('<main id="main"')[1]
    assert main.index('role="alert"') < main.index("Get emergency care now")
    assert "Swollen calf or leg" in main
    # nothing that suggests waiting: no score, no "next questionnaire", no verdict
    assert "60.0" not in main
    assert "Still to answer" not in main
    assert "improved" not in main
    alerts = db.scalars(select(OutcomeAlert).where(OutcomeAlert.patient_id == rec.patient_id)).all()
    assert [(a.kind, a.urgency) for a in alerts] == [("red_flag", "emergency")]
    alert_id = alerts[0].id
    db.rollback()
    client.cookies.clear()
    login(client, CHIRO.email, CHIRO.password)
    listing = client.get("/staff/patients").text
    first_row = listing.split("<tbody>")[1].split("</tr>")[0]
    assert f"/staff/patients/{rec.patient_id}" in first_row
    assert f'data-alert="{alert_id}"' in first_row
    assert "Emergency" in first_row


def test_a_safety_answer_with_refused_answers_still_escalates(
    client: TestClient, db: Session, kb: Any
) -> None:
    rec = with_plan(db, kb)
    patient_client(client)
    page = post_form(
        client,
        "/my/questionnaires/lefs",
        "/my/questionnaires/lefs",
        {"item_L1": "2", "safety": "knee_locked"},
    )
    assert page.status_code == 200
    assert "See a doctor within the next few days" in page.text
    assert "Locked knee" in page.text
    assert "were not saved" in page.text
    db.expire_all()
    assert db.scalars(
        select(OutcomeAlert.rule_id).where(OutcomeAlert.patient_id == rec.patient_id)
    ).all() == ["rf_locked_knee"]
    assert (
        db.scalars(
            select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == rec.patient_id)
        ).all()
        == []
    )


def test_progress_shows_the_outcome_charts(client: TestClient, db: Session, kb: Any) -> None:
    rec = with_plan(db, kb)
    for days_ago, value in ((28, 1), (14, 2), (0, 3)):
        submit_as(
            db,
            kb,
            email=PATIENT.email,
            patient_id=rec.patient_id,
            instrument="lefs",
            answers={i: value for i in LEFS_ITEMS},
            days_ago=days_ago,
        )
    html = patient_client(client).get("/my/progress").text
    assert 'id="my-lefs-total"' in html  # the LEFS panel
    assert 'class="mcid-band"' in html
    assert "<td>60</td>" in html or "<td>60.0</td>" in html or ">60</td>" in html
    assert 'id="my-pain"' in html  # the session pain of the plan's finished session
    main = html.split("<main")[1]
    assert "Your Lower Extremity Functional Scale scores over time" in main
    for jargon in ("LEFS", "MCID"):
        assert jargon not in main, jargon


def test_patient_can_not_see_another_persons_result(
    client: TestClient, db: Session, kb: Any
) -> None:
    neighbour = with_plan(db, kb, neighbour_patient(db, kb))
    theirs = submit_as(
        db,
        kb,
        email=CHIRO.email,
        patient_id=neighbour.patient_id,
        instrument="nprs",
        answers={"pain": 5},
    )
    patient_client(client)
    assert client.get(f"/my/questionnaires/results/{theirs}").status_code == 404


# ------------------------------------------------------------------ the clinician


def staff_client(client: TestClient) -> TestClient:
    login(client, CHIRO.email, CHIRO.password)
    return client


def test_clinician_outcomes_page_has_charts_scores_and_alerts(
    client: TestClient, db: Session, kb: Any
) -> None:
    rec = with_plan(db, kb)
    for days_ago, value in ((28, 1), (0, 3)):
        submit_as(
            db,
            kb,
            email=PATIENT.email,
            patient_id=rec.patient_id,
            instrument="lefs",
            answers={i: value for i in LEFS_ITEMS},
            days_ago=days_ago,
        )
    submit_as(
        db,
        kb,
        email=PATIENT.email,
        patient_id=rec.patient_id,
        instrument="nprs",
        answers={"pain": 6},
        safety={"fever": True},
    )
    html = staff_client(client).get(f"/staff/patients/{rec.patient_id}/outcomes").text
    assert html.count("<svg") >= 3  # LEFS panel, pain, adherence
    rows = html.split('class="score-table"')[1]
    assert "<strong>60.0</strong> (+40.0," in rows
    assert "improved" in rows
    assert "Fever with knee pain" in html.split('id="alerts-h"')[1].split("</section>")[0]
    assert 'action="/staff/alerts/' in html


def test_clinician_records_range_of_motion_and_sees_it_charted(
    client: TestClient, db: Session, kb: Any
) -> None:
    rec = with_plan(db, kb)
    staff_client(client)
    page = f"/staff/patients/{rec.patient_id}/outcomes"
    bad = post_form(
        client,
        page,
        f"{page}/range-of-motion",
        {"side": "right", "knee": "treated", "flexion_deg": "200", "extension_deg": "-5"},
    )
    assert bad.status_code == 400
    assert "Flexion:" in bad.text
    assert 'value="200"' in bad.text  # kept
    good = post_form(
        client,
        page,
        f"{page}/range-of-motion",
        {
            "side": "right",
            "knee": "treated",
            "flexion_deg": "120",
            "extension_deg": "\N{MINUS SIGN}5",
        },
    )
    assert good.status_code == 303
    html = client.get(good.headers["location"]).text
    assert "The range of motion is saved." in html
    assert 'id="staff-rom"' in html
    assert "<td>120°</td><td>-5°</td>" in html
    db.expire_all()
    stored = db.scalars(select(RangeOfMotion).where(RangeOfMotion.patient_id == rec.patient_id))
    assert [(m.side, m.flexion_deg, m.extension_deg, m.affected) for m in stored] == [
        ("right", 120, -5, True)
    ]


def test_clinician_enters_a_paper_form_with_gaps_and_a_date(
    client: TestClient, db: Session, kb: Any
) -> None:
    rec = with_plan(db, kb)
    staff_client(client)
    page = f"/staff/patients/{rec.patient_id}/outcomes/questionnaires/koos"
    form = client.get(page).text
    assert 'name="completed_on"' in form
    assert "(S1)" in form
    answers = {f"item_P{i}": "1" for i in range(1, 6)}  # 5 of 9 pain items: just enough
    day = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    sent = post_form(client, page, page, {**answers, "completed_on": day})
    assert sent.status_code == 303, sent.text
    db.expire_all()
    row = db.scalar(
        select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == rec.patient_id)
    )
    assert row is not None
    assert row.local_date.isoformat() == day
    assert row.scores["scores"]["pain"] == 75.0
    assert row.scores["scores"]["symptoms"] is None
    db.rollback()
    html = client.get(sent.headers["location"]).text
    assert "a clinician (paper form)" in html
    assert "not scored (too few answers)" in html


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_paper_form_dated_out_of_range_comes_back_with_the_problem(
    client: TestClient, db: Session, kb: Any, day: str
) -> None:
    """A paper form dated 9999-12-31 or 0001-01-01 answered 500: now shown again, not saved."""
    rec = with_plan(db, kb)
    staff_client(client)
    page = f"/staff/patients/{rec.patient_id}/outcomes/questionnaires/lefs"
    sent = post_form(client, page, page, {"completed_on": day})
    assert sent.status_code == 400, sent.text
    assert "Date written on the form: enter a date from 1990-01-01 to 2100-12-31." in sent.text
    db.expire_all()
    query = select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == rec.patient_id)
    assert db.scalar(query) is None
    db.rollback()


def test_resolving_an_alert_needs_a_note(client: TestClient, db: Session, kb: Any) -> None:
    rec = with_plan(db, kb)
    submit_as(
        db,
        kb,
        email=PATIENT.email,
        patient_id=rec.patient_id,
        instrument="nprs",
        answers={"pain": 3},
        safety={"knee_locked": True},
    )
    alert = db.scalar(select(OutcomeAlert).where(OutcomeAlert.patient_id == rec.patient_id))
    assert alert is not None
    alert_id = alert.id
    db.rollback()
    staff_client(client)
    listing = client.get("/staff/alerts").text
    assert f'data-alert="{alert_id}"' in listing
    assert "Locked knee" in listing
    empty = post_form(client, "/staff/alerts", f"/staff/alerts/{alert_id}/resolve", {"note": " "})
    assert empty.status_code == 400
    assert "Say what was done" in empty.text
    done = post_form(
        client,
        "/staff/alerts",
        f"/staff/alerts/{alert_id}/resolve",
        {"note": "Phoned; seen in clinic today.", "next": "https://evil.example/"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/staff/alerts?saved=resolved"
    assert f'data-alert="{alert_id}"' not in client.get("/staff/alerts").text
    again = post_form(
        client, "/staff/alerts", f"/staff/alerts/{alert_id}/resolve", {"note": "twice"}
    )
    assert again.status_code == 409


def test_discharge_needs_a_reason_when_criteria_are_unmet_then_summary_and_pdf(
    client: TestClient, db: Session, kb: Any
) -> None:
    rec = with_plan(db, kb)
    for days_ago, value in ((28, 2), (0, 4)):
        submit_as(
            db,
            kb,
            email=CHIRO.email,
            patient_id=rec.patient_id,
            instrument="lefs",
            answers={i: value for i in LEFS_ITEMS},
            days_ago=days_ago,
        )
    staff_client(client)
    page = f"/staff/patients/{rec.patient_id}/discharge"
    html = client.get(page).text
    assert 'data-criterion="pain_free"' in html
    assert "✓ Met" in html.split('data-criterion="outcome_goal"')[1].split("</tr>")[0]  # 80
    assert "? Unknown" in html.split('data-criterion="full_range_of_motion"')[1]
    refused = post_form(client, page, page, {"note": "Done."})
    assert refused.status_code == 400
    assert "Full range of motion: unknown" in refused.text
    assert "Give a reason to discharge anyway." in refused.text
    done = post_form(
        client, page, page, {"note": "Back to work.", "override_reason": "Moved away."}
    )
    assert done.status_code == 303
    summary = client.get(done.headers["location"]).text
    assert "Discharged on" in summary
    assert "Moved away." in summary
    assert "+40.0" in summary  # LEFS 40 -> 80
    db.expire_all()
    assert db.scalar(select(Discharge.overridden).where(Discharge.patient_id == rec.patient_id))
    db.rollback()
    pdf = client.get(f"{page}/summary.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (make pdf-test-deps)")
    text = pdf_text(pdf.content)
    assert "Discharge summary" in text
    assert "Lower Extremity Functional Scale" in text
    assert "40.0" in text
    assert "80.0" in text
    assert "decision support, not a diagnosis" in text
    assert "Moved away." in text


def pdf_text(content: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    )
    return " ".join(done.stdout.decode().split())


def test_summary_before_discharge_is_marked_draft(client: TestClient, db: Session, kb: Any) -> None:
    rec = with_plan(db, kb)
    html = staff_client(client).get(f"/staff/patients/{rec.patient_id}/discharge/summary").text
    assert "Draft: not discharged yet." in html


@pytest.mark.parametrize(
    "path",
    [
        "/staff/patients/{id}/outcomes",
        "/staff/patients/{id}/outcomes/questionnaires/lefs",
        "/staff/patients/{id}/discharge",
        "/staff/patients/{id}/discharge/summary",
        "/staff/patients/{id}/discharge/summary.pdf",
    ],
)
def test_clinician_of_another_clinic_gets_404(
    client: TestClient, db: Session, kb: Any, path: str
) -> None:
    rec = with_plan(db, kb)
    _, email = other_clinic(db, kb)
    login(client, email, PASSWORD)
    response = client.get(path.format(id=rec.patient_id))
    assert response.status_code == 404
    assert PATIENT.email not in response.text


def test_another_clinics_clinician_can_not_resolve_this_clinics_alert(
    client: TestClient, db: Session, kb: Any
) -> None:
    rec = with_plan(db, kb)
    submit_as(
        db,
        kb,
        email=PATIENT.email,
        patient_id=rec.patient_id,
        instrument="nprs",
        answers={"pain": 3},
        safety={"fever": True},
    )
    alert_id = db.scalar(select(OutcomeAlert.id).where(OutcomeAlert.patient_id == rec.patient_id))
    db.rollback()
    _, email = other_clinic(db, kb)
    login(client, email, PASSWORD)
    token = csrf_from(client, "/staff/alerts")
    refused = client.post(
        f"/staff/alerts/{alert_id}/resolve", data={"csrf_token": token, "note": "mine"}
    )
    assert refused.status_code == 404
    assert "Fever" not in client.get("/staff/alerts").text
    db.expire_all()
    assert db.scalar(select(OutcomeAlert.resolved_at).where(OutcomeAlert.id == alert_id)) is None


def test_patient_page_has_the_outcomes_card(client: TestClient, db: Session, kb: Any) -> None:
    rec = with_plan(db, kb)
    submit_as(
        db,
        kb,
        email=PATIENT.email,
        patient_id=rec.patient_id,
        instrument="lefs",
        answers={i: 2 for i in LEFS_ITEMS},
    )
    html = staff_client(client).get(f"/staff/patients/{rec.patient_id}").text
    card = html.split('id="outcomes-h"')[1].split("</section>")[0]
    assert "LEFS" in card
    assert "<strong>40.0</strong>" in card
    assert "Questionnaire due: NPRS" in card
    assert f'href="/staff/patients/{rec.patient_id}/outcomes"' in card


def test_patient_list_says_questionnaire_due(client: TestClient, db: Session, kb: Any) -> None:
    rec = with_plan(db, kb)
    html = staff_client(client).get("/staff/patients").text
    row = html.split(f'href="/staff/patients/{rec.patient_id}"')[1].split("</tr>")[0]
    assert "Questionnaire due" in row
    assert "LEFS, NPRS" in row


def test_pdf_has_no_remote_resources(tmp_path: Path) -> None:
    """The summary's HTML loads nothing; the PDF renders without the network."""
    from popliteal.outcomes import discharge_pdf

    html = discharge_pdf.render_html(
        {
            "patient_name": "A B",
            "patient_id": 1,
            "date_of_birth": "",
            "clinic_title": "C",
            "clinic_phone": "",
            "clinic_address": "",
            "draft": True,
            "discharged_on": "",
            "discharged_by": "",
            "note": "",
            "overridden": False,
            "override_reason": "",
            "criteria": [],
            "summary": {
                "instruments": [],
                "knees": [],
                "pain_first": None,
                "pain_last": None,
                "pain_first_on": "",
                "pain_last_on": "",
                "adherence": None,
                "sessions_done": 0,
                "care_start": "",
                "until": "",
                "main_instrument": "LEFS",
            },
            "disclaimer": "Decision support.",
            "today": "1 Jan 2026",
            "number": str,
            "status_text": {},
        }
    )
    assert "http" not in html.replace('charset="utf-8"', "")


def test_a_clinics_licensed_wording_replaces_the_labels(
    settings: Any, kb: Any, tmp_path: Path
) -> None:
    """POPLITEAL_WORDING_DIR with a KOOS file: the form shows its wording and answer labels."""
    from popliteal.server import create_app

    folder = tmp_path / "wording"
    folder.mkdir()
    shutil.copyfile(Path(__file__).parent / "koos_wording_example.yaml", folder / "koos.yaml")
    app = create_app(replace(settings, wording_dir=folder), kb=kb)
    try:
        client = TestClient(app, follow_redirects=False)
        login(client, PATIENT.email, PATIENT.password)
        html = client.get("/my/questionnaires/koos").text
        assert "Placeholder wording for item S1 (knee swelling)." in html
        assert "Placeholder instruction: answer each item about the past week." in html
        assert '<label for="item-S1-4">Placeholder 4</label>' in html
        assert "licensed wording not loaded" not in html
        client.close()
    finally:
        app.state.engine.dispose()


def test_a_broken_wording_file_falls_back_to_the_labels_and_is_logged(
    settings: Any, kb: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """create_app refuses a broken folder (test_wording.py); should the pages meet one all
    the same, they show the labels, never a half-loaded form."""
    from popliteal.server import create_app

    folder = tmp_path / "wording"
    folder.mkdir()
    (folder / "koos.yaml").write_text("instrument: koos\nitems: {S1: {text: only one}}\n")
    app = create_app(settings, kb=kb)
    app.state.settings = replace(settings, wording_dir=folder)
    del app.state.outcome_wording  # as if the start-up check had not run
    try:
        client = TestClient(app, follow_redirects=False)
        login(client, PATIENT.email, PATIENT.password)
        html = client.get("/my/questionnaires/koos").text
        assert "licensed wording not loaded" in html
        assert "only one" not in html
        assert "questionnaire wording not loaded" in caplog.text
        assert "items missing" in caplog.text
        client.close()
    finally:
        app.state.engine.dispose()


def test_pages_without_any_outcome_data_say_so(client: TestClient, db: Session) -> None:
    rec = demo_records(db)
    patient_client(client)
    progress = client.get("/my/progress")
    assert progress.status_code == 200
    assert "No pain scores yet." in progress.text
    client.cookies.clear()
    staff_client(client)
    html = client.get(f"/staff/patients/{rec.patient_id}/outcomes").text
    assert "No valid KOOS score yet." in html  # KOOS: the clinic's main questionnaire
    assert "No pain scores yet." in html
    assert "Not measured yet." in html
    assert "Nothing was due yet." in html
    assert "No open alerts." in html
    assert "<svg" not in html
    discharge = client.get(f"/staff/patients/{rec.patient_id}/discharge")
    assert discharge.status_code == 200
    assert discharge.text.count("? Unknown") == 4
