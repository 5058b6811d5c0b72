"""One person cannot have two booked visits at the same time (with different clinicians).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PATIENT_OVERLAP = """
    SELECT 1 FROM appointments AS other
    WHERE other.patient_id = NEW.patient_id
      AND other.status = 'booked' AND NEW.status = 'booked'
      AND other.id IS NOT NEW.id
      AND other.starts_at < NEW.ends_at AND other.ends_at > NEW.starts_at
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_patient_no_overlap "
            "EXCLUDE USING gist (patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
            "WHERE (status = 'booked')"
        )
    elif bind.dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER appointments_patient_no_overlap_{event.lower()} "
                f"BEFORE {event} ON appointments "
                f"WHEN EXISTS ({_PATIENT_OVERLAP}) "
                "BEGIN SELECT RAISE(ABORT, 'patient already has a visit that overlaps'); END"
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE appointments DROP CONSTRAINT IF EXISTS ex_appointments_patient_no_overlap"
        )
    elif bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS appointments_patient_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS appointments_patient_no_overlap_update")
