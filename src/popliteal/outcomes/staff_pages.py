"""The clinician's outcome pages for one patient: charts and scores with change since baseline,
alerts, paper questionnaires and range of motion. The clinic's alerts are in alert_pages.py,
discharge and its summary in discharge_pages.py.

Plain forms (POST, then a redirect, or the page again with messages); another clinic's patient
is a 404, as everywhere in the staff pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.deps import CurrentClinician, page_router
from popliteal.accounts.rules import Actor
from popliteal.alerts import service as alerts_service
from popliteal.db import reading
from popliteal.errors import NotAllowed, ProblemsError
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import (
    alert_list,
    chart,
    patient_charts,
    range_of_motion,
    rules,
    score_results,
)
from popliteal.outcomes._staff import (
    NOT_FOUND,
    NOTICES,
    clinic_timezone,
    date_field,
    patient_or_404,
    validation_messages,
)
from popliteal.outcomes.pages import (
    InstrumentPath,
    form_for,
    form_values,
    instrument_or_404,
    sentence,
    submit_check_in,
)
from popliteal.outcomes.schemas import RangeOfMotionCreate
from popliteal.plans import service as plans_service
from popliteal.running import service as running_service
from popliteal.running.pages import running_context
from popliteal.sessions import service as sessions_service
from popliteal.sessions.pages import short_day
from popliteal.web.deps import DbSession, Kb, RowId
from popliteal.web.forms import Posted, PostedForm
from popliteal.web.templating import render

router = page_router("staff pages")

ROM_FIELDS = {
    "side": "Side",
    "affected": "Knee",
    "flexion_deg": "Flexion",
    "extension_deg": "Extension",
    "measured_on": "Date measured",
    "note": "Note",
}


def _outcomes_page(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    *,
    errors: Sequence[str] = (),
    rom_form: PostedForm | None = None,
    status: int = 200,
) -> Response:
    with reading(session):
        try:
            charts = patient_charts.outcome_charts(
                session, kb=kb, actor=actor, patient_id=patient_id, prefix="staff"
            )
            alerts = alerts_service.list_alerts(session, actor=actor, patient_id=patient_id)
            progress = sessions_service.progress(
                session, kb=kb, actor=actor, patient_id=patient_id, weeks=12
            )
            running = running_service.running_view(
                session, kb=kb, actor=actor, patient_id=patient_id
            )
        except NotAllowed:
            raise HTTPException(404, NOT_FOUND) from None
        patient = patient_or_404(session, patient_id)
        today = plans_service.local_today(session, patient.clinic_id)
        ctx: dict[str, Any] = {
            "patient": patient,
            "charts": charts,
            "alerts": alerts,
            "rows": score_results.score_rows(kb, charts.outcomes, patient.user_id),
            "adherence": patient_charts.adherence_chart_for(
                kb, progress.adherence, chart_id="staff-adh"
            ),
            "running": running_context(kb, running, for_person=False)
            if running.activities
            else None,
            "instruments": [(i, kb.outcomes.instruments[i].name) for i in rules.INSTRUMENTS],  # type: ignore[index]
            "errors": list(errors),
            "rom_form": rom_form or PostedForm({}),
            "today": today.isoformat(),
            "notice": NOTICES.get(request.query_params.get("saved", "")),
            "timezone": clinic_timezone(session, patient.clinic_id),
            "kind_names": alert_list.KIND_NAMES,
            "number": chart.number,
            "long_day": chart.long_day,
            "short_day": short_day,
            "main": charts.outcomes.main_instrument,
        }
    return render(request, "outcomes_staff.html", ctx, status)


@router.get(
    "/staff/patients/{patient_id}/outcomes", response_class=HTMLResponse, include_in_schema=False
)
def read_patient_outcomes(
    patient_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Show a patient's outcome charts, scores with change since baseline, alerts and forms."""
    return _outcomes_page(request, session, kb, actor, patient_id)


