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


# Passwords of 10 or more characters found at the top of published leaked-password lists
# (recalled, not read from a list here: a full breached-password check needs a data file).
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "0123456789",
        "0987654321",
        "1122334455",
        "1111111111",
        "password12",
        "password123",
        "password1234",
        "passw0rd12",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "iloveyou12",
        "abcdefghij",
        "abcd123456",
        "asdfghjkl1",
        "zaq12wsxcde",
        "letmein123",
        "welcome123",
        "football12",
        "baseball12",
        "superman12",
        "princess12",
        "sunshine12",
        "trustno1234",
        "administrator",
        "changeme12",
        "p@ssw0rd12",
    }
)
MIN_DISTINCT_CHARACTERS = 5


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is too easy to guess (OWASP ASVS 2.1), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 256:
        return "the password is too long (256 characters at most)"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or password.isdigit():
        return "this password is one of the most common ones: choose a longer phrase"
    if len(set(lowered)) < MIN_DISTINCT_CHARACTERS:
        return "the password repeats too few characters: choose a longer phrase"
    address = normalise_email(email)
    letters = re.sub(r"[^a-z]", "", lowered)
    own = {re.sub(r"[^a-z]", "", address.split("@", 1)[0]), re.sub(r"[^a-z]", "", name.lower())}
    if lowered == address or (letters and letters in own - {""}):
        return "the password must not be your email address or your name"
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
