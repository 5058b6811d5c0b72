"""Screenings as stored records: who may see one, running the interview, linking at booking."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic
from popliteal.accounts.rules import Actor, Role
from popliteal.clock import utcnow
from popliteal.db import JSONText, transaction
from popliteal.errors import NotAllowed, NotSetUp
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer
from popliteal.screening.answers import parse_answers, parse_request
from popliteal.screening.engine import screen, to_json
from popliteal.screening.interview import InterviewState, plan, to_recheck
from popliteal.screening.models import Screening
from popliteal.screening.relevance import askable

# The anonymous visitor's cookie (defined with the other cookies in web so that booking and
# logout can clear it); screenings keep only its token's hash, no personal data.
from popliteal.web.session_cookie import VISITOR_COOKIE as VISITOR_COOKIE


def visitor_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_see(screening: Screening, *, visitor_token: str | None, actor: Actor | None) -> bool:
    """The browser that took it (until it is linked), the patient it belongs to, or their clinic."""
    if actor is not None and actor.is_staff:
        return actor.clinic_id == screening.clinic_id
    if screening.patient_id is not None:
        return actor is not None and actor.patient_id == screening.patient_id
    return (
        visitor_token is not None
        and screening.token_hash is not None
        and screening.token_hash == visitor_hash(visitor_token)
    )


def get_visible(
    session: Session,
    *,
    screening_id: str,
    visitor_token: str | None,
    actor: Actor | None,
    address: str = "",
) -> Screening:
    """The screening if this visitor or user may see it; NotAllowed otherwise (even if it exists).

    Reading a screening that belongs to a patient writes an audit event (the caller commits).
    """
    screening = session.get(Screening, screening_id)
    if screening is None or not may_see(screening, visitor_token=visitor_token, actor=actor):
        raise NotAllowed("no such screening")
    if screening.patient_id is not None:
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="screening",
            entity_id=screening.id,
            patient_id=screening.patient_id,
            clinic_id=screening.clinic_id,
            address=address,
        )
    return screening


def link_to_patient(session: Session, *, screening: Screening, patient_id: int) -> None:
    """Attach an anonymous screening to the patient who booked with it (caller commits)."""
    if screening.patient_id is not None and screening.patient_id != patient_id:
        raise NotAllowed("this screening belongs to someone else")
    screening.patient_id = patient_id
    screening.token_hash = None
    accounts_service.audit(
        session,
        actor=None,
        action="update",
        entity="screening",
        entity_id=screening.id,
        patient_id=patient_id,
        clinic_id=screening.clinic_id,
        detail={"linked": True},
    )


# ---------------------------------------------------------------------------------------------
# Creating and running screenings. Every save recomputes and stores the result snapshot, so
# what a page, the API or a clinician reads is always the engine's answer to the stored answers.


class ScreeningForbidden(PermissionError):
    """The request asks for something this user may not do (the message is safe to show)."""


class StepError(ValueError):
    """A step's answers cannot be recorded; the message is safe to show."""


class StaleStep(StepError):
    """The step was answered already or no longer applies (a double submit or the back button)."""


class ScreeningClosed(StepError):
    """The screening is complete: its answers can no longer change."""


# SQLite has one writer at a time and its busy handler waits with back-off sleeps of up to
# 100 ms: under 32 concurrent POST /api/screenings that gave a p99 above a second. This
# process's screening writers queue on a lock instead (p99 about 0.35 s, same throughput).
_SQLITE_WRITER = threading.Lock()


