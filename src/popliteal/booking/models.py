"""Appointment types, weekly availability and appointments.

Two booked appointments of one clinician never overlap. The database enforces it: an
exclusion constraint on PostgreSQL, triggers on SQLite (see the first migration).
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from popliteal.clock import utcnow
from popliteal.db import Base, UTCDateTime

MODES = ("in_clinic", "virtual", "at_home")
# 'held': booked without logging in, waiting for the e-mailed link (booking/holds.py); a hold
# not confirmed in time becomes 'expired'. Only 'booked' visits are real visits.
STATUSES = ("booked", "cancelled", "held", "expired")


class AppointmentType(Base):
    __tablename__ = "appointment_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int]
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_free: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("minutes > 0 AND minutes <= 480", name="minutes"),
        Index("uq_appointment_types_clinic_code", "clinic_id", "code", unique=True),
    )


class Availability(Base):
    """A weekly block in the clinic's time zone: weekday 0 = Monday."""

    __tablename__ = "availability"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        CheckConstraint("end_time > start_time", name="order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    weekday: Mapped[int]
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="order"),
        CheckConstraint("status IN ('booked', 'cancelled', 'held', 'expired')", name="status"),
        CheckConstraint("mode IN ('in_clinic', 'virtual', 'at_home')", name="mode"),
        Index("ix_appointments_clinician_starts", "clinician_id", "starts_at"),
        # The patient list's next visit: the clinic's booked visits from now on (0008).
        Index("ix_appointments_clinic_upcoming", "clinic_id", "status", "starts_at", "patient_id"),
        Index("ix_appointments_status_hold", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    mode: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="booked")
    address: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    screening_id: Mapped[str | None] = mapped_column(ForeignKey("screenings.id"), default=None)
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # A held visit keeps its slot until then (0013).
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
