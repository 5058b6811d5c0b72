"""What /metrics reports about stored data (web/metrics.py runs these at each scrape).

Each area's count is one query here, on the top floor that may read every area; a new gauge
is one more DatabaseGauge in GAUGES.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.alerts.models import OutcomeAlert
from popliteal.mail.models import OutboxMessage
from popliteal.screening.models import Screening
from popliteal.web.metrics import DatabaseGauge


def screenings_by_urgency(session: Session) -> Iterable[tuple[tuple[str, ...], float]]:
    rows = session.execute(
        select(Screening.urgency, func.count())
        .where(Screening.status == "complete")
        .group_by(Screening.urgency)
    )
    return [((urgency,), float(count)) for urgency, count in rows]


def open_alerts_by_kind(session: Session) -> Iterable[tuple[tuple[str, ...], float]]:
    rows = session.execute(
        select(OutcomeAlert.kind, func.count())
        .where(OutcomeAlert.resolved_at.is_(None))
        .group_by(OutcomeAlert.kind)
    )
    return [((kind,), float(count)) for kind, count in rows]


def outbox_by_status(session: Session) -> Iterable[tuple[tuple[str, ...], float]]:
    rows = session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status != "sent")
        .group_by(OutboxMessage.status)
    )
    return [((status,), float(count)) for status, count in rows]


GAUGES: tuple[DatabaseGauge, ...] = (
    DatabaseGauge(
        "popliteal_screenings",
        "Complete screenings stored, by urgency (anonymous ones leave after their retention).",
        ("urgency",),
        screenings_by_urgency,
    ),
    DatabaseGauge(
        "popliteal_open_alerts",
        "Alerts waiting for a clinician, by kind (red_flag, review, surgical_consult).",
        ("kind",),
        open_alerts_by_kind,
    ),
    DatabaseGauge(
        "popliteal_outbox_backlog",
        "E-mails not sent yet, by status (pending, sending, failed): a growing backlog means "
        "the sender is down or the mail server refuses.",
        ("status",),
        outbox_by_status,
    ),
)
