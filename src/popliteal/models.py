"""Every table, imported in one place so Alembic and create_all see the whole schema."""

from popliteal.accounts.models import (
    AuditEvent,
    Clinic,
    LoginAttempt,
    LoginSession,
    Patient,
    User,
)
from popliteal.booking.models import Appointment, AppointmentType, Availability
from popliteal.db import Base
from popliteal.screening.models import ExamFinding, Screening

__all__ = [
    "Appointment",
    "AppointmentType",
    "AuditEvent",
    "Availability",
    "Base",
    "Clinic",
    "ExamFinding",
    "LoginAttempt",
    "LoginSession",
    "Patient",
    "Screening",
    "User",
]
