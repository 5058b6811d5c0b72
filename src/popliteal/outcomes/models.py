"""Questionnaire responses, knee range of motion and discharges (alerts: alerts/models.py).

A response keeps the answers as given, the score computed from them (a snapshot of
`rules.score_to_json`) and the knowledge version it was scored with, so a later change of the
evidence never rewrites what a clinician saw.

Knee extension is stored as signed degrees: 0 is a fully straight knee, a negative number is
extension lacking (a flexion contracture: -5 means the knee stops 5 degrees short of
straight), a positive number is hyperextension. Flexion is the bend from straight, in degrees.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from popliteal.clock import utcnow
from popliteal.db import Base, UTCDateTime

OCCASIONS = ("baseline", "follow_up", "discharge", "ad_hoc")
SIDES = ("left", "right")
FLEXION_RANGE = (0, 180)
EXTENSION_RANGE = (-90, 30)


class QuestionnaireResponse(Base):
    __tablename__ = "questionnaire_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(8))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    valid: Mapped[bool] = mapped_column(default=False)
    knowledge_version: Mapped[str] = mapped_column(String(64))
    occasion: Mapped[str] = mapped_column(String(16), default="ad_hoc")
    # The safety checklist answered with it ({item id: true/false}); empty when none was asked.
    safety: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    local_date: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("instrument IN ('koos', 'lefs', 'ikdc', 'nprs')", name="instrument"),
        CheckConstraint(
            "occasion IN ('baseline', 'follow_up', 'discharge', 'ad_hoc')", name="occasion"
        ),
        Index("ix_questionnaire_responses_patient_date", "patient_id", "local_date"),
    )


class RangeOfMotion(Base):
    """One goniometer measurement of a knee; `affected` is false for the other knee, measured
    for comparison."""

    __tablename__ = "range_of_motion"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    side: Mapped[str] = mapped_column(String(5))
    affected: Mapped[bool] = mapped_column(default=True)
    flexion_deg: Mapped[int | None] = mapped_column(default=None)
    extension_deg: Mapped[int | None] = mapped_column(default=None)
    measured_on: Mapped[date] = mapped_column(Date)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), default=None)
    visit_note_id: Mapped[int | None] = mapped_column(ForeignKey("visit_notes.id"), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("side IN ('left', 'right')", name="side"),
        CheckConstraint(
            "flexion_deg IS NULL OR (flexion_deg >= 0 AND flexion_deg <= 180)", name="flexion_deg"
        ),
        CheckConstraint(
            "extension_deg IS NULL OR (extension_deg >= -90 AND extension_deg <= 30)",
            name="extension_deg",
        ),
        CheckConstraint("flexion_deg IS NOT NULL OR extension_deg IS NOT NULL", name="one_measure"),
        # A knee lacking 20 degrees of extension is already bent 20 degrees: it can not flex less.
        CheckConstraint(
            "flexion_deg IS NULL OR extension_deg IS NULL OR flexion_deg + extension_deg >= 0",
            name="arc",
        ),
        Index("ix_range_of_motion_patient_date", "patient_id", "measured_on"),
    )


class Discharge(Base):
    """The end of an episode of care, with the criteria as they stood and the before/after
    summary; `overridden` when a clinician discharged with criteria unmet (reason required)."""

    __tablename__ = "discharges"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    discharged_on: Mapped[date] = mapped_column(Date)
    discharged_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    overridden: Mapped[bool] = mapped_column(default=False)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    knowledge_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "NOT overridden OR length(override_reason) > 0", name="override_has_reason"
        ),
    )
