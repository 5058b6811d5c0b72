"""The login cookie: HttpOnly, SameSite=Lax, Secure over https (or when configured).

Also the name of the anonymous visitor's cookie (set by screening, read by booking), so that
booking and logout, on lower floors than screening, can clear it.
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from popliteal.config import Settings
from popliteal.web.csrf import CSRF_COOKIE
from popliteal.web.deps import SESSION_COOKIE

# The anonymous visitor's random token; screenings keep only its hash, no personal data.
VISITOR_COOKIE = "popliteal_visitor"


def set_login_cookie(
    response: Response, *, request: Request, settings: Settings, token: str
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies or request.url.scheme == "https",
        path="/",
    )
    # A new CSRF seed with every login (OWASP ASVS 3.x): a token learnt before the login, on a
    # shared computer say, is worth nothing after it.
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(24),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies or request.url.scheme == "https",
        path="/",
    )


# The password step of a two-step login: names a pending session that signs nobody in.
PENDING_LOGIN_COOKIE = "popliteal_mfa"


def set_pending_login_cookie(
    response: Response, *, request: Request, settings: Settings, token: str, minutes: int
) -> None:
    response.set_cookie(
        PENDING_LOGIN_COOKIE,
        token,
        max_age=minutes * 60,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies or request.url.scheme == "https",
        path="/login",
    )


def clear_pending_login_cookie(response: Response) -> None:
    response.delete_cookie(PENDING_LOGIN_COOKIE, path="/login")


def clear_login_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def clear_visitor_cookie(response: Response) -> None:
    """Forget this browser's anonymous screenings: at booking and at logout.

    A shared browser must not offer one person's screening to the next person.
    """
    response.delete_cookie(VISITOR_COOKIE, path="/")


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: never redirect a login to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
