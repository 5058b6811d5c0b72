"""`popliteal maintenance run`: anonymous screenings go after the retention period (a
screening linked to a person, or one a record points at, stays), failed logins after the
throttling window and a day, expired sessions; a second run deletes nothing."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from popliteal import clock
from popliteal.accounts.models import LoginAttempt, LoginSession
from popliteal.db import make_engine, make_sessionmaker
from popliteal.screening.models import Screening
from tests.conftest import RunCli


@pytest.mark.postgres
def test_maintenance_deletes_expired_anonymous_screenings_only(
    database_url: str, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(database_url)
    now = clock.utcnow()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    with make_sessionmaker(engine)() as session:
        clinic_id = session.execute(text("SELECT min(id) FROM clinics")).scalar_one()
        patient_id = session.execute(text("SELECT min(id) FROM patients")).scalar_one()

        def add(when: object, **fields: object) -> str:
            row = Screening(
                id=secrets.token_hex(16),
                clinic_id=clinic_id,
                knowledge_version="test",
                created_at=when,
                updated_at=when,
                **fields,
            )
            session.add(row)
            session.flush()
            return row.id

        expired = add(old)
        expired_in_progress = add(old, status="in_progress")
        touched_lately = add(old)
        session.execute(
            Screening.__table__.update()
            .where(Screening.id == touched_lately)
            .values(updated_at=recent)
        )
        fresh = add(recent)
        a_patients = add(old, patient_id=patient_id)
        rerun_from = add(old)
        add(recent, based_on_id=rerun_from)
        session.add_all(
            [
                LoginAttempt(
                    email="old@example.org", address="192.0.2.1", at=now - timedelta(days=2)
                ),
                LoginAttempt(
                    email="new@example.org", address="192.0.2.1", at=now - timedelta(hours=1)
                ),
            ]
        )
        user_id = session.execute(text("SELECT min(id) FROM users")).scalar_one()
        session.add(
            LoginSession(
                token_hash="0" * 64, user_id=user_id, expires_at=now - timedelta(minutes=1)
            )
        )
        session.commit()

    monkeypatch.setenv("DATABASE_URL", database_url)
    first = run_cli("maintenance", "run")
    assert first.returncode == 0, first.stderr
    assert "anonymous screenings deleted: 2" in first.stdout
    assert "POPLITEAL_ANONYMOUS_SCREENING_DAYS=30" in first.stdout
    assert "failed logins deleted: 1" in first.stdout
    assert "expired login sessions deleted: 1" in first.stdout
    with make_sessionmaker(engine)() as session:
        left = set(session.scalars(select(Screening.id)))
    assert expired not in left
    assert expired_in_progress not in left
    assert {touched_lately, fresh, a_patients, rerun_from} <= left
    with make_sessionmaker(engine)() as session:
        emails = set(session.scalars(select(LoginAttempt.email)))
    assert "new@example.org" in emails
    assert "old@example.org" not in emails

    again = run_cli("maintenance", "run")
    assert again.returncode == 0
    assert "anonymous screenings deleted: 0" in again.stdout
    assert "failed logins deleted: 0" in again.stdout

    monkeypatch.setenv("POPLITEAL_ANONYMOUS_SCREENING_DAYS", "0")
    refused = run_cli("maintenance", "run")
    assert refused.returncode == 2
    assert "POPLITEAL_ANONYMOUS_SCREENING_DAYS must be between 1 and 3650" in refused.stderr
    engine.dispose()
