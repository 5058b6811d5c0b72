"""Account security (issue 16): two-step sign-in for staff (TOTP secret, last accepted step,
recovery codes), the clinic's "require it" switch, and what the staff idle timeout and the
second sign-in step need on a login session.

Revision ID: 0008_account_security
Revises: 0007
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import popliteal.db

revision = "0008_account_security"
down_revision = "0007"  # the file 0007_session_safety_answers.py; its id is "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns added in place (no table rebuild on SQLite); existing rows get the defaults.
    op.add_column(
        "clinics",
        sa.Column("require_staff_mfa", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("users", sa.Column("totp_secret", sa.String(length=255), nullable=True))
    op.add_column(
        "users",
        sa.Column("totp_enabled_at", popliteal.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column(
        "login_sessions",
        sa.Column("last_seen_at", popliteal.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "login_sessions",
        sa.Column("pending_mfa", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("selector", sa.String(length=8), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column("used_at", popliteal.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("recovery_codes")
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would copy the reflected column checks.
    op.drop_column("login_sessions", "pending_mfa")
    op.drop_column("login_sessions", "last_seen_at")
    op.drop_column("users", "totp_last_step")
    op.drop_column("users", "totp_enabled_at")
    op.drop_column("users", "totp_secret")
    op.drop_column("clinics", "require_staff_mfa")
