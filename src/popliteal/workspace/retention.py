"""What is kept no longer: `popliteal maintenance run` deletes it, once a day.

Anonymous screenings (linked to no patient: a visitor's, or a clinician's quick one) hold no
name or contact, only answers, the result and the hash of a browser's random token. Booking
uses a screening of the last 30 days only (booking/screening_gate.py), and symptoms change, so
after the retention period (POPLITEAL_ANONYMOUS_SCREENING_DAYS, default 30) they serve nobody
and are deleted. A screening something still points at (an appointment, an exam, a later
screening based on it) is kept: it is part of a record.

Failed-login rows (an email address and a client address) only serve the throttling window;
they go a day after it (POPLITEAL_LOGIN_WINDOW_MINUTES, at least a day). Expired login
sessions go too (a login already removes those of its own account).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session, aliased

from popliteal.accounts.models import LoginAttempt, LoginSession
from popliteal.booking.models import Appointment
from popliteal.db import transaction
from popliteal.screening.models import ExamFinding, Screening

# Failed logins are kept this long at least, whatever the throttling window.
LOGIN_ATTEMPTS_MIN_KEEP = timedelta(days=1)
# Rows deleted per transaction: a big first run never holds SQLite's write lock for long.
BATCH = 500


@dataclass(frozen=True)
class RetentionReport:
    anonymous_screenings_deleted: int
    cutoff: datetime


@dataclass(frozen=True)
class LoginRowsReport:
    login_attempts_deleted: int
    expired_sessions_deleted: int


def delete_stale_login_rows(
    session: Session, *, now: datetime, window_minutes: int
) -> LoginRowsReport:
    """Delete failed logins older than the throttling window (and a day), and expired
    sessions (idempotent)."""
    keep = max(timedelta(minutes=window_minutes), LOGIN_ATTEMPTS_MIN_KEEP)
    with transaction(session):
        attempts = session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - keep))
        sessions = session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    return LoginRowsReport(
        login_attempts_deleted=int(getattr(attempts, "rowcount", 0) or 0),
        expired_sessions_deleted=int(getattr(sessions, "rowcount", 0) or 0),
    )


def delete_expired_anonymous_screenings(
    session: Session, *, now: datetime, keep_days: int
) -> RetentionReport:
    """Delete anonymous screenings untouched for more than `keep_days` days (idempotent)."""
    cutoff = now - timedelta(days=keep_days)
    later = aliased(Screening)
    expired = (
        select(Screening.id)
        .where(
            Screening.patient_id.is_(None),
            Screening.updated_at < cutoff,
            Screening.created_at < cutoff,
            ~exists().where(Appointment.screening_id == Screening.id),
            ~exists().where(ExamFinding.screening_id == Screening.id),
            ~exists().where(later.based_on_id == Screening.id),
        )
        .order_by(Screening.id)
        .limit(BATCH)
    )
    deleted = 0
    while True:
        with transaction(session):
            ids = list(session.scalars(expired))
            if ids:
                session.execute(delete(Screening).where(Screening.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < BATCH:
            return RetentionReport(anonymous_screenings_deleted=deleted, cutoff=cutoff)
