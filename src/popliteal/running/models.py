"""Runs: entered by hand or imported from a watch file, stored in km and UTC.

A ride, swim or row from a watch file is stored too (`sport`), as cross-training: it is shown,
never counted as running distance (running/sports.py).

The database refuses the same file twice for one person (a partial unique index on the
file's content hash), so an import repeated by two servers at once still counts once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from popliteal.clock import utcnow
from popliteal.db import Base, UTCDateTime

ACTIVITY_SOURCES = ("manual", "file")
DISTANCE_SOURCES = ("manual", "device", "track")


class Activity(Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    local_date: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    distance_km: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    elevation_gain_m: Mapped[float | None] = mapped_column(Float, default=None)
    surface: Mapped[str | None] = mapped_column(String(32), default=None)
    pain_during: Mapped[int | None] = mapped_column(default=None)
    pain_next_morning: Mapped[int | None] = mapped_column(default=None)
    walk_run_level: Mapped[int | None] = mapped_column(default=None)
    sport: Mapped[str] = mapped_column(String(16), default="running", server_default="running")
    source: Mapped[str] = mapped_column(String(16), default="manual")
    distance_source: Mapped[str] = mapped_column(String(16), default="manual")
    file_name: Mapped[str] = mapped_column(String(255), default="")
    file_format: Mapped[str | None] = mapped_column(String(8), default=None)
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("distance_km >= 0 AND distance_km <= 500", name="distance_km"),
        CheckConstraint("duration_s IS NULL OR duration_s >= 0", name="duration_s"),
        CheckConstraint(
            "surface IS NULL OR surface IN "
            "('road_or_concrete', 'uneven_or_trail', 'track_or_treadmill', 'grass_or_mixed')",
            name="surface",
        ),
        CheckConstraint(
            "pain_during IS NULL OR (pain_during >= 0 AND pain_during <= 10)", name="pain_during"
        ),
        CheckConstraint(
            "pain_next_morning IS NULL OR (pain_next_morning >= 0 AND pain_next_morning <= 10)",
            name="pain_next_morning",
        ),
        CheckConstraint(
            "walk_run_level IS NULL OR (walk_run_level >= 1 AND walk_run_level <= 20)",
            name="walk_run_level",
        ),
        CheckConstraint(
            "sport IN ('running', 'walking', 'cycling', 'swimming', 'rowing', 'other')",
            name="sport",
        ),
        CheckConstraint("source IN ('manual', 'file')", name="source"),
        CheckConstraint("distance_source IN ('manual', 'device', 'track')", name="distance_source"),
        CheckConstraint("(source = 'file') = (content_hash IS NOT NULL)", name="file_has_hash"),
        Index("ix_activities_patient_date", "patient_id", "local_date"),
        Index(
            "uq_activities_patient_file",
            "patient_id",
            "content_hash",
            unique=True,
            sqlite_where=text("content_hash IS NOT NULL"),
            postgresql_where=text("content_hash IS NOT NULL"),
        ),
    )
