"""Screenings (anonymous until the person books) and a clinician's exam findings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from popliteal.clock import utcnow
from popliteal.db import Base, UTCDateTime


class Screening(Base):
    """One screening: answers, the result snapshot and the knowledge version it came from.

    An anonymous screening holds no personal data: only answers, the result and the hash of
    the random token in the visitor's cookie. Booking links it to the new patient.
    """

    __tablename__ = "screenings"
    # The patient list orders by each person's standing urgency (migration 0008).
    __table_args__ = (
        Index(
            "ix_screenings_patient_standing",
            "patient_id",
            "status",
            "created_at",
            "role",
            "urgency",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id"), index=True, default=None
    )
    token_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    role: Mapped[str] = mapped_column(String(16), default="patient")
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    history: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgency: Mapped[str] = mapped_column(String(24), default="conservative")
    knowledge_version: Mapped[str] = mapped_column(String(64))
    based_on_id: Mapped[str | None] = mapped_column(ForeignKey("screenings.id"), default=None)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExamFinding(Base):
    """One finding a clinician recorded at an exam, tied to the screening it re-ran."""

    __tablename__ = "exam_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    screening_id: Mapped[str] = mapped_column(ForeignKey("screenings.id"), index=True)
    finding_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
