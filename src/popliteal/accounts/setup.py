"""First-run set-up without the demo: a clinic and its first staff, for `popliteal clinic create`
and `popliteal user create` (no web form: before any account exists, nobody could log in to it).
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts import rules, service
from popliteal.accounts.models import Clinic, User
from popliteal.db import transaction
from popliteal.errors import AccountError, ProblemsError

# `popliteal demo load` finds its clinic by this slug and fills it with demo accounts: a real
# clinic must never get it, whatever its name.
RESERVED_SLUGS = frozenset({"demo"})
PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-]+$")
PHONE_DIGITS = (7, 15)  # a local number without area code (555-0199) up to E.164's 15


def phone_problem(phone: str) -> str | None:
    """A plausible phone number: digits with the usual separators, 7 to 15 digits."""
    digits = sum(ch.isdigit() for ch in phone)
    low, high = PHONE_DIGITS
    if not PHONE_CHARS.match(phone) or not low <= digits <= high:
        return f"phone: {phone!r} is not a phone number (7 to 15 digits, like +1 312 555 0199)"
    return None


def _slug(session: Session, name: str) -> str:
    """A unique slug from the name ("Lakeside Physio" -> "lakeside-physio", then "-2", ...)."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:70] or "clinic"
    slug, n = base, 1
    while slug in RESERVED_SLUGS or session.scalar(select(Clinic.id).where(Clinic.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


def emergency_number_problem(number: str | None) -> str | None:
    """2 to 6 digits, as the server setting (911, 112, 999, 000)."""
    if number is None or (number.isdigit() and 2 <= len(number) <= 6):
        return None
    return f"emergency number must be 2 to 6 digits (911, 112, 999), got {number!r}"


def create_clinic(
    session: Session,
    *,
    name: str,
    timezone: str,
    phone: str,
    address: str = "",
    emergency_number: str | None = None,
) -> Clinic:
    """Create a clinic with the same booking and follow-up defaults as the demo (the model's;
    the admin changes them on /staff/admin). Raises ProblemsError listing every problem, or
    AccountError for a name already taken. Commits."""
    name, timezone, phone, address = name.strip(), timezone.strip(), phone.strip(), address.strip()
    problems = service.clinic_settings_problems(
        name=name,
        timezone=timezone,
        cancel_notice_hours=24,
        min_booking_notice_hours=2,
        booking_horizon_days=60,
    )
    emergency_number = emergency_number.strip() if emergency_number else None
    problems += [p for p in (phone_problem(phone), emergency_number_problem(emergency_number)) if p]
    if problems:
        raise ProblemsError(problems)
    taken = AccountError(f"a clinic named {name!r} already exists")
    with transaction(session, on_conflict=lambda: taken):
        if session.scalar(select(Clinic.id).where(func.lower(Clinic.name) == name.lower())):
            raise taken
        clinic = Clinic(
            name=name,
            slug=_slug(session, name),
            timezone=timezone,
            phone=phone,
            address=address,
            emergency_number=emergency_number,
        )
        session.add(clinic)
        session.flush()
        service.audit(
            session,
            actor=None,
            action="create",
            entity="clinic",
            entity_id=clinic.id,
            patient_id=None,
            clinic_id=clinic.id,
            address="command line",
            detail={"name": name},
        )
    return clinic


def create_staff(
    session: Session,
    *,
    clinic_id: int,
    role: str,
    email: str,
    display_name: str,
    password: str | None,
    profession: str | None = None,
    base_url: str = "",
) -> tuple[User, str | None]:
    """Create a clinician or administrator of this clinic, with the app's email and password
    rules (service.create_user). Without a password they are e-mailed an invitation to choose
    one; its link comes back (else None). Raises ProblemsError or AccountError. Commits."""
    from popliteal.accounts import invitations

    problems = []
    if role not in service.STAFF_ROLES:
        problems.append("role: choose " + " or ".join(service.STAFF_ROLES))
    if not display_name.strip():
        problems.append("name: enter the person's name")
    if profession is not None and profession not in service.PROFESSIONS:
        problems.append("profession: choose " + ", ".join(service.PROFESSIONS))
    if problems:
        raise ProblemsError(problems)
    with transaction(session, on_conflict=lambda: AccountError(service.EMAIL_TAKEN)):
        if session.get(Clinic, clinic_id) is None:
            raise AccountError(f"clinic: there is no clinic with id {clinic_id}")
        email = email.strip()
        if session.scalar(select(User.id).where(User.email == rules.normalise_email(email))):
            raise AccountError(f"email: {service.EMAIL_TAKEN} ({email})")
        user = service.create_user(
            session,
            clinic_id=clinic_id,
            email=email,
            password=password,
            role=role,
            display_name=display_name,
            profession=profession,
        )
        service.audit(
            session,
            actor=None,
            action="create",
            entity="user",
            entity_id=user.id,
            patient_id=None,
            clinic_id=clinic_id,
            address="command line",
            detail={"role": role, "invited": password is None},
        )
        link = None
        if password is None:
            clinic = session.get_one(Clinic, clinic_id)
            link = invitations.invite(
                session, user=user, clinic=clinic, inviter_name=clinic.name, base_url=base_url
            )
        session.flush()
        session.expunge(user)
    return user, link
