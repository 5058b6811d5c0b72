"""Clinics, people who log in, patients, login sessions and attempts, and the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from popliteal.clock import utcnow, zone
from popliteal.db import Base, UTCDateTime

ROLES = ("patient", "clinician", "admin")


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    cancel_notice_hours: Mapped[int] = mapped_column(default=24)
    min_booking_notice_hours: Mapped[int] = mapped_column(default=2)
    booking_horizon_days: Mapped[int] = mapped_column(default=60)
    # Follow-up questionnaires are due this many days apart (outcomes/schedule.py).
    followup_interval_days: Mapped[int] = mapped_column(default=14, server_default="14")
    # The main outcome instrument for knee-joint causes: KOOS needs a licence for clinic use,
    # so a clinic without one chooses LEFS (free to use).
    preferred_instrument: Mapped[str] = mapped_column(
        String(8), default="koos", server_default="koos"
    )
    # Staff must sign in with a code from an authenticator app too (accounts/mfa.py).
    require_staff_mfa: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The visit reminder e-mail goes out this many hours before the visit.
    reminder_lead_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    # A visit booked without logging in is held this long for the e-mailed link (0013).
    booking_hold_minutes: Mapped[int] = mapped_column(default=120, server_default="120")
    # The number pages tell a person to call in an emergency; None: the server's setting
    # (POPLITEAL_EMERGENCY_NUMBER). Set by `popliteal clinic create --emergency-number` (0015).
    emergency_number: Mapped[str | None] = mapped_column(String(6), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's time zone: every date a person sees is on this wall clock."""
        return zone(self.timezone)

    __table_args__ = (
        CheckConstraint(
            "followup_interval_days >= 7 AND followup_interval_days <= 56",
            name="followup_interval_days",
        ),
        CheckConstraint("preferred_instrument IN ('koos', 'lefs')", name="preferred_instrument"),
    )


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('patient', 'clinician', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(200))
    profession: Mapped[str | None] = mapped_column(String(40), default=None)
    # A clinician's video room: the join link their video visits' e-mails carry.
    video_room_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-step sign-in (accounts/mfa.py): the TOTP secret, encrypted with the server's key;
    # set while enrolling, in use once `totp_enabled_at` is set. `totp_last_step` is the time
    # step of the last accepted code: a code is good once only.
    totp_secret: Mapped[str | None] = mapped_column(String(255), default=None)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # When the address was checked: a followed e-mailed link, or the account was made with a
    # password (staff, the demo). None: made by a booking or an invitation whose link is still
    # unused; it has no password anyone knows (and is not on the patient list).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def has_mfa(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in ("clinician", "admin")


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date, default=None)
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    working_diagnosis: Mapped[str | None] = mapped_column(String(64), default=None)
    working_diagnosis_note: Mapped[str] = mapped_column(Text, default="")
    working_diagnosis_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    working_diagnosis_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Distances are stored in km and shown in the person's unit; the seed pages speak in miles.
    distance_unit: Mapped[str] = mapped_column(String(2), default="mi", server_default="mi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the person deleted their account (workspace/erasure.py): the row stays as a
    # tombstone ("Deleted account", no contact details) because audit events and any visit
    # notes the clinic must keep point at it.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class RetainedIdentity(Base):
    """Who a kept record belongs to, after the person deleted their account.

    Only written when visit notes are kept under the clinic's record-retention duty: a health
    record must still name its patient (name and date of birth) so it can be produced for the
    person, a regulator or a court. Kept apart from the tombstoned patient row, shown to the
    clinic's clinicians on the kept record only, and deleted with the notes once `keep_until`
    has passed (`popliteal maintenance run`)."""

    __tablename__ = "retained_identities"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date, default=None)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    keep_until: Mapped[date] = mapped_column(Date)


class LoginSession(Base):
    """A server-side session: the cookie holds a random token, the table only its hash."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Last request seen, for the staff idle timeout (None: not since created_at).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Password right, code still to come: such a session signs nobody in (accounts/mfa.py).
    pending_mfa: Mapped[bool] = mapped_column(default=False, server_default=false())


class PasswordResetToken(Base):
    """A single-use link to set a new password: the e-mail holds the token, the table its hash."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class OneTimeLink(Base):
    """A single-use e-mailed link: confirm a visit booked without logging in ('booking', with
    its held appointment), or a new staff member's first password ('invitation'). The e-mail
    holds the token, the table its SHA-256."""

    __tablename__ = "one_time_links"
    __table_args__ = (CheckConstraint("purpose IN ('booking', 'invitation')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class LoginAttempt(Base):
    """Failed and successful logins, kept in the database so limits hold across servers."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    success: Mapped[bool] = mapped_column(default=False)


class RecoveryCode(Base):
    """A single-use code to sign in without the authenticator app; only its hash is kept.
    `selector` (the code's first characters) finds the one row to check."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    selector: Mapped[str] = mapped_column(String(8))
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AuditEvent(Base):
    """Who read or changed which patient record, when and from where; also logins, logouts,
    failed logins, password changes and refused requests.

    Append-only: the database refuses UPDATE and DELETE (migration 0008). Rows are chained by
    hash (accounts/audit_chain.py); accounts/audit_log.py writes them at commit, in order."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_patient_at", "patient_id", "at"),
        Index("ix_audit_events_clinic_at", "clinic_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinics.id"), default=None)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), default=None)
    address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), server_default="")
    hash: Mapped[str] = mapped_column(String(64), server_default="")


class AuditKey(Base):
    """One person's key for the personal fields of their audit events (accounts/audit_seal.py).

    Not append-only, unlike audit_events: deleting a person's account deletes this row, and
    with it every way to read their sealed events (crypto-shredding)."""

    __tablename__ = "audit_keys"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
