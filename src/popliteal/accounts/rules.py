"""Pure account rules: who may see what, and when logins are throttled."""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from enum import StrEnum

from zxcvbn import zxcvbn

from popliteal.errors import NotAllowed

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# NIST SP 800-63B 5.1.1 / OWASP ASVS 2.1.1: at least 12 characters for accounts that open
# every patient's record (clinicians, administrators); 10 for a person's own account. Long
# phrases are welcome: up to MAX_PASSWORD_LENGTH (ASVS 2.1.2 asks for at least 64).
MIN_PASSWORD_LENGTH = 10
MIN_STAFF_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


def min_password_length(role: str) -> int:
    """The shortest password this role may choose."""
    return MIN_STAFF_PASSWORD_LENGTH if role in ("clinician", "admin") else MIN_PASSWORD_LENGTH


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    if not EMAIL_RE.match(normalise_email(email)) or len(email) > 254:
        return "enter a valid email address, like name@example.com"
    return None


# Passwords of 10 or more characters found at the top of published leaked-password lists
# (recalled), refused with their own message before zxcvbn's lists are consulted.
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
# zxcvbn's guessability score (0-4) a password must reach: 3 is "safely unguessable against an
# online attack, moderate protection offline" (fewer than 10^10 guesses is 2). zxcvbn ships
# lists of the most common leaked passwords, words and names and sees patterns (keyboard runs,
# dates, l33t, repeats); it reads at most the first ZXCVBN_CHARACTERS (its cost grows with the
# length, and a longer password is past guessing anyway).
MIN_GUESS_SCORE = 3
ZXCVBN_CHARACTERS = 64


def password_problem(
    password: str, *, email: str = "", name: str = "", role: str = "patient"
) -> str | None:
    """Why this password is too easy to guess (OWASP ASVS 2.1), or None."""
    shortest = min_password_length(role)
    if len(password) < shortest:
        return (
            f"the password needs at least {shortest} characters: "
            "a few words you will remember work well"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password is too long ({MAX_PASSWORD_LENGTH} characters at most)"
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
    hints = [address, address.split("@", 1)[0], *name.lower().split()]
    score: int = zxcvbn(password[:ZXCVBN_CHARACTERS], user_inputs=hints)["score"]
    if score < MIN_GUESS_SCORE:
        return (
            "this password is easy to guess: it is a common one or close to one. "
            "Choose a phrase of three or four words that do not go together"
        )
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


# Growing delays instead of a lock (OWASP ASVS 2.2.1, NIST SP 800-63B 5.2.2). After the free
# failures of a scope, each further failure doubles the wait before the next try, from
# FIRST_DELAY_SECONDS up to the scope's cap. Guessing from one address slows to one try per
# window; the account-wide wait, which the real owner shares, stays short (ACCOUNT_DELAY_CAP)
# so nobody can lock a clinician out, yet it bounds guessing spread over many addresses.
ACCOUNT_TOTAL_FACTOR = 10
FIRST_DELAY_SECONDS = 30
ACCOUNT_DELAY_CAP_SECONDS = 60


def growing_delay(failures: int, *, free: int, first: int, cap: int) -> int:
    """Seconds to wait after the last failure: 0 while `failures` < `free`, then `first`,
    doubling with each further failure, never more than `cap`."""
    if failures < free:
        return 0
    return min(cap, first << min(failures - free, 20))


@dataclass(frozen=True)
class Failures:
    """Recent failed logins of one scope: how many, and the latest one's age in seconds."""

    count: int
    seconds_since_last: float


def login_wait_seconds(
    *,
    account_here: Failures,
    account: Failures,
    address: Failures,
    max_account: int,
    max_address: int,
    window_seconds: int,
) -> int:
    """Seconds left before this account may try again from this address (0: go ahead).

    The pair (account, address) and the address get `max_account` and `max_address` free
    failures; the account from everywhere together ACCOUNT_TOTAL_FACTOR times `max_account`.
    """
    scopes = (
        (account_here, max_account, FIRST_DELAY_SECONDS, window_seconds),
        (address, max_address, FIRST_DELAY_SECONDS, window_seconds),
        (
            account,
            max_account * ACCOUNT_TOTAL_FACTOR,
            min(FIRST_DELAY_SECONDS, ACCOUNT_DELAY_CAP_SECONDS),
            ACCOUNT_DELAY_CAP_SECONDS,
        ),
    )
    waits = [
        growing_delay(f.count, free=free, first=first, cap=cap) - f.seconds_since_last
        for f, free, first, cap in scopes
    ]
    longest = max(waits)
    return math.ceil(longest) if longest > 0 else 0


def wait_words(seconds: int) -> str:
    """A wait in plain words: "30 seconds", "2 minutes"."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minutes"


def network_of(address: str) -> str:
    """The network an address belongs to for rate limits: its /24 (IPv4) or /64 (IPv6). One
    home, office or phone carrier's customer gets many addresses of one such block, so
    limits per address alone are dodged by stepping through it. Not an IP: itself."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
