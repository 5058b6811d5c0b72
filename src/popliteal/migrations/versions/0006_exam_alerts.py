"""A red flag fired by the clinician's exam opens an alert too: outcome_alerts.source 'exam'.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BEFORE = "source IN ('check_in', 'session', 'review')"
_AFTER = "source IN ('check_in', 'session', 'review', 'exam')"


def _source_check(condition: str) -> None:
    # SQLite can not alter a CHECK: batch mode rebuilds the table (indexes included).
    with op.batch_alter_table("outcome_alerts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outcome_alerts_source"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outcome_alerts_source"), condition)


def upgrade() -> None:
    _source_check(_AFTER)


def downgrade() -> None:
    # The older schema has no place for an exam's alert.
    op.execute("DELETE FROM outcome_alerts WHERE source = 'exam'")
    _source_check(_BEFORE)
