"""The audit trail a regulator would accept (issue 19, item 4): append-only in the database,
chained by hash (`popliteal audit verify`), and complete: logins, logouts, failed logins,
password changes and refused requests are events."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from popliteal.accounts import audit_keys
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import AuditEvent, Clinic, User
from popliteal.db import reading, transaction
from popliteal.demo import ADMIN, PATIENT
from tests.accounts.factories import add_patient
from tests.conftest import RunCli, csrf_from, login


def _events(db: Session, *where: Any) -> list[AuditEvent]:
    """The stored events, read in a transaction that ends at once (SQLite's write lock)."""
    with reading(db):
        rows = list(db.scalars(select(AuditEvent).where(*where).order_by(AuditEvent.id)))
        db.expunge_all()
    return rows


def _user(db: Session, email: str) -> User:
    with reading(db):
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None
        db.expunge(user)
    return user


def _record(db: Session, entity_id: str, n: int = 1) -> None:
    for i in range(n):
        with transaction(db):
            accounts_service.audit(
                db,
                actor=None,
                action="read",
                entity="patient",
                entity_id=entity_id,
                patient_id=None,
                address="192.0.2.7",
                detail={"n": i, "why": "a test"},
            )


def _verify(run_cli: RunCli, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return run_cli("audit", "verify")


@pytest.mark.postgres
def test_the_database_refuses_to_update_or_delete_an_audit_event(db: Session) -> None:
    _record(db, "kept")
    row = _events(db, AuditEvent.entity_id == "kept")[0]
    for statement in (
        "UPDATE audit_events SET action = 'nothing' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement), {"id": row.id})
        db.rollback()
    db.expire_all()
    assert [(e.id, e.action) for e in _events(db, AuditEvent.entity_id == "kept")] == [
        (row.id, "read")
    ]


@pytest.mark.postgres
def test_verify_names_the_first_edited_event(
    db: Session, database_url: str, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(db, "chained", 3)
    intact = _verify(run_cli, database_url, monkeypatch)
    assert intact.returncode == 0, intact.stderr
    assert "audit trail intact" in intact.stdout
    target = _events(db, AuditEvent.entity_id == "chained")[1]
    # Someone with the database's keys steps around the guard and edits one event.
    with transaction(db):
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            db.execute(text("DROP TRIGGER audit_events_no_update"))
        db.execute(
            text("UPDATE audit_events SET address = '203.0.113.9' WHERE id = :id"),
            {"id": target.id},
        )
    broken = _verify(run_cli, database_url, monkeypatch)
    assert broken.returncode == 1
    assert f"broken at event {target.id}:" in broken.stdout


@pytest.mark.postgres
def test_concurrent_writers_keep_one_unbroken_chain(
    app: Any, db: Session, database_url: str, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = len(_events(db))
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with app.state.sessionmaker() as session:
                start.wait(timeout=30)
                _record(session, "racing", 5)
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    rows = _events(db)
    assert len(rows) == before + 20
    assert len({row.prev_hash for row in rows}) == len(rows)  # no two chained to one event
    assert _verify(run_cli, database_url, monkeypatch).returncode == 0


def test_an_event_of_a_rolled_back_transaction_leaves_no_trace(
    db: Session, database_url: str, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_use_case() -> None:
        with transaction(db):
            accounts_service.audit(
                db, actor=None, action="read", entity="patient", entity_id="gone", patient_id=None
            )
            raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        failing_use_case()
    _record(db, "after")
    assert _events(db, AuditEvent.entity_id == "gone") == []
    assert _verify(run_cli, database_url, monkeypatch).returncode == 0


def _try_login(client: Any, email: str, password: str) -> Any:
    token = csrf_from(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_logins_logouts_and_failed_logins_are_events(client: Any, db: Session) -> None:
    with reading(db):
        before = db.scalar(select(func.max(AuditEvent.id))) or 0
    admin = _user(db, ADMIN.email)
    wrong = _try_login(client, ADMIN.email, "not-the-password")
    unknown = _try_login(client, "nobody-here@example.com", "not-the-password")
    # The same answer for a known and an unknown address: the trail adds no enumeration.
    assert wrong.status_code == unknown.status_code == 400
    assert "wrong email or password" in wrong.text
    assert "wrong email or password" in unknown.text
    login(client, ADMIN.email, ADMIN.password)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/staff/schedule")})
    rows = _events(db, AuditEvent.id > before)
    assert [(r.action, r.actor_user_id, r.entity_id, r.address) for r in rows] == [
        ("login_failed", admin.id, str(admin.id), "testclient"),
        ("login_failed", None, "", "testclient"),
        ("login", admin.id, str(admin.id), "testclient"),
        ("logout", admin.id, str(admin.id), "testclient"),
    ]
    assert all(r.clinic_id == admin.clinic_id for r in rows)
    assert not any("nobody-here" in str(r.detail) for r in rows)


def test_a_password_change_is_an_event(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    token = csrf_from(client, "/account/password")
    new = "a-brand-new-password-2026"
    form = {"current_password": PATIENT.password, "new_password": new, "repeat_password": new}
    response = client.post("/account/password", data={**form, "csrf_token": token})
    assert response.status_code == 200
    user = _user(db, PATIENT.email)
    rows = _events(db, AuditEvent.action == "password_change")
    assert [(r.actor_user_id, r.entity_id) for r in rows] == [(user.id, str(user.id))]


@pytest.mark.postgres
def test_a_refused_record_is_an_event_with_who_where_and_what(client: Any, db: Session) -> None:
    elsewhere = Clinic(name="Across Town", slug="across-town", timezone="America/Chicago")
    db.add(elsewhere)
    db.flush()
    stranger = add_patient(db, clinic_id=elsewhere.id, name="Pat Elsewhere", email="p@x.test")
    db.commit()
    stranger_id, elsewhere_id = stranger.id, elsewhere.id
    login(client, ADMIN.email, ADMIN.password)
    admin = _user(db, ADMIN.email)
    for patient_id in (stranger_id, 999_999):
        assert client.get(f"/staff/patients/{patient_id}").status_code == 404
    rows = _events(db, AuditEvent.action == "denied")
    # The stranger's refusal is about them, so its address and detail are sealed with their key.
    opened = audit_keys.open_events(db, rows)
    assert rows[0].address == ""
    assert "path" not in rows[0].detail
    assert [
        (r.actor_user_id, o.address, r.entity, r.entity_id, r.patient_id, r.clinic_id)
        for r, o in zip(rows, opened, strict=True)
    ] == [
        # Whose record it was, so that clinic sees the attempt; an id of no one: the asker's.
        (admin.id, "testclient", "patient", str(stranger_id), stranger_id, elsewhere_id),
        (admin.id, "testclient", "patient", "999999", None, admin.clinic_id),
    ]
    assert opened[0].detail["path"] == f"/staff/patients/{stranger_id}"
    assert opened[0].detail["method"] == "GET"


def test_a_clinician_opening_one_run_is_an_event(db: Session) -> None:
    """Reads that used to end in a rollback (one run, one session, a plan version, the plan
    history) now commit their audit event."""
    from datetime import date

    from popliteal.running import service as running_service
    from tests.running import factories as running

    patient_id = running.demo_patient(db).id
    run_id = running.add_run(db, patient_id=patient_id, day=date(2026, 1, 5), km=5.0).id
    clinician = running.actor_for(db, ADMIN.email)
    running_service.get_activity(db, actor=clinician, activity_id=run_id)
    rows = _events(db, AuditEvent.entity == "activity", AuditEvent.action == "read")
    assert [(r.entity_id, r.patient_id, r.actor_user_id) for r in rows] == [
        (str(run_id), patient_id, clinician.user_id)
    ]
