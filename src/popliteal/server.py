"""The FastAPI application: one factory, used by `popliteal serve`, the tests and the bench.

On the floor just below the CLI: it imports every area's routers explicitly, checks the
clinic's licensed questionnaire wording at start, and hands the lower floors the few queries
of higher ones they need (`app.state`)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import configure_mappers

from popliteal import __version__
from popliteal.accounts import api as accounts_api
from popliteal.accounts import audit_log
from popliteal.accounts import audit_pages as accounts_audit_pages
from popliteal.accounts import email_pages as accounts_email_pages
from popliteal.accounts import invitation_pages as accounts_invitation_pages
from popliteal.accounts import mfa_pages as accounts_mfa_pages
from popliteal.accounts import pages as accounts_pages
from popliteal.accounts import reset as accounts_reset
from popliteal.accounts import service as accounts_service
from popliteal.alerts import service as alerts_service
from popliteal.booking import api as booking_api
from popliteal.booking import appointment_pages as booking_appointment_pages
from popliteal.booking import pages as booking_pages
from popliteal.booking import staff_pages as booking_staff_pages
from popliteal.booking import verify_pages as booking_verify_pages
from popliteal.config import Settings, load_settings
from popliteal.db import make_engine, make_sessionmaker
from popliteal.interop import api as interop_api
from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.outcomes import alert_pages as outcomes_alert_pages
from popliteal.outcomes import api as outcomes_api
from popliteal.outcomes import discharge_pages as outcomes_discharge_pages
from popliteal.outcomes import pages as outcomes_pages
from popliteal.outcomes import staff_pages as outcomes_staff_pages
from popliteal.outcomes.wording import clinic_wording
from popliteal.plans import api as plans_api
from popliteal.plans import pages as plans_pages
from popliteal.plans import staff_pages as plans_staff_pages
from popliteal.running import api as running_api
from popliteal.running import pages as running_pages
from popliteal.running import staff_pages as running_staff_pages
from popliteal.screening import api as screening_api
from popliteal.screening import education_pages as screening_education_pages
from popliteal.screening import pages as screening_pages
from popliteal.screening import staff_pages as screening_staff_pages
from popliteal.sessions import api as sessions_api
from popliteal.sessions import pages as sessions_pages
from popliteal.sessions import plan_pages as sessions_plan_pages
from popliteal.sessions import progression_api as sessions_progression_api
from popliteal.sessions import staff_pages as sessions_staff_pages
from popliteal.web import errors, health, metrics
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.csrf import CsrfSeedMiddleware
from popliteal.web.middleware import (
    RejectNulMiddleware,
    SecurityHeadersMiddleware,
    TooLargeMiddleware,
)
from popliteal.web.request_id import RequestIdMiddleware
from popliteal.web.templating import make_templates
from popliteal.workspace import api as workspace_api
from popliteal.workspace import gauges as workspace_gauges
from popliteal.workspace import header as workspace_header
from popliteal.workspace import my_account_pages as workspace_my_account_pages
from popliteal.workspace import pages as workspace_pages
from popliteal.workspace import programme_api as workspace_programme_api
from popliteal.workspace import programme_pages as workspace_programme_pages

STATIC = Path(__file__).parent / "web" / "static"

# Every router, in the order the app includes them.
ROUTERS: tuple[APIRouter, ...] = (
    screening_api.router,
    booking_api.router,
    accounts_api.router,
    screening_education_pages.router,
    accounts_pages.router,
    accounts_mfa_pages.router,
    accounts_email_pages.router,
    accounts_reset.router,
    accounts_invitation_pages.router,
    accounts_audit_pages.router,
    screening_pages.router,
    booking_pages.router,
    booking_verify_pages.router,
    booking_appointment_pages.router,
    booking_staff_pages.router,
    workspace_pages.router,
    screening_staff_pages.router,
    interop_api.router,
    workspace_api.router,
    plans_api.router,
    sessions_progression_api.router,
    sessions_api.router,
    workspace_programme_api.router,
    plans_pages.router,
    plans_staff_pages.router,
    sessions_plan_pages.router,
    sessions_pages.router,
    workspace_programme_pages.router,
    workspace_my_account_pages.router,
    workspace_my_account_pages.api_router,
    sessions_staff_pages.router,
    running_api.router,
    running_pages.router,
    running_staff_pages.router,
    outcomes_api.router,
    outcomes_pages.router,
    outcomes_staff_pages.router,
    outcomes_alert_pages.router,
    outcomes_discharge_pages.router,
)

# The watch-file imports, whose body limit is the upload cap, not the JSON limit.
IMPORT_ROUTERS: tuple[APIRouter, ...] = (running_api.import_router, running_pages.import_router)

DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>popliteal API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script></body></html>"""

log = logging.getLogger("popliteal")


def warm_up(app: FastAPI) -> int:
    """Do the one-off work of a first request before serving: every template compiled and the
    ORM's mappers configured (a first login or Today page took over a second without it).
    Then everything made so far (the knowledge base, the compiled pages, the mappers: about
    270,000 objects that live as long as the worker) is moved out of the garbage collector's
    reach (`gc.freeze`): every full collection walked them all, about 17 ms of the patient
    list's 78 ms of CPU at 10,000 patients (bench/patient_list.py). Returns the number of
    templates compiled."""
    configure_mappers()
    env = app.state.templates.env
    names = [n for n in env.list_templates() if n.endswith(".html")]
    for name in names:
        env.get_template(name)
    gc.collect()  # what is garbage now is freed, not kept for the worker's life
    gc.freeze()
    return len(names)


def create_app(settings: Settings | None = None, *, kb: Knowledge | None = None) -> FastAPI:
    """Build the app for these settings (from the environment when not given)."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_start:
            warm_up(app)
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
    app.state.outcome_wording = clinic_wording(settings.wording_dir, app.state.kb.outcomes)
    app.state.templates = make_templates()
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", tags=["health"])
    def healthz() -> JSONResponse:
        """Report whether the service and its database answer."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # the database is down: say so, do not crash
            # The reason goes to the log, not to whoever asks: it can name hosts and users.
            log.exception("health check: the database does not answer")
            return JSONResponse({"status": "error", "database": "unavailable"}, 503)
        return JSONResponse(
            {"status": "ok", "knowledge_version": app.state.kb.version, "version": __version__}
        )

    @app.get("/docs", include_in_schema=False)
    async def read_docs() -> HTMLResponse:
        """The API documentation (Swagger UI, served from this site: no CDN needed)."""
        return HTMLResponse(DOCS_HTML)

    # Each router's own route objects, body limit included (web/body_limit.py): shared by
    # every app of the process, not built again for each new app.
    for router in (health.router, *ROUTERS):
        app.router.routes.extend(router.routes)
    # The import checks the declared size itself and names the limit in the person's words;
    # the framework's limit, counted as the body streams in, sits just above it and also
    # stops a chunked upload that declares no size.
    upload_cap = settings.max_upload_bytes * running_api.FILES_PER_LIMIT + MAX_BODY_BYTES
    for router in IMPORT_ROUTERS:
        app.include_router(router, max_body_size=upload_cap)

    # Lower floors are handed what they need from higher ones. The staff navigation's
    # open-alert count (web/templating.py `nav_alert_count`) and every page header's clinic
    # name (`clinic_name`) are queries of the areas that own those tables.
    app.state.open_alert_count = alerts_service.open_alert_count
    app.state.read_clinic_name = accounts_service.clinic_name
    app.state.read_clinic_emergency_number = accounts_service.clinic_emergency_number
    # A red flag the clinician's exam fires opens an alert (screening/staff_service.py
    # `record_exam`, in the exam's transaction): screening is a lower floor than the alerts.
    app.state.escalate_exam = alerts_service.escalate_exam
    # The patient header on every staff page about one person (base.html): it reads screening,
    # alerts and booking, so the top floor builds it for the lower floors' pages.
    app.state.patient_header = workspace_header.page_header_builder(app.state.kb)
    # The person's next visit, for the screening result's booking offer (booking is above it).
    app.state.my_next_visit = workspace_header.my_next_visit
    # Every refused request (NotAllowed, shown as 404 by the error map) is an audit event.
    app.state.record_denial = audit_log.record_request_denial

    app.add_middleware(CsrfSeedMiddleware, secure=settings.secure_cookies)
    app.add_middleware(TooLargeMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, https=settings.secure_cookies)
    app.add_middleware(RejectNulMiddleware)
    if settings.metrics:
        metrics.install(app, gauges=workspace_gauges.GAUGES)
    # Outermost: every log line of the request, the other middlewares' included, has its id.
    app.add_middleware(RequestIdMiddleware)
    return app
