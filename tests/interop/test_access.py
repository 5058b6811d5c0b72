"""Who may export a patient's FHIR bundle over HTTP: the clinicians of the patient's clinic
and the person themself. Another clinic's clinician and another patient get 404 (ids are not
probed), nobody signed in gets 401; every export is an audit event."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import audit_keys
from popliteal.accounts.models import AuditEvent
from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from tests.accounts.factories import PASSWORD
from tests.conftest import login
from tests.interop.fhir_checks import check_bundle
from tests.running.factories import demo_records, neighbour_patient, other_clinic


def _fhir(client: Any, patient_id: int) -> Any:
    return client.get(f"/api/patients/{patient_id}/fhir")


@pytest.mark.postgres
@pytest.mark.parametrize("account", [ADMIN, CHIRO])
def test_a_clinician_of_the_clinic_exports_a_valid_bundle_and_it_is_audited(
    client: Any, db: Session, account: Any
) -> None:
    target = demo_records(db)
    db.rollback()
    login(client, account.email, account.password)
    answer = _fhir(client, target.patient_id)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    by_type = check_bundle(answer.json())
    assert [p["name"][0]["text"] for p in by_type["Patient"]] == [PATIENT.name]
    assert by_type["Appointment"], "the demo patient's visit"
    events = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "export", AuditEvent.patient_id == target.patient_id
        )
    ).all()
    assert len(events) == 1
    assert audit_keys.open_events(db, events)[0].detail == {"format": "fhir-r4-bundle"}


def test_a_person_exports_their_own_record_and_nobody_elses(
    client: Any, db: Session, kb: Knowledge
) -> None:
    own = demo_records(db)
    neighbour = neighbour_patient(db, kb)
    db.commit()
    login(client, PATIENT.email, PATIENT.password)
    assert _fhir(client, own.patient_id).status_code == 200
    refused = _fhir(client, neighbour.patient_id)
    assert refused.status_code == 404
    assert "Casey" not in refused.text


def test_another_clinics_clinician_gets_404(client: Any, db: Session, kb: Knowledge) -> None:
    target = demo_records(db)
    _, other_email = other_clinic(db, kb)
    db.commit()
    login(client, other_email, PASSWORD)
    refused = _fhir(client, target.patient_id)
    assert refused.status_code == 404
    assert PATIENT.name not in refused.text
    assert _fhir(client, 999_999).status_code == 404


def test_nobody_signed_in_gets_401_and_bad_ids_422(client: Any, db: Session) -> None:
    target = demo_records(db)
    db.rollback()
    assert _fhir(client, target.patient_id).status_code == 401
    login(client, ADMIN.email, ADMIN.password)
    assert client.get("/api/patients/0/fhir").status_code == 422
    assert client.get("/api/patients/abc/fhir").status_code == 422


def test_the_patient_page_links_to_the_export(client: Any, db: Session) -> None:
    target = demo_records(db)
    db.rollback()
    login(client, ADMIN.email, ADMIN.password)
    page = client.get(f"/staff/patients/{target.patient_id}")
    assert page.status_code == 200
    link = f'href="/api/patients/{target.patient_id}/fhir" download'
    assert link in page.text
    assert "Export record (FHIR)" in page.text
    check_bundle(_fhir(client, target.patient_id).json())
