"""Pure account rules: who may see what, and when logins are throttled."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from popliteal.errors import NotAllowed

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    if not EMAIL_RE.match(normalise_email(email)) or len(email) > 254:
        return "enter a valid email address, like name@example.com"
    return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 256:
        return "the password is too long (256 characters at most)"
    return None


class Role(StrEnum):
    """A user's role; stored as its string, so it compares equal to "patient" and the rest."""

    PATIENT = "patient"
    CLINICIAN = "clinician"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """The caller: who is asking (a logged-in user, with the clinic and, for a patient, the
    patient id) and from where (`address`, the client address of the request). Services take
    it whole, so the audit trail gets the address without it being passed by hand."""

    user_id: int
    role: Role
    clinic_id: int
    patient_id: int | None = None
    address: str = ""

    @property
    def own_patient_id(self) -> int:
        """The person's own patient record, for a patient's "me" routes (CurrentPatient only
        lets a patient with a record through; anyone else is refused, never served)."""
        if self.patient_id is None:
            raise NotAllowed("this is for patients")
        return self.patient_id

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.CLINICIAN, Role.ADMIN)


def may_see_patient(actor: Actor, *, patient_id: int, patient_clinic_id: int) -> bool:
    """A patient sees only their own record; staff see only their own clinic's patients."""
    if actor.is_staff:
        return actor.clinic_id == patient_clinic_id
    return actor.patient_id == patient_id


# Failures of one account from all addresses together before it is throttled for everyone:
# this many times the per-address limit. One address can no longer lock a clinician out (its
# own guesses are throttled after `max_account`), while guessing spread over many addresses
# is still bounded per account.
ACCOUNT_TOTAL_FACTOR = 10


def login_throttled(
    *,
    failures_for_account_here: int,
    failures_for_account: int,
    failures_for_address: int,
    max_account: int,
    max_address: int,
) -> bool:
    """Throttled when this address failed this account `max_account` times, or failed any
    accounts `max_address` times, or the account failed from all addresses together
    ACCOUNT_TOTAL_FACTOR times `max_account` (all within the window)."""
    return (
        failures_for_account_here >= max_account
        or failures_for_address >= max_address
        or failures_for_account >= max_account * ACCOUNT_TOTAL_FACTOR
    )
