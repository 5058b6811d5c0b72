"""The clinician's view of a patient's running: the same chart, flags and walk-run step."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from popliteal.accounts.deps import CurrentClinician, page_router
from popliteal.accounts.models import Patient
from popliteal.accounts.rules import Actor
from popliteal.knowledge.loader import Knowledge
from popliteal.running import rules
from popliteal.running import service as running_service
from popliteal.running.pages import running_context
from popliteal.web.deps import DbSession, Kb, RowId

router = page_router("staff pages")


@router.get(
    "/staff/patients/{patient_id}/running", response_class=HTMLResponse, include_in_schema=False
)
def read_patient_running(
    patient_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Show a patient's runs, weekly load with flags and their walk-run programme step."""
    view = running_service.running_view(session, kb=kb, actor=actor, patient_id=patient_id)
    patient = session.get(Patient, patient_id)
    ctx = running_context(kb, view, for_person=False)
    ctx.update({"patient": patient})
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "running_staff.html", ctx
    )


@dataclass(frozen=True)
class RunningSummary:
    runs: int
    this_week: float
    unit: str
    flags: list[rules.Flag]


def running_summary(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int
) -> RunningSummary | None:
    """The patient page's running card (None when the patient has logged no run)."""
    view = running_service.running_view(session, kb=kb, actor=actor, patient_id=patient_id)
    if not view.activities:
        return None
    totals = view.report.weekly_totals
    return RunningSummary(
        runs=len(view.activities),
        this_week=totals[-1] if totals else 0.0,
        unit=view.unit,
        flags=view.report.flags,
    )
