"""The audit trail becomes append-only and hash-chained: each event keeps the hash of the one
before it and its own (accounts/audit_chain.py); existing events are chained in id order
here. The database then refuses UPDATE and DELETE on the table (SQLite triggers, a
PostgreSQL trigger function that also refuses TRUNCATE), so even a bug or a hand-typed
statement cannot rewrite history; `popliteal audit verify` catches what bypasses them.

A later migration that rebuilds audit_events on SQLite (a batch "move and copy") drops the
triggers with the old table and must create them again (`create_guards`).

Revision ID: 0011_audit_trail
Revises: 0010_mail_outbox
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from popliteal.accounts.audit_chain import GENESIS, ChainedFields, event_hash
from popliteal.db import UTCDateTime

revision = "0011_audit_trail"
down_revision = "0010_mail_outbox"
branch_labels = None
depends_on = None

REFUSAL = "audit events are append-only"

SQLITE_GUARDS = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}: UPDATE refused'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}: DELETE refused'); END",
)
POSTGRES_GUARDS = (
    "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP "
    "USING ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
)


def create_guards() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_GUARDS if dialect == "postgresql" else SQLITE_GUARDS:
        op.execute(statement)


def drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")


def _chain_existing() -> None:
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer()),
        sa.column("at", UTCDateTime()),
        sa.column("clinic_id", sa.Integer()),
        sa.column("actor_user_id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("entity", sa.String()),
        sa.column("entity_id", sa.String()),
        sa.column("patient_id", sa.Integer()),
        sa.column("address", sa.String()),
        sa.column("detail", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    bind = op.get_bind()
    prev = GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        fields = ChainedFields(
            at=row["at"],
            clinic_id=row["clinic_id"],
            actor_user_id=row["actor_user_id"],
            action=row["action"],
            entity=row["entity"],
            entity_id=row["entity_id"],
            patient_id=row["patient_id"],
            address=row["address"],
            detail=dict(row["detail"] or {}),
        )
        digest = event_hash(fields, prev)
        bind.execute(
            events.update().where(events.c.id == row["id"]).values(prev_hash=prev, hash=digest)
        )
        prev = digest


def upgrade() -> None:
    # Added in place (no table rebuild on SQLite); the chain fills them before the guards.
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("prev_hash", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("hash", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.create_index("ix_audit_events_clinic_at", ["clinic_id", "at"], unique=False)
    _chain_existing()
    create_guards()


def downgrade() -> None:
    drop_guards()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_clinic_at")
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would copy the reflected column checks.
    op.drop_column("audit_events", "hash")
    op.drop_column("audit_events", "prev_hash")
