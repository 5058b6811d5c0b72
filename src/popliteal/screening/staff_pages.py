"""The clinician's exam form: record exam findings, re-run the engine, see what changed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from popliteal.accounts.deps import CurrentClinician, page_router
from popliteal.knowledge.loader import Knowledge
from popliteal.screening import exam_layout, staff_service
from popliteal.screening.answers import InvalidAnswers, parse_answers
from popliteal.web.deps import DbSession, Kb, RowId

router = page_router("staff")

ScreeningId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
MAX_FIELD = 100


async def exam_form_data(request: Request) -> dict[str, str]:
    """The posted exam form as plain strings (the CSRF check has already read it)."""
    form = await request.form()
    return {k: v[:MAX_FIELD] for k, v in form.items() if isinstance(v, str)}


ExamFormData = Annotated[dict[str, str], Depends(exam_form_data)]


def _form_values(values: dict[str, Any]) -> dict[str, str]:
    """Stored answers as the strings the form's inputs hold."""
    out = {}
    for fid, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[fid] = "yes" if value else "no"
        elif isinstance(value, float) and value.is_integer():
            out[fid] = str(int(value))
        else:
            out[fid] = str(value)
    return out


def _render_form(
    request: Request,
    kb: Knowledge,
    form: staff_service.ExamForm,
    values: dict[str, str],
    errors: list[str],
    status: int,
) -> Response:
    priority = form.ranking.priority if form.ranking else ()
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "staff_exam.html",
        {
            "patient": form.patient,
            "based_on": form.based_on,
            "priority": priority,
            "live": form.ranking,
            "sections": exam_layout.exam_sections(kb, leave_out=frozenset(f.id for f in priority)),
            "values": values,
            "errors": errors,
            "value_label": exam_layout.value_label,
            "question": exam_layout.clinician_label,
            "labels": staff_service.URGENCY_LABELS,
        },
        status_code=status,
    )


@router.get(
    "/staff/patients/{patient_id}/exam", response_class=HTMLResponse, include_in_schema=False
)
def read_exam_form(
    patient_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentClinician
) -> Response:
    """Show the exam form, filled in with findings recorded at earlier exams."""
    form = staff_service.exam_form(session, kb=kb, actor=actor, patient_id=patient_id)
    return _render_form(request, kb, form, _form_values(form.values), [], 200)


@router.post(
    "/staff/patients/{patient_id}/exam", response_class=HTMLResponse, include_in_schema=False
)
def create_exam(
    patient_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    data: ExamFormData,
) -> Response:
    """Save the exam findings, re-run the engine and show what changed."""
    raw, problems = exam_layout.form_to_raw(kb, data)
    try:
        if not problems:
            screening = staff_service.record_exam(
                session,
                kb=kb,
                actor=actor,
                patient_id=patient_id,
                raw_answers=raw,
                escalate=request.app.state.escalate_exam,
            )
            return RedirectResponse(
                f"/staff/patients/{patient_id}/exam/{screening.id}", status_code=303
            )
        parse_answers(kb, raw)  # report the other fields' problems in the same round
    except InvalidAnswers as exc:
        problems += [str(p) for p in exc.problems]
    form = staff_service.exam_form(session, kb=kb, actor=actor, patient_id=patient_id)
    values = {k: v for k, v in data.items() if k in kb.findings}
    return _render_form(request, kb, form, values, problems, 400)


@router.post(
    "/staff/patients/{patient_id}/exam/preview",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def preview_exam(
    patient_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    data: ExamFormData,
) -> Response:
    """The ranking as the form stands (htmx swaps it in as findings change); nothing saved."""
    raw, _ = exam_layout.form_to_raw(kb, data)
    live = staff_service.exam_preview(
        session, kb=kb, actor=actor, patient_id=patient_id, raw_answers=raw
    )
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "staff_exam_live.html",
        {"live": live, "labels": staff_service.URGENCY_LABELS},
    )


@router.get(
    "/staff/patients/{patient_id}/exam/{screening_id}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def read_exam_result(
    patient_id: RowId,
    screening_id: ScreeningId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
) -> Response:
    """Show the exam's result side by side with the screening it was based on."""
    comparison = staff_service.exam_comparison(
        session,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        screening_id=screening_id,
    )
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "staff_exam_result.html",
        {"c": comparison, "labels": staff_service.URGENCY_LABELS},
    )
