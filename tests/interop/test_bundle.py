"""A demo patient's and the demo clinic's FHIR bundles: valid R4B resource by resource, every
reference resolving inside the bundle, and saying what the record says (diagnosis codes,
probabilities, treatments with their grade, scores, running distance)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal import migrate
from popliteal.accounts import audit_keys
from popliteal.accounts.models import AuditEvent, Patient, User
from popliteal.db import make_engine, make_sessionmaker
from popliteal.demo import ADMIN, PATIENT, load_demo
from popliteal.interop import service as interop_service
from popliteal.interop.fhir_base import ICD10CM, SNOMED, condition_concept
from popliteal.knowledge.loader import Knowledge
from popliteal.running.models import Activity
from popliteal.screening.models import Screening
from popliteal.sessions.models import VisitNote
from tests.conftest import clinic_noon
from tests.interop.fhir_checks import check_bundle

RESOURCE_TYPES = {
    "Patient",
    "Practitioner",
    "Organization",
    "QuestionnaireResponse",
    "RiskAssessment",
    "Condition",
    "CarePlan",
    "Appointment",
    "Observation",
    "Procedure",
}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, kb: Knowledge) -> Iterator[Session]:
    """The demo clinic with its weeks of history, plus, for the demo patient, a working
    diagnosis of knee osteoarthritis and a visit where the knee was mobilised (grade III)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fhir') / 'demo.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with time_machine.travel(clinic_noon(), tick=False):
        session = make_sessionmaker(engine)()
        clinic = load_demo(session, kb)
        jordan = session.scalar(select(Patient).where(Patient.full_name == PATIENT.name))
        pt = session.scalar(select(User).where(User.email == ADMIN.email))
        assert jordan is not None
        assert pt is not None
        jordan.working_diagnosis = "knee_osteoarthritis"
        jordan.working_diagnosis_by = pt.id
        jordan.working_diagnosis_at = clinic_noon() - timedelta(days=3)
        session.add(
            VisitNote(
                clinic_id=clinic.id,
                patient_id=jordan.id,
                clinician_id=pt.id,
                mode="in_clinic",
                visit_date=clinic_noon().date() - timedelta(days=2),
                assessment="Stiff after the weekend.",
                treatments=[
                    {"id": "joint_mobilization", "detail": "posterior glide", "grade": "III"},
                    {"id": "myofascial_release", "detail": ""},
                ],
                pain=4,
            )
        )
        session.commit()
        yield session
    session.close()
    engine.dispose()


@pytest.fixture(scope="module")
def jordan_bundle(demo_db: Session, kb: Knowledge) -> dict[str, Any]:
    jordan = demo_db.scalar(select(Patient).where(Patient.full_name == PATIENT.name))
    assert jordan is not None
    return interop_service.bundle_for_patient(demo_db, kb, jordan.id, clinic_noon())


def test_patient_bundle_validates_resolves_and_holds_every_kind(
    jordan_bundle: dict[str, Any],
) -> None:
    by_type = check_bundle(jordan_bundle)
    assert set(by_type) == RESOURCE_TYPES
    assert len(by_type["Patient"]) == 1
    assert by_type["Patient"][0]["name"][0]["text"] == PATIENT.name
    assert len(by_type["Organization"]) == 1


def test_working_diagnosis_is_coded_only_with_found_codes(
    jordan_bundle: dict[str, Any], kb: Knowledge
) -> None:
    conditions = check_bundle(jordan_bundle)["Condition"]
    oa = next(
        c for c in conditions if c["code"]["text"] == kb.conditions["knee_osteoarthritis"].name
    )
    codes = {(c["system"], c["code"]) for c in oa["code"]["coding"]}
    assert codes == {(SNOMED, "239873007"), (ICD10CM, "M17.9")}
    assert oa["verificationStatus"]["coding"][0]["code"] == "provisional"
    # The plan's condition (popliteus tendinopathy) has no verified code: text only.
    plan_condition = next(c for c in conditions if c is not oa)
    assert "coding" not in plan_condition["code"]
    # A recalled code (DVT in SNOMED CT) is never exported; its found ICD-10-CM code is.
    dvt = condition_concept(kb, "dvt")
    assert [c["system"] for c in dvt["coding"]] == [ICD10CM]


def test_screening_answers_and_differential_say_what_the_screening_said(
    jordan_bundle: dict[str, Any], demo_db: Session
) -> None:
    by_type = check_bundle(jordan_bundle)
    jordan = demo_db.scalar(select(Patient).where(Patient.full_name == PATIENT.name))
    assert jordan is not None
    screening = demo_db.scalar(select(Screening).where(Screening.patient_id == jordan.id))
    assert screening is not None
    response = next(
        r
        for r in by_type["QuestionnaireResponse"]
        if r.get("identifier", {}).get("value") == screening.id
    )
    assert {i["linkId"] for i in response["item"]} == set(screening.answers)
    differential = next(
        r for r in by_type["RiskAssessment"] if r["code"]["text"].startswith("Differential")
    )
    got = [(p["outcome"]["text"], p["probabilityDecimal"]) for p in differential["prediction"]]
    want = [(c["name"], round(c["probability"], 6)) for c in screening.result["conditions"]]
    assert got == want
    assert differential["basis"] == [{"reference": f"urn:uuid:{response['id']}"}]
    urgency = next(r for r in by_type["RiskAssessment"] if r["code"]["text"].startswith("Care"))
    assert urgency["prediction"][0]["outcome"]["text"] == "Conservative care"


