"""Accounts: passwords, login sessions, throttling, and the audit trail of patient records."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from popliteal.accounts import rules
from popliteal.accounts.models import (
    ROLES,
    AuditEvent,
    Clinic,
    LoginAttempt,
    LoginSession,
    Patient,
    User,
)
from popliteal.accounts.rules import Actor
from popliteal.config import Settings
from popliteal.db import utcnow

_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the email is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    """A problem the person can fix; the message is shown as is."""


class LoginThrottled(AccountError):
    pass


class NotAllowed(PermissionError):
    """The actor may not see or change this record (shown as 404 so ids are not probed)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher.verify(password, password_hash)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    clinic_id: int,
    email: str,
    password: str,
    role: str,
    display_name: str,
    profession: str | None = None,
) -> User:
    """Create a user after checking the email and password; raise AccountError if not fit."""
    problem = rules.email_problem(email) or rules.password_problem(password)
    if problem:
        raise AccountError(problem)
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}")
    email = rules.normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError("an account with this email already exists: log in instead")
    user = User(
        clinic_id=clinic_id,
        email=email,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name.strip() or email,
        profession=profession,
    )
    session.add(user)
    session.flush()
    return user


def _recent_failures(
    session: Session, *, since: datetime, email: str, address: str
) -> tuple[int, int]:
    by_account = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.email == email, LoginAttempt.at >= since, ~LoginAttempt.success)
    )
    by_address = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.address == address, LoginAttempt.at >= since, ~LoginAttempt.success)
    )
    return int(by_account or 0), int(by_address or 0)


def authenticate(
    session: Session, *, settings: Settings, email: str, password: str, address: str
) -> User:
    """Check the credentials, recording the attempt; raise LoginThrottled or AccountError.

    Limits count failures in a sliding window per account and per address, in the database,
    so they hold across several servers. Commits (the attempt is kept even when it fails).
    """
    email = rules.normalise_email(email)
    now = utcnow()
    since = now - timedelta(minutes=settings.login_window_minutes)
    by_account, by_address = _recent_failures(session, since=since, email=email, address=address)
    if rules.login_throttled(
        failures_for_account=by_account,
        failures_for_address=by_address,
        max_account=settings.login_max_failures_account,
        max_address=settings.login_max_failures_address,
    ):
        raise LoginThrottled(
            f"too many failed logins: try again in {settings.login_window_minutes} minutes"
        )
    user = session.scalar(select(User).where(User.email == email))
    ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(email=email, address=address, at=now, success=ok))
    session.commit()
    if not ok or user is None:
        raise AccountError("wrong email or password")
    return user


def start_session(session: Session, *, settings: Settings, user: User) -> str:
    """Create a login session and return the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        LoginSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=settings.session_hours),
        )
    )
    session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    session.commit()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def end_session(session: Session, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    session.commit()


def actor_for(session: Session, user: User) -> Actor:
    patient_id = None
    if user.role == "patient":
        patient_id = session.scalar(select(Patient.id).where(Patient.user_id == user.id))
    return Actor(user_id=user.id, role=user.role, clinic_id=user.clinic_id, patient_id=patient_id)


def audit(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: object,
    patient_id: int | None,
    clinic_id: int | None = None,
    address: str = "",
    detail: dict[str, object] | None = None,
) -> None:
    """Record a read or change of a patient record (committed with the caller's transaction)."""
    session.add(
        AuditEvent(
            clinic_id=clinic_id if clinic_id is not None else (actor.clinic_id if actor else None),
            actor_user_id=actor.user_id if actor else None,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            patient_id=patient_id,
            address=address,
            detail=detail or {},
        )
    )


def get_patient(session: Session, *, actor: Actor, patient_id: int) -> Patient:
    """The patient record if this actor may see it; NotAllowed otherwise (even if it exists)."""
    patient = session.get(Patient, patient_id)
    if patient is None or not rules.may_see_patient(
        actor, patient_id=patient.id, patient_clinic_id=patient.clinic_id
    ):
        raise NotAllowed("no such patient")
    return patient


def default_clinic(session: Session) -> Clinic:
    """The clinic this server runs for (the first one; one clinic per deployment for now)."""
    clinic = session.scalar(select(Clinic).order_by(Clinic.id).limit(1))
    if clinic is None:
        raise AccountError("no clinic is set up: run `popliteal demo load` or create one")
    return clinic


def register_patient(
    session: Session,
    *,
    clinic_id: int,
    email: str,
    password: str,
    full_name: str,
    phone: str = "",
    address: str = "",
) -> Patient:
    """Create a patient account (user + patient record); the caller commits."""
    if not full_name.strip():
        raise AccountError("enter your name")
    user = create_user(
        session,
        clinic_id=clinic_id,
        email=email,
        password=password,
        role="patient",
        display_name=full_name.strip(),
    )
    patient = Patient(
        clinic_id=clinic_id,
        user_id=user.id,
        full_name=full_name.strip(),
        phone=phone.strip(),
        address=address.strip(),
    )
    session.add(patient)
    session.flush()
    return patient
