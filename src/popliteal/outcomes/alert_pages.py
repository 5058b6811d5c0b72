"""The clinic's alerts page for clinicians: open (or all) alerts, the most urgent first, and
resolving one with a note of what was done."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from popliteal.accounts.deps import CurrentClinician, page_router
from popliteal.accounts.rules import Actor
from popliteal.alerts import service as alerts_service
from popliteal.db import reading
from popliteal.errors import AccountError, NotAllowed
from popliteal.outcomes import alert_list
from popliteal.outcomes._staff import NOTICES, clinic_timezone
from popliteal.outcomes.pages import sentence
from popliteal.web.deps import DbSession, RowId
from popliteal.web.forms import Posted
from popliteal.web.templating import render

router = page_router("staff pages")


def _alerts_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    errors: Sequence[str] = (),
    status: int = 200,
) -> Response:
    include_resolved = request.query_params.get("all") == "1"
    with reading(session):
        alerts = alerts_service.list_alerts(session, actor=actor, include_resolved=include_resolved)
        timezone = clinic_timezone(session, actor.clinic_id)
    return render(
        request,
        "outcomes_alerts.html",
        {
            "alerts": alerts,
            "include_resolved": include_resolved,
            "errors": list(errors),
            "notice": NOTICES.get(request.query_params.get("saved", "")),
            "timezone": timezone,
            "kind_names": alert_list.KIND_NAMES,
            "back": "/staff/alerts",
        },
        status,
    )


@router.get("/staff/alerts", response_class=HTMLResponse, include_in_schema=False)
def read_alerts(request: Request, session: DbSession, actor: CurrentClinician) -> Response:
    """List the clinic's open alerts: red flags first (emergency, then urgent), then reviews."""
    return _alerts_page(request, session, actor)


def _safe_next(raw: str) -> str:
    """Only a page of the staff workspace; anything else goes back to the alert list."""
    if raw.startswith("/staff/") and "//" not in raw and "\\" not in raw and len(raw) < 200:
        return raw
    return "/staff/alerts"


@router.post(
    "/staff/alerts/{alert_id}/resolve", response_class=HTMLResponse, include_in_schema=False
)
def resolve_alert(
    alert_id: RowId, request: Request, session: DbSession, actor: CurrentClinician, form: Posted
) -> Response:
    """Close an alert, saying what was done."""
    note = form.get("note").strip()
    problem = None
    if not note:
        problem = "Say what was done about the alert before resolving it."
    elif len(note) > 2000:
        problem = "The note is too long: keep it under 2,000 characters."
    else:
        try:
            alerts_service.resolve_alert(session, actor=actor, alert_id=alert_id, note=note)
        except NotAllowed:
            raise HTTPException(404, "no such alert") from None
        except AccountError as exc:
            problem = sentence(str(exc))
    if problem:
        status = 409 if "already resolved" in problem else 400
        return _alerts_page(request, session, actor, errors=[problem], status=status)
    target = _safe_next(form.get("next"))
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}saved=resolved", status_code=303)
