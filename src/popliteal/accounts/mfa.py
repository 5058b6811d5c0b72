"""Two-step sign-in for staff (OWASP ASVS 2.7/2.8): a time-based code from an authenticator
app (RFC 6238, `pyotp`), ten single-use recovery codes, and the second step of a login.

The TOTP secret is kept encrypted with a key derived from the server's secret key, so a copy
of the database alone does not give it away, and it is shown only while enrolling. Recovery
codes are kept as password hashes. A code is good once: the time step of the last accepted
code is stored and no code of that step or an earlier one is taken again. A wrong code counts
as a failed login (throttle.py: growing delays) and is written to the audit trail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic, LoginSession, RecoveryCode, User
from popliteal.accounts.rules import Actor, Role
from popliteal.accounts.service import (
    audit,
    clinic_staff_member,
    hash_password,
    start_session,
    token_hash,
    verify_password,
)
from popliteal.accounts.throttle import check_login_wait, record_failed_login
from popliteal.clock import utcnow
from popliteal.config import Settings
from popliteal.db import reading, transaction
from popliteal.errors import AccountError, NotAllowed

RECOVERY_CODES = 10
# No 0/o, 1/l/i: the codes are read off paper and typed by hand.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_SELECTOR_LENGTH = 4
# Codes one step either side of now are taken: phone clocks drift, people type slowly.
VALID_WINDOW = 1
ISSUER = "popliteal"

WRONG_CODE = (
    "that code is not right: type the 6 numbers your authenticator app shows now, "
    "or one of your recovery codes"
)


class SignInExpired(AccountError):
    """The password step is too old or unknown: start the login again."""

    status_code = 401


def _fernet(settings: Settings) -> Fernet:
    digest = hashlib.sha256(b"popliteal totp secret\x00" + settings.secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _secret(settings: Settings, user: User) -> str:
    if user.totp_secret is None:
        raise AccountError("two-step sign-in is not set up for this account")
    try:
        return _fernet(settings).decrypt(user.totp_secret.encode()).decode()
    except InvalidToken:  # the server's secret key changed since enrolment
        raise AccountError(
            "two-step sign-in cannot be checked: the server's secret key changed; "
            "use a recovery code, or ask your clinic's administrator"
        ) from None


def qr_svg(uri: str) -> str:
    """The QR code of an otpauth:// address as inline SVG, for the app to scan."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return svg


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (within VALID_WINDOW of now), or None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _make_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; return them (shown once)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        session.add(
            RecoveryCode(
                user_id=user.id, selector=raw[:_SELECTOR_LENGTH], code_hash=hash_password(raw)
            )
        )
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def _use_recovery_code(session: Session, user: User, code: str) -> bool:
    raw = _normalise(code)
    if len(raw) != _RECOVERY_LENGTH:
        return False
    candidates = session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.selector == raw[:_SELECTOR_LENGTH],
            RecoveryCode.used_at.is_(None),
        )
    )
    for row in candidates:
        if verify_password(raw, row.code_hash):
            row.used_at = utcnow()
            return True
    return False


def _accept_code(session: Session, settings: Settings, user: User, code: str) -> str | None:
    """ "totp" or "recovery" when the code is good (and is now used up), else None."""
    digits = "".join(code.split())
    if digits.isdigit():
        if not digits.isascii():  # Arabic-Indic digits: compare_digest refuses non-ASCII
            return None
        if len(digits) != 6:
            return None
        step = _totp_step(_secret(settings, user), digits, utcnow())
        if step is None or step <= (user.totp_last_step if user.totp_last_step is not None else -1):
            return None  # wrong, or already used (a replay)
        user.totp_last_step = step
        return "totp"
    return "recovery" if _use_recovery_code(session, user, code) else None


