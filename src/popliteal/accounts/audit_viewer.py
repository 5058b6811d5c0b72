"""The clinic administrator's view of the audit trail: filter by person, staff member, action
and date, page through it, and export it as CSV. An admin sees their own clinic's events
only, and looking at or exporting the trail is itself an event."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from popliteal import clock
from popliteal.accounts import audit_keys, audit_log
from popliteal.accounts.audit_seal import ERASED, Opened
from popliteal.accounts.models import AuditEvent, Clinic, Patient, User
from popliteal.accounts.rules import Actor, Role
from popliteal.db import reading, transaction
from popliteal.errors import NotAllowed
from popliteal.spreadsheet import formula_safe

PER_PAGE = 50
# An export is a file a person opens: past this many rows, narrow the filters.
MAX_EXPORT_ROWS = 100_000

# Plain words for the stored action codes; an action not listed (a newer one) is shown
# with its underscores as spaces.
ACTION_LABELS = {
    "read": "Viewed",
    "create": "Added",
    "update": "Changed",
    "delete": "Deleted",
    "denied": "Refused access",
    "login": "Logged in",
    "logout": "Logged out",
    "login_failed": "Failed login",
    "login_blocked": "Login blocked (too many tries)",
    "password_change": "Changed password",
    "export": "Exported",
}
ENTITY_LABELS = {
    "patient": "Patient record",
    "patient_list": "Patient list",
    "user": "Account",
    "clinic": "Clinic settings",
    "screening": "Screening",
    "appointment": "Appointment",
    "care_plan": "Care plan",
    "care_plan_history": "Care plan history",
    "plan_draft": "Care plan draft",
    "session_log": "Home session",
    "activity": "Run",
    "running": "Running log",
    "questionnaire_response": "Questionnaire",
    "visit_note": "Visit note",
    "retained_identity": "Kept record of a deleted account",
    "audit_trail": "Audit trail",
    "request": "Page or API request",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


def entity_label(entity: str) -> str:
    return ENTITY_LABELS.get(entity, entity.replace("_", " ").capitalize())


@dataclass(frozen=True)
class AuditFilters:
    """What the admin asked for; dates are days on the clinic's wall clock, both included."""

    patient_id: int | None = None
    staff_user_id: int | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def as_detail(self) -> dict[str, object]:
        return {
            key: str(value)
            for key, value in (
                ("patient_id", self.patient_id),
                ("staff_user_id", self.staff_user_id),
                ("action", self.action),
                ("since", self.since),
                ("until", self.until),
            )
            if value is not None
        }


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    action: str
    action_label: str
    who: str
    role: str
    patient: str
    what: str
    entity_id: str
    address: str
    detail: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int
    timezone: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def _admin_clinic(session: Session, actor: Actor) -> Clinic:
    if actor.role != Role.ADMIN:
        raise NotAllowed("this is for the clinic's administrators")
    clinic = session.get(Clinic, actor.clinic_id)
    if clinic is None:
        raise NotAllowed("no such clinic")
    return clinic


_actor = aliased(User)


def _query(clinic: Clinic, filters: AuditFilters) -> Any:
    query = (
        select(AuditEvent, _actor.display_name, _actor.role, Patient.full_name)
        .outerjoin(_actor, _actor.id == AuditEvent.actor_user_id)
        .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
        .where(AuditEvent.clinic_id == clinic.id)
    )
    if filters.patient_id is not None:
        query = query.where(AuditEvent.patient_id == filters.patient_id)
    if filters.staff_user_id is not None:
        query = query.where(AuditEvent.actor_user_id == filters.staff_user_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditEvent.at >= clock.day_bounds(filters.since, clinic.zone)[0])
    if filters.until is not None:
        query = query.where(AuditEvent.at < clock.day_bounds(filters.until, clinic.zone)[1])
    return query


def _detail_text(detail: dict[str, Any]) -> str:
    return "; ".join(f"{key}: {value}" for key, value in sorted(detail.items()))