def test_treatments_plans_scores_and_runs_are_in_the_bundle(
    jordan_bundle: dict[str, Any], demo_db: Session
) -> None:
    by_type = check_bundle(jordan_bundle)
    procedures = sorted(p["code"]["text"] for p in by_type["Procedure"])
    assert procedures == ["Joint mobilization, grade III", "Myofascial release (stripping massage)"]
    plan = by_type["CarePlan"][-1]
    assert plan["status"] == "active"
    kinds = [a["detail"]["code"]["text"].split(":")[0] for a in plan["activity"]]
    assert "Home exercise" in kinds
    assert "In-clinic treatment" in kinds
    pain = [
        o
        for o in by_type["Observation"]
        if o["code"].get("coding", [{}])[0].get("code") == "72514-3"
    ]
    assert pain
    assert all(o["category"][0]["coding"][0]["code"] == "survey" for o in pain)
    assert any(
        o["valueQuantity"]["value"] == 4 and o["note"][0]["text"] == "at a visit" for o in pain
    )
    koos_symptoms = [
        o
        for o in by_type["Observation"]
        if o["code"].get("coding") and o["code"]["coding"][0]["code"] == "72101-9"
    ]
    assert koos_symptoms
    assert all(o["derivedFrom"] for o in koos_symptoms)
    # Running distance per week adds up to every run on record.
    weekly = [o for o in by_type["Observation"] if o["code"]["text"].startswith("Running distance")]
    jordan = demo_db.scalar(select(Patient).where(Patient.full_name == PATIENT.name))
    assert jordan is not None
    runs = demo_db.scalars(
        select(Activity.distance_km).where(
            Activity.patient_id == jordan.id, Activity.sport == "running"
        )
    ).all()
    assert runs
    assert sum(o["valueQuantity"]["value"] for o in weekly) == pytest.approx(sum(runs), abs=0.05)
    assert all(date.fromisoformat(o["effectivePeriod"]["start"]).weekday() == 0 for o in weekly)
    rom = [o for o in by_type["Observation"] if o["code"]["text"].startswith("Knee flexion")]
    assert rom
    assert all(o["valueQuantity"]["code"] == "deg" for o in rom)


def test_export_is_the_same_twice(
    demo_db: Session, kb: Knowledge, jordan_bundle: dict[str, Any]
) -> None:
    """Stable ids: a second export names every resource the same (a receiver can update)."""
    again = interop_service.bundle_for_patient(demo_db, kb, _jordan_id(demo_db), clinic_noon())
    assert again == jordan_bundle


def _jordan_id(db: Session) -> int:
    found = db.scalar(select(Patient.id).where(Patient.full_name == PATIENT.name))
    db.rollback()  # end the read: SQLite's write lock must not outlive it
    assert found is not None
    return found


def test_clinic_bundle_holds_every_patient_and_each_clinician_once(
    demo_db: Session, kb: Knowledge
) -> None:
    jordan = demo_db.get(Patient, _jordan_id(demo_db))
    assert jordan is not None
    bundle = interop_service.bundle_for_clinic(demo_db, kb, jordan.clinic_id, clinic_noon())
    by_type = check_bundle(bundle)
    patients = demo_db.scalars(
        select(Patient.full_name).where(Patient.clinic_id == jordan.clinic_id)
    ).all()
    assert sorted(p["name"][0]["text"] for p in by_type["Patient"]) == sorted(patients)
    names = [p["name"][0]["text"] for p in by_type["Practitioner"]]
    assert len(names) == len(set(names)) >= 2
    assert len(by_type["Organization"]) == 1


def test_unknown_patient_or_clinic_is_no_such_record(demo_db: Session, kb: Knowledge) -> None:
    with pytest.raises(interop_service.NoSuchRecord, match="no patient with id 999"):
        interop_service.bundle_for_patient(demo_db, kb, 999, clinic_noon())
    with pytest.raises(interop_service.NoSuchRecord, match="no clinic with id 999"):
        interop_service.bundle_for_clinic(demo_db, kb, 999, clinic_noon())


def test_cli_writes_the_bundle_and_refuses_bad_input(
    demo_db: Session, run_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json

    url = str(demo_db.get_bind().url)
    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "jordan.json"
    done = run_cli("export", "fhir", "--patient", str(_jordan_id(demo_db)), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    check_bundle(json.loads(out.read_text()))
    jordan = _jordan_id(demo_db)
    exported = demo_db.scalars(
        select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.patient_id == jordan)
    ).all()
    opened = audit_keys.open_events(demo_db, exported)
    by = [(e.actor_user_id, o.detail["by"]) for e, o in zip(exported, opened, strict=True)]
    demo_db.rollback()  # the CLI runs below must find the database unlocked
    assert by == [(None, "command line")]
    for args, message in (
        (["--patient", "999"], "no patient with id 999"),
        (["--clinic", "999"], "no clinic with id 999"),
        ([], "exactly one of --patient ID or --clinic ID"),
        (["--patient", "1", "--clinic", "1"], "exactly one of"),
    ):
        bad = run_cli("export", "fhir", *args, "-o", str(tmp_path / "x.json"))
        assert bad.returncode == 2, args
        assert message in bad.stderr
        assert bad.stdout == ""
        assert not (tmp_path / "x.json").exists()
    no_folder = run_cli("export", "fhir", "--patient", "1", "-o", str(tmp_path / "no" / "x.json"))
    assert no_folder.returncode == 2
    assert "does not exist" in no_folder.stderr


def test_the_real_command_exports_the_demo_patient(
    database_url: str, run_cli_process: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m popliteal export fhir` as a user runs it, on the tests' demo clinic."""
    import json

    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "out.json"
    done = run_cli_process("export", "fhir", "--patient", "1", "-o", str(out))
    assert done.returncode == 0, done.stderr
    by_type = check_bundle(json.loads(out.read_text()))
    assert [p["name"][0]["text"] for p in by_type["Patient"]] == [PATIENT.name]
