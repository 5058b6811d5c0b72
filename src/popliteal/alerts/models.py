"""The alerts table.

The database refuses a second open alert of the same kind and rule for one person (a partial
unique index), so checks repeated by two requests at once still raise one alert. The table
keeps the name it had when alerts lived with the outcomes (`outcome_alerts`): no migration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from popliteal.clock import utcnow
from popliteal.db import Base, UTCDateTime

ALERT_KINDS = ("red_flag", "review", "surgical_consult")
ALERT_ORIGINS = ("check_in", "session", "review", "exam")


class OutcomeAlert(Base):
    """Something a clinician of the clinic must look at: a red flag reported at a check-in or
    after a session or found at the clinician's exam, a review flag, or a suggested surgical
    consult."""

    __tablename__ = "outcome_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str | None] = mapped_column(String(20), default=None)
    rule_id: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    patient_message: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolution_note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("kind IN ('red_flag', 'review', 'surgical_consult')", name="kind"),
        CheckConstraint(
            "urgency IS NULL OR urgency IN "
            "('emergency', 'urgent', 'surgical_consult', 'conservative')",
            name="urgency",
        ),
        CheckConstraint("kind <> 'red_flag' OR urgency IS NOT NULL", name="red_flag_urgency"),
        CheckConstraint("source IN ('check_in', 'session', 'review', 'exam')", name="source"),
        CheckConstraint("(resolved_at IS NULL) = (resolved_by IS NULL)", name="resolved"),
        Index(
            "uq_outcome_alerts_one_open",
            "patient_id",
            "kind",
            "rule_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )
