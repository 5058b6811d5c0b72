"""The FastAPI application: one factory, used by `popliteal serve`, the tests and the bench."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from popliteal import __version__
from popliteal.config import Settings, load_settings
from popliteal.db import make_engine, make_sessionmaker
from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.outcomes.wording import Wording, WordingError, load_wording_dir
from popliteal.web import errors
from popliteal.web.csrf import CsrfSeedMiddleware
from popliteal.web.templating import make_templates

STATIC = Path(__file__).parent / "static"

# Every router, API first. Each module exposes `router`.
ROUTER_MODULES = (
    "popliteal.screening.api",
    "popliteal.booking.api",
    "popliteal.accounts.api",
    "popliteal.screening.education_pages",
    "popliteal.accounts.pages",
    "popliteal.screening.pages",
    "popliteal.booking.pages",
    "popliteal.booking.appointment_pages",
    "popliteal.booking.staff_pages",
    "popliteal.workspace.pages",
    "popliteal.screening.staff_pages",
    "popliteal.workspace.api",
    "popliteal.plans.api",
    "popliteal.sessions.progression_api",
    "popliteal.sessions.api",
    "popliteal.workspace.programme_api",
    "popliteal.plans.pages",
    "popliteal.plans.staff_pages",
    "popliteal.sessions.plan_pages",
    "popliteal.sessions.pages",
    "popliteal.workspace.programme_pages",
    "popliteal.sessions.staff_pages",
    "popliteal.running.api",
    "popliteal.running.pages",
    "popliteal.running.staff_pages",
    "popliteal.outcomes.api",
    "popliteal.outcomes.pages",
    "popliteal.outcomes.staff_pages",
    "popliteal.outcomes.alert_pages",
    "popliteal.outcomes.discharge_pages",
)

# The staff navigation's open-alert count (web/templating.py `nav_alert_count`): the query
# lives with the alerts table; named here like the routers, so `web` imports no area above it.
OPEN_ALERT_COUNT = ("popliteal.alerts.service", "open_alert_count")
# Every page's header names the clinic (web/templating.py `clinic_name`); accounts owns it.
CLINIC_NAME = ("popliteal.accounts.service", "clinic_name")
# A red flag the clinician's exam fires opens an alert (screening/staff_service.py
# `record_exam`, in the exam's transaction); handed over the same way, as screening is a lower
# floor than the alerts.
EXAM_RED_FLAGS = ("popliteal.alerts.service", "escalate_exam")

DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>popliteal API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script></body></html>"""

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'",
    ),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
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


def clinic_wording(settings: Settings, kb: Knowledge) -> dict[str, Wording]:
    """The clinic's licensed questionnaire wording (POPLITEAL_WORDING_DIR), checked at start
    like the knowledge base: a broken file stops the start, naming file, item and field."""
    if settings.wording_dir is None:
        return {}
    try:
        return load_wording_dir(settings.wording_dir, kb.outcomes)
    except WordingError as exc:
        heading = f"POPLITEAL_WORDING_DIR {settings.wording_dir}: fix these or unset it"
        raise WordingError([heading, *exc.problems]) from None


def create_app(settings: Settings | None = None, *, kb: Knowledge | None = None) -> FastAPI:
    """Build the app for these settings (from the environment when not given)."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="popliteal",
        version=__version__,
        summary="Screening, triage and booking for pain behind the knee. Decision support, "
        "not a diagnosis.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.kb = kb or default_knowledge()
    app.state.outcome_wording = clinic_wording(settings, app.state.kb)
    app.state.templates = make_templates()
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", tags=["health"])
    def healthz() -> JSONResponse:
        """Report whether the service and its database answer."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # the database is down: say so, do not crash
            return JSONResponse({"status": "error", "database": str(exc)[:200]}, 503)
        return JSONResponse(
            {"status": "ok", "knowledge_version": app.state.kb.version, "version": __version__}
        )

    @app.get("/docs", include_in_schema=False)
    async def read_docs() -> HTMLResponse:
        """The API documentation (Swagger UI, served from this site: no CDN needed)."""
        return HTMLResponse(DOCS_HTML)

    for name in ROUTER_MODULES:
        router: APIRouter = importlib.import_module(name).router
        app.include_router(router)

    module, name = OPEN_ALERT_COUNT
    app.state.open_alert_count = getattr(importlib.import_module(module), name)
    module, name = CLINIC_NAME
    app.state.read_clinic_name = getattr(importlib.import_module(module), name)
    module, name = EXAM_RED_FLAGS
    app.state.escalate_exam = getattr(importlib.import_module(module), name)

    app.add_middleware(CsrfSeedMiddleware, secure=settings.secure_cookies)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RejectNulMiddleware)
    return app
