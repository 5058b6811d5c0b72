"""Typed dependencies shared by every router: database session, settings, who is asking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, User
from popliteal.accounts.rules import Actor
from popliteal.config import Settings
from popliteal.knowledge.loader import Knowledge
from popliteal.web.csrf import CSRF_FIELD, CSRF_HEADER, token_ok
from popliteal.web.errors import Forbidden, LoginRequired

SESSION_COOKIE = "popliteal_session"


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; services commit, anything left uncommitted is rolled back."""
    session: Session = request.app.state.sessionmaker()
    request.state.db = session  # page helpers (the clinic name) read through it, see templating
    try:
        yield session
    finally:
        request.state.db = None  # error pages render after this; they must not reopen it
        session.rollback()
        session.close()


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_kb(request: Request) -> Knowledge:
    kb: Knowledge = request.app.state.kb
    return kb


def request_now() -> datetime:
    """This request's "now", read once from the one clock: one page, one instant."""
    return clock.utcnow()


DbSession = Annotated[Session, Depends(get_db)]
Now = Annotated[datetime, Depends(request_now)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Kb = Annotated[Knowledge, Depends(get_kb)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_optional_user(request: Request, session: DbSession) -> User | None:
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = accounts_service.user_for_token(session, token)
    if user is not None:
        # Keep its loaded attributes: error pages render after get_db rolled back and closed.
        session.expunge(user)
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise LoginRequired()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_actor(session: DbSession, user: CurrentUser) -> Actor:
    return accounts_service.actor_for(session, user)


def get_optional_actor(session: DbSession, user: OptionalUser) -> Actor | None:
    return accounts_service.actor_for(session, user) if user is not None else None


CurrentActor = Annotated[Actor, Depends(get_actor)]
OptionalActor = Annotated[Actor | None, Depends(get_optional_actor)]


def get_current_patient(actor: CurrentActor) -> Actor:
    if actor.role != "patient" or actor.patient_id is None:
        raise Forbidden("this page is for patients; log in with a patient account")
    return actor


def get_current_clinician(actor: CurrentActor) -> Actor:
    if not actor.is_staff:
        raise Forbidden("this page is for the clinic's clinicians")
    return actor


def get_current_admin(actor: CurrentActor) -> Actor:
    if actor.role != "admin":
        raise Forbidden("this page is for the clinic's administrators")
    return actor


CurrentPatient = Annotated[Actor, Depends(get_current_patient)]
CurrentClinician = Annotated[Actor, Depends(get_current_clinician)]
CurrentAdmin = Annotated[Actor, Depends(get_current_admin)]


def get_clinic(session: DbSession) -> Clinic:
    return accounts_service.default_clinic(session)


ClinicDep = Annotated[Clinic, Depends(get_clinic)]


async def csrf_protect(request: Request) -> None:
    """Refuse a form post whose CSRF token does not match this browser's seed cookie."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    seed = request.cookies.get("popliteal_csrf")
    if not token_ok(request.app.state.settings.secret_key, seed, token):
        raise Forbidden(
            "this form has expired or did not come from this site: reload the page and try again"
        )


CsrfProtected = Depends(csrf_protect)

# A database row id in a URL: out-of-range numbers are a 422, not a database overflow (500).
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]


async def json_only(request: Request) -> None:
    """Refuse a body-less API change unless sent as JSON.

    A cross-site form can post with the person's cookie, but it cannot set
    Content-Type: application/json without the browser asking this site first (CORS).
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/json"):
        raise HTTPException(415, "send this request as JSON (Content-Type: application/json)")


JsonOnly = Depends(json_only)
