"""The anonymous visitor's cookie: a random token that lets one browser read its screenings."""

from __future__ import annotations

import secrets

from fastapi import Request
from starlette.responses import Response

from popliteal.screening.service import VISITOR_COOKIE

VISITOR_COOKIE_DAYS = 90


def visitor_token(request: Request) -> str | None:
    """This browser's visitor token, if it has one."""
    return request.cookies.get(VISITOR_COOKIE) or None


def new_visitor_token() -> str:
    return secrets.token_urlsafe(32)


def set_visitor_cookie(request: Request, response: Response, token: str) -> None:
    """Give the browser its token: HttpOnly and SameSite=Lax, Secure over https."""
    # The scope's scheme, which request.url reads too, without building the whole URL.
    secure = bool(request.app.state.settings.secure_cookies) or request.scope["scheme"] == "https"
    response.set_cookie(
        VISITOR_COOKIE,
        token,
        max_age=VISITOR_COOKIE_DAYS * 24 * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
