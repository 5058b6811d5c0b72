"""The clinician's outcome pages: a patient's charts and scores, paper questionnaires, range of
motion, the clinic's alerts, and discharge with its summary (page and PDF).

Plain forms (POST, then a redirect, or the page again with messages); another clinic's patient
is a 404, as everywhere in the staff pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import AccountError, NotAllowed, ProblemsError
from popliteal.alerts import service as alerts_service
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import (
    alert_list,
    chart,
    discharge_pdf,
    discharge_summary,
    discharges,
    patient_charts,
    range_of_motion,
    rules,
    score_results,
)
from popliteal.outcomes.pages import (
    InstrumentPath,
    form_for,
    form_values,
    instrument_or_404,
    render,
    sentence,
    submit_check_in,
)
from popliteal.outcomes.schemas import DischargeCreate, RangeOfMotionCreate
from popliteal.plans import service as plans_service
from popliteal.running import service as running_service
from popliteal.running.pages import running_context
from popliteal.sessions import service as sessions_service
from popliteal.sessions.pages import Posted, PostedForm, short_day
from popliteal.web.deps import (
    CsrfProtected,
    CurrentClinician,
    DbSession,
    Kb,
    RowId,
    client_address,
    get_optional_user,
)

router = APIRouter(tags=["staff pages"], dependencies=[Depends(get_optional_user), CsrfProtected])

NOT_FOUND = "no such patient"
NOTICES = {
    "questionnaire": "The questionnaire is saved.",
    "rom": "The range of motion is saved.",
    "resolved": "The alert is resolved.",
}
ROM_FIELDS = {
    "side": "Side",
    "affected": "Knee",
    "flexion_deg": "Flexion",
    "extension_deg": "Extension",
    "measured_on": "Date measured",
    "note": "Note",
}
PDF_FILENAME = "discharge-summary.pdf"


def _patient(session: Session, patient_id: int) -> Patient:
    """The patient row, read after a service call has checked the actor may see it."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise HTTPException(404, NOT_FOUND)
    return patient


def _timezone(session: Session, clinic_id: int) -> str:
    clinic = session.get(Clinic, clinic_id)
    return clinic.timezone if clinic else "UTC"


def _validation(exc: ValidationError, names: dict[str, str]) -> list[str]:
    out = []
    for e in exc.errors():
        where = str(e["loc"][0]) if e.get("loc") else ""
        message = str(e["msg"]).removeprefix("Value error, ")
        out.append(sentence(f"{names.get(where, where or 'Form')}: {message}"))
    return out


# ------------------------------------------------------------------ a patient's outcomes


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
    address = client_address(request)
    try:
        charts = patient_charts.outcome_charts(
            session, kb=kb, actor=actor, patient_id=patient_id, prefix="staff", address=address
        )
        alerts = alerts_service.list_alerts(
            session, actor=actor, patient_id=patient_id, address=address
        )
        progress = sessions_service.progress(
            session, kb=kb, actor=actor, patient_id=patient_id, weeks=12, address=address
        )
        running = running_service.running_view(
            session, kb=kb, actor=actor, patient_id=patient_id, address=address
        )
    except NotAllowed:
        raise HTTPException(404, NOT_FOUND) from None
    patient = _patient(session, patient_id)
    today = plans_service.local_today(session, patient.clinic_id)
    ctx: dict[str, Any] = {
        "patient": patient,
        "charts": charts,
        "alerts": alerts,
        "rows": score_results.score_rows(kb, charts.outcomes, patient.user_id),
        "adherence": patient_charts.adherence_chart_for(
            kb, progress.adherence, chart_id="staff-adh"
        ),
        "running": running_context(kb, running) if running.activities else None,
        "instruments": [(i, kb.outcomes.instruments[i].name) for i in rules.INSTRUMENTS],  # type: ignore[index]
        "errors": list(errors),
        "rom_form": rom_form or PostedForm({}),
        "today": today.isoformat(),
        "notice": NOTICES.get(request.query_params.get("saved", "")),
        "timezone": _timezone(session, patient.clinic_id),
        "kind_names": alert_list.KIND_NAMES,
        "number": chart.number,
        "long_day": chart.long_day,
        "short_day": short_day,
        "main": charts.outcomes.main_instrument,
    }
    session.rollback()
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
    try:
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
    except NotAllowed:
        raise HTTPException(404, NOT_FOUND) from None
    posted = posted or PostedForm({})
    today = plans_service.local_today(session, patient.clinic_id)
    session.rollback()
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


