"""The clinician's patient list, one page at a time: filtered, ordered and paged in SQL, so a
page of a clinic of 10,000 costs what a page of a clinic of 50 costs.

The order is the list's clinical order: the most urgent of a person's standing screening
urgency and open alerts first, then the alert's own rank (red flag, surgical consult, review),
then the screening's urgency, the next visit (soonest first) and the name. It is computed by the
database over the whole clinic; only the page's 50 people are then read in full, each table
once for the page (a fixed number of statements whatever the page size). The running-load
column, a year of runs per person, is read by running_load below in a request of its own after
the page is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient, RetainedIdentity, User
from popliteal.accounts.rules import Actor
from popliteal.accounts.schemas import AppointmentRead, PatientSummaryRead
from popliteal.alerts import service as alerts_service
from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment
from popliteal.db import transaction
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import URGENCY_ORDER
from popliteal.outcomes import alert_list, questionnaires_due
from popliteal.outcomes.score_results import due_items
from popliteal.running import rules as running_rules
from popliteal.running import service as running_service
from popliteal.screening import staff_service
from popliteal.screening import standing as screening_standing
from popliteal.screening.models import Screening
from popliteal.workspace.service import appointment_read, appointments_query

PAGE_SIZE = 50
NONE_RANK = 9  # no urgency, no alert: last


@dataclass(frozen=True)
class PatientPage:
    """One page of the patient list with everything its rows show."""

    patients: list[PatientSummaryRead]
    total: int
    page: int
    page_size: int
    q: str
    outcome_alerts: dict[int, alert_list.PatientAlerts]
    questionnaires_due: dict[int, list[Any]]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def first_number(self) -> int:
        """The list position of the page's first person (1-based), 0 on an empty list."""
        return (self.page - 1) * self.page_size + 1 if self.patients else 0

    @property
    def last_number(self) -> int:
        return (self.page - 1) * self.page_size + len(self.patients)


def _rank(column: Any, unknown: int = NONE_RANK) -> ColumnElement[int]:
    """The urgency's rank (0 emergency ... 3 conservative) as SQL; `unknown` otherwise."""
    return case({u.value: i for i, u in enumerate(URGENCY_ORDER)}, value=column, else_=unknown)


def _least(a: ColumnElement[int], b: ColumnElement[int]) -> ColumnElement[int]:
    """The smaller of two ranks, in SQL both SQLite and PostgreSQL read."""
    return case((a <= b, a), else_=b)


