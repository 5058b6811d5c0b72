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
    """Refuse a NUL character anywhere in the URL, or in a JSON or form body: no page, id or
    text has one, PostgreSQL refuses it and SQLite would store it. File uploads (multipart)
    are not scanned: a watch file is binary. A body is scanned up to SCAN_LIMIT bytes; a
    larger one is refused by the routes' body limit anyway."""

    SCAN_LIMIT = 2 * 1024 * 1024
    TEXT_BODIES = (b"application/json", b"application/x-www-form-urlencoded")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
        if b"\x00" in raw or b"%00" in raw or "\x00" in scope.get("path", ""):
            await self._refuse(scope, receive, send, "a web address")
            return
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").lower()
        if not content_type.startswith(self.TEXT_BODIES):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:  # read the body once, then hand the same messages on
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body"):
                break
            if size > self.SCAN_LIMIT:
                break
        body = b"".join(m.get("body", b"") for m in messages)
        form = content_type.startswith(b"application/x-www-form-urlencoded")
        if b"\x00" in body or b"\\u0000" in body or (form and b"%00" in body):
            await self._refuse(scope, receive, send, "what you sent")
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, where: str) -> None:
        message = f"a NUL character is not allowed in {where}"
        response: Response = (
            JSONResponse({"detail": message}, status_code=400)
            if scope.get("path", "").startswith("/api/")
            else PlainTextResponse(message, status_code=400)
        )
        await response(scope, receive, send)


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
