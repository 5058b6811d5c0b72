"""Every table, imported in one place so Alembic and create_all see the whole schema."""

from popliteal.accounts.models import (
    AuditEvent,
    AuditKey,
    Clinic,
    LoginAttempt,
    LoginSession,
    PasswordResetToken,
    Patient,
    RecoveryCode,
    RetainedIdentity,
    User,
)
from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment, AppointmentType, Availability
from popliteal.db import Base
from popliteal.mail.models import OutboxMessage
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.models import Activity
from popliteal.screening.models import ExamFinding, Screening
from popliteal.sessions.models import PainLog, SessionLog, VisitNote

__all__ = [
    "Activity",
    "Appointment",
    "AppointmentType",
    "AuditEvent",
    "AuditKey",
    "Availability",
    "Base",
    "CarePlan",
    "CarePlanVersion",
    "Clinic",
    "Discharge",
    "ExamFinding",
    "LoginAttempt",
    "LoginSession",
    "OutboxMessage",
    "OutcomeAlert",
    "PainLog",
    "PasswordResetToken",
    "Patient",
    "QuestionnaireResponse",
    "RangeOfMotion",
    "RecoveryCode",
    "RetainedIdentity",
    "Screening",
    "SessionLog",
    "User",
    "VisitNote",
]
