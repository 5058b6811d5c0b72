"""A person can delete their account: the patient row becomes a tombstone (`deleted_at`), and
the name and date of birth a kept record must carry move to `retained_identities`, apart from
it, for as long as the clinic must keep the visit notes.

Revision ID: 0013_account_deletion
Revises: 0012_patient_list_indexes
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from popliteal.db import UTCDateTime

revision = "0013_account_deletion"
down_revision = "0012_patient_list_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): audit_events points at patients, and SQLite can
    # add a nullable column in place.
    op.add_column("patients", sa.Column("deleted_at", UTCDateTime(), nullable=True))
    op.create_table(
        "retained_identities",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=False),
        sa.Column("keep_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("patient_id"),
    )
    op.create_index(
        "ix_retained_identities_clinic_id", "retained_identities", ["clinic_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_retained_identities_clinic_id", table_name="retained_identities")
    op.drop_table("retained_identities")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops a plain column in place; a batch rebuild would drop the patients
        # table, which audit_events points at, and fail its foreign keys.
        op.execute("ALTER TABLE patients DROP COLUMN deleted_at")
    else:
        op.drop_column("patients", "deleted_at")
