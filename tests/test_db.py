"""The database layer: migrations on both databases, UTC storage, and the double-booking guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from popliteal import migrate
from popliteal.accounts.models import Patient, User
from popliteal.accounts.service import register_patient
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.config import normalise_database_url
from popliteal.demo import ADMIN, CHIRO

START = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)


def _appointment(
    db: Session,
    *,
    clinician_email: str,
    starts: datetime,
    minutes: int = 30,
    status: str = "booked",
    patient_id: int | None = None,
) -> Appointment:
    clinician = db.scalar(select(User).where(User.email == clinician_email))
    patient = db.get(Patient, patient_id) if patient_id else db.scalar(select(Patient))
    kind = db.scalar(select(AppointmentType).where(AppointmentType.code == "follow_up"))
    assert clinician is not None
    assert patient is not None
    assert kind is not None
    return Appointment(
        clinic_id=clinician.clinic_id,
        clinician_id=clinician.id,
        patient_id=patient.id,
        type_id=kind.id,
        mode="in_clinic",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        status=status,
    )


@pytest.mark.postgres
def test_migrations_are_at_head(database_url: str) -> None:
    assert migrate.current(database_url) == migrate.head()


def test_migrations_go_down_and_up_again(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()


@pytest.mark.postgres
def test_overlapping_appointments_of_one_clinician_are_refused_by_the_database(
    db: Session,
) -> None:
    db.add(_appointment(db, clinician_email=ADMIN.email, starts=START))
    db.commit()
    db.add(_appointment(db, clinician_email=ADMIN.email, starts=START + timedelta(minutes=15)))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    assert len(db.scalars(select(Appointment).where(Appointment.starts_at >= START)).all()) == 1


def _second_patient(db: Session) -> int:
    clinic_id = db.scalar(select(Patient.clinic_id))
    assert clinic_id is not None
    other = register_patient(
        db,
        clinic_id=clinic_id,
        email="second@example.org",
        password="second-patient-pw",
        full_name="Second Patient",
    )
    db.commit()
    return other.id


@pytest.mark.postgres
def test_back_to_back_other_clinician_and_cancelled_do_not_conflict(db: Session) -> None:
    second = _second_patient(db)
    db.add(_appointment(db, clinician_email=ADMIN.email, starts=START))
    db.add(_appointment(db, clinician_email=ADMIN.email, starts=START + timedelta(minutes=30)))
    db.add(
        _appointment(
            db, clinician_email=CHIRO.email, starts=START + timedelta(minutes=10), patient_id=second
        )
    )
    db.add(
        _appointment(
            db, clinician_email=ADMIN.email, starts=START + timedelta(minutes=5), status="cancelled"
        )
    )
    db.commit()
    assert len(db.scalars(select(Appointment).where(Appointment.starts_at >= START)).all()) == 4


@pytest.mark.postgres
def test_one_person_cannot_have_two_visits_at_once_even_with_two_clinicians(db: Session) -> None:
    db.add(_appointment(db, clinician_email=ADMIN.email, starts=START))
    db.commit()
    db.add(_appointment(db, clinician_email=CHIRO.email, starts=START + timedelta(minutes=15)))
    with pytest.raises(IntegrityError, match=r"(?i)patient"):
        db.commit()
    db.rollback()
    second = _second_patient(db)
    db.add(
        _appointment(
            db, clinician_email=CHIRO.email, starts=START + timedelta(minutes=15), patient_id=second
        )
    )
    db.commit()


@pytest.mark.postgres
def test_moving_an_appointment_onto_another_is_refused(db: Session) -> None:
    first = _appointment(db, clinician_email=ADMIN.email, starts=START)
    second = _appointment(db, clinician_email=ADMIN.email, starts=START + timedelta(hours=2))
    db.add_all([first, second])
    db.commit()
    second.starts_at = START + timedelta(minutes=20)
    second.ends_at = START + timedelta(minutes=50)
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    # Cancelling frees the time: the same move is then accepted.
    first.status = "cancelled"
    db.commit()
    second.starts_at = START + timedelta(minutes=20)
    second.ends_at = START + timedelta(minutes=50)
    db.commit()


@pytest.mark.postgres
def test_times_come_back_as_the_same_instant_in_utc(db: Session) -> None:
    chicago_morning = datetime(2030, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    db.add(_appointment(db, clinician_email=ADMIN.email, starts=chicago_morning))
    db.commit()
    db.expire_all()
    stored = db.scalar(select(Appointment).where(Appointment.starts_at == chicago_morning))
    assert stored is not None
    assert stored.starts_at == chicago_morning
    assert stored.starts_at.tzinfo is not None
    assert stored.starts_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(db: Session) -> None:
    db.add(_appointment(db, clinician_email=ADMIN.email, starts=datetime(2030, 1, 1, 9, 0)))  # noqa: DTZ001
    with pytest.raises(StatementError, match="naive datetime"):
        db.commit()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///var/x.db", "sqlite:///var/x.db"),
    ],
)
def test_database_urls_use_psycopg3(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app: Any, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    with app.state.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_follow_up_migration_keeps_existing_clinics_and_their_users(tmp_path: Any) -> None:
    """0005 adds the clinic's follow-up columns in place (SQLite: no rebuild of a table every
    other table points at), with their defaults, and takes them away again."""
    import sqlite3

    path = tmp_path / "with-data.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, "0004")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO clinics (id, name, slug, timezone, address, phone, cancel_notice_hours,"
            " min_booking_notice_hours, booking_horizon_days, created_at)"
            " VALUES (1, 'Knee', 'knee', 'UTC', '', '', 24, 2, 60, '2030-01-01 00:00:00')"
        )
        conn.execute(
            "INSERT INTO users (clinic_id, email, password_hash, role, display_name, is_active,"
            " created_at) VALUES (1, 'a@b.test', 'x', 'admin', 'A', 1, '2030-01-01 00:00:00')"
        )
    conn.close()
    migrate.upgrade(url)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        row = conn.execute("SELECT followup_interval_days, preferred_instrument FROM clinics")
        assert row.fetchone() == (14, "koos")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE clinics SET followup_interval_days = 6")
    conn.close()
    migrate.downgrade(url, "0004")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)
        columns = [r[1] for r in conn.execute("PRAGMA table_info(clinics)")]
        assert "followup_interval_days" not in columns
    conn.close()


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """The file holds health records: mode 0600, whatever the umask."""
    import stat

    from popliteal.db import make_engine

    path = tmp_path / "clinic.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
