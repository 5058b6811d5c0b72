"""The administrator's audit trail viewer: own clinic only, filters, pages, and a CSV export a
spreadsheet will not run (issue 19, item 4)."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import audit_viewer
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import AuditEvent, Clinic, Patient, User
from popliteal.db import reading, transaction
from popliteal.demo import ADMIN, CHIRO, PATIENT
from tests.conftest import login


def _ids(db: Session) -> tuple[int, int, int]:
    """The demo clinic, its patient and the chiropractor."""
    with reading(db):
        patient = db.scalar(
            select(Patient)
            .join(User, User.id == Patient.user_id)
            .where(User.email == PATIENT.email)
        )
        chiro = db.scalar(select(User.id).where(User.email == CHIRO.email))
        assert patient is not None
        assert chiro is not None
        return patient.clinic_id, patient.id, chiro


def _event(db: Session, **fields: Any) -> None:
    with transaction(db):
        accounts_service.audit(
            db,
            actor=None,
            **{"action": "read", "entity": "patient", "patient_id": None, **fields},
        )


def test_the_admin_filters_their_clinics_trail_in_plain_words(client: Any, db: Session) -> None:
    clinic_id, patient_id, chiro_id = _ids(db)
    with transaction(db):
        other = Clinic(name="Across Town", slug="across-town", timezone="America/Chicago")
        db.add(other)
        db.flush()
        other_id = other.id
    _event(
        db,
        entity_id=patient_id,
        patient_id=patient_id,
        clinic_id=clinic_id,
        actor_user_id=chiro_id,
        address="198.51.100.4",
    )
    _event(db, action="denied", entity_id="9", clinic_id=clinic_id, address="198.51.100.5")
    _event(db, entity_id="elsewhere", clinic_id=other_id, address="198.51.100.6")
    login(client, ADMIN.email, ADMIN.password)

    page = client.get("/staff/admin/audit")
    assert page.status_code == 200
    assert "198.51.100.4" in page.text
    assert "Viewed" in page.text
    assert "Refused access" in page.text
    assert "198.51.100.6" not in page.text  # another clinic's event

    by_person = client.get(f"/staff/admin/audit?person={patient_id}&staff={chiro_id}")
    assert "198.51.100.4" in by_person.text
    assert "198.51.100.5" not in by_person.text
    denied = client.get("/staff/admin/audit?action=denied")
    assert "198.51.100.5" in denied.text
    assert "198.51.100.4" not in denied.text
    tomorrow = client.get("/staff/admin/audit?since=2999-01-01")
    assert "198.51.100.4" not in tomorrow.text

    bad = client.get("/staff/admin/audit?since=yesterday&person=x")
    assert bad.status_code == 422
    assert "enter a date like" in bad.text
    assert "choose one from the list" in bad.text
    # Looking at the trail is itself on it.
    with reading(db):
        looks = db.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "audit_trail")
        ).all()
    assert looks.count("read") == 4


def test_the_trail_is_paged_newest_first(client: Any, db: Session) -> None:
    clinic_id, _, _ = _ids(db)
    with transaction(db):
        for n in range(audit_viewer.PER_PAGE + 1):
            accounts_service.audit(
                db,
                actor=None,
                action="read",
                entity="patient",
                entity_id=f"p{n}",
                patient_id=None,
                clinic_id=clinic_id,
                address=f"203.0.113.{n}",
            )
    login(client, ADMIN.email, ADMIN.password)
    first = client.get("/staff/admin/audit?action=read")
    assert "page 1 of 2" in first.text
    assert "203.0.113.50<" in first.text
    second = client.get("/staff/admin/audit?action=read&page=2")
    assert "page 2 of 2" in second.text
    assert "203.0.113.50<" not in second.text


def test_only_administrators_see_the_trail_and_a_refusal_is_on_it(client: Any, db: Session) -> None:
    login(client, CHIRO.email, CHIRO.password)
    assert client.get("/staff/admin/audit").status_code == 403
    assert client.get("/staff/admin/audit.csv").status_code == 403
    _, _, chiro_id = _ids(db)
    with reading(db):
        refused = db.execute(
            select(AuditEvent.actor_user_id, AuditEvent.entity_id, AuditEvent.detail).where(
                AuditEvent.action == "denied"
            )
        ).all()
    assert [(who, what) for who, what, _ in refused] == [
        (chiro_id, "/staff/admin/audit"),
        (chiro_id, "/staff/admin/audit.csv"),
    ]
    assert refused[0][2]["reason"] == "this page is for the clinic's administrators"


def test_the_csv_export_cannot_run_as_a_formula(client: Any, db: Session) -> None:
    clinic_id, patient_id, _ = _ids(db)
    _event(
        db,
        entity_id='=HYPERLINK("http://x")',
        patient_id=patient_id,
        clinic_id=clinic_id,
        address="+1",
        detail={"note": "ok"},
    )
    login(client, ADMIN.email, ADMIN.password)
    response = client.get(f"/staff/admin/audit.csv?person={patient_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["event", "time (UTC)", "local time", "action"]
    ours = next(r for r in rows[1:] if r[8].startswith("'="))
    assert ours[8] == '\'=HYPERLINK("http://x")'
    assert ours[9] == "'+1"
    assert ours[3] == "Viewed"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    with reading(db):
        exported = db.scalar(
            select(AuditEvent.id).where(
                AuditEvent.entity == "audit_trail", AuditEvent.action == "export"
            )
        )
    assert exported is not None
