"""Guided exercise sessions, pain logs and visit notes.

A session log belongs to the plan version the person was following, so adherence and
progression are judged against what was prescribed at the time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from popliteal.clock import utcnow
from popliteal.db import Base, UTCDateTime

SESSION_MODES = ("home", "virtual", "at_home_visit")
PAIN_KINDS = ("morning", "other")


class SessionLog(Base):
    __tablename__ = "session_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("care_plan_versions.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16), default="home")
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), default=None)
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    pain_before: Mapped[int | None] = mapped_column(default=None)
    pain_after: Mapped[int | None] = mapped_column(default=None)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    # The safety checklist answered at the finish ({item id: true/false}, an item left out was
    # "Not sure"); empty when none was asked, as on questionnaire_responses.
    safety: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict, server_default="{}")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        CheckConstraint("mode IN ('home', 'virtual', 'at_home_visit')", name="mode"),
        CheckConstraint("status IN ('in_progress', 'done')", name="status"),
        CheckConstraint(
            "pain_before IS NULL OR (pain_before >= 0 AND pain_before <= 10)", name="pain_before"
        ),
        CheckConstraint(
            "pain_after IS NULL OR (pain_after >= 0 AND pain_after <= 10)", name="pain_after"
        ),
        Index("ix_session_logs_patient_date", "patient_id", "local_date"),
    )


class PainLog(Base):
    """A pain score outside a session: the morning check is what the pain-monitoring model
    compares with ('back to baseline by the next morning')."""

    __tablename__ = "pain_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    local_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="morning")
    pain: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("pain >= 0 AND pain <= 10", name="pain"),
        CheckConstraint("kind IN ('morning', 'other')", name="kind"),
        Index(
            "uq_pain_logs_one_morning",
            "patient_id",
            "local_date",
            unique=True,
            sqlite_where=text("kind = 'morning'"),
            postgresql_where=text("kind = 'morning'"),
        ),
    )


class VisitNote(Base):
    """A short SOAP note of one visit (in clinic, virtual or at home)."""

    __tablename__ = "visit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id"), default=None, unique=True
    )
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(16))
    visit_date: Mapped[date] = mapped_column(Date)
    subjective: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    treatments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    pain: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("mode IN ('in_clinic', 'virtual', 'at_home')", name="mode"),
        CheckConstraint("pain IS NULL OR (pain >= 0 AND pain <= 10)", name="pain"),
    )
