"""The ASGI middlewares every response passes through: security headers, and no NUL in a URL."""

from __future__ import annotations

from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'",
    ),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]
# Pages and APIs carry health data: no browser or proxy keeps a copy (static files may).
NO_STORE = (b"cache-control", b"no-store")
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeadersMiddleware:
    """Security headers on every response; `no-store` on everything but the static files and
    responses that chose their own caching; HSTS when the site is served over https
    (POPLITEAL_SECURE_COOKIES)."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.extra = [HSTS] if https else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *SECURITY_HEADERS, *self.extra]
                if not static and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RejectNulMiddleware:
    """Refuse a NUL character anywhere in the URL: no page or id has one, PostgreSQL refuses it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
            if b"\x00" in raw or b"%00" in raw or "\x00" in scope.get("path", ""):
                response = PlainTextResponse(
                    "a NUL character is not allowed in a web address", status_code=400
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class TooLargeMiddleware:
    """The framework's body limit answers 413 with the plain text "Content Too Large"; an API
    client gets the usual JSON `detail` instead, and a person a sentence they can act on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope.get("path", "").startswith("/api/")
        replaced = False

        async def send_friendly(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/plain"):
                    replaced = True
                    text = "the request is too large: send fewer or smaller files at once"
                    response: Response = (
                        JSONResponse({"detail": text}, status_code=413)
                        if api
                        else PlainTextResponse(text[0].upper() + text[1:] + ".", 413)
                    )
                    await response(scope, receive, send)
                    return
            if replaced:
                return  # the original body of the replaced response
            await send(message)

        await self.app(scope, receive, send_friendly)
