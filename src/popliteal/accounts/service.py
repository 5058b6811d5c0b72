"""Accounts: passwords, login sessions, throttling, and the audit trail of patient records."""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from popliteal.accounts import audit_log, rules
from popliteal.accounts.models import (
    ROLES,
    Clinic,
    LoginAttempt,
    LoginSession,
    Patient,
    User,
)
from popliteal.accounts.rules import Actor, Role
from popliteal.accounts.throttle import LoginThrottled as LoginThrottled
from popliteal.accounts.throttle import login_wait
from popliteal.clock import utcnow, zone
from popliteal.config import Settings
from popliteal.db import reading, transaction
from popliteal.errors import AccountError, NotAllowed, NotSetUp

# Argon2id at OWASP's Password Storage Cheat Sheet setting (m=19 MiB, t=2, p=1; recalled from
# the cheat sheet, not read here). pwdlib's default (m=64 MiB, t=3, p=4) made every login take
# over a second on a 2-core server and a crowd of logins a memory weapon. Hashes made with the
# old setting still verify: the parameters are stored in each hash.
_hasher = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))
# Verified against when the email is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

EMAIL_TAKEN = "an account with this email already exists"


# Each argon2 hash takes 19 MiB while it runs (64 MiB for an old hash): without a bound, 60
# failed logins at once grew one worker from 218 MB to 2.4 GB. At most this many run at once
# per process; the rest wait.
MAX_CONCURRENT_HASHES = 4
_hashing = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


def hash_password(password: str) -> str:
    with _hashing:
        return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    with _hashing:
        return _hasher.verify(password, password_hash)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    clinic_id: int,
    email: str,
    password: str | None,
    role: str,
    display_name: str,
    profession: str | None = None,
) -> User:
    """Create a user after checking the email and password; raise AccountError if not fit.

    Without a password the account is waiting for an e-mailed link (a booking's or an
    invitation's): it gets a password no one knows, and its address counts as unchecked
    until the link is followed."""
    problem = rules.email_problem(email)
    if password is not None:
        problem = problem or rules.password_problem(
            password, email=email, name=display_name, role=role
        )
    if problem:
        raise AccountError(problem)
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}")
    email = rules.normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"{EMAIL_TAKEN}: log in instead")
    user = User(
        clinic_id=clinic_id,
        email=email,
        password_hash=hash_password(password or secrets.token_urlsafe(32)),
        role=role,
        display_name=display_name.strip() or email,
        profession=profession,
        email_verified_at=utcnow() if password is not None else None,
    )
    session.add(user)
    session.flush()
    return user


def _serialise_attempts(session: Session, *, email: str, address: str) -> None:
    """Make concurrent logins for one account or address count one after another.

    SQLite already serialises writers (BEGIN IMMEDIATE, db.py); on PostgreSQL two requests
    would otherwise both read the same failure count. Locks are taken in a fixed order (account,
    then address), so two logins can never wait on each other in a cycle.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in (f"login-account:{email}", f"login-address:{address}"):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def authenticate(
    session: Session, *, settings: Settings, email: str, password: str, address: str
) -> User:
    """Check the credentials, recording the attempt; raise LoginThrottled or AccountError.

    Failures are counted in a sliding window per account and per address, in the database,
    so limits hold across several servers and under concurrent requests: the attempt is
    checked and recorded as a failure in one short serialised transaction, the (slow) password
    check runs outside it, and a success is marked afterwards. Past a few failures each try
    must wait longer (rules.login_wait_seconds): growing delays, never a lock for everyone.
    Every outcome is an audit event (a blocked try, a failure, a login).
    """
    email = rules.normalise_email(email)
    now = utcnow()
    with transaction(session):
        _serialise_attempts(session, email=email, address=address)
        wait = login_wait(session, settings=settings, email=email, address=address)
        user = session.scalar(select(User).where(User.email == email))
        if wait > 0:
            audit_log.record_login(session, "login_blocked", user=user, address=address)
        else:
            attempt = LoginAttempt(email=email, address=address, at=now, success=False)
            session.add(attempt)
    if wait > 0:
        raise LoginThrottled(f"too many failed logins: try again in {rules.wait_words(wait)}")
    ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if not ok or user is None or not user.is_active:
        with transaction(session):  # the same short write for a known or unknown address
            audit_log.record_login(session, "login_failed", user=user, address=address)
        raise AccountError("wrong email or password")
    with transaction(session):
        attempt.success = True
        audit_log.record_login(session, "login", user=user, address=address)
    return user


# A password-only session waiting for the second-step code lives this long.
PENDING_MFA_MINUTES = 5
# The idle clock is written back at most this often: not one write per request.
LAST_SEEN_RESOLUTION = timedelta(seconds=30)


def start_session(
    session: Session, *, settings: Settings, user: User, pending_mfa: bool = False
) -> str:
    """Create a login session and return the cookie token (only its hash is stored). A
    `pending_mfa` one signs nobody in: it only lets the second step find the account."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = (
        timedelta(minutes=PENDING_MFA_MINUTES)
        if pending_mfa
        else timedelta(hours=settings.session_hours)
    )
    with transaction(session):
        session.add(
            LoginSession(
                token_hash=token_hash(token),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
                pending_mfa=pending_mfa,
            )
        )
        session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    return token