def _paper_page(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    instrument: str,
    *,
    errors: Sequence[str] = (),
    posted: PostedForm | None = None,
    status: int = 200,
) -> Response:
    with reading(session):
        try:
            patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        except NotAllowed:
            raise HTTPException(404, NOT_FOUND) from None
        today = plans_service.local_today(session, patient.clinic_id)
    posted = posted or PostedForm({})
    return render(
        request,
        "outcomes_questionnaire.html",
        {
            "q": form_for(request, kb, instrument),
            "checklist": kb.followup.safety_checklist,
            "errors": list(errors),
            "values": form_values(posted),
            "ticked": set(posted.getlist("safety")),
            "action": f"/staff/patients/{patient_id}/outcomes/questionnaires/{instrument}",
            "paper": True,
            "patient": patient,
            "completed_on": posted.get("completed_on") or today.isoformat(),
            "back": f"/staff/patients/{patient_id}/outcomes",
        },
        status,
    )


@router.get(
    "/staff/patients/{patient_id}/outcomes/questionnaires/{instrument}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def read_paper_questionnaire(
    patient_id: RowId,
    instrument: InstrumentPath,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> Response:
    """Show a questionnaire form to enter a person's paper answers."""
    return _paper_page(request, session, kb, actor, patient_id, instrument_or_404(instrument))


@router.post(
    "/staff/patients/{patient_id}/outcomes/questionnaires/{instrument}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def create_paper_questionnaire(
    patient_id: RowId,
    instrument: InstrumentPath,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    form: Posted,
) -> Response:
    """Save a person's paper questionnaire (unanswered questions may stay empty)."""
    name = instrument_or_404(instrument)
    problems: list[str] = []
    completed_on = date_field(form.get("completed_on"), "Date written on the form", problems)
    try:
        response_id, flags, found = submit_check_in(
            request,
            session,
            kb,
            actor,
            patient_id=patient_id,
            instrument=name,
            form=form,
            require_all=False,
            extra={"completed_on": completed_on, "occasion": None},
            problems=problems,
        )
    except NotAllowed:
        raise HTTPException(404, NOT_FOUND) from None
    if response_id is None:
        if flags:
            found = [
                *found,
                *(f"Red flag raised and put on the alert list: {f.title}." for f in flags),
            ]
        return _paper_page(
            request, session, kb, actor, patient_id, name, errors=found, posted=form, status=400
        )
    return RedirectResponse(
        f"/staff/patients/{patient_id}/outcomes?saved=questionnaire#scores", status_code=303
    )


def _optional_int(raw: str) -> str | None:
    text = raw.strip().replace("\N{MINUS SIGN}", "-").removesuffix("°").strip()
    return text or None


@router.post(
    "/staff/patients/{patient_id}/outcomes/range-of-motion",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def create_range_of_motion(
    patient_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    form: Posted,
) -> Response:
    """Record knee flexion and extension measured at a visit."""
    problems: list[str] = []
    measured_on = date_field(form.get("measured_on"), "Date measured", problems)
    body: RangeOfMotionCreate | None = None
    try:
        body = RangeOfMotionCreate.model_validate(
            {
                "side": form.get("side") or None,
                "affected": form.get("knee") != "other",
                "flexion_deg": _optional_int(form.get("flexion_deg")),
                "extension_deg": _optional_int(form.get("extension_deg")),
                "measured_on": measured_on,
                "note": form.get("note")[:1000],
            }
        )
    except ValidationError as exc:
        problems += validation_messages(exc, ROM_FIELDS)
    if body is None or problems:
        return _rom_problem(request, session, kb, actor, patient_id, problems, form)
    try:
        range_of_motion.record_range_of_motion(
            session, actor=actor, patient_id=patient_id, body=body
        )
    except NotAllowed:
        raise HTTPException(404, NOT_FOUND) from None
    except ProblemsError as exc:
        return _rom_problem(
            request, session, kb, actor, patient_id, [sentence(p) for p in exc.problems], form
        )
    return RedirectResponse(
        f"/staff/patients/{patient_id}/outcomes?saved=rom#range-of-motion", status_code=303
    )


def _rom_problem(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    problems: list[str],
    form: PostedForm,
) -> Response:
    return _outcomes_page(
        request, session, kb, actor, patient_id, errors=problems, rom_form=form, status=400
    )