def _check_second_factor(
    session: Session, *, settings: Settings, user_id: int, code: str, address: str
) -> User:
    """Accept the code for this account or raise (after counting the failure)."""
    with transaction(session):
        user = session.get(User, user_id, with_for_update=True)
        if user is None or not user.is_active or not user.has_mfa:
            raise SignInExpired("log in again")
        check_login_wait(session, settings=settings, email=user.email, address=address)
        how = _accept_code(session, settings, user, code)
        if how == "recovery":
            left = _recovery_codes_left(session, user.id)
            audit(
                session,
                actor=None,
                action="mfa_recovery",
                entity="user",
                entity_id=user.id,
                patient_id=None,
                clinic_id=user.clinic_id,
                address=address,
                detail={"codes_left": left},
            )
    if how is None:
        with transaction(session):  # kept although the login fails
            record_failed_login(session, email=user.email, address=address)
            audit(
                session,
                actor=None,
                action="mfa_failed",
                entity="user",
                entity_id=user.id,
                patient_id=None,
                clinic_id=user.clinic_id,
                address=address,
            )
        raise AccountError(WRONG_CODE)
    return user


def _recovery_codes_left(session: Session, user_id: int) -> int:
    rows = session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
        )
    )
    return len(list(rows))


# ---------------------------------------------------------------------------------------------
# The second step of a login.


def finish_login(
    session: Session, *, settings: Settings, pending_token: str, code: str, address: str
) -> tuple[User, str]:
    """Check the code for the password-checked login `pending_token`; on success end it and
    return the user and a new, full session's token (a new token: nothing learnt about the
    pending one is worth anything after)."""
    with reading(session):
        row = session.scalar(
            select(LoginSession).where(LoginSession.token_hash == token_hash(pending_token))
        )
        if row is None or not row.pending_mfa or row.expires_at <= utcnow():
            raise SignInExpired("this sign-in took too long: enter your email and password again")
        user_id = row.user_id
    user = _check_second_factor(
        session, settings=settings, user_id=user_id, code=code, address=address
    )
    with transaction(session):
        session.execute(
            delete(LoginSession).where(LoginSession.token_hash == token_hash(pending_token))
        )
    token = start_session(session, settings=settings, user=user)
    session.expunge(user)
    return user, token


def check_code_for(
    session: Session, *, settings: Settings, user: User, code: str, address: str
) -> User:
    """The API's one-request second step: the password was right, now the code."""
    return _check_second_factor(
        session, settings=settings, user_id=user.id, code=code, address=address
    )


# ---------------------------------------------------------------------------------------------
# Enrolment and switching off, by the person themself.


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


@dataclass(frozen=True)
class TwoStepStatus:
    enabled: bool
    recovery_codes_left: int
    required: bool


def _staff_user(session: Session, actor: Actor) -> User:
    if actor.role not in (Role.CLINICIAN, Role.ADMIN):
        raise NotAllowed("two-step sign-in is for the clinic's staff")
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise NotAllowed("no such account")
    return user


def status(session: Session, *, actor: Actor) -> TwoStepStatus:
    """Whether two-step sign-in is on, how many recovery codes are left, whether required."""
    with reading(session):
        user = _staff_user(session, actor)
        clinic = session.get(Clinic, user.clinic_id)
        return TwoStepStatus(
            enabled=user.has_mfa,
            recovery_codes_left=_recovery_codes_left(session, user.id),
            required=bool(clinic and clinic.require_staff_mfa),
        )


def begin_enrolment(session: Session, *, actor: Actor, settings: Settings) -> Enrolment:
    """A new secret for the authenticator app (kept encrypted until confirmed by a code)."""
    with transaction(session):
        user = _staff_user(session, actor)
        if user.has_mfa:
            raise AccountError("two-step sign-in is already on for your account")
        secret = pyotp.random_base32()
        user.totp_secret = _fernet(settings).encrypt(secret.encode()).decode()
        user.totp_last_step = None
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri, qr_svg=qr_svg(uri))


def confirm_enrolment(
    session: Session, *, actor: Actor, settings: Settings, code: str
) -> list[str]:
    """Turn two-step sign-in on once the app's first code is right; return the recovery
    codes (shown this once: only their hashes are kept)."""
    with transaction(session):
        user = _staff_user(session, actor)
        if user.has_mfa:
            raise AccountError("two-step sign-in is already on for your account")
        if user.totp_secret is None:
            raise AccountError("start again: open the two-step sign-in page")
        digits = "".join(code.split())
        step = (
            _totp_step(_secret(settings, user), digits, utcnow())
            if digits.isascii() and digits.isdigit()
            else None
        )
        if step is None:
            raise AccountError(
                "that code is not right: type the 6 numbers your app shows now "
                "(check the phone's clock is set automatically)"
            )
        user.totp_last_step = step
        user.totp_enabled_at = utcnow()
        codes = _make_recovery_codes(session, user)
        audit(
            session,
            actor=actor,
            action="mfa_enrol",
            entity="user",
            entity_id=user.id,
            patient_id=None,
        )
    return codes