class IdleTimeout(AccountError):
    """A staff session unused for longer than the idle limit: it has ended."""

    status_code = 401


def user_for_token(session: Session, token: str, *, staff_idle_minutes: int = 0) -> User | None:
    """The signed-in user of this cookie token, or None (unknown, expired, second step still
    due). A staff session unused for `staff_idle_minutes` (0: no limit) ends: IdleTimeout.
    Each use slides the idle clock on; the absolute limit (expires_at) stays."""
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    now = utcnow()
    if row is None or row.expires_at <= now or row.pending_mfa:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if user.is_staff and staff_idle_minutes > 0:
        last_seen = row.last_seen_at or row.created_at
        if now - last_seen >= timedelta(minutes=staff_idle_minutes):
            # Kept (never slid on again) until it expires, so every later request says why.
            raise IdleTimeout(
                f"you were logged out after {staff_idle_minutes} minutes without activity: "
                "log in again"
            )
        if now - last_seen >= LAST_SEEN_RESOLUTION:
            with transaction(session):
                row.last_seen_at = now
    return user


def end_session(session: Session, token: str, *, address: str = "") -> None:
    """Log out: forget the session; a session that existed leaves a "logout" event."""
    with transaction(session):
        row = session.scalar(
            select(LoginSession).where(LoginSession.token_hash == token_hash(token))
        )
        if row is None:
            return
        user = session.get(User, row.user_id)
        session.delete(row)
        audit_log.record_login(session, "logout", user=user, address=address)


def actor_for(session: Session, user: User, *, address: str = "") -> Actor:
    """The caller for `user`, asking from `address` (the request's client address)."""
    role = Role(user.role)
    patient_id = None
    if role is Role.PATIENT:
        patient_id = session.scalar(select(Patient.id).where(Patient.user_id == user.id))
    return Actor(
        user_id=user.id,
        role=role,
        clinic_id=user.clinic_id,
        patient_id=patient_id,
        address=address,
    )


def audit(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: object,
    patient_id: int | None,
    clinic_id: int | None = None,
    address: str | None = None,
    detail: dict[str, object] | None = None,
    actor_user_id: int | None = None,
) -> None:
    """Record a read or change of a patient record (committed with the caller's transaction,
    chained by hash at commit: accounts/audit_log.py). The address is the actor's unless
    given: only an anonymous caller's must be passed. `actor_user_id` names who acted when
    there is no Actor (a login: the account is known, the session not yet)."""
    if address is None:
        address = actor.address if actor is not None else ""
    audit_log.append(
        session,
        clinic_id=clinic_id if clinic_id is not None else (actor.clinic_id if actor else None),
        actor_user_id=actor.user_id if actor else actor_user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        patient_id=patient_id,
        address=address,
        detail=detail,
    )


def require_staff(actor: Actor, why: str = "only clinicians can do this") -> None:
    """Refuse anyone but the clinic's staff (NotAllowed, mapped to 403 once in web/errors.py)."""
    if not actor.is_staff:
        raise NotAllowed(why)


def staff_clinic(session: Session, actor: Actor) -> Clinic:
    """The clinic of the staff member asking (NotAllowed if it is gone)."""
    clinic = session.get(Clinic, actor.clinic_id)
    if clinic is None:
        raise NotAllowed("no such clinic")
    return clinic


