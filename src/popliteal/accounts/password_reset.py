"""A forgotten password: a single-use link by e-mail, then a new password.

The request answers the same whether or not an account exists for the address (no one learns
who has an account here). The link's token is random (256 bits); the table keeps only its
SHA-256, so a copy of the database opens no account. A link works once, for an hour; using it
ends every session of the account (whoever knew the old password is logged out) and every
other link. At most REQUESTS_PER_HOUR e-mails per account and hour, so the form cannot be
used to flood someone's inbox.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from popliteal.accounts import rules
from popliteal.accounts.models import Clinic, LoginSession, PasswordResetToken, Patient, User
from popliteal.accounts.service import actor_for, audit, hash_password, token_hash
from popliteal.clock import utcnow
from popliteal.db import reading, transaction
from popliteal.errors import AccountError
from popliteal.mail import messages

LINK_VALID = timedelta(hours=1)
REQUESTS_PER_HOUR = 3
LINK_USELESS = "This link has expired or was already used. Ask for a new one below."


def request_reset(
    session: Session, *, email: str, base_url: str, address: str = "", now: datetime | None = None
) -> None:
    """E-mail a reset link if an active account has this address; otherwise do nothing."""
    now = now or utcnow()
    if rules.email_problem(email):
        return
    email = rules.normalise_email(email)
    with transaction(session):
        user = session.scalar(select(User).where(User.email == email, User.is_active))
        if user is None:
            return
        recent = session.scalar(
            select(func.count())
            .select_from(PasswordResetToken)
            .where(
                PasswordResetToken.user_id == user.id,
                PasswordResetToken.created_at > now - timedelta(hours=1),
            )
        )
        if (recent or 0) >= REQUESTS_PER_HOUR:
            return
        token = secrets.token_urlsafe(32)
        session.add(
            PasswordResetToken(
                token_hash=token_hash(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + LINK_VALID,
            )
        )
        clinic = session.get_one(Clinic, user.clinic_id)
        name = session.scalar(select(Patient.full_name).where(Patient.user_id == user.id))
        messages.password_reset(
            session,
            to=user.email,
            person_name=name or user.display_name,
            clinic_name=clinic.name,
            clinic_phone=clinic.phone,
            clinic_id=clinic.id,
            link=f"{base_url}/reset-password?token={token}",
            valid_for=LINK_VALID,
        )
        audit(
            session,
            actor=actor_for(session, user, address=address),
            action="create",
            entity="password_reset",
            entity_id=user.id,
            patient_id=None,
            address=address,
        )


def link_works(session: Session, *, token: str, now: datetime | None = None) -> bool:
    """Whether this link can still set a password (the page asks before showing the form)."""
    now = now or utcnow()
    with reading(session):
        found = session.scalar(
            select(PasswordResetToken.id).where(
                PasswordResetToken.token_hash == token_hash(token),
                PasswordResetToken.used_at.is_(None),
                PasswordResetToken.expires_at > now,
            )
        )
    return found is not None


def reset_password(
    session: Session, *, token: str, new: str, address: str = "", now: datetime | None = None
) -> User:
    """Set the new password with this link; end every session and every other link.

    The link is used up by one UPDATE that finds it unused (row count 1): two requests with the
    same link at once set one password. Raises AccountError (the link, or the password rules).
    """
    now = now or utcnow()
    with transaction(session):
        row = session.scalar(
            select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash(token))
        )
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise AccountError(LINK_USELESS)
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            raise AccountError(LINK_USELESS)
        problem = rules.password_problem(new, email=user.email, name=user.display_name)
        if problem:
            raise AccountError(problem)
        used = session.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(used, "rowcount", 0) != 1:
            raise AccountError(LINK_USELESS)
        session.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        user.password_hash = hash_password(new)
        user.email_verified_at = user.email_verified_at or now  # the link proved the address
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        audit(
            session,
            actor=actor_for(session, user, address=address),
            action="update",
            entity="user",
            entity_id=user.id,
            patient_id=None,
            address=address,
            detail={"password": "reset by e-mail link"},
        )
    return user
