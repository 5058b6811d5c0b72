"""Per-person audit keys (crypto-shredding): the personal fields of a person's audit events are
stored sealed with their key, and deleting the account deletes the key (accounts/audit_seal.py).
Unlike audit_events, this table is not append-only.

Revision ID: 0016_audit_keys
Revises: 0015_clinic_emergency_number
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from popliteal.db import UTCDateTime

revision = "0016_audit_keys"
down_revision = "0015_clinic_emergency_number"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_keys",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("patient_id"),
    )


def downgrade() -> None:
    op.drop_table("audit_keys")