def get_patient(
    session: Session, *, actor: Actor, patient_id: int, deleted_ok: bool = False
) -> Patient:
    """The record if this actor may see it (a deleted one only if `deleted_ok`); else NotAllowed."""
    patient = session.get(Patient, patient_id)
    patient = None if patient and patient.deleted_at and not deleted_ok else patient  # tombstone
    if patient is None or not rules.may_see_patient(
        actor, patient_id=patient.id, patient_clinic_id=patient.clinic_id
    ):
        raise NotAllowed(
            "no such patient",
            entity="patient",
            entity_id=patient_id,
            patient_id=patient.id if patient is not None else None,
            clinic_id=patient.clinic_id if patient is not None else None,
        )
    return patient


def visible_patient(session: Session, actor: Actor, patient_id: int) -> Patient:
    """get_patient, positionally: the one check every area's services start with."""
    return get_patient(session, actor=actor, patient_id=patient_id)


def get_staff_patient(
    session: Session, *, actor: Actor, patient_id: int, why: str = "only clinicians can do this"
) -> Patient:
    """The patient record for a clinician of the patient's clinic; NotAllowed otherwise."""
    require_staff(actor, why)
    return get_patient(session, actor=actor, patient_id=patient_id)


def clinic_zone(session: Session, clinic_id: int) -> ZoneInfo:
    """The clinic's time zone (UTC if the clinic is gone): dates are shown on its wall clock."""
    clinic = session.get(Clinic, clinic_id)
    return clinic.zone if clinic is not None else zone(None)


def default_clinic(session: Session) -> Clinic:
    """The clinic this server runs for (the first one; one clinic per deployment for now).
    NotSetUp (503 on the web) while there is none."""
    clinic = session.scalar(select(Clinic).order_by(Clinic.id).limit(1))
    if clinic is None:
        raise NotSetUp(NotSetUp.message)
    return clinic


def clinic_name(session: Session) -> str | None:
    """The clinic's name for every page's header; None while no clinic is set up."""
    return session.scalar(select(Clinic.name).order_by(Clinic.id).limit(1))


def clinic_emergency_number(session: Session) -> str | None:
    """The emergency number the public pages give: the served clinic's own, "" when it has
    none (the server's setting then applies), None while no clinic is set up."""
    row = session.execute(select(Clinic.emergency_number).order_by(Clinic.id).limit(1)).first()
    return None if row is None else (row[0] or "")


def register_patient(
    session: Session,
    *,
    clinic_id: int,
    email: str,
    password: str | None,
    full_name: str,
    phone: str = "",
    address: str = "",
) -> Patient:
    """Create a patient account (user + patient record); the caller commits. Without a
    password: waiting for the booking's e-mailed link (create_user)."""
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


# ---------------------------------------------------------------------------------------------
# Clinic administration (admin only): the clinic's settings and its clinicians.

PROFESSIONS = ("physical_therapist", "chiropractor", "other")
STAFF_ROLES = ("clinician", "admin")
MAX_NOTICE_HOURS = 24 * 30
MAX_HORIZON_DAYS = 730
FOLLOWUP_INTERVAL_DAYS = (7, 56)  # the database checks the same range
OUTCOME_INSTRUMENTS = ("koos", "lefs")


class InvalidSettings(AccountError):
    """Several problems with a form at once; each is safe to show."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed("this is for the clinic's administrators")


def admin_clinic(session: Session, *, actor: Actor) -> Clinic:
    """The administrator's own clinic."""
    _require_admin(actor)
    clinic = session.get(Clinic, actor.clinic_id)
    if clinic is None:
        raise NotAllowed("no such clinic")
    return clinic


def read_clinic(session: Session, *, actor: Actor) -> Clinic:
    """The administrator's clinic, for its settings form (ends the read transaction; the clinic
    is detached with its fields loaded, so the page renders without reopening it)."""
    with reading(session):
        clinic = admin_clinic(session, actor=actor)
        session.expunge(clinic)
    return clinic


