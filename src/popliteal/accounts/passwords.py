"""A signed-in person changes their own password: the current one is checked, the new one
must pass the same rules as at sign-up, and every other session of the account ends (a
password changed because it leaked must also log out whoever used it)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from popliteal.accounts import rules
from popliteal.accounts.models import LoginSession, User
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import audit, hash_password, token_hash, verify_password
from popliteal.db import transaction
from popliteal.errors import AccountError, NotAllowed


def change_password(
    session: Session, *, actor: Actor, current: str, new: str, keep_token: str | None
) -> None:
    """Check `current`, set `new`, and end every session but `keep_token` (this browser's)."""
    with transaction(session):
        user = session.get(User, actor.user_id)
        if user is None or not user.is_active:
            raise NotAllowed("no such account")
        if not verify_password(current, user.password_hash):
            raise AccountError("your current password is not right")
        problem = rules.password_problem(
            new, email=user.email, name=user.display_name, role=user.role
        )
        if problem:
            raise AccountError(problem)
        if new == current:
            raise AccountError("choose a new password different from the current one")
        user.password_hash = hash_password(new)
        others = delete(LoginSession).where(LoginSession.user_id == user.id)
        if keep_token:
            others = others.where(LoginSession.token_hash != token_hash(keep_token))
        session.execute(others)
        audit(
            session,
            actor=actor,
            action="password_change",
            entity="user",
            entity_id=user.id,
            patient_id=None,
            detail={"other_sessions_ended": True},
        )
