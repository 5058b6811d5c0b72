"""Login throttling with growing delays: failed logins counted in the database per account,
per address and per (account, address), so limits hold across servers (rules.py decides how
long to wait). A wrong second-step code counts as a failed login too."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts import rules
from popliteal.accounts.models import LoginAttempt
from popliteal.clock import utcnow
from popliteal.config import Settings
from popliteal.errors import AccountError


class LoginThrottled(AccountError):
    pass


def _failures(session: Session, *, since: datetime, now: datetime, **where: str) -> rules.Failures:
    """Failed logins in the window matching `where` (email and/or address): how many, and how
    long ago the latest was."""
    conditions = [getattr(LoginAttempt, key) == value for key, value in where.items()]
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            *conditions, LoginAttempt.at >= since, ~LoginAttempt.success
        )
    ).one()
    if last is not None and last.tzinfo is None:  # SQLite's MAX() bypasses the column type
        last = datetime.fromisoformat(str(last)).replace(tzinfo=now.tzinfo)
    age = (now - last).total_seconds() if last is not None else float("inf")
    return rules.Failures(count=int(count or 0), seconds_since_last=age)


def login_wait(session: Session, *, settings: Settings, email: str, address: str) -> int:
    """Seconds before this account may try again from this address (growing delays)."""
    now = utcnow()
    since = now - timedelta(minutes=settings.login_window_minutes)
    return rules.login_wait_seconds(
        account_here=_failures(session, since=since, now=now, email=email, address=address),
        account=_failures(session, since=since, now=now, email=email),
        address=_failures(session, since=since, now=now, address=address),
        max_account=settings.login_max_failures_account,
        max_address=settings.login_max_failures_address,
        window_seconds=settings.login_window_minutes * 60,
    )


def check_login_wait(session: Session, *, settings: Settings, email: str, address: str) -> None:
    """Raise LoginThrottled while this account must wait before trying from this address."""
    wait = login_wait(session, settings=settings, email=email, address=address)
    if wait > 0:
        raise LoginThrottled(f"too many failed logins: try again in {rules.wait_words(wait)}")


def record_failed_login(session: Session, *, email: str, address: str) -> None:
    """Count a failed step of a login (a wrong second-step code) like a wrong password."""
    session.add(LoginAttempt(email=email, address=address, at=utcnow(), success=False))