def clinic_settings_problems(
    *,
    name: str,
    timezone: str,
    cancel_notice_hours: int,
    min_booking_notice_hours: int,
    booking_horizon_days: int,
    followup_interval_days: int = 14,
    preferred_instrument: str = "koos",
) -> list[str]:
    """Every problem with these clinic settings (empty when they are fine)."""
    from zoneinfo import available_timezones

    problems = []
    if not name.strip():
        problems.append("name: enter the clinic's name")
    elif len(name.strip()) > 200:
        problems.append("name: 200 characters at most")
    if timezone not in available_timezones():
        problems.append(
            f"timezone: unknown time zone {timezone!r}; use an IANA name like America/Chicago"
        )
    if not 0 <= cancel_notice_hours <= MAX_NOTICE_HOURS:
        problems.append(f"cancel_notice_hours: expected 0 to {MAX_NOTICE_HOURS} hours")
    if not 0 <= min_booking_notice_hours <= MAX_NOTICE_HOURS:
        problems.append(f"min_booking_notice_hours: expected 0 to {MAX_NOTICE_HOURS} hours")
    if not 1 <= booking_horizon_days <= MAX_HORIZON_DAYS:
        problems.append(f"booking_horizon_days: expected 1 to {MAX_HORIZON_DAYS} days")
    low, high = FOLLOWUP_INTERVAL_DAYS
    if not low <= followup_interval_days <= high:
        problems.append(f"followup_interval_days: expected {low} to {high} days")
    if preferred_instrument not in OUTCOME_INSTRUMENTS:
        problems.append("preferred_instrument: choose " + " or ".join(OUTCOME_INSTRUMENTS))
    return problems


def update_clinic(
    session: Session,
    *,
    actor: Actor,
    name: str,
    timezone: str,
    cancel_notice_hours: int,
    min_booking_notice_hours: int,
    booking_horizon_days: int,
    followup_interval_days: int | None = None,
    preferred_instrument: str | None = None,
) -> Clinic:
    """Change the clinic's settings after checking them all; raise InvalidSettings. Commits.

    The follow-up interval and preferred instrument stay as they are when not given.
    """
    with transaction(session):
        clinic = admin_clinic(session, actor=actor)
        timezone = timezone.strip()
        if followup_interval_days is None:
            followup_interval_days = clinic.followup_interval_days
        if preferred_instrument is None:
            preferred_instrument = clinic.preferred_instrument
        problems = clinic_settings_problems(
            name=name,
            timezone=timezone,
            cancel_notice_hours=cancel_notice_hours,
            min_booking_notice_hours=min_booking_notice_hours,
            booking_horizon_days=booking_horizon_days,
            followup_interval_days=followup_interval_days,
            preferred_instrument=preferred_instrument,
        )
        if problems:
            raise InvalidSettings(problems)
        before = {
            "name": clinic.name,
            "timezone": clinic.timezone,
            "cancel_notice_hours": clinic.cancel_notice_hours,
            "min_booking_notice_hours": clinic.min_booking_notice_hours,
            "booking_horizon_days": clinic.booking_horizon_days,
            "followup_interval_days": clinic.followup_interval_days,
            "preferred_instrument": clinic.preferred_instrument,
        }
        clinic.name = name.strip()
        clinic.timezone = timezone
        clinic.cancel_notice_hours = cancel_notice_hours
        clinic.min_booking_notice_hours = min_booking_notice_hours
        clinic.booking_horizon_days = booking_horizon_days
        clinic.followup_interval_days = followup_interval_days
        clinic.preferred_instrument = preferred_instrument
        audit(
            session,
            actor=actor,
            action="update",
            entity="clinic",
            entity_id=clinic.id,
            patient_id=None,
            detail={"before": before},
        )
    return clinic


def list_staff(session: Session, *, actor: Actor) -> list[User]:
    """The clinic's clinicians and administrators, active ones first."""
    with reading(session):  # on SQLite a read transaction holds the write lock: end it
        _require_admin(actor)
        staff = list(
            session.scalars(
                select(User)
                .where(User.clinic_id == actor.clinic_id, User.role.in_(STAFF_ROLES))
                .order_by(User.is_active.desc(), User.display_name)
            )
        )
        for user in staff:
            session.expunge(user)  # keep their loaded fields for the page
    return staff


def clinic_staff_member(session: Session, *, actor: Actor, user_id: int) -> User:
    """A clinician or admin of the actor's clinic, or NotAllowed: another clinic's staff and
    patients look the same as nobody."""
    user = session.get(User, user_id)
    if user is None or user.clinic_id != actor.clinic_id or not user.is_staff:
        raise NotAllowed("no such clinician")
    return user


def set_staff_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> User:
    """Deactivate (ending their sessions) or reactivate a clinician of the admin's clinic."""
    with transaction(session):
        _require_admin(actor)
        user = clinic_staff_member(session, actor=actor, user_id=user_id)
        if user.id == actor.user_id and not active:
            raise AccountError("you can not deactivate your own account")
        user.is_active = active
        if not active:
            session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        audit(
            session,
            actor=actor,
            action="update",
            entity="user",
            entity_id=user.id,
            patient_id=None,
            detail={"active": active},
        )
    return user
