"""CSRF protection for form posts: a random seed in a cookie, an HMAC of it in every form.

A cross-site page can neither read the cookie nor compute the HMAC without the server's
secret, so it cannot forge a form post. htmx requests send the token as a header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "popliteal_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def token_for(secret: str, seed: str) -> str:
    return hmac.new(secret.encode(), seed.encode(), hashlib.sha256).hexdigest()


def token_ok(secret: str, seed: str | None, token: str | None) -> bool:
    if not seed or not token or not token.isascii():
        return False  # compare_digest refuses non-ASCII text (TypeError, a 500)
    return hmac.compare_digest(token_for(secret, seed), token)


class CsrfSeedMiddleware:
    """Give every browser a CSRF seed cookie; the seed is in `scope["state"]["csrf_seed"]`."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seed = _cookie(scope, CSRF_COOKIE)
        new_seed = None
        if not seed:
            seed = new_seed = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_seed"] = seed
        if new_seed is None or scope["path"].startswith(("/api/", "/static/", "/healthz")):
            await self.app(scope, receive, send)
            return

        secure = self.secure or scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = f"{CSRF_COOKIE}={new_seed}; Path=/; HttpOnly; SameSite=Lax"
                if secure:
                    cookie += "; Secure"
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", cookie.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is treated as no cookie
                return None
            morsel = jar.get(name)
            return morsel.value if morsel else None
    return None
