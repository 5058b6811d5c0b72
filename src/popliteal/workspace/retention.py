"""What is kept no longer: `popliteal maintenance run` deletes it, once a day.

Anonymous screenings (linked to no patient: a visitor's, or a clinician's quick one) hold no
name or contact, only answers, the result and the hash of a browser's random token. Booking
uses a screening of the last 30 days only (booking/screening_gate.py), and symptoms change, so
after the retention period (POPLITEAL_ANONYMOUS_SCREENING_DAYS, default 30) they serve nobody
and are deleted. A screening something still points at (an appointment, an exam, a later
screening based on it) is kept: it is part of a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session, aliased

from popliteal.booking.models import Appointment
from popliteal.db import transaction
from popliteal.screening.models import ExamFinding, Screening

# Rows deleted per transaction: a big first run never holds SQLite's write lock for long.
BATCH = 500


@dataclass(frozen=True)
class RetentionReport:
    anonymous_screenings_deleted: int
    cutoff: datetime


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