def _date_field(raw: str, label: str, problems: list[str]) -> str | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        problems.append(f"{label}: enter a date as YYYY-MM-DD.")
        return None


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
    completed_on = _date_field(form.get("completed_on"), "Date written on the form", problems)
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
    measured_on = _date_field(form.get("measured_on"), "Date measured", problems)
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
        problems += _validation(exc, ROM_FIELDS)
    if body is None or problems:
        session.rollback()
        return _rom_problem(request, session, kb, actor, patient_id, problems, form)
    try:
        range_of_motion.record_range_of_motion(
            session, actor=actor, patient_id=patient_id, body=body, address=client_address(request)
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


# ------------------------------------------------------------------ the clinic's alerts


def _alerts_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    errors: Sequence[str] = (),
    status: int = 200,
) -> Response:
    include_resolved = request.query_params.get("all") == "1"
    alerts = alerts_service.list_alerts(
        session, actor=actor, include_resolved=include_resolved, address=client_address(request)
    )
    timezone = _timezone(session, actor.clinic_id)
    session.rollback()
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
            alerts_service.resolve_alert(
                session, actor=actor, alert_id=alert_id, note=note, address=client_address(request)
            )
        except NotAllowed:
            raise HTTPException(404, "no such alert") from None
        except AccountError as exc:
            problem = sentence(str(exc))
    if problem:
        session.rollback()
        status = 409 if "already resolved" in problem else 400
        return _alerts_page(request, session, actor, errors=[problem], status=status)
    target = _safe_next(form.get("next"))
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}saved=resolved", status_code=303)


# ------------------------------------------------------------------ discharge


def _discharge_page(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    *,
    errors: Sequence[str] = (),
    form: PostedForm | None = None,
    status: int = 200,
) -> Response:
    address = client_address(request)
    try:
        check = discharges.discharge_check(
            session, kb=kb, actor=actor, patient_id=patient_id, address=address
        )
        past = discharges.list_discharges(
            session, actor=actor, patient_id=patient_id, address=address
        )
    except NotAllowed:
        raise HTTPException(404, NOT_FOUND) from None
    patient = _patient(session, patient_id)
    today = plans_service.local_today(session, patient.clinic_id)
    session.rollback()
    return render(
        request,
        "outcomes_discharge.html",
        {
            "patient": patient,
            "check": check,
            "latest": past[0] if past else None,
            "summary": discharge_summary.summary_view(kb, check.summary),
            "due": score_results.due_items(kb, check.due),
            "errors": list(errors),
            "form": form or PostedForm({}),
            "today": today.isoformat(),
            "number": chart.number,
            "long_day": chart.long_day,
        },
        status,
    )


