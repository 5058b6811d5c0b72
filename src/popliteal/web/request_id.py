"""Every request gets an id: the proxy's X-Request-ID when it is a sane one, else a new one.

The id is echoed in the response's X-Request-ID header, set in the logging context
(web/logs.py) so every line logged while serving the request carries it, and written in
the one access line logged when the response ends (method, route template, status, time).
Pure ASGI, so the response streams through untouched.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from popliteal.web.logs import request_id_var

HEADER = b"x-request-id"
# What proxies send (nginx's $request_id, UUIDs, trace ids); anything else is replaced, so a
# client cannot write newlines, quotes or a megabyte into the logs.
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

access_log = logging.getLogger("popliteal.access")


def route_template(scope: Scope, entry_root_path: str = "") -> str:
    """The path template of the route that answered ("/api/patients/{patient_id}"), never
    the raw path: a bounded set of values for logs and metric labels. Call it after the app
    has answered; `entry_root_path` is scope["root_path"] as the request came in, so a
    mount (the static files) is told by the prefix it added: "/static/{path}"."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    root_path = scope.get("root_path", "")
    if isinstance(root_path, str) and len(root_path) > len(entry_root_path):
        return root_path[len(entry_root_path) :] + "/{path}"
    return "unmatched"


def incoming_or_new_id(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == HEADER:
            sent = value.decode("latin-1")
            if SANE_ID.fullmatch(sent):
                return str(sent)
            break
    return secrets.token_hex(16)


class RequestIdMiddleware:
    """Give the request an id, echo it, and log one access line when the response ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_or_new_id(scope)
        # Not reset afterwards: the error map's log line for a crash is written after this
        # middleware has let the exception through, in the same request task.
        request_id_var.set(request_id)
        started = time.perf_counter()
        entry_root_path = scope.get("root_path", "")
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *(h for h in message.get("headers", []) if h[0].lower() != HEADER),
                    (HEADER, request_id.encode("ascii")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                self._log_access(scope, entry_root_path, status, started)

    @staticmethod
    def _log_access(scope: Scope, entry_root_path: str, status: int, started: float) -> None:
        client = scope.get("client")
        access_log.info(
            "%s %s %s",
            scope.get("method", ""),
            scope.get("path", ""),
            status,
            extra={
                "method": scope.get("method", ""),
                "path": scope.get("path", ""),
                "route": route_template(scope, entry_root_path),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "client": client[0] if client else None,
            },
        )
