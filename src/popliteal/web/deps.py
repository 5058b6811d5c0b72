"""Typed dependencies shared by every router: database session, settings, knowledge, now, the
caller's address and the form checks. Who is asking (user, actor, clinic): accounts/deps.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.config import Settings
from popliteal.knowledge.loader import Knowledge
from popliteal.web.csrf import CSRF_FIELD, CSRF_HEADER, token_ok
from popliteal.web.errors import Forbidden

SESSION_COOKIE = "popliteal_session"


@contextmanager
def request_session(request: Request) -> Iterator[Session]:
    """One session per request; services commit, anything left uncommitted is rolled back.

    For a route that does all its database work in one worker-thread call (a busy API) instead
    of through `DbSession`, which costs a thread hop to open and another to close."""
    session: Session = request.app.state.sessionmaker()
    request.state.db = session  # page helpers (the clinic name) read through it, see templating
    try:
        yield session
    finally:
        request.state.db = None  # error pages render after this; they must not reopen it
        session.rollback()
        session.close()


def get_db(request: Request) -> Iterator[Session]:
    with request_session(request) as session:
        yield session


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
