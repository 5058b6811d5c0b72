"""Staff invitations: a new clinician or administrator gets an e-mail with a single-use link to
choose their own password (the admin's add-staff page, `popliteal user create` without a
password). No one else ever knows it, not even the admin who added them.

The link works once and for INVITATION_VALID. Someone whose link ran out uses "Forgot your
password?" on the login page: the account exists, and a password chosen with that link checks
their address too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from popliteal.accounts import links, rules
from popliteal.accounts.models import Clinic, LoginSession, User
from popliteal.accounts.rules import Actor, Role
from popliteal.accounts.service import (
    EMAIL_TAKEN,
    PROFESSIONS,
    STAFF_ROLES,
    InvalidSettings,
    actor_for,
    audit,
    create_user,
    hash_password,
)
from popliteal.clock import utcnow
from popliteal.db import reading, transaction
from popliteal.errors import AccountError, NotAllowed
from popliteal.mail import messages

INVITATION_VALID = timedelta(hours=72)
INVITATION = "invitation"
SET_PASSWORD_PATH = "/welcome"  # noqa: S105 (a page, not a password)


def invite(
    session: Session,
    *,
    user: User,
    clinic: Clinic,
    inviter_name: str,
    base_url: str,
    now: datetime | None = None,
) -> str:
    """Queue the invitation e-mail with a new set-password link (in the caller's transaction);
    the link comes back too, for the command line to print."""
    now = now or utcnow()
    token = links.issue(
        session,
        purpose=INVITATION,
        user_id=user.id,
        expires_at=now + INVITATION_VALID,
        now=now,
    )
    link = f"{base_url}{SET_PASSWORD_PATH}?token={token}"
    messages.invitation(
        session,
        to=user.email,
        person_name=user.display_name,
        inviter_name=inviter_name,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        clinic_id=clinic.id,
        link=link,
        valid_for=INVITATION_VALID,
    )
    return link


def add_clinician(
    session: Session,
    *,
    actor: Actor,
    display_name: str,
    email: str,
    profession: str,
    role: str,
    password: str | None = None,
    base_url: str = "",
) -> User:
    """Add a clinician or administrator to the admin's clinic; raise AccountError. Commits.

    Without a password they are e-mailed an invitation to choose one. Two admins adding the
    same address at once: the second gets the duplicate message."""
    with transaction(session, on_conflict=lambda: AccountError(EMAIL_TAKEN)):
        if actor.role != Role.ADMIN:
            raise NotAllowed("this is for the clinic's administrators")
        problems = []
        if not display_name.strip():
            problems.append("name: enter the clinician's name")
        if profession not in PROFESSIONS:
            problems.append("profession: choose " + ", ".join(PROFESSIONS))
        if role not in STAFF_ROLES:
            problems.append("role: choose clinician or admin")
        if problems:
            raise InvalidSettings(problems)
        user = create_user(
            session,
            clinic_id=actor.clinic_id,
            email=email,
            password=password,
            role=role,
            display_name=display_name,
            profession=profession,
        )
        if password is None:
            inviter = session.get_one(User, actor.user_id)
            invite(
                session,
                user=user,
                clinic=session.get_one(Clinic, actor.clinic_id),
                inviter_name=inviter.display_name,
                base_url=base_url,
            )
        audit(
            session,
            actor=actor,
            action="create",
            entity="user",
            entity_id=user.id,
            patient_id=None,
            detail={"role": role, "invited": password is None},
        )
    return user


def invited_user(session: Session, *, token: str, now: datetime | None = None) -> User | None:
    """The active person this invitation link is for, while it still works; else None."""
    now = now or utcnow()
    with reading(session):
        link = links.find(session, token=token, purpose=INVITATION, now=now)
        user = session.get(User, link.user_id) if link is not None else None
        if user is None or not user.is_active:
            return None
        session.expunge(user)
    return user


def accept(
    session: Session, *, token: str, password: str, address: str = "", now: datetime | None = None
) -> User:
    """Set the invited person's password with the link (used up) and count their address as
    checked. Raises AccountError: links.LINK_USELESS, or the password rules."""
    now = now or utcnow()
    with transaction(session):
        link = links.find(session, token=token, purpose=INVITATION, now=now)
        user = session.get(User, link.user_id) if link is not None else None
        if link is None or user is None or not user.is_active:
            raise AccountError(links.LINK_USELESS)
        problem = rules.password_problem(
            password, email=user.email, name=user.display_name, role=user.role
        )
        if problem:
            raise AccountError(problem)
        if not links.use(session, link=link, now=now):
            raise AccountError(links.LINK_USELESS)
        user.password_hash = hash_password(password)
        user.email_verified_at = user.email_verified_at or now
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        audit(
            session,
            actor=actor_for(session, user, address=address),
            action="update",
            entity="user",
            entity_id=user.id,
            patient_id=None,
            address=address,
            detail={"password": "set with the invitation link"},
        )
        session.flush()
        session.expunge(user)
    return user
