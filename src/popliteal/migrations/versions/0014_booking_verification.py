"""Booking by a new person waits for their e-mail: held visits, one-time links, verified
addresses, and the clinic's hold time.

A visit booked without logging in is 'held' until the link e-mailed to the address is followed;
an unconfirmed hold is 'expired' after the clinic's hold time. A held visit keeps its slot: the
no-overlap guard of a clinician counts 'held' as well as 'booked' (the guard of one person does
not: a hold asked for by someone else must not reveal that person's own visits).

Revision ID: 0014_booking_verification
Revises: 0013_account_deletion
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import popliteal.db

revision = "0014_booking_verification"
down_revision = "0013_account_deletion"
branch_labels = None
depends_on = None

_OLD_CHECK = "status IN ('booked', 'cancelled')"
_NEW_CHECK = "status IN ('booked', 'cancelled', 'held', 'expired')"


def _overlap(statuses: str) -> str:
    # `statuses` is one of this file's two constants, never input.
    return f"""
    SELECT 1 FROM appointments AS other
    WHERE other.clinician_id = NEW.clinician_id
      AND other.status IN ({statuses}) AND NEW.status IN ({statuses})
      AND other.id IS NOT NEW.id
      AND other.starts_at < NEW.ends_at AND other.ends_at > NEW.starts_at
"""  # noqa: S608


def _sqlite_check(old: str, new: str) -> None:
    """Loosen or tighten the status CHECK in place: SQLite's documented way for a change that
    leaves the stored rows as they are (a table rebuild would trip the foreign keys that point
    at appointments)."""
    bind = op.get_bind()
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar() or 0)
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' "
        "AND name = 'appointments'",
        (old, new),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    found = bind.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE name = 'appointments' AND instr(sql, ?) > 0",
        (new,),
    ).scalar()
    if found != 1:
        raise RuntimeError("the appointments status check was not changed")


def _guard(statuses: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE appointments DROP CONSTRAINT IF EXISTS ex_appointments_no_overlap")
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_no_overlap "
            "EXCLUDE USING gist (clinician_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
            f"WHERE (status IN ({statuses}))"
        )
    elif bind.dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER IF EXISTS appointments_no_overlap_{event.lower()}")
            op.execute(
                f"CREATE TRIGGER appointments_no_overlap_{event.lower()} "
                f"BEFORE {event} ON appointments "
                f"WHEN EXISTS ({_overlap(statuses)}) "
                "BEGIN SELECT RAISE(ABORT, 'appointment overlaps another of this clinician'); END"
            )


def _status_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_check(old, new)
    else:
        op.execute("ALTER TABLE appointments DROP CONSTRAINT ck_appointments_status")
        op.execute(f"ALTER TABLE appointments ADD CONSTRAINT ck_appointments_status CHECK ({new})")


def upgrade() -> None:
    op.add_column(
        "appointments",
        sa.Column("hold_expires_at", popliteal.db.UTCDateTime(timezone=True), nullable=True),
    )
    _status_check(_OLD_CHECK, _NEW_CHECK)
    _guard("'booked', 'held'")
    op.add_column(
        "users",
        sa.Column("email_verified_at", popliteal.db.UTCDateTime(timezone=True), nullable=True),
    )
    # Everyone already here signed up before addresses were checked, or was set up by staff.
    op.execute("UPDATE users SET email_verified_at = created_at")
    # Added in place (no table rebuild on SQLite); the range is checked where it is set.
    op.add_column(
        "clinics",
        sa.Column("booking_hold_minutes", sa.Integer(), server_default="120", nullable=False),
    )
    op.create_table(
        "one_time_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", popliteal.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('booking', 'invitation')", name=op.f("ck_one_time_links_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_one_time_links_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_one_time_links_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_links_token_hash")),
    )
    op.create_index(op.f("ix_one_time_links_user_id"), "one_time_links", ["user_id"])
    op.create_index("ix_appointments_status_hold", "appointments", ["status", "hold_expires_at"])


def downgrade() -> None:
    op.drop_index("ix_appointments_status_hold", table_name="appointments")
    op.drop_index(op.f("ix_one_time_links_user_id"), table_name="one_time_links")
    op.drop_table("one_time_links")
    op.execute("DELETE FROM appointments WHERE status IN ('held', 'expired')")
    _guard("'booked'")
    _status_check(_NEW_CHECK, _OLD_CHECK)
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would copy the reflected column checks.
    op.drop_column("clinics", "booking_hold_minutes")
    op.drop_column("users", "email_verified_at")
    op.drop_column("appointments", "hold_expires_at")
