"""The clinician workspace: patient list, patient page, exam form and working diagnosis."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Patient
from popliteal.booking.models import Appointment
from popliteal.clock import utcnow
from popliteal.demo import ADMIN, CHIRO, CLINIC_TZ, DEMO_ANSWERS, PATIENT
from popliteal.knowledge.loader import default_knowledge
from popliteal.screening import exam_layout
from popliteal.screening.answers import InvalidAnswers, parse_answers
from popliteal.screening.engine import question_text
from popliteal.screening.models import ExamFinding, Screening
from tests.accounts.factories import add_patient
from tests.conftest import csrf_from, login
from tests.running.factories import demo_records
from tests.screening.factories import EMERGENCY_ANSWERS, add_screening

PCL_EXAM = {"posterior_drawer": "grade_2", "posterior_sag": "yes"}


def text_of(page: Any) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


@pytest.fixture
def staff(client: Any) -> Any:
    login(client, ADMIN.email, ADMIN.password)
    return client


def emergency_patient(db: Session, kb: Any) -> int:
    """A second patient of the demo clinic whose latest screening fired an emergency rule."""
    demo = demo_records(db)
    patient = add_patient(
        db, clinic_id=demo.clinic_id, name="Avery Urgent", email="avery@demo.popliteal.test"
    )
    add_screening(
        db,
        kb,
        clinic_id=demo.clinic_id,
        patient_id=patient.id,
        answers={"age_years": 50, "sex": "female"},
        created_at=utcnow() - timedelta(days=3),
    )
    add_screening(
        db, kb, clinic_id=demo.clinic_id, patient_id=patient.id, answers=EMERGENCY_ANSWERS
    )
    db.commit()
    return patient.id


def test_patient_list_shows_urgency_red_flags_and_next_appointment_most_urgent_first(
    staff: Any, db: Session, kb: Any
) -> None:
    urgent_id = emergency_patient(db, kb)
    demo = demo_records(db)
    starts = db.scalar(select(Appointment.starts_at).where(Appointment.id == demo.appointment_id))
    db.rollback()
    assert starts is not None
    page = staff.get("/staff/patients")
    assert page.status_code == 200
    text = text_of(page)
    # most urgent first: the emergency patient is listed above the demo patient
    assert text.index("Avery Urgent") < text.index("Jordan Demo")
    assert "Emergency" in text  # the badge says it in words, not only in colour
    assert "Possible blocked artery (acute limb ischaemia)" in text
    assert "Conservative care" in text
    local = starts.astimezone(ZoneInfo(CLINIC_TZ)).strftime("%a %d %b %Y, %H:%M")
    assert local in text
    assert "None booked" in text  # the emergency patient has no appointment

    listed = staff.get("/api/patients").json()
    assert [p["id"] for p in listed] == [urgent_id, demo.patient_id]
    assert listed[0]["urgency"] == "emergency"
    assert [f["id"] for f in listed[0]["red_flags"]] == ["rf_limb_ischaemia"]
    assert listed[1]["next_appointment"]["starts_local"] == local
    assert listed[0]["next_appointment"] is None


@pytest.mark.postgres
def test_patient_list_search_by_name_or_email(staff: Any, db: Session, kb: Any) -> None:
    emergency_patient(db, kb)
    by_name = text_of(staff.get("/staff/patients", params={"q": "avery"}))
    assert "Avery Urgent" in by_name
    assert "Jordan Demo" not in by_name
    by_email = staff.get("/api/patients", params={"q": "PATIENT@demo"}).json()
    assert [p["email"] for p in by_email] == [PATIENT.email]
    nobody = staff.get("/staff/patients", params={"q": "100%_nobody"})
    assert "No patient matches" in text_of(nobody)


def test_patient_page_shows_screening_answers_evidence_and_appointments(
    staff: Any, db: Session, kb: Any
) -> None:
    demo = demo_records(db)
    page = staff.get(f"/staff/patients/{demo.patient_id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Jordan Demo" in text
    assert PATIENT.email in text
    assert "Free screening" in text  # the appointment
    assert "Patient screening" in text
    assert "Conservative care" in text
    assert "Overuse posterior knee pain from training-load error" in text  # top condition
    assert "LR " in text  # evidence with likelihood ratios
    # the answers given, in the clinician's wording, with readable answers
    assert "Answers given" in text
    assert question_text(kb, "pain_location", "clinician") in text
    assert exam_layout.answer_text(kb, "pain_location", "posterolateral") in text
    assert "decision support, not a diagnosis" in text
    assert f'href="/staff/patients/{demo.patient_id}/exam"' in page.text


def test_unknown_patient_is_a_friendly_404(staff: Any) -> None:
    page = staff.get("/staff/patients/999999")
    assert page.status_code == 404
    assert "Page not found" in page.text
    assert staff.get("/staff/patients/99999999999").status_code == 422
    assert staff.get("/api/patients/999999").status_code == 404


def test_exam_raises_pcl_injury_and_shows_what_changed_side_by_side(
    staff: Any, db: Session
) -> None:
    demo = demo_records(db)
    url = f"/staff/patients/{demo.patient_id}/exam"
    form = staff.get(url)
    assert form.status_code == 200
    assert "Ottawa knee rule" in form.text
    assert "Wells score" in form.text
    assert "PCL and other ligaments" in form.text
    assert "Meniscus" in form.text
    token = csrf_from(staff, url)
    saved = staff.post(url, data={"csrf_token": token, **PCL_EXAM})
    assert saved.status_code == 303
    location = saved.headers["location"]
    new_id = location.rsplit("/", 1)[-1]

    new = db.get(Screening, new_id)
    assert new is not None
    assert new.role == "clinician"
    assert new.status == "complete"
    assert new.based_on_id == demo.screening_id
    assert new.patient_id == demo.patient_id
    assert new.answers["posterior_drawer"] == "grade_2"
    assert new.answers["posterior_sag"] is True
    assert new.answers["runner"] is True  # merged with the patient's answers
    recorded = db.scalars(select(ExamFinding).where(ExamFinding.screening_id == new_id)).all()
    assert sorted((r.finding_id, r.value) for r in recorded) == [
        ("posterior_drawer", "grade_2"),
        ("posterior_sag", True),
    ]
    base = db.get(Screening, demo.screening_id)
    assert base is not None

    def p_pcl(result: dict[str, Any]) -> float:
        return next(c["probability"] for c in result["conditions"] if c["id"] == "pcl_injury")

    before, after = p_pcl(base.result), p_pcl(new.result)
    assert after > before + 0.1
    db.rollback()

    result = staff.get(location)
    assert result.status_code == 200
    text = text_of(result)
    assert "What the exam changed" in text
    row = re.search(r"Posterior cruciate ligament \(PCL\) injury ([\d.]+)% ([\d.]+)% ↑ up", text)
    assert row, text
    assert float(row.group(1)) == pytest.approx(before * 100, abs=0.06)
    assert float(row.group(2)) == pytest.approx(after * 100, abs=0.06)
    assert "Evidence the exam added" in text
    assert "Grade 2" in text
    # the patient page lists the exam too, newest first
    patient_page = text_of(staff.get(f"/staff/patients/{demo.patient_id}"))
    assert patient_page.index("Clinician exam") < patient_page.index("Patient screening")


def test_exam_that_fires_a_red_flag_shows_it_added(staff: Any, db: Session) -> None:
    demo = demo_records(db)
    url = f"/staff/patients/{demo.patient_id}/exam"
    token = csrf_from(staff, url)
    saved = staff.post(url, data={"csrf_token": token, "popliteal_mass_exam": "pulsatile"})
    assert saved.status_code == 303
    text = text_of(staff.get(saved.headers["location"]))
    assert "Red flags added by the exam" in text
    assert "A lump or a strong pulse behind the knee" in text
    assert re.search(r"Before Conservative care After Urgent \(changed\)", text), text


@pytest.mark.postgres
def test_exam_form_is_prefilled_with_earlier_exam_findings(staff: Any, db: Session) -> None:
    demo = demo_records(db)
    url = f"/staff/patients/{demo.patient_id}/exam"
    token = csrf_from(staff, url)
    staff.post(url, data={"csrf_token": token, **PCL_EXAM, "abi": "1.1"})
    again = staff.get(url).text
    assert re.search(r'<option value="grade_2" selected>', again)
    assert re.search(r'name="posterior_sag" value="yes" checked', again)
    assert re.search(r'name="abi"[^>]*value="1.1"', again)


def test_exam_validation_errors_are_shown_and_nothing_is_saved(staff: Any, db: Session) -> None:
    demo = demo_records(db)
    count = db.scalar(select(func.count()).select_from(Screening))
    db.rollback()
    url = f"/staff/patients/{demo.patient_id}/exam"
    token = csrf_from(staff, url)
    page = staff.post(
        url,
        data={
            "csrf_token": token,
            "abi": "abc",
            "meniscal_cluster_count": "9",
            "posterior_drawer": "grade_9",
            "posterior_sag": "yes",
        },
    )
    assert page.status_code == 400
    text = text_of(page)
    assert "Nothing was saved" in text
    assert "abi: expected a number (got 'abc')" in text
    assert "meniscal_cluster_count: expected a number from 0 to 5 (got 9)" in text
    assert "posterior_drawer: expected one of negative, positive_ungraded" in text
    # what was entered is kept
    assert re.search(r'name="posterior_sag" value="yes" checked', page.text)
    assert db.scalar(select(func.count()).select_from(Screening)) == count
    assert db.scalar(select(func.count()).select_from(ExamFinding)) == 0
    db.rollback()
    empty = staff.post(url, data={"csrf_token": token})
    assert empty.status_code == 400
    assert "record at least one exam finding" in empty.text


def test_api_exam_returns_the_new_result_with_before_and_after(staff: Any, db: Session) -> None:
    demo = demo_records(db)
    response = staff.post(
        f"/api/patients/{demo.patient_id}/exam",
        json={"answers": {"posterior_drawer": "grade_3", "posterior_sag": True}},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body["id"]) == 32
    assert body["based_on_id"] == demo.screening_id
    assert body["urgency_before"] == "conservative"
    assert body["urgency"] == body["urgency_after"] == "surgical_consult"
    assert "sc_pcl_grade_3" in body["red_flags_added"]
    pcl = next(c for c in body["changes"] if c["id"] == "pcl_injury")
    assert pcl["after"] > pcl["before"]
    assert pcl["delta"] == pytest.approx(pcl["after"] - pcl["before"])
    assert body["role"] == "clinician"
    record = staff.get(f"/api/patients/{demo.patient_id}").json()
    assert record["screenings"][0]["id"] == body["id"]
    assert record["appointments"][0]["id"] == demo.appointment_id


def test_api_exam_bad_answers_get_the_cli_messages(staff: Any, db: Session, kb: Any) -> None:
    demo = demo_records(db)
    bad = {"no_such_finding": True, "posterior_sag": "maybe"}
    response = staff.post(f"/api/patients/{demo.patient_id}/exam", json={"answers": bad})
    assert response.status_code == 422
    with pytest.raises(InvalidAnswers) as cli:
        parse_answers(kb, bad)
    assert response.json()["detail"] == [str(p) for p in cli.value.problems]
    assert response.json()["detail"] == [
        "no_such_finding: unknown finding id",
        "posterior_sag: expected true or false (got 'maybe')",
    ]
    patient_only = staff.post(
        f"/api/patients/{demo.patient_id}/exam", json={"answers": {"runner": True}}
    )
    assert patient_only.status_code == 422
    assert patient_only.json()["detail"] == [
        "runner: not a clinician exam finding (the patient answers it)"
    ]
    assert staff.post(f"/api/patients/{demo.patient_id}/exam", json={}).status_code == 422


def test_working_diagnosis_is_saved_with_who_and_when_and_shown(staff: Any, db: Session) -> None:
    demo = demo_records(db)
    url = f"/staff/patients/{demo.patient_id}"
    token = csrf_from(staff, url)
    saved = staff.post(
        f"{url}/diagnosis",
        data={"csrf_token": token, "condition": "pcl_injury", "note": "Dashboard injury 2019"},
    )
    assert saved.status_code == 303
    patient = db.get(Patient, demo.patient_id)
    assert patient is not None
    assert patient.working_diagnosis == "pcl_injury"
    assert patient.working_diagnosis_note == "Dashboard injury 2019"
    assert patient.working_diagnosis_at is not None
    assert utcnow() - patient.working_diagnosis_at < timedelta(minutes=1)
    db.rollback()
    page = text_of(staff.get(saved.headers["location"]))
    assert "Working diagnosis saved" in page
    assert "Dashboard injury 2019" in page
    assert "Last changed by Alex Rivera, PT, DPT" in page
    listed = text_of(staff.get("/staff/patients"))
    assert "Posterior cruciate ligament (PCL) injury" in listed

    bad = staff.post(f"{url}/diagnosis", data={"csrf_token": token, "condition": "gout"})
    assert bad.status_code == 400
    assert "unknown condition 'gout'" in text_of(bad)
    db.expire_all()
    assert db.get(Patient, demo.patient_id).working_diagnosis == "pcl_injury"  # type: ignore[union-attr]
    db.rollback()

    cleared = staff.post(f"{url}/diagnosis", data={"csrf_token": token, "condition": ""})
    assert cleared.status_code == 303
    db.expire_all()
    assert db.get(Patient, demo.patient_id).working_diagnosis is None  # type: ignore[union-attr]


def test_api_working_diagnosis(client: Any, db: Session) -> None:
    login(client, CHIRO.email, CHIRO.password)
    demo = demo_records(db)
    url = f"/api/patients/{demo.patient_id}/diagnosis"
    response = client.put(url, json={"condition": "meniscal_tear", "note": "McMurray +"})
    assert response.status_code == 200
    assert response.json()["name"].startswith("Meniscal tear")
    assert response.json()["by_name"] == CHIRO.name
    assert client.put(url, json={"condition": "gout"}).status_code == 422
    record = client.get(f"/api/patients/{demo.patient_id}").json()
    assert record["patient"]["working_diagnosis"]["condition"] == "meniscal_tear"
    assert client.put(url, json={"condition": None}).json()["condition"] is None


def test_patient_gets_403_on_the_workspace(client: Any) -> None:
    login(client, PATIENT.email, PATIENT.password)
    assert client.get("/staff/patients").status_code == 403
    assert client.get("/api/patients").status_code == 403


def test_exam_sections_cover_every_clinician_finding_once(kb: Any) -> None:
    sections = exam_layout.exam_sections(kb)
    listed = [f.id for _, _, findings in sections for f in findings]
    clinician = [f.id for f in kb.findings.values() if "C" in f.who]
    assert sorted(listed) == sorted(clinician)
    by_key = {key: [f.id for f in findings] for key, _, findings in sections}
    assert "posterior_drawer" in by_key["ligaments"]
    assert "mcmurray" in by_key["meniscus"]
    assert "slump_positive" in by_key["neuro"]
    assert "abi" in by_key["vascular"]
    assert "ottawa_cannot_flex_90" in by_key["ottawa"]
    assert "wells_pitting_oedema" in by_key["wells"]
    assert "heel_raise_painful_or_weak" in by_key["muscle"]
    # the issue 14 exam items sit with their region, not under Wells or "Other"
    assert {"calf_tense", "knee_flexion_mrc", "hamstring_palpable_defect"} <= set(by_key["muscle"])
    assert {"steppage_gait", "ankle_dorsiflexion_mrc", "ankle_inversion_weak"} <= set(
        by_key["neuro"]
    )
    assert {"mass_size_cm", "mass_fixed_or_hard"} <= set(by_key["vascular"])
    assert {"valgus_stress_pain_30", "collateral_ligament_tenderness"} <= set(by_key["ligaments"])


@pytest.mark.parametrize(
    ("value", "label"),
    [("positive_ungraded", "Positive ungraded"), ("l5", "L5"), ("at_30_and_90", "At 30 and 90")],
)
def test_choice_values_without_labels_are_humanised(value: str, label: str) -> None:
    assert exam_layout.humanise(value) == label


def test_a_new_unfinished_screening_never_hides_an_open_red_flag(
    staff: Any, db: Session, kb: Any
) -> None:
    """Review finding: the list and the exam used the newest screening even when unfinished."""
    urgent_id = emergency_patient(db, kb)
    demo = demo_records(db)
    started = Screening(
        id="f" * 32,
        clinic_id=demo.clinic_id,
        patient_id=urgent_id,
        role="patient",
        status="in_progress",
        answers={},
        history=[],
        result={"urgency": "conservative", "red_flags": []},
        urgency="conservative",
        knowledge_version=kb.version,
    )
    db.add(started)
    db.commit()
    listed = {p["id"]: p for p in staff.get("/api/patients").json()}
    assert listed[urgent_id]["urgency"] == "emergency"
    assert [f["id"] for f in listed[urgent_id]["red_flags"]] == ["rf_limb_ischaemia"]
    exam = staff.post(
        f"/api/patients/{urgent_id}/exam", json={"answers": {"lachman_positive": False}}
    )
    assert exam.status_code == 201
    assert exam.json()["based_on_id"] != started.id
    assert exam.json()["urgency_before"] == "emergency"


def test_a_later_calm_self_screening_does_not_clear_a_red_flag_no_clinician_has_seen(
    staff: Any, db: Session, kb: Any
) -> None:
    urgent_id = emergency_patient(db, kb)
    demo = demo_records(db)
    add_screening(
        db,
        kb,
        clinic_id=demo.clinic_id,
        patient_id=urgent_id,
        answers={"age_years": 50, "sex": "female"},
        created_at=utcnow() + timedelta(minutes=1),
    )
    db.commit()
    listed = {p["id"]: p for p in staff.get("/api/patients").json()}
    assert listed[urgent_id]["urgency"] == "emergency"
    assert [f["id"] for f in listed[urgent_id]["red_flags"]] == ["rf_limb_ischaemia"]


def test_safety_questions_left_not_sure_are_shown_to_the_clinic(staff: Any, db: Session) -> None:
    """A person who booked with warning signs left at "not sure": the clinic sees it on the
    patient list and the patient page, with what must be ruled out."""
    demo = demo_records(db)
    kb = default_knowledge()
    add_screening(
        db,
        kb,
        clinic_id=demo.clinic_id,
        patient_id=demo.patient_id,
        # every other question answered, as in a finished interview
        answers={**DEMO_ANSWERS, "calf_swelling": None, "breathless_or_chest_pain": None},
    )
    db.commit()
    listing = staff.get("/staff/patients").text
    assert 'data-safety-not-completed="2"' in listing
    assert "Safety questions not completed (2)" in listing
    page = staff.get(f"/staff/patients/{demo.patient_id}").text
    assert "Safety questions not completed" in page
    # each one named as the clinician would ask it, the condition by its name, no ids
    assert html.escape(exam_layout.clinician_label(kb.findings["calf_swelling"])) in page
    assert "Must rule out" in page
    assert kb.conditions["dvt"].name in page
    text = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"\b(calf_swelling|breathless_or_chest_pain|dvt)\b", text)


def test_exam_form_puts_the_engines_next_items_first_and_folds_the_rest_by_region(
    staff: Any, db: Session, kb: Any
) -> None:
    """Issue 18: not one flat 6,300-pixel page with trauma tests first for an overuse runner."""
    demo = demo_records(db)
    screening = db.get(Screening, demo.screening_id)
    assert screening is not None
    merged = parse_answers(kb, screening.answers)
    expected = exam_layout.live_ranking(kb, merged).priority
    db.rollback()
    page = staff.get(f"/staff/patients/{demo.patient_id}/exam").text
    first = page.split('id="section-first"')[1].split('<details class="card exam-section"')[0]
    assert expected, "the demo runner's screening leaves exam items that matter"
    for finding in expected:
        assert f'name="{finding.id}"' in first
    # each item once: the first ones are not repeated in their region
    for finding in expected:
        assert page.count(f'name="{finding.id}" value="yes"') <= 1
        assert page.count(f'id="f-{finding.id}"') <= 1
    assert re.search(r'<details class="card exam-section" id="section-ligaments">', page)
    assert "§" not in page  # no evidence-file section marks on the form
    live = page.split('id="exam-live"')[1].split("</div>")[0]
    assert "%" in live
    assert "decision support, not a diagnosis" in live


def test_exam_preview_updates_the_ranking_without_saving(staff: Any, db: Session) -> None:
    demo = demo_records(db)
    url = f"/staff/patients/{demo.patient_id}/exam"
    token = csrf_from(staff, url)
    before = db.scalar(select(func.count()).select_from(Screening))
    db.rollback()
    preview = staff.post(
        url + "/preview", data={"csrf_token": token, "popliteal_mass_exam": "pulsatile"}
    )
    assert preview.status_code == 200
    assert 'data-live-urgency="urgent"' in preview.text
    assert "A lump or a strong pulse behind the knee" in preview.text
    calm = staff.post(url + "/preview", data={"csrf_token": token})
    assert 'data-live-urgency="conservative"' in calm.text
    assert db.scalar(select(func.count()).select_from(Screening)) == before  # nothing saved
    assert db.scalar(select(func.count()).select_from(ExamFinding)) == 0


def _diagnosis_options(page: Any) -> list[str]:
    """The working-diagnosis list's option texts, in page order (the empty choice left out)."""
    select_html = page.text.split('<select id="condition"', 1)[1].split("</select>", 1)[0]
    found = re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select_html)
    return [html.unescape(label).strip() for _, label in found]


