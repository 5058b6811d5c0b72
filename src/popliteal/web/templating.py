"""Jinja2 set-up: templates from every area, with helpers the pages share."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader, pass_context
from jinja2.runtime import Context

from popliteal import clock
from popliteal.knowledge.loader import Knowledge
from popliteal.web.csrf import token_for

PACKAGE = Path(__file__).resolve().parents[1]
HTMX_FILE = "htmx-2.0.11.min.js"


def csrf_token(request: Request) -> str:
    seed = request.scope.get("state", {}).get("csrf_seed", "")
    secret: str = request.app.state.settings.secret_key
    return token_for(secret, seed)


def local_time(value: datetime, tz: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """A UTC datetime shown in the clinic's time zone."""
    return clock.local_time(value, tz, fmt)


def nav_user(request: Request) -> object | None:
    """The logged-in user if this request looked them up (page routers always do)."""
    return getattr(request.state, "user", None)


def nav_alert_count(request: Request) -> int | None:
    """Open alerts of the staff member's clinic, for the "Alerts" link: one count query per
    request, through the request's own database session. The query belongs to the area that
    owns alerts; the app factory hands it over (`app.state.open_alert_count`), so this floor
    imports no area above it. None for a person, a visitor, or when there is no count."""
    cached = getattr(request.state, "nav_alert_count", False)
    if cached is not False:
        return cached
    count: int | None = None
    user = nav_user(request)
    counter = getattr(request.app.state, "open_alert_count", None)
    session = getattr(request.state, "db", None)
    if getattr(user, "is_staff", False) and counter is not None and session is not None:
        count = int(counter(session, user.clinic_id))  # type: ignore[attr-defined]
    request.state.nav_alert_count = count
    return count


@pass_context
def staff_patient_header(ctx: Context) -> object | None:
    """The patient header of the one person a staff page is about, or None.

    Every staff page whose URL names a patient (`/staff/patients/{patient_id}/...`) gets it from
    base.html, so no page can forget it; a page about one person whose URL does not name them
    (a visit note) sets `header_patient_id`. The header reads several areas above this floor:
    the app factory hands over the builder (`app.state.patient_header`, workspace/header.py),
    as it does the open-alert count. None for a person or a visitor, on error pages (the
    request's session is gone), and when the builder refuses (not this clinic's patient: the
    page itself answers 404)."""
    request: Request | None = ctx.get("request")
    if request is None:
        return None
    cached = getattr(request.state, "patient_header", False)
    if cached is not False:
        return cached
    header = None
    user = nav_user(request)
    build = getattr(request.app.state, "patient_header", None)
    session = getattr(request.state, "db", None)
    raw = str(ctx.get("header_patient_id") or request.path_params.get("patient_id") or "")
    staff = getattr(user, "is_staff", False)
    if staff and build is not None and session is not None and raw.isdigit() and len(raw) < 10:
        header = build(session, user, int(raw))
    request.state.patient_header = header
    return header


@pass_context
def my_next_visit(ctx: Context) -> object | None:
    """The signed-in person's soonest booked visit, or None (a visitor, staff, an error page):
    a page below booking's floor offers it instead of another "Book ...". The app factory hands
    over the reader (`app.state.my_next_visit`, workspace/header.py)."""
    request: Request | None = ctx.get("request")
    if request is None:
        return None
    user = nav_user(request)
    read = getattr(request.app.state, "my_next_visit", None)
    session = getattr(request.state, "db", None)
    if user is None or read is None or session is None:
        return None
    visit: object | None = read(session, user)
    return visit


def clinic_name(request: Request) -> str:
    """The clinic's name, read once and cached on the app (admin changes clear the cache).

    The query belongs to accounts, which owns the clinic; the app factory hands it over
    (`app.state.read_clinic_name`), as it does the open-alert count."""
    state = request.app.state
    name = getattr(state, "clinic_name", None)
    if name is None:
        read_clinic_name = state.read_clinic_name
        # On SQLite every transaction takes the write lock (db.py): a second session opened
        # while this request's own is in a transaction would wait for it, so use the request's.
        session = getattr(request.state, "db", None)
        if session is not None:
            name = read_clinic_name(session)
        else:
            with state.sessionmaker() as own:
                name = read_clinic_name(own)
        if name is None:
            return "popliteal"  # not cached: the clinic may be created while the server runs
        state.clinic_name = name
    return str(name)


def urgency_text(kb: Knowledge, urgency: str, emergency_number: str) -> dict[str, str]:
    """The one message for this urgency level (advice.yaml) with this emergency number filled
    in: pages and the printed handout both read it, so they say the same thing."""
    message = kb.advice.urgency_messages[urgency]  # type: ignore[index]
    return {
        "heading": " ".join(message.heading.split()),
        "action": " ".join(message.action.split()).replace("{emergency_number}", emergency_number),
        "emergency_number": emergency_number,
    }


def emergency_number(request: Request) -> str:
    """The number to call in an emergency: the clinic's own (set when it was created), else the
    server's POPLITEAL_EMERGENCY_NUMBER. Read once and cached on the app, as the name is."""
    state = request.app.state
    number = getattr(state, "clinic_emergency_number", None)
    if number is None:
        session = getattr(request.state, "db", None)
        read = state.read_clinic_emergency_number
        if session is not None:
            own_number = read(session)
        else:
            with state.sessionmaker() as own:
                own_number = read(own)
        number = own_number or state.settings.emergency_number
        if own_number is not None:  # not cached before a clinic exists: it may be created
            state.clinic_emergency_number = number
    return str(number)


def urgency_message(request: Request, urgency: str) -> dict[str, str]:
    """The one message for this urgency level, with the clinic's emergency number filled in,
    so every page that shows the level says the same thing."""
    return urgency_text(request.app.state.kb, urgency, emergency_number(request))


@cache
def make_templates() -> Jinja2Templates:
    """One template environment per process: templates are package files and every global
    reads the request, so apps share it and each template is compiled once, not per app."""
    dirs = [PACKAGE / "web" / "templates"]
    dirs += sorted(p for p in PACKAGE.glob("*/templates") if p != dirs[0])
    templates = Jinja2Templates(directory=dirs[0])
    templates.env.loader = ChoiceLoader([FileSystemLoader(str(d)) for d in dirs])
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.globals["htmx_file"] = HTMX_FILE
    templates.env.globals["nav_user"] = nav_user
    templates.env.globals["nav_alert_count"] = nav_alert_count
    templates.env.globals["clinic_name"] = clinic_name
    templates.env.globals["staff_patient_header"] = staff_patient_header
    templates.env.globals["my_next_visit"] = my_next_visit
    templates.env.globals["urgency_message"] = urgency_message
    templates.env.filters["local_time"] = local_time
    templates.env.filters["pct10"] = lambda p: max(0, min(10, round(float(p) * 10)))
    return templates


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> Response:
    """The one way a page answers: the app's templates, this request, this context."""
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, ctx, status_code=status
    )
    return response