def _like(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters(clinic_id: int, q: str) -> list[ColumnElement[bool]]:
    # Someone who booked without an account and never followed the e-mailed link is not a
    # patient yet (booking/holds.py): their record waits, unlisted.
    # A deleted account is listed ("Deleted account") only while the clinic keeps its notes.
    kept = exists().where(RetainedIdentity.patient_id == Patient.id)
    where: list[ColumnElement[bool]] = [
        Patient.clinic_id == clinic_id,
        User.email_verified_at.is_not(None),
        or_(Patient.deleted_at.is_(None), kept),
    ]
    if q:
        pattern = _like(q)
        where.append(
            or_(
                func.lower(Patient.full_name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    return where


def ordered_page_query(
    clinic_id: int, q: str, now: datetime, page: int, size: int, *, sqlite: bool = False
) -> Any:
    """The page's (Patient, email) rows in the list's clinical order, all computed in SQL.

    Mirrors screening.standing (every complete screening since the newest clinician exam
    counts) and outcomes.alert_list (open alerts fold into the urgency, then rank).

    On SQLite (`sqlite`) the next visits are grouped by `+patient_id`: the same groups, but
    SQLite then reads the range of upcoming visits from ix_appointments_clinic_upcoming instead
    of walking every visit of the clinic, past ones included, in patient order (about 10 ms of
    the query's 35 at 10,000 patients). PostgreSQL wants the plain column.

    The clinic is sorted as narrow rows (the id and three keys) and only the page's people are
    then read in full: a later page sorts offset + 50 rows, and carrying every earlier
    person's whole row through that sort made page 100 cost the database three times page 1
    on PostgreSQL (82 ms of CPU against 25 at 10,000 patients)."""
    last_exam = (
        select(Screening.patient_id, func.max(Screening.created_at).label("at"))
        .where(Screening.status == "complete", Screening.role == "clinician")
        .group_by(Screening.patient_id)
        .subquery()
    )
    standing = (
        select(Screening.patient_id, func.min(_rank(Screening.urgency)).label("rank"))
        .outerjoin(last_exam, last_exam.c.patient_id == Screening.patient_id)
        .where(
            Screening.status == "complete",
            Screening.patient_id.is_not(None),
            or_(last_exam.c.at.is_(None), Screening.created_at >= last_exam.c.at),
        )
        .group_by(Screening.patient_id)
        .subquery()
    )
    alert_rank = case(
        (OutcomeAlert.kind == "red_flag", _rank(OutcomeAlert.urgency, unknown=1)),
        (OutcomeAlert.kind == "surgical_consult", literal(2)),
        else_=literal(3),
    )
    alerts = (
        select(
            OutcomeAlert.patient_id,
            func.min(_rank(OutcomeAlert.urgency)).label("urgency_rank"),
            func.min(alert_rank).label("alert_rank"),
        )
        .where(OutcomeAlert.clinic_id == clinic_id, OutcomeAlert.resolved_at.is_(None))
        .group_by(OutcomeAlert.patient_id)
        .subquery()
    )
    upcoming = (
        select(Appointment.patient_id, func.min(Appointment.starts_at).label("at"))
        .where(
            Appointment.clinic_id == clinic_id,
            Appointment.status == "booked",
            Appointment.starts_at >= now,
        )
        .group_by(literal_column("+appointments.patient_id") if sqlite else Appointment.patient_id)
        .subquery()
    )
    screening_rank = func.coalesce(standing.c.rank, NONE_RANK)
    # The three ranks and "no visit booked" as one number, a digit each (ranks are 0-3 or
    # NONE_RANK), urgency first: one comparison instead of four for each pair the sort compares.
    ranks = (
        _least(screening_rank, func.coalesce(alerts.c.urgency_rank, NONE_RANK)) * 1000
        + func.coalesce(alerts.c.alert_rank, NONE_RANK) * 100
        + screening_rank * 10
        + case((upcoming.c.at.is_(None), 1), else_=0)
    )
    keys = (
        ranks.label("ranks"),
        upcoming.c.at.label("next_visit"),
        func.lower(Patient.full_name).label("sort_name"),
    )
    ordered = (
        select(Patient.id.label("id"), *keys)
        .join(User, User.id == Patient.user_id)
        .outerjoin(standing, standing.c.patient_id == Patient.id)
        .outerjoin(alerts, alerts.c.patient_id == Patient.id)
        .outerjoin(upcoming, upcoming.c.patient_id == Patient.id)
        .where(and_(*_filters(clinic_id, q)))
        .order_by(*keys, Patient.id)
        .limit(size)
        .offset((page - 1) * size)
        .subquery()
    )
    return (
        select(Patient, User.email)
        .join(ordered, ordered.c.id == Patient.id)
        .join(User, User.id == Patient.user_id)
        .order_by(ordered.c.ranks, ordered.c.next_visit, ordered.c.sort_name, ordered.c.id)
    )


def _next_visits(
    session: Session, ids: list[int], now: datetime, tz: str
) -> dict[int, AppointmentRead]:
    upcoming: dict[int, AppointmentRead] = {}
    if not ids:
        return upcoming
    for appointment, kind, clinician in session.execute(
        appointments_query()
        .where(
            Appointment.patient_id.in_(ids),
            Appointment.status == "booked",
            Appointment.starts_at >= now,
        )
        .order_by(Appointment.starts_at)
    ).all():
        if appointment.patient_id not in upcoming:
            upcoming[appointment.patient_id] = appointment_read(appointment, kind, clinician, tz)
    return upcoming


def list_page(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    now: datetime,
    q: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> PatientPage:
    """One page of the clinic's patients, most urgent first, optionally filtered by name or
    email; audited once as a read of the list (the event names the people on the page)."""
    q = q.strip()
    with transaction(session):
        accounts_service.require_staff(actor, "this is for the clinic's clinicians")
        clinic = accounts_service.staff_clinic(session, actor)
        total = session.scalar(
            select(func.count(Patient.id))
            .join(User, User.id == Patient.user_id)
            .where(and_(*_filters(clinic.id, q)))
        )
        total = int(total or 0)
        last_page = max(1, math.ceil(total / page_size))
        page = min(max(page, 1), last_page)
        sqlite = session.get_bind().dialect.name == "sqlite"
        rows = session.execute(
            ordered_page_query(clinic.id, q, now, page, page_size, sqlite=sqlite)
        ).all()
        ids = [p.id for p, _ in rows]
        standing = screening_standing.patient_standing(session, ids)
        upcoming = _next_visits(session, ids, now, clinic.timezone)
        summaries = []
        for patient, email in rows:
            current = standing.get(patient.id)
            summaries.append(
                PatientSummaryRead(
                    id=patient.id,
                    full_name=patient.full_name,
                    email="" if patient.is_deleted else email,
                    urgency=current.urgency if current else None,
                    latest_screening_id=current.latest_id if current else None,
                    latest_screening_at=current.latest_at if current else None,
                    red_flags=current.red_flags if current else [],
                    next_appointment=upcoming.get(patient.id),
                    working_diagnosis=patient.working_diagnosis,
                    working_diagnosis_name=staff_service.condition_name(
                        kb, patient.working_diagnosis
                    ),
                    safety_not_ruled_out=current.safety_not_ruled_out if current else [],
                )
            )
        alerts = alert_list.alerts_by_patient(
            alerts_service.open_alerts_of(session, actor=actor, patient_ids=ids)
        )
        # One event per view, not per row: "who saw patient X" finds it by the ids it names.
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="patient_list",
            entity_id=clinic.id,
            patient_id=None,
            # Whether the list was searched, not what was typed: a search text can be a
            # person's name, and an event about many people has no one key to seal it with
            # (accounts/audit_keys.py), so it would outlive that person's deletion.
            detail={"page": page, "searched": bool(q), "patient_ids": ids},
        )
    due = questionnaires_due.clinic_due(session, kb=kb, actor=actor, patient_ids=ids, now=now)
    return PatientPage(
        patients=alert_list.fold_alerts_into_list(kb, summaries, alerts),
        total=total,
        page=page,
        page_size=page_size,
        q=q,
        outcome_alerts=alerts,
        questionnaires_due={pid: due_items(kb, found) for pid, found in due.items()},
    )


def running_load(
    session: Session, *, kb: Knowledge, actor: Actor, now: datetime, ids: str
) -> tuple[list[int], dict[int, list[running_rules.Flag]]]:
    """The running-load flags of up to a page of the clinic's patients, given as "1,2,3"
    (others' and unknown ids get none); the ids as read, and the flags by person."""
    wanted = [
        int(i)
        for i in ids.split(",")[:PAGE_SIZE]
        if i.strip().isascii() and i.strip().isdigit() and len(i) < 12
    ]
    flags = running_service.load_flags(session, kb=kb, actor=actor, patient_ids=wanted, now=now)
    return wanted, flags