@router.get(
    "/staff/patients/{patient_id}/discharge", response_class=HTMLResponse, include_in_schema=False
)
def read_discharge(
    patient_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Show the discharge criteria (met, not met, unknown, with evidence) and the summary."""
    return _discharge_page(request, session, kb, actor, patient_id)


@router.post(
    "/staff/patients/{patient_id}/discharge", response_class=HTMLResponse, include_in_schema=False
)
def create_discharge(
    patient_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    form: Posted,
) -> Response:
    """Discharge the patient; with criteria unmet only with a reason."""
    problems: list[str] = []
    day = _date_field(form.get("discharged_on"), "Discharge date", problems)
    body: DischargeCreate | None = None
    try:
        body = DischargeCreate.model_validate(
            {
                "note": form.get("note").strip(),
                "override_reason": form.get("override_reason").strip() or None,
                "discharged_on": day,
            }
        )
    except ValidationError as exc:
        problems += _validation(
            exc, {"note": "Note", "override_reason": "Reason", "discharged_on": "Discharge date"}
        )
    if body is None or problems:
        return _discharge_page(
            request, session, kb, actor, patient_id, errors=problems, form=form, status=400
        )
    try:
        discharges.discharge(
            session,
            kb=kb,
            actor=actor,
            patient_id=patient_id,
            body=body,
            address=client_address(request),
        )
    except NotAllowed:
        raise HTTPException(404, NOT_FOUND) from None
    except discharges.DischargeRefused as exc:
        messages = [
            sentence(p.replace("give an override_reason", "give a reason")) for p in exc.problems
        ]
        return _discharge_page(
            request, session, kb, actor, patient_id, errors=messages, form=form, status=400
        )
    except AccountError as exc:
        return _discharge_page(
            request,
            session,
            kb,
            actor,
            patient_id,
            errors=[sentence(str(exc))],
            form=form,
            status=409,
        )
    return RedirectResponse(f"/staff/patients/{patient_id}/discharge/summary", status_code=303)


def _summary_context(
    request: Request, session: Session, kb: Knowledge, actor: Actor, patient_id: int
) -> dict[str, Any]:
    """The latest discharge as stored, or a draft from today's criteria when not discharged."""
    address = client_address(request)
    try:
        past = discharges.list_discharges(
            session, actor=actor, patient_id=patient_id, address=address
        )
        check = (
            None
            if past
            else discharges.discharge_check(
                session, kb=kb, actor=actor, patient_id=patient_id, address=address
            )
        )
    except NotAllowed:
        raise HTTPException(404, NOT_FOUND) from None
    patient = _patient(session, patient_id)
    clinic = session.get(Clinic, patient.clinic_id)
    latest = past[0] if past else None
    by = session.get(User, latest.discharged_by) if latest else None
    today = plans_service.local_today(session, patient.clinic_id)
    ctx = {
        "patient_name": patient.full_name,
        "patient_id": patient.id,
        "date_of_birth": chart.long_day(patient.date_of_birth) if patient.date_of_birth else "",
        "clinic_title": clinic.name if clinic else "",
        "clinic_phone": clinic.phone if clinic else "",
        "clinic_address": clinic.address if clinic else "",
        "draft": latest is None,
        "discharged_on": chart.long_day(latest.discharged_on) if latest else "",
        "discharged_by": by.display_name if by else "",
        "note": latest.note if latest else "",
        "overridden": latest.overridden if latest else False,
        "override_reason": latest.override_reason if latest else "",
        "criteria": latest.criteria if latest else (check.criteria if check else []),
        "summary": discharge_summary.summary_view(kb, latest.summary if latest else check.summary),  # type: ignore[union-attr]
        "disclaimer": kb.advice.disclaimer.strip(),
        "today": chart.long_day(today),
        "number": chart.number,
        "status_text": {"met": "Met", "not_met": "Not met", "unknown": "Unknown"},
    }
    session.rollback()
    return ctx


@router.get(
    "/staff/patients/{patient_id}/discharge/summary",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def read_discharge_summary(
    patient_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Show the discharge summary: before/after scores, pain, range of motion, adherence."""
    ctx = _summary_context(request, session, kb, actor, patient_id)
    return render(request, "outcomes_summary.html", ctx)


@router.get("/staff/patients/{patient_id}/discharge/summary.pdf", include_in_schema=False)
def read_discharge_summary_pdf(
    patient_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Download the discharge summary as a PDF."""
    ctx = _summary_context(request, session, kb, actor, patient_id)
    pdf = discharge_pdf.render_summary(ctx)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{PDF_FILENAME}"',
            "Cache-Control": "no-store",
        },
    )