def _row(
    event: AuditEvent, opened: Opened, name: str | None, role: str | None, patient: str | None
) -> AuditRow:
    if event.actor_user_id is None:
        who = "Unknown account" if event.action.startswith("login") else "Visitor"
    else:
        who = name or f"Account {event.actor_user_id}"
    return AuditRow(
        id=event.id,
        at=event.at,
        action=event.action,
        action_label=action_label(event.action),
        who=who,
        role=(role or "").capitalize(),
        patient=patient or "",
        what=entity_label(event.entity),
        entity_id=event.entity_id,
        address=opened.address,
        detail=ERASED if opened.erased else _detail_text(opened.detail),
    )


def _rows(session: Session, found: Sequence[Any]) -> list[AuditRow]:
    """The rows as shown: sealed details opened with their person's key, or "erased"."""
    opened = audit_keys.open_events(session, [r[0] for r in found])
    return [_row(r[0], o, r[1], r[2], r[3]) for r, o in zip(found, opened, strict=True)]


def _record_look(
    session: Session, actor: Actor, clinic: Clinic, action: str, filters: AuditFilters
) -> None:
    audit_log.append(
        session,
        clinic_id=clinic.id,
        actor_user_id=actor.user_id,
        action=action,
        entity="audit_trail",
        entity_id=clinic.id,
        patient_id=filters.patient_id,
        address=actor.address,
        detail=filters.as_detail(),
    )


def search(session: Session, *, actor: Actor, filters: AuditFilters, page: int = 1) -> AuditPage:
    """One page of the clinic's events, newest first (admins only; the look is audited)."""
    with transaction(session):
        clinic = _admin_clinic(session, actor)
        query = _query(clinic, filters)
        total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(page, 1), pages)
        found = session.execute(
            query.order_by(AuditEvent.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
        ).all()
        rows = _rows(session, found)
        _record_look(session, actor, clinic, "read", filters)
        timezone = clinic.timezone
    return AuditPage(rows=rows, total=total, page=page, pages=pages, timezone=timezone)


def export_csv(session: Session, *, actor: Actor, filters: AuditFilters) -> str:
    """The filtered events as CSV, oldest first, every text cell formula-safe (audited)."""
    with transaction(session):
        clinic = _admin_clinic(session, actor)
        found = session.execute(
            _query(clinic, filters).order_by(AuditEvent.id).limit(MAX_EXPORT_ROWS)
        ).all()
        rows = _rows(session, found)
        _record_look(session, actor, clinic, "export", filters)
        timezone = clinic.timezone
    return to_csv(rows, timezone)


CSV_HEADER = (
    "event",
    "time (UTC)",
    "local time",
    "action",
    "who",
    "role",
    "person",
    "what",
    "record",
    "address",
    "detail",
    "action code",
)


def csv_lines(rows: Sequence[AuditRow], timezone: str) -> Iterator[list[str]]:
    yield list(CSV_HEADER)
    for r in rows:
        yield [
            str(r.id),
            r.at.isoformat(timespec="seconds"),
            *(
                formula_safe(cell)
                for cell in (
                    clock.local_time(r.at, timezone, "%Y-%m-%d %H:%M:%S"),
                    r.action_label,
                    r.who,
                    r.role,
                    r.patient,
                    r.what,
                    r.entity_id,
                    r.address,
                    r.detail,
                    r.action,
                )
            ),
        ]


def to_csv(rows: Sequence[AuditRow], timezone: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(csv_lines(rows, timezone))
    return out.getvalue()


def filter_choices(session: Session, *, actor: Actor) -> dict[str, list[Choice]]:
    """The people, staff members and actions the filter form offers (the admin's clinic)."""
    with reading(session):
        clinic = _admin_clinic(session, actor)
        patients = session.execute(
            select(Patient.id, Patient.full_name)
            .where(Patient.clinic_id == clinic.id)
            .order_by(Patient.full_name, Patient.id)
        ).all()
        staff = session.execute(
            select(User.id, User.display_name)
            .where(User.clinic_id == clinic.id, User.role.in_(("clinician", "admin")))
            .order_by(User.display_name, User.id)
        ).all()
        stored = session.scalars(
            select(AuditEvent.action).where(AuditEvent.clinic_id == clinic.id).distinct()
        ).all()
    actions = sorted({*ACTION_LABELS, *stored}, key=action_label)
    return {
        "patients": [Choice(str(i), name) for i, name in patients],
        "staff": [Choice(str(i), name) for i, name in staff],
        "actions": [Choice(a, action_label(a)) for a in actions],
    }
