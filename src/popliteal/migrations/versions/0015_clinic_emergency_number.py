"""The clinic's emergency number (911, 112, 999): set at `popliteal clinic create`; empty means
the server's POPLITEAL_EMERGENCY_NUMBER, as before.

Revision ID: 0015_clinic_emergency_number
Revises: 0014_booking_verification
Create Date: 2026-12-07 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_clinic_emergency_number"
down_revision = "0014_booking_verification"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place: a batch rebuild of `clinics` on SQLite would drop a table others point at.
    op.add_column("clinics", sa.Column("emergency_number", sa.String(6), nullable=True))


def downgrade() -> None:
    op.drop_column("clinics", "emergency_number")  # plain DROP COLUMN (SQLite 3.35+)
