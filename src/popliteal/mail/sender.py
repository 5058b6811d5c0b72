"""The sender: claims due outbox rows one at a time, delivers them, and records the result.

Claiming is one UPDATE ... WHERE id = ? AND status = 'pending' (or a `sending` row whose lease
ran out) that sets a fresh claim token; only the sender whose UPDATE changed the row (row count
1) sends it. On PostgreSQL the second UPDATE waits for the first to commit and then finds the
row no longer pending; on SQLite writers queue (BEGIN IMMEDIATE). Two senders therefore never
send one message twice. The one gap left is a sender that dies after the server accepted the
message and before it is marked sent: after the lease the message is sent again, with the same
Message-ID (at least once beats lost for a visit reminder).

A failed attempt waits 1, 2, 4 ... minutes (at most 6 hours) before the next; after
MAX_ATTEMPTS, or at once when the server refuses the message for good, it is marked `failed`
and the clinic's administrators see it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import MessageError

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from popliteal.clock import utcnow
from popliteal.db import reading, transaction
from popliteal.mail.models import OutboxMessage
from popliteal.mail.transport import (
    PermanentFailure,
    TemporaryFailure,
    Transport,
    build_message,
)

MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_LONGEST = timedelta(hours=6)
# Longer than any SMTP conversation (timeouts are 20 s): a live sender keeps its claim.
LEASE = timedelta(minutes=10)


@dataclass
class RunReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 1, 2, 4 ... minutes, at most 6 hours."""
    wait: timedelta = BACKOFF_FIRST * (2 ** max(min(attempts, 20) - 1, 0))
    return min(wait, BACKOFF_LONGEST)


def _claimable(now: datetime) -> object:
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


def due_ids(session: Session, *, now: datetime, limit: int = 100) -> list[int]:
    """The ids of messages a sender may claim now, oldest first."""
    with reading(session):
        return list(
            session.scalars(
                select(OutboxMessage.id)
                .where(_claimable(now))  # type: ignore[arg-type]
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
            )
        )


def claim(session: Session, *, message_id: int, now: datetime) -> str | None:
    """Take this message for this sender: its claim token, or None when another has it."""
    token = secrets.token_hex(16)
    with transaction(session):
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _claimable(now))  # type: ignore[arg-type]
            .values(
                status="sending",
                claim_token=token,
                claimed_until=now + LEASE,
                attempts=OutboxMessage.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
    return token if getattr(result, "rowcount", 0) == 1 else None


def _finish(session: Session, *, message_id: int, token: str, **values: object) -> None:
    with transaction(session):
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
            .values(claim_token=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )


def deliver(
    session: Session, *, message_id: int, transport: Transport, mail_from: str, now: datetime
) -> str | None:
    """Claim, send and record one message: "sent", "retrying", "failed", or None (not ours).

    The lease starts now, not when the round began: a long round must not hand out leases that
    have already run out (another sender would take the message while this one sends it).
    """
    token = claim(session, message_id=message_id, now=max(now, utcnow()))
    if token is None:
        return None
    try:
        with reading(session):
            row = session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .execution_options(populate_existing=True)
            ).scalar_one()
            attempts = row.attempts
            try:
                message = build_message(row, mail_from=mail_from)
            except (ValueError, TypeError, LookupError, MessageError) as exc:  # a bad address
                raise PermanentFailure(f"cannot build the message: {exc}") from None
        transport.send(message)
    except (TemporaryFailure, PermanentFailure) as exc:
        failed = isinstance(exc, PermanentFailure) or attempts >= MAX_ATTEMPTS
        after = utcnow()
        _finish(
            session,
            message_id=message_id,
            token=token,
            status="failed" if failed else "pending",
            next_attempt_at=after + backoff(attempts),
            last_error=str(exc)[:2000],
        )
        return "failed" if failed else "retrying"
    _finish(session, message_id=message_id, token=token, status="sent", sent_at=utcnow())
    return "sent"


def run_once(
    session: Session,
    *,
    transport: Transport,
    mail_from: str,
    now: datetime | None = None,
    limit: int = 100,
) -> RunReport:
    """Deliver every message due now (at most `limit`); the others wait for the next run."""
    now = now or utcnow()
    report = RunReport()
    for message_id in due_ids(session, now=now, limit=limit):
        outcome = deliver(
            session, message_id=message_id, transport=transport, mail_from=mail_from, now=now
        )
        if outcome == "sent":
            report.sent += 1
        elif outcome == "retrying":
            report.retrying += 1
        elif outcome == "failed":
            report.failed += 1
    return report


@dataclass(frozen=True)
class FailedMessage:
    id: int
    kind: str
    to_address: str
    subject: str
    attempts: int
    last_error: str
    created_at: datetime


def failed_messages(
    session: Session, *, clinic_id: int | None, limit: int = 50
) -> list[FailedMessage]:
    """Messages that could not be sent, newest first: one clinic's (for its administrators),
    or every one (None, the command line)."""
    query = select(OutboxMessage).where(OutboxMessage.status == "failed")
    if clinic_id is not None:
        query = query.where(OutboxMessage.clinic_id == clinic_id)
    with reading(session):
        return [
            FailedMessage(
                id=m.id,
                kind=m.kind,
                to_address=m.to_address,
                subject=m.subject,
                attempts=m.attempts,
                last_error=m.last_error,
                created_at=m.created_at,
            )
            for m in session.scalars(
                query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(
                    limit
                )
            )
        ]


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each state (the `notify status` command)."""
    with reading(session):
        rows = session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
        return {status: int(n) for status, n in rows}


def retry_failed(
    session: Session, *, message_ids: Sequence[int], clinic_id: int | None, now: datetime
) -> int:
    """Put failed messages (of this clinic, unless None) back in the queue; how many."""
    query = update(OutboxMessage).where(
        OutboxMessage.id.in_(message_ids), OutboxMessage.status == "failed"
    )
    if clinic_id is not None:
        query = query.where(OutboxMessage.clinic_id == clinic_id)
    with transaction(session):
        result = session.execute(
            query.values(
                status="pending", attempts=0, next_attempt_at=now, last_error=""
            ).execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0))
