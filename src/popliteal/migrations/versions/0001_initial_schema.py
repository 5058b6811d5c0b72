"""Initial schema, with the database-level guard against double booking.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 01:06:14.984810
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import popliteal.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# Half-open intervals: one appointment may start exactly when another ends.
_OVERLAP = """
    SELECT 1 FROM appointments AS other
    WHERE other.clinician_id = NEW.clinician_id
      AND other.status = 'booked' AND NEW.status = 'booked'
      AND other.id IS NOT NEW.id
      AND other.starts_at < NEW.ends_at AND other.ends_at > NEW.starts_at
"""


def _no_overlapping_appointments() -> None:
    """PostgreSQL: an exclusion constraint. SQLite: triggers (writers are serialised)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_no_overlap "
            "EXCLUDE USING gist (clinician_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
            "WHERE (status = 'booked')"
        )
    elif bind.dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER appointments_no_overlap_{event.lower()} "
                f"BEFORE {event} ON appointments "
                f"WHEN EXISTS ({_OVERLAP}) "
                "BEGIN SELECT RAISE(ABORT, 'appointment overlaps another of this clinician'); END"
            )


def _drop_overlap_guard() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE appointments DROP CONSTRAINT IF EXISTS ex_appointments_no_overlap")
    elif bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_update")


def upgrade() -> None:
    op.create_table(
        "clinics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("cancel_notice_hours", sa.Integer(), nullable=False),
        sa.Column("min_booking_notice_hours", sa.Integer(), nullable=False),
        sa.Column("booking_horizon_days", sa.Integer(), nullable=False),
        sa.Column("created_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinics")),
        sa.UniqueConstraint("slug", name=op.f("uq_clinics_slug")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_address_at", ["address", "at"], unique=False)
        batch_op.create_index("ix_login_attempts_email_at", ["email", "at"], unique=False)

    op.create_table(
        "appointment_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("modes", sa.JSON(), nullable=False),
        sa.Column("is_free", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "minutes > 0 AND minutes <= 480", name=op.f("ck_appointment_types_minutes")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_appointment_types_clinic_id_clinics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_types")),
    )
    with op.batch_alter_table("appointment_types", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_types_clinic_id"), ["clinic_id"], unique=False
        )
        batch_op.create_index(
            "uq_appointment_types_clinic_code", ["clinic_id", "code"], unique=True
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("profession", sa.String(length=40), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('patient', 'clinician', 'admin')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_users_clinic_id_clinics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "availability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("modes", sa.JSON(), nullable=False),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_availability_order")),
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name=op.f("ck_availability_weekday")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_availability_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"], ["users.id"], name=op.f("fk_availability_clinician_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability")),
    )
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_availability_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_availability_clinician_id"), ["clinician_id"], unique=False
        )

    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_login_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_sessions_token_hash")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("working_diagnosis", sa.String(length=64), nullable=True),
        sa.Column("working_diagnosis_note", sa.Text(), nullable=False),
        sa.Column("working_diagnosis_by", sa.Integer(), nullable=True),
        sa.Column("working_diagnosis_at", popliteal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_patients_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_patients_user_id_users")),
        sa.ForeignKeyConstraint(
            ["working_diagnosis_by"],
            ["users.id"],
            name=op.f("fk_patients_working_diagnosis_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("user_id", name=op.f("uq_patients_user_id")),
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patients_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_audit_events_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_audit_events_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_audit_events_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_patient_at", ["patient_id", "at"], unique=False)

    op.create_table(
        "screenings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("urgency", sa.String(length=24), nullable=False),
        sa.Column("knowledge_version", sa.String(length=64), nullable=False),
        sa.Column("based_on_id", sa.String(length=32), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["based_on_id"], ["screenings.id"], name=op.f("fk_screenings_based_on_id_screenings")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_screenings_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_screenings_created_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_screenings_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
    )
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screenings_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_screenings_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("starts_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("screening_id", sa.String(length=32), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", popliteal.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "mode IN ('in_clinic', 'virtual', 'at_home')", name=op.f("ck_appointments_mode")
        ),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled')", name=op.f("ck_appointments_status")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_appointments_order")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_appointments_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"], ["users.id"], name=op.f("fk_appointments_clinician_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_appointments_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            name=op.f("fk_appointments_screening_id_screenings"),
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["appointment_types.id"],
            name=op.f("fk_appointments_type_id_appointment_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointments_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            "ix_appointments_clinician_starts", ["clinician_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appointments_patient_id"), ["patient_id"], unique=False
        )

    _no_overlapping_appointments()

    op.create_table(
        "exam_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.String(length=32), nullable=False),
        sa.Column("finding_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", popliteal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_exam_findings_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_exam_findings_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            name=op.f("fk_exam_findings_screening_id_screenings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_findings")),
    )
    with op.batch_alter_table("exam_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exam_findings_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exam_findings_screening_id"), ["screening_id"], unique=False
        )


def downgrade() -> None:
    _drop_overlap_guard()
    with op.batch_alter_table("exam_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exam_findings_screening_id"))
        batch_op.drop_index(batch_op.f("ix_exam_findings_patient_id"))

    op.drop_table("exam_findings")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointments_patient_id"))
        batch_op.drop_index("ix_appointments_clinician_starts")
        batch_op.drop_index(batch_op.f("ix_appointments_clinic_id"))

    op.drop_table("appointments")
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screenings_patient_id"))
        batch_op.drop_index(batch_op.f("ix_screenings_clinic_id"))

    op.drop_table("screenings")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_patient_at")

    op.drop_table("audit_events")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patients_clinic_id"))

    op.drop_table("patients")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_user_id"))

    op.drop_table("login_sessions")
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_availability_clinician_id"))
        batch_op.drop_index(batch_op.f("ix_availability_clinic_id"))

    op.drop_table("availability")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_clinic_id"))

    op.drop_table("users")
    with op.batch_alter_table("appointment_types", schema=None) as batch_op:
        batch_op.drop_index("uq_appointment_types_clinic_code")
        batch_op.drop_index(batch_op.f("ix_appointment_types_clinic_id"))

    op.drop_table("appointment_types")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_email_at")
        batch_op.drop_index("ix_login_attempts_address_at")

    op.drop_table("login_attempts")
    op.drop_table("clinics")