def disable(
    session: Session, *, actor: Actor, settings: Settings, password: str, code: str
) -> None:
    """Switch two-step sign-in off: needs the password and a code (or a recovery code)."""
    with reading(session):
        user = _staff_user(session, actor)
        if not user.has_mfa:
            raise AccountError("two-step sign-in is not on for your account")
        password_ok = verify_password(password, user.password_hash)
    if not password_ok:
        raise AccountError("your password is not right")
    _check_second_factor(
        session, settings=settings, user_id=actor.user_id, code=code, address=actor.address
    )
    with transaction(session):
        user = _staff_user(session, actor)
        user.totp_secret = None
        user.totp_enabled_at = None
        user.totp_last_step = None
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        audit(
            session,
            actor=actor,
            action="mfa_disable",
            entity="user",
            entity_id=user.id,
            patient_id=None,
        )


def new_recovery_codes(
    session: Session, *, actor: Actor, settings: Settings, code: str
) -> list[str]:
    """Replace the recovery codes (the old ones stop working); needs a current code."""
    _check_second_factor(
        session, settings=settings, user_id=actor.user_id, code=code, address=actor.address
    )
    with transaction(session):
        user = _staff_user(session, actor)
        codes = _make_recovery_codes(session, user)
        audit(
            session,
            actor=actor,
            action="mfa_codes",
            entity="user",
            entity_id=user.id,
            patient_id=None,
        )
    return codes


# ---------------------------------------------------------------------------------------------
# The clinic's rule (admin only).


def set_staff_mfa_required(session: Session, *, actor: Actor, required: bool) -> None:
    """Require (or stop requiring) two-step sign-in of the clinic's staff. An admin turns it
    on for themself first, so the switch never sends its own author to set-up mid-change."""
    with transaction(session):
        if actor.role != Role.ADMIN:
            raise NotAllowed("this is for the clinic's administrators")
        clinic = session.get(Clinic, actor.clinic_id)
        user = session.get(User, actor.user_id)
        if clinic is None or user is None:
            raise NotAllowed("no such clinic")
        if required and not user.has_mfa:
            raise AccountError(
                "turn on two-step sign-in for your own account first (Your account, "
                "Two-step sign-in), then require it for everyone"
            )
        before = clinic.require_staff_mfa
        clinic.require_staff_mfa = required
        audit(
            session,
            actor=actor,
            action="update",
            entity="clinic",
            entity_id=clinic.id,
            patient_id=None,
            detail={"before": {"require_staff_mfa": before}},
        )


def reset_for(session: Session, *, actor: Actor, user_id: int) -> None:
    """An admin switches a staff member's two-step sign-in off (phone and codes lost); they
    set it up again at their next login if the clinic requires it."""
    with transaction(session):
        if actor.role != Role.ADMIN:
            raise NotAllowed("this is for the clinic's administrators")
        user = clinic_staff_member(session, actor=actor, user_id=user_id)
        if user.id == actor.user_id:
            raise AccountError("switch your own two-step sign-in off under Two-step sign-in")
        user.totp_secret = None
        user.totp_enabled_at = None
        user.totp_last_step = None
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        audit(
            session,
            actor=actor,
            action="mfa_reset",
            entity="user",
            entity_id=user.id,
            patient_id=None,
        )


def staff_two_step(session: Session, *, actor: Actor) -> tuple[bool, list[tuple[int, str, bool]]]:
    """Whether the clinic requires two-step sign-in, and each active staff member's id and
    name with whether they have it on."""
    with reading(session):
        if actor.role != Role.ADMIN:
            raise NotAllowed("this is for the clinic's administrators")
        clinic = session.get(Clinic, actor.clinic_id)
        staff = session.scalars(
            select(User)
            .where(
                User.clinic_id == actor.clinic_id,
                User.role.in_(("clinician", "admin")),
                User.is_active,
            )
            .order_by(User.display_name)
        )
        people = [(u.id, u.display_name, u.has_mfa) for u in staff]
        return bool(clinic and clinic.require_staff_mfa), people
