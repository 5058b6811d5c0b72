"""The person's questionnaires: the form (safety checklist first), and the result page.

The checklist is asked once a day: once answered today (here or at a session's finish), the
form says when and keeps the list behind "Something changed" (questionnaire_forms.py
safety_prompt).

Plain forms (POST, then a redirect to the result, or the form again with messages), so it all
works without JavaScript. A red flag from the safety checklist is shown first on the result,
with nothing that suggests waiting; its alert is on the clinician's list already.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from popliteal.accounts.deps import CurrentPatient, page_router
from popliteal.accounts.rules import Actor
from popliteal.alerts import rules as alert_rules
from popliteal.alerts import service as alerts_service
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import RedFlagRead
from popliteal.outcomes import (
    chart,
    questionnaire_forms,
    questionnaires,
    rules,
    score_results,
    wording,
)
from popliteal.outcomes.schemas import QuestionnaireCreate
from popliteal.web.deps import DbSession, Kb, RowId
from popliteal.web.forms import Posted, PostedForm
from popliteal.web.templating import render

router = page_router("person pages")
log = logging.getLogger("popliteal")

InstrumentPath = Annotated[str, Path(max_length=16)]
NOT_FOUND = "There is no questionnaire of that name."


def sentence(message: str) -> str:
    """A service's message as a sentence on a page."""
    text = message.strip()
    text = text[:1].upper() + text[1:]
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def clinic_wording(request: Request) -> dict[str, wording.Wording]:
    """The licensed wording files of POPLITEAL_WORDING_DIR, kept on the app.

    create_app loads and checks them at start (a broken file stops the start). Should they be
    missing from the app all the same, they are read here once; a folder with a broken file is
    then not used at all (its problems go to the log): the forms show the neutral labels,
    marked "licensed wording not loaded", never a half-loaded form.
    """
    state = request.app.state
    cached = getattr(state, "outcome_wording", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    directory = getattr(state.settings, "wording_dir", None)
    kb: Knowledge = state.kb
    loaded: dict[str, wording.Wording] = {}
    if directory:
        try:
            loaded = wording.load_wording_dir(directory, kb.outcomes)
        except wording.WordingError as exc:
            log.error("questionnaire wording not loaded: %s", "; ".join(exc.problems))
    state.outcome_wording = loaded
    return loaded


def instrument_or_404(instrument: str) -> str:
    name = instrument.strip().lower()
    if name not in rules.INSTRUMENTS:
        raise HTTPException(404, NOT_FOUND)
    return name


def form_for(
    request: Request, kb: Knowledge, instrument: str
) -> questionnaire_forms.QuestionnaireForm:
    chosen = wording.wording_for(instrument, kb.outcomes, clinic_wording(request))
    return questionnaire_forms.questionnaire_form(kb, instrument, chosen)


def form_values(form: PostedForm) -> dict[str, str]:
    """What the person chose, to show again when the form comes back with messages."""
    return {k: v[0] for k, v in form.fields.items() if v and k.startswith("item_")}


def _form_page(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    instrument: str,
    *,
    errors: Sequence[str] = (),
    posted: PostedForm | None = None,
    status: int = 200,
) -> Response:
    posted = posted or PostedForm({})
    prompt = questionnaire_forms.safety_prompt(
        session, kb=kb, actor=actor, patient_id=actor.own_patient_id
    )
    return render(
        request,
        "outcomes_questionnaire.html",
        {
            "q": form_for(request, kb, instrument),
            "checklist": kb.followup.safety_checklist,
            "safety_prompt": prompt,
            "errors": list(errors),
            "values": form_values(posted),
            "ticked": set(posted.getlist("safety")),
            "unsure": set(posted.getlist("safety_unsure")),
            "action": f"/my/questionnaires/{instrument}",
            "paper": False,
            "back": "/my/today",
        },
        status,
    )


def urgent_page(
    request: Request, flags: Sequence[RedFlagRead], *, saved: bool, status: int = 200
) -> Response:
    """The urgency message first and alone: what to do now, nothing about waiting."""
    return render(
        request,
        "outcomes_urgent.html",
        {"flags": list(flags), "urgency": alert_rules.worst_urgency(flags), "saved": saved},
        status,
    )


@router.get("/my/questionnaires/{instrument}", response_class=HTMLResponse, include_in_schema=False)
def read_my_questionnaire(
    instrument: InstrumentPath, request: Request, session: DbSession, kb: Kb, actor: CurrentPatient
) -> Response:
    """Show a questionnaire: the safety checklist first (once a day), then one question per row."""
    return _form_page(request, session, kb, actor, instrument_or_404(instrument))


def submit_check_in(
    request: Request,
    session: Session,
    kb: Knowledge,
    actor: Actor,
    *,
    patient_id: int,
    instrument: str,
    form: PostedForm,
    require_all: bool,
    extra: Mapping[str, Any] | None = None,
    problems: Sequence[str] = (),
) -> tuple[int | None, list[RedFlagRead], list[str]]:
    """Check and send one check-in: (response id or None, red flags, problems).

    A red flag from the checklist is escalated even when the answers are refused.
    """
    q = form_for(request, kb, instrument)
    answers, found = questionnaire_forms.parse_answers(
        q, {k: form.get(k) for k in form.fields}, require_all=require_all
    )
    safety, safety_problems = alert_rules.parse_safety(
        kb,
        form.getlist("safety"),
        form.getlist("safety_unsure"),
        reused=form.get("safety_reused") == "1",
    )
    found = [*problems, *safety_problems, *found]
    if found:
        flags = alerts_service.report_safety(
            session, kb=kb, actor=actor, patient_id=patient_id, safety=safety
        )
        return None, flags, found
    try:
        result = questionnaires.submit_response(
            session,
            kb=kb,
            actor=actor,
            patient_id=patient_id,
            body=QuestionnaireCreate.model_validate(
                {"instrument": instrument, "answers": answers, "safety": safety, **(extra or {})}
            ),
        )
    except alerts_service.CheckInRefused as exc:
        return None, list(exc.red_flags), [sentence(p) for p in exc.problems]
    except NotAllowed:
        raise
    except AccountError as exc:
        return None, [], [sentence(str(exc))]
    return result.response.id, list(result.red_flags), []


@router.post(
    "/my/questionnaires/{instrument}", response_class=HTMLResponse, include_in_schema=False
)
def create_my_questionnaire(
    instrument: InstrumentPath,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentPatient,
    form: Posted,
) -> Response:
    """Send your answers; see your scores, or what to do now if you ticked a warning sign."""
    name = instrument_or_404(instrument)
    response_id, flags, problems = submit_check_in(
        request,
        session,
        kb,
        actor,
        patient_id=actor.own_patient_id,
        instrument=name,
        form=form,
        require_all=True,
    )
    if response_id is None and flags:
        return urgent_page(request, flags, saved=False)
    if response_id is None:
        return _form_page(
            request, session, kb, actor, name, errors=problems, posted=form, status=400
        )
    return RedirectResponse(f"/my/questionnaires/results/{response_id}", status_code=303)


@router.get(
    "/my/questionnaires/results/{response_id}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def read_my_result(
    response_id: RowId, request: Request, session: DbSession, kb: Kb, actor: CurrentPatient
) -> Response:
    """Show one of your questionnaires: scores and the change since your first."""
    outcomes = questionnaires.outcomes(session, kb=kb, actor=actor, patient_id=actor.own_patient_id)
    result = score_results.response_result(kb, outcomes, response_id)
    if result is None:
        raise HTTPException(404, "We could not find that questionnaire.")
    flags = alert_rules.red_flags_of(kb, result.response.safety)
    if flags:
        return urgent_page(request, flags, saved=True)
    return render(
        request,
        "outcomes_result.html",
        {
            "result": result,
            "due": score_results.due_items(kb, outcomes.due),
            "number": chart.number,
            "long_day": chart.long_day,
        },
    )
