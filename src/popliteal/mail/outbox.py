"""Put a message in the outbox, inside the caller's transaction (it commits with the event)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from popliteal.clock import utcnow
from popliteal.mail.models import OutboxMessage


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=REQUEST"
    data: bytes


def enqueue(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    attachments: Sequence[Attachment] = (),
    kind: str,
    dedupe_key: str | None = None,
    clinic_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue one message; no commit here, so it is sent only if the caller's transaction commits.

    With a `dedupe_key`, a second message with the same key is not stored (False comes back):
    the database's unique index decides, so two scanners racing for one reminder store it once.
    """
    now = now or utcnow()
    values = {
        "clinic_id": clinic_id,
        "kind": kind,
        "to_address": to.strip(),
        "subject": subject[:200],
        "text_body": text,
        "html_body": html,
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "data": base64.b64encode(a.data).decode("ascii"),
            }
            for a in attachments
        ],
        "dedupe_key": dedupe_key,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "last_error": "",
    }
    if dedupe_key is None:
        session.execute(insert(OutboxMessage).values(**values))
        return True
    dialect = session.get_bind().dialect.name
    statement = (
        postgresql.insert(OutboxMessage)
        if dialect == "postgresql"
        else sqlite.insert(OutboxMessage)
    )
    # RETURNING tells whether the row went in (the row count is not reliable here).
    stored = session.execute(
        statement.values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    ).first()
    return stored is not None