def test_working_diagnosis_follows_the_newest_ranking(staff: Any, db: Session) -> None:
    demo = demo_records(db)
    newest = db.scalars(
        select(Screening)
        .where(Screening.patient_id == demo.patient_id)
        .order_by(Screening.created_at.desc(), Screening.id.desc())
    ).first()
    assert newest is not None
    ranking = newest.result["conditions"]
    db.rollback()
    options = _diagnosis_options(staff.get(f"/staff/patients/{demo.patient_id}"))
    kb = default_knowledge()
    expected_top = [
        f"{kb.conditions[c['id']].name} — {round(c['probability'] * 100)}%" for c in ranking
    ]
    assert options[: len(ranking)] == expected_top
    rest = options[len(ranking) :]
    assert rest == sorted(rest, key=str.lower)
    assert all("%" not in label for label in rest)
    assert len(options) == len(kb.conditions)


def test_working_diagnosis_without_screening_is_alphabetical(staff: Any, db: Session) -> None:
    demo = demo_records(db)
    patient = add_patient(
        db, clinic_id=demo.clinic_id, name="Noor Unscreened", email="noor@demo.popliteal.test"
    )
    db.commit()
    page = staff.get(f"/staff/patients/{patient.id}")
    options = _diagnosis_options(page)
    assert options == sorted(options, key=str.lower)
    assert all("%" not in label for label in options)
    assert "Ordered by the latest ranking" not in page.text


def test_working_diagnosis_can_be_searched_by_name(staff: Any, db: Session) -> None:
    demo = demo_records(db)
    url = f"/staff/patients/{demo.patient_id}"
    token = csrf_from(staff, url)
    name = default_knowledge().conditions["pcl_injury"].name
    saved = staff.post(
        f"{url}/diagnosis",
        data={"csrf_token": token, "condition": "", "condition_search": name.upper()},
    )
    assert saved.status_code == 303
    db.expire_all()
    assert db.get(Patient, demo.patient_id).working_diagnosis == "pcl_injury"  # type: ignore[union-attr]
    db.rollback()
    bad = staff.post(
        f"{url}/diagnosis",
        data={"csrf_token": token, "condition": "", "condition_search": "knee pain"},
    )
    assert bad.status_code == 400
    assert 'No condition is called "knee pain"' in text_of(bad)
