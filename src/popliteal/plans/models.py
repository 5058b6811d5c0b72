"""Care plans and their versions.

A version is never edited once saved: a change (by the builder or an approved progression)
saves the next version, so the history of what a person was asked to do is kept. One active plan
per person is enforced by a partial unique index.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from popliteal.clock import utcnow
from popliteal.db import Base, UTCDateTime

PLAN_STATUSES = ("active", "ended")


class CarePlan(Base):
    __tablename__ = "care_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    condition_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    current_version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        CheckConstraint("status IN ('active', 'ended')", name="status"),
        Index(
            "uq_care_plans_one_active",
            "patient_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class CarePlanVersion(Base):
    __tablename__ = "care_plan_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id"), index=True)
    number: Mapped[int]
    phase: Mapped[str] = mapped_column(String(32))
    goal: Mapped[str] = mapped_column(String(32))
    pain: Mapped[int | None] = mapped_column(default=None)
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    minutes_per_day: Mapped[int | None] = mapped_column(default=None)
    exercises: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    treatments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    activity_limits: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    progression_criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    refer_when: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    change_summary: Mapped[str] = mapped_column(Text, default="")
    knowledge_version: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("uq_care_plan_versions_plan_number", "plan_id", "number", unique=True),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint("pain IS NULL OR (pain >= 0 AND pain <= 10)", name="pain"),
    )