@contextmanager
def _sqlite_writer(session: Session) -> Iterator[None]:
    """On SQLite, hold this process's screening-writer lock for the block (the transaction
    inside it commits or rolls back before the lock is let go)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    if session.in_transaction():
        # Only reads so far (who is asking); end them so this thread does not hold SQLite's
        # lock while it waits for ours. Hand-written: this ends the caller's reads, it is no
        # unit of work of its own (a commit, as before, so nothing loaded is expired).
        session.commit()
    with _SQLITE_WRITER:
        yield


def _role_for(actor: Actor | None, requested: str) -> str:
    if requested == "clinician" and (actor is None or not actor.is_staff):
        raise ScreeningForbidden(
            "only a logged-in clinician may send clinician answers (role 'clinician')"
        )
    return requested


def asked_once(screening: Screening) -> set[str]:
    """Findings asked in exactly one step so far: a "not sure" among them may be asked again."""
    counts = Counter(fid for step in screening.history for fid in step)
    return {fid for fid, n in counts.items() if n == 1}


def _refresh_result(kb: Knowledge, screening: Screening) -> bool:
    """Recompute and store the snapshot; return whether the interview is done."""
    answers: dict[str, Answer | None] = dict(screening.answers)
    result = screen(kb, answers, role=screening.role, asked_once=asked_once(screening))
    screening.result = to_json(kb, result)
    screening.urgency = result.triage.urgency
    screening.knowledge_version = kb.version
    screening.updated_at = utcnow()
    return result.interview.done


def _audit_change(
    session: Session, *, screening: Screening, actor: Actor | None, action: str, address: str
) -> None:
    if screening.patient_id is not None:
        accounts_service.audit(
            session,
            actor=actor,
            action=action,
            entity="screening",
            entity_id=screening.id,
            patient_id=screening.patient_id,
            clinic_id=screening.clinic_id,
            address=address,
        )


def _new_screening(
    *,
    clinic_id: int | None,
    actor: Actor | None,
    visitor_token: str | None,
    role: str,
    kb: Knowledge,
) -> Screening:
    own_patient = actor.patient_id if actor is not None and actor.role == Role.PATIENT else None
    return Screening(
        id=secrets.token_hex(16),
        clinic_id=clinic_id,
        patient_id=own_patient,
        # A patient's screening is theirs from the start; an anonymous one is the browser's.
        token_hash=visitor_hash(visitor_token) if own_patient is None and visitor_token else None,
        role=role,
        answers={},
        history=[],
        knowledge_version=kb.version,
        created_by_user_id=actor.user_id if actor is not None else None,
    )


# create_complete's two statements, built once: building them costs more than running them.
_INSERT_SCREENING = insert(Screening.metadata.tables[Screening.__tablename__])
_FIRST_CLINIC_ID = select(Clinic.id).order_by(Clinic.id).limit(1)


# The result as compact JSON. to_json builds a fresh tree of dicts and lists, so the encoder's
# check for reference cycles (a tenth of its time on a result) has nothing to find.
_RESULT_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, check_circular=False, separators=(",", ":")
)


@dataclass(frozen=True)
class CreatedScreening:
    """A screening just stored by `create_complete`: its result is serialised once, for the
    database and the response alike."""

    id: str
    result_json: str
    token_hash: str | None


def create_complete(
    session: Session,
    *,
    kb: Knowledge,
    payload: Any,
    actor: Actor | None,
    visitor_token: str | None,
    address: str = "",
) -> CreatedScreening:
    """Screen a whole request `{"answers": {...}, "role"?}` and store it as a complete screening.

    Raises InvalidAnswers (the CLI's problems) or ScreeningForbidden; nothing is stored then.
    The engine runs before the database is touched: on SQLite every transaction holds the
    write lock, so it must be short. The row is one plain INSERT, not an ORM flush: this is
    the busiest write of the site (`POST /api/screenings`), and the unit of work's bookkeeping
    for a fresh object (its self-referencing `based_on_id` included) cost more than the
    insert itself.
    """
    answers, requested_role = parse_request(kb, payload)
    role = _role_for(actor, requested_role)
    # Every answer was asked in this one step, so each "not sure" may be asked again.
    result = screen(kb, dict(answers), role=role, asked_once=set(answers))
    result_json = JSONText(_RESULT_ENCODER.encode(to_json(kb, result)))
    own_patient = actor.patient_id if actor is not None and actor.role == Role.PATIENT else None
    # A patient's screening is theirs from the start; an anonymous one is the browser's.
    token_hash = visitor_hash(visitor_token) if own_patient is None and visitor_token else None
    screening_id = secrets.token_hex(16)
    now = utcnow()
    row = {
        "id": screening_id,
        "patient_id": own_patient,
        "token_hash": token_hash,
        "role": role,
        "status": "complete",
        "answers": dict(answers),
        "history": [list(answers)] if answers else [],
        "result": result_json,
        "urgency": result.triage.urgency,
        "knowledge_version": kb.version,
        "created_by_user_id": actor.user_id if actor is not None else None,
        "created_at": now,
        "updated_at": now,
    }
    if own_patient is None:
        # Nothing to audit (an anonymous or staff screening): one Core transaction on the
        # session's engine. The ORM session's own begin and commit cost about 0.3 ms, as much
        # as the insert itself.
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        with _sqlite_writer(session), engine.begin() as connection:
            clinic_id = connection.scalar(_FIRST_CLINIC_ID)
            if clinic_id is None:
                raise NotSetUp(NotSetUp.message)
            connection.execute(_INSERT_SCREENING, {**row, "clinic_id": clinic_id})
        return CreatedScreening(id=screening_id, result_json=result_json, token_hash=token_hash)
    with _sqlite_writer(session), transaction(session):
        clinic_id = _default_clinic_id(session)
        session.execute(_INSERT_SCREENING, {**row, "clinic_id": clinic_id})
        if own_patient is not None:
            accounts_service.audit(
                session,
                actor=actor,
                action="create",
                entity="screening",
                entity_id=screening_id,
                patient_id=own_patient,
                clinic_id=clinic_id,
                address=address,
            )
    return CreatedScreening(id=screening_id, result_json=result_json, token_hash=token_hash)


def _default_clinic_id(session: Session) -> int:
    """accounts_service.default_clinic's id, without loading the clinic (NotSetUp if none)."""
    clinic_id = session.scalar(_FIRST_CLINIC_ID)
    if clinic_id is None:
        raise NotSetUp(NotSetUp.message)
    return clinic_id


def start_interview(
    session: Session,
    *,
    kb: Knowledge,
    clinic_id: int,
    actor: Actor | None,
    visitor_token: str,
    address: str = "",
) -> Screening:
    """Start an adaptive interview for this browser (or for the logged-in patient)."""
    screening = _new_screening(
        clinic_id=clinic_id, actor=actor, visitor_token=visitor_token, role="patient", kb=kb
    )
    _refresh_result(kb, screening)
    screening.status = "in_progress"
    with transaction(session):
        session.add(screening)
        session.flush()
        _audit_change(session, screening=screening, actor=actor, action="create", address=address)
    return screening


def read(
    session: Session,
    *,
    screening_id: str,
    visitor_token: str | None,
    actor: Actor | None,
    address: str = "",
) -> Screening:
    """The screening if visible (NotAllowed otherwise); the read is audited and committed."""
    with transaction(session):
        screening = get_visible(
            session,
            screening_id=screening_id,
            visitor_token=visitor_token,
            actor=actor,
            address=address,
        )
    return screening


def interview_state(kb: Knowledge, screening: Screening) -> InterviewState:
    """The steps still to ask for this screening's answers, best first."""
    answers: dict[str, Answer | None] = dict(screening.answers)
    return plan(kb, answers, role=screening.role, asked_once=asked_once(screening))


def _load_for_change(
    session: Session, *, screening_id: str, visitor_token: str | None, actor: Actor | None
) -> Screening:
    screening = session.get(Screening, screening_id)
    if screening is None or not may_see(screening, visitor_token=visitor_token, actor=actor):
        raise NotAllowed("no such screening")
    if screening.status != "in_progress":
        raise ScreeningClosed("this screening is finished: its answers can no longer change")
    return screening


def record_step(
    session: Session,
    *,
    kb: Knowledge,
    screening_id: str,
    visitor_token: str | None,
    actor: Actor | None,
    raw: Mapping[str, Any],
    address: str = "",
) -> Screening:
    """Store one step's answers (null = don't know) and finish when the interview is done.

    The step need not be the one offered now (a double submit or the back button): any set of
    findings that may all be asked now is accepted. Raises InvalidAnswers, StaleStep,
    ScreeningClosed or NotAllowed; nothing is stored then.
    """
    with transaction(session):
        screening = _load_for_change(
            session, screening_id=screening_id, visitor_token=visitor_token, actor=actor
        )
        if not raw:
            raise StepError("this step had no questions in it")
        parsed = parse_answers(kb, raw)
        current: dict[str, Answer | None] = dict(screening.answers)
        again = set(to_recheck(kb, current, asked_once(screening), screening.role))
        if not all(
            fid in again or askable(kb.findings[fid], current, screening.role) for fid in parsed
        ):
            raise StaleStep("these questions were answered already or no longer apply")
        # Assign new objects: JSON columns notice reassignment, not in-place changes.
        screening.answers = {**current, **parsed}
        screening.history = [*screening.history, [fid for fid in raw if fid in parsed]]
        if _refresh_result(kb, screening):
            screening.status = "complete"
        _audit_change(session, screening=screening, actor=actor, action="update", address=address)
    return screening


def go_back(
    session: Session,
    *,
    kb: Knowledge,
    screening_id: str,
    visitor_token: str | None,
    actor: Actor | None,
    address: str = "",
) -> Screening:
    """Undo the last answered step: its answers are removed and it is asked again."""
    with transaction(session):
        screening = _load_for_change(
            session, screening_id=screening_id, visitor_token=visitor_token, actor=actor
        )
        if not screening.history:
            return screening
        *earlier, last = screening.history
        before = {fid for step in earlier for fid in step}
        # A finding asked again after "not sure" goes back to that "not sure", not to unasked.
        undone = set(last)
        screening.answers = {
            k: (None if k in undone else v)
            for k, v in screening.answers.items()
            if k not in undone or k in before
        }
        screening.history = list(earlier)
        _refresh_result(kb, screening)
        _audit_change(session, screening=screening, actor=actor, action="update", address=address)
    return screening


def answers_in_order(screening: Screening) -> list[tuple[str, Any]]:
    """The answers in the order they were given (history), then any others."""
    seen: list[str] = [fid for step in screening.history for fid in step]
    rest = [fid for fid in screening.answers if fid not in seen]
    ordered = list(dict.fromkeys([*seen, *rest]))
    return [(fid, screening.answers[fid]) for fid in ordered if fid in screening.answers]
