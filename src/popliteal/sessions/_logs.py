"""Reading a person's session logs, shared by the sessions use cases: the person (if the actor
may see them), the active plan, a log as the API shows it, weekly adherence, recent logs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.sessions import rules
from popliteal.sessions.models import SessionLog
from popliteal.sessions.schemas import SessionEntryRead, SessionRead


def active_plan(session: Session, patient_id: int) -> tuple[CarePlan, CarePlanVersion] | None:
    """The person's active plan and its current version, if they have one."""
    row = session.execute(
        select(CarePlan, CarePlanVersion)
        .join(CarePlanVersion, CarePlanVersion.plan_id == CarePlan.id)
        .where(
            CarePlan.patient_id == patient_id,
            CarePlan.status == "active",
            CarePlanVersion.number == CarePlan.current_version,
        )
    ).first()
    return (row[0], row[1]) if row else None


def session_read(s: SessionLog, number: int) -> SessionRead:
    """One log as the API shows it, with its plan version's number."""
    return SessionRead(
        id=s.id,
        patient_id=s.patient_id,
        plan_version=number,
        mode=s.mode,
        local_date=s.local_date,
        status=s.status,
        pain_before=s.pain_before,
        pain_after=s.pain_after,
        entries=[SessionEntryRead(**e) for e in s.entries],
        note=s.note,
        started_at=s.started_at,
        finished_at=s.finished_at,
    )


def version_numbers(session: Session, ids: list[int]) -> dict[int, int]:
    """Plan version numbers by version id."""
    if not ids:
        return {}
    rows = session.execute(
        select(CarePlanVersion.id, CarePlanVersion.number).where(CarePlanVersion.id.in_(ids))
    ).all()
    return {i: n for i, n in rows}


def read_log(session: Session, log: SessionLog) -> SessionRead:
    """The API view of one log, read before the caller commits (commit expires the row)."""
    number = version_numbers(session, [log.plan_version_id]).get(log.plan_version_id, 0)
    return session_read(log, number)


def _done_days(session: Session, patient_id: int, since: date) -> list[date]:
    return list(
        session.scalars(
            select(SessionLog.local_date).where(
                SessionLog.patient_id == patient_id,
                SessionLog.status == "done",
                SessionLog.local_date >= since,
            )
        ).all()
    )


def adherence_weeks(
    session: Session,
    patient_id: int,
    exercises: list[dict[str, Any]],
    starts_on: date,
    day: date,
    *,
    weeks: int,
) -> list[rules.WeekAdherence]:
    """Adherence per week for the last `weeks` weeks up to `day`."""
    done = _done_days(session, patient_id, day - timedelta(days=7 * weeks))
    return rules.weekly_adherence(exercises, starts_on, done, today=day, weeks=weeks)


def logs_since(session: Session, patient_id: int, since: date) -> list[SessionLog]:
    """The person's logs since `since`, newest first."""
    return list(
        session.scalars(
            select(SessionLog)
            .where(SessionLog.patient_id == patient_id, SessionLog.local_date >= since)
            .order_by(SessionLog.local_date.desc(), SessionLog.started_at.desc())
        ).all()
    )
