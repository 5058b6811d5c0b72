"""The safety checklist answered at a session's finish, kept on the session log (as a
questionnaire response keeps its own), so later forms that day need not ask it again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place (no table rebuild on SQLite); sessions finished before have none: "{}".
    with op.batch_alter_table("session_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("safety", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would copy the reflected column checks.
    op.drop_column("session_logs", "safety")
