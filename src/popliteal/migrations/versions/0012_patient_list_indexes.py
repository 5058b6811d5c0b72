"""Indexes the patient list orders by: each person's complete screenings (urgency and role
read from the index, not from the rows with their large result snapshots) and the clinic's
booked visits from now on (a range, not a scan of a year of past visits).

Revision ID: 0012_patient_list_indexes
Revises: 0011_audit_trail
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0012_patient_list_indexes"
down_revision = "0011_audit_trail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_screenings_patient_standing",
        "screenings",
        ["patient_id", "status", "created_at", "role", "urgency"],
    )
    op.create_index(
        "ix_appointments_clinic_upcoming",
        "appointments",
        ["clinic_id", "status", "starts_at", "patient_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_appointments_clinic_upcoming", table_name="appointments")
    op.drop_index("ix_screenings_patient_standing", table_name="screenings")
