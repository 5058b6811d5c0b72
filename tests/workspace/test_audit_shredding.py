"""Deleting my account erases the personal details the audit trail held about me
(crypto-shredding: accounts/audit_seal.py), while the hash chain still verifies and another
person's events stay readable."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import AuditKey, Clinic
from popliteal.db import transaction
from popliteal.demo import ADMIN
from popliteal.knowledge.loader import Knowledge
from tests.accounts.factories import PASSWORD
from tests.conftest import csrf_from, login
from tests.workspace.rights_factories import person_with_history

PAT = {"name": "Pat Knee", "email": "pat.knee@example.org", "home": "12 Elm Street"}
PAT_ADDRESS = "203.0.113.9"
SAM = {"name": "Sam Other", "email": "sam.other@example.org"}
SAM_ADDRESS = "203.0.113.10"


def _clinician_notes(db: Session, *, patient_id: int, address: str, about: dict[str, str]) -> None:
    """An event about one person whose detail names them (as a search or an import might)."""
    clinic_id = db.scalar(select(Clinic.id).order_by(Clinic.id))
    with transaction(db):
        accounts_service.audit(
            db,
            actor=None,
            action="read",
            entity="patient",
            entity_id=patient_id,
            patient_id=patient_id,
            clinic_id=clinic_id,
            address=address,
            detail=dict(about),
        )


def _raw_rows(db: Session) -> list[dict[str, Any]]:
    """Every audit row as the database holds it (plain SQL: no model, no decryption)."""
    rows = db.execute(
        text(
            "SELECT id, actor_user_id, patient_id, address, CAST(detail AS TEXT) AS detail "
            "FROM audit_events ORDER BY id"
        )
    ).mappings()
    found = [dict(r) for r in rows]
    db.rollback()
    return found


def _delete_account(client: Any) -> None:
    token = csrf_from(client, "/my/account/delete")
    done = client.post("/my/account/delete", data={"password": PASSWORD, "csrf_token": token})
    assert done.status_code == 303


@pytest.mark.postgres
def test_after_deleting_my_account_the_trail_holds_nothing_readable_about_me(
    client: Any,
    db: Session,
    kb: Knowledge,
    run_cli: Any,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pat = person_with_history(db, kb, email=PAT["email"], name=PAT["name"])
    sam = person_with_history(db, kb, email=SAM["email"], name=SAM["name"], seed=8)
    db.commit()
    _clinician_notes(db, patient_id=pat.patient_id, address=PAT_ADDRESS, about=PAT)
    _clinician_notes(db, patient_id=sam.patient_id, address=SAM_ADDRESS, about=SAM)
    # Pat logs in and looks at their pages: events by their own account, from their address.
    login(client, PAT["email"], PASSWORD)
    assert client.get("/api/me/outcomes").status_code == 200
    assert db.scalar(select(func.count()).select_from(AuditKey)) == 2
    db.rollback()

    # Stored sealed from the start: the raw rows about Pat hold no plain detail.
    before = _raw_rows(db)
    about_pat = [
        r for r in before if r["patient_id"] == pat.patient_id or r["actor_user_id"] == pat.user_id
    ]
    assert len(about_pat) >= 3  # the clinician's read, the login, Pat's own page reads
    assert all(r["address"] == "" and '"sealed"' in r["detail"] for r in about_pat)
    # ...but the administrator reads them while the account exists.
    admin = _admin_client(client)
    assert PAT_ADDRESS in admin.get(f"/staff/admin/audit?person={pat.patient_id}").text
    admin.cookies.clear()

    login(client, PAT["email"], PASSWORD)
    _delete_account(client)
    client.cookies.clear()

    after = _raw_rows(db)
    everything = repr(after)
    for secret in (*PAT.values(), PAT_ADDRESS):
        assert secret not in everything, secret
    deletion_detail = {"account": "deleted by the person", "visit_notes_kept": 2}
    for row in after:
        if row["patient_id"] == pat.patient_id or row["actor_user_id"] == pat.user_id:
            assert row["address"] == "", row
            detail = json.loads(row["detail"] or "{}")
            assert set(detail) == {"sealed", "key"} or detail in ({}, deletion_detail), row
    assert db.get(AuditKey, pat.patient_id) is None
    db.rollback()

    # The chain still holds, before and after the deletion.
    monkeypatch.setenv("DATABASE_URL", database_url)
    verified = run_cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout
    assert "audit trail intact" in verified.stdout

    # The administrator still sees that the events happened, with "erased" for their details.
    admin = _admin_client(client)
    page = admin.get(f"/staff/admin/audit?person={pat.patient_id}")
    assert page.status_code == 200
    assert "erased" in page.text
    assert "Deleted" in page.text  # the one event that says a deletion happened
    for secret in (*PAT.values(), PAT_ADDRESS):
        assert secret not in page.text, secret
    exported = admin.get(f"/staff/admin/audit.csv?person={pat.patient_id}")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    reads = [r for r in rows if r["action code"] == "read" and r["what"] == "Patient record"]
    assert reads
    assert all((r["address"], r["detail"]) == ("erased", "erased") for r in reads)
    assert PAT_ADDRESS not in exported.text
    assert PAT["email"] not in exported.text
    deletion = [r for r in rows if r["action code"] == "delete"]
    assert len(deletion) == 1
    assert deletion[0]["address"] == ""

    # Another person's events stay readable.
    sams = admin.get(f"/staff/admin/audit.csv?person={sam.patient_id}").text
    assert SAM_ADDRESS in sams
    assert SAM["email"] in sams


def _admin_client(client: Any) -> Any:
    client.cookies.clear()
    login(client, ADMIN.email, ADMIN.password)
    return client
