"""What /metrics reports about stored data (web/metrics.py runs these at each scrape).

Each area's count is one query here, on the top floor that may read every area; a new gauge
(the e-mail outbox's backlog) is one more DatabaseGauge in GAUGES.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.alerts.models import OutcomeAlert
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
)
