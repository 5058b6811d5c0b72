"""Discharge for clinicians: the criteria with their evidence, the discharge form (a reason is
needed when criteria are unmet), and the discharge summary as a page and a PDF.

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

from popliteal.accounts.deps import CurrentClinician, page_router
from popliteal.accounts.models import Clinic, User
from popliteal.accounts.rules import Actor
from popliteal.db import reading
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import chart, discharge_pdf, discharge_summary, discharges, score_results
from popliteal.outcomes._staff import NOT_FOUND, date_field, patient_or_404, validation_messages
from popliteal.outcomes.pages import sentence
from popliteal.outcomes.schemas import DischargeCreate
from popliteal.plans import service as plans_service
from popliteal.web.deps import DbSession, Kb, RowId
from popliteal.web.forms import Posted, PostedForm
from popliteal.web.templating import render

router = page_router("staff pages")

PDF_FILENAME = "discharge-summary.pdf"


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
    with reading(session):
        try:
            check = discharges.discharge_check(session, kb=kb, actor=actor, patient_id=patient_id)
            past = discharges.list_discharges(session, actor=actor, patient_id=patient_id)
        except NotAllowed:
            raise HTTPException(404, NOT_FOUND) from None
        patient = patient_or_404(session, patient_id)
        today = plans_service.local_today(session, patient.clinic_id)
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
    day = date_field(form.get("discharged_on"), "Discharge date", problems)
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
        problems += validation_messages(
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
    session: Session, kb: Knowledge, actor: Actor, patient_id: int
) -> dict[str, Any]:
    """The latest discharge as stored, or a draft from today's criteria when not discharged."""
    with reading(session):
        try:
            past = discharges.list_discharges(session, actor=actor, patient_id=patient_id)
            check = (
                None
                if past
                else discharges.discharge_check(session, kb=kb, actor=actor, patient_id=patient_id)
            )
        except NotAllowed:
            raise HTTPException(404, NOT_FOUND) from None
        patient = patient_or_404(session, patient_id)
        clinic = session.get(Clinic, patient.clinic_id)
        latest = past[0] if past else None
        by = session.get(User, latest.discharged_by) if latest else None
        today = plans_service.local_today(session, patient.clinic_id)
        ctx = discharge_pdf.summary_context(
            kb,
            patient=patient,
            clinic=clinic,
            discharge=latest,
            check=check,
            by_name=by.display_name if by else "",
            today=today,
        )
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
    ctx = _summary_context(session, kb, actor, patient_id)
    return render(request, "outcomes_summary.html", ctx)


@router.get("/staff/patients/{patient_id}/discharge/summary.pdf", include_in_schema=False)
def read_discharge_summary_pdf(
    patient_id: RowId, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Download the discharge summary as a PDF."""
    ctx = _summary_context(session, kb, actor, patient_id)
    pdf = discharge_pdf.render_summary(ctx)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{PDF_FILENAME}"',
            "Cache-Control": "no-store",
        },
    )
