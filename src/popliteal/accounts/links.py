"""Single-use e-mailed links (confirm a held visit, a staff invitation): made, looked up, used.

The token is random (256 bits); the table keeps only its SHA-256, so a copy of the database
opens nothing. A link is used up by one UPDATE that finds it unused (row count 1): two
requests with the same link at once succeed once.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from popliteal.accounts.models import OneTimeLink
from popliteal.accounts.service import token_hash

# Every bad link gets these same plain words: no one learns whether it was mistyped, used or
# too old.
LINK_USELESS = "This link has expired or was already used."
MAX_TOKEN_LENGTH = 100


def issue(
    session: Session,
    *,
    purpose: str,
    user_id: int,
    expires_at: datetime,
    now: datetime,
    appointment_id: int | None = None,
) -> str:
    """Store a new link (in the caller's transaction) and return its token for the e-mail."""
    token = secrets.token_urlsafe(32)
    session.add(
        OneTimeLink(
            token_hash=token_hash(token),
            purpose=purpose,
            user_id=user_id,
            appointment_id=appointment_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return token


def find(session: Session, *, token: str, purpose: str, now: datetime) -> OneTimeLink | None:
    """The unused, unexpired link of this purpose with this token, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = session.scalar(
        select(OneTimeLink).where(
            OneTimeLink.token_hash == token_hash(token), OneTimeLink.purpose == purpose
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def use(session: Session, *, link: OneTimeLink, now: datetime) -> bool:
    """Mark the link used; False when another request used it first."""
    used = session.execute(
        update(OneTimeLink)
        .where(OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(used, "rowcount", 0) == 1
