"""An activity's sport: rides, swims and rows are kept as cross-training and never counted as
running distance. Every activity stored before was counted as a run: "running".

Revision ID: 0009_activity_sport
Revises: 0008_account_security
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_activity_sport"
down_revision = "0008_account_security"
branch_labels = None
depends_on = None

SPORTS = "('running', 'walking', 'cycling', 'swimming', 'rowing', 'other')"


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sport", sa.String(16), server_default="running", nullable=False)
        )
        batch_op.create_check_constraint("sport", f"sport IN {SPORTS}")


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_constraint("sport", type_="check")
        batch_op.drop_column("sport")
