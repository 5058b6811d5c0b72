"""Writing and checking the hash-chained audit trail.

`audit()` (accounts/service.py) queues an event on the caller's transaction; just before that
transaction commits, the queued events are chained to the newest stored event and inserted.
Appends are serialised so two transactions never chain to the same predecessor: SQLite
already holds its single write lock from BEGIN IMMEDIATE (db.py); on PostgreSQL a
transaction-scoped advisory lock is taken, for the last moment of the transaction only (its
other writes are flushed first). A transaction that rolls back leaves no event and no link.
An event about one person has its address and detail sealed with that person's key just
before it is hashed (accounts/audit_keys.py), so deleting the key erases them and the chain
still holds.

Refusals are recorded here too, in a short transaction of their own: the request's
transaction has rolled back by the time the error map sees the refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from popliteal.accounts import audit_keys
from popliteal.accounts.audit_chain import GENESIS, Break, ChainedFields, Link, event_hash
from popliteal.accounts.audit_chain import first_break as chain_first_break
from popliteal.accounts.models import AuditEvent, Clinic, User
from popliteal.clock import utcnow
from popliteal.db import transaction
from popliteal.web.deps import client_address

log = logging.getLogger("popliteal")

_PENDING = "popliteal_audit_pending"
# pg_advisory_xact_lock key for appends to audit_events (any fixed 64-bit number).
AUDIT_LOCK_KEY = 0x706F706C_61756474  # "poplaudt"


def fields_of(row: AuditEvent) -> ChainedFields:
    return ChainedFields(
        at=row.at,
        clinic_id=row.clinic_id,
        actor_user_id=row.actor_user_id,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        patient_id=row.patient_id,
        address=row.address,
        detail=dict(row.detail or {}),
    )


def append(
    session: Session,
    *,
    clinic_id: int | None,
    actor_user_id: int | None,
    action: str,
    entity: str,
    entity_id: object,
    patient_id: int | None,
    address: str,
    detail: dict[str, object] | None = None,
) -> None:
    """Queue one event on the session's transaction (written, chained, when it commits)."""
    queue(
        session,
        AuditEvent(
            at=utcnow(),
            clinic_id=clinic_id,
            actor_user_id=actor_user_id,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            patient_id=patient_id,
            address=address,
            detail=detail or {},
        ),
    )


def queue(session: Session, row: AuditEvent) -> None:
    """Add `row` to this transaction's events; it is chained and written at commit."""
    tx = session.get_transaction() or session.begin()
    pending = session.info.get(_PENDING)
    if pending is None or pending[0] is not tx:
        events: list[AuditEvent] = []
        pending = (tx, events)
        session.info[_PENDING] = pending
    pending[1].append(row)


def _lock_appends(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})


def head_hash(session: Session) -> str:
    """The newest stored event's hash (GENESIS for an empty trail)."""
    found = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return found if found is not None else GENESIS


@event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None or pending[0] is not session.get_transaction() or not pending[1]:
        return
    session.flush()  # the transaction's other writes first: their errors come before the lock
    _lock_appends(session)
    prev = head_hash(session)
    # Personal fields are sealed with the person's key first: the hash covers what is stored.
    audit_keys.seal_rows(session, pending[1])
    for row in pending[1]:
        row.detail = dict(row.detail or {})
        row.prev_hash = prev
        row.hash = event_hash(fields_of(row), prev)
        prev = row.hash
        session.add(row)
    # Commit flushes them next, still under the lock.


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, tx: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending is not None and pending[0] is tx:
        del session.info[_PENDING]


def record_login(session: Session, action: str, *, user: User | None, address: str) -> None:
    """A login, logout, failed or blocked login as an event of the account's clinic.

    An address that matches no account is recorded for the server's clinic without the
    address typed (it may be a password typed in the wrong box); the person sees the same
    answer either way, so the trail adds no way to tell which addresses have accounts."""
    if user is not None:
        clinic_id: int | None = user.clinic_id
        detail: dict[str, object] = {} if user.is_active else {"account": "deactivated"}
    else:
        clinic_id = session.scalar(select(Clinic.id).order_by(Clinic.id).limit(1))
        detail = {"account": "unknown"}
    append(
        session,
        clinic_id=clinic_id,
        actor_user_id=user.id if user is not None else None,
        action=action,
        entity="user",
        entity_id=user.id if user is not None else "",
        patient_id=None,
        address=address,
        detail=detail,
    )


# ---------------------------------------------------------------------------------------------
# Verification


def _links(session: Session, page: int = 1000) -> Iterator[Link]:
    """Every event oldest first, a page at a time (no server-side cursor left open)."""
    after = 0
    while True:
        rows = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(page)
            )
        )
        for row in rows:
            yield Link(id=row.id, fields=fields_of(row), prev_hash=row.prev_hash, hash=row.hash)
        session.expunge_all()
        if len(rows) < page:
            return
        after = rows[-1].id


@dataclass(frozen=True)
class Verdict:
    """The chain's state: `broken` is None when every link holds."""

    events: int
    head: str
    broken: Break | None


def verify(session: Session) -> Verdict:
    """Walk the whole trail oldest first and report the first broken link."""
    try:
        broken, count, head = chain_first_break(_links(session))
    finally:
        session.rollback()
    return Verdict(events=count, head=head, broken=broken)


# ---------------------------------------------------------------------------------------------
# Refusals


@dataclass(frozen=True)
class Denial:
    """A refused request, as the error map saw it."""

    user_id: int | None
    clinic_id: int | None
    address: str
    method: str
    path: str
    reason: str
    entity: str | None
    entity_id: object
    patient_id: int | None
    record_clinic_id: int | None


def record_denial(factory: sessionmaker[Session], denial: Denial) -> None:
    """Write one "denied" event in its own transaction (never raises: the 404 still goes out)."""
    asked = denial.entity_id if denial.entity_id is not None else denial.path
    try:
        with factory() as session, transaction(session):
            append(
                session,
                clinic_id=denial.record_clinic_id or denial.clinic_id,
                actor_user_id=denial.user_id,
                action="denied",
                entity=(denial.entity or "request")[:32],
                entity_id=str(asked)[:64],
                patient_id=denial.patient_id,
                address=denial.address,
                detail={
                    "method": denial.method,
                    "path": denial.path[:500],
                    "reason": denial.reason,
                },
            )
    except Exception:  # a failed audit write must not turn a 404 into a 500; it is logged
        log.exception("could not record a refused request on %s", denial.path)


def denial_from(request: Any, exc: Exception) -> Denial:
    """The Denial for a request the error map is about to refuse."""
    user = getattr(request.state, "user", None)
    return Denial(
        user_id=getattr(user, "id", None),
        clinic_id=getattr(user, "clinic_id", None),
        address=client_address(request),
        method=request.method,
        path=request.url.path,
        reason=(getattr(exc, "message", None) or str(exc))[:200],
        entity=getattr(exc, "entity", None),
        entity_id=getattr(exc, "entity_id", None),
        patient_id=getattr(exc, "patient_id", None),
        record_clinic_id=getattr(exc, "clinic_id", None),
    )


def record_request_denial(request: Any, exc: Exception) -> None:
    """The error map's hook (`app.state.record_denial`): record this refused request."""
    record_denial(request.app.state.sessionmaker, denial_from(request, exc))
