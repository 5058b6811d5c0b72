"""The person's screening in the browser: one step at a time, then the result and a summary.

Every page works as plain form posts (303 back to the step); with htmx the server answers an
`HX-Request` with just the step fragment, and with `HX-Redirect` when the interview is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from popliteal.accounts.deps import ClinicDep, OptionalActor, page_router
from popliteal.accounts.rules import Actor
from popliteal.errors import NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer, Finding
from popliteal.screening import safety
from popliteal.screening import service as screening_service
from popliteal.screening._visitor import new_visitor_token, set_visitor_cookie, visitor_token
from popliteal.screening.answers import InvalidAnswers
from popliteal.screening.differential import chance_to_show
from popliteal.screening.engine import question_text, screen
from popliteal.screening.interview import Step
from popliteal.screening.models import Screening
from popliteal.web.deps import DbSession, Kb, client_address

router = page_router("screening pages")

NOT_FOUND = (
    "We could not find this screening. It may have been started in another browser, "
    "or it now belongs to an account: log in to see it."
)
TOP_CAUSES = 5


# ---------------------------------------------------------------------------------------------
# Plain-language helpers shared by the step, result and summary pages.


def answer_text(kb: Knowledge, finding_id: str, value: Any) -> str:
    """An answer in plain words: "Yes", a choice's label, "22 miles", "Don't know"."""
    if value is None:
        return "Don't know"
    finding = kb.findings.get(finding_id)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if finding is None:
        return str(value)
    if finding.type == "choice":
        return finding.value_labels.get(str(value), str(value).replace("_", " "))
    if finding.type == "scale":
        return f"{value} out of 10"
    unit = f" {finding.unit}" if finding.unit else ""
    return f"{float(value):g}{unit}"


def _question(kb: Knowledge, finding_id: str, role: str) -> str:
    known = finding_id in kb.findings or finding_id in kb.predicates
    return question_text(kb, finding_id, role) if known else finding_id


def out_of_ten(probability: float) -> str:
    """ "about 4 in 10", or "fewer than 1 in 10" when it rounds to zero."""
    tenths = round(probability * 10)
    return "fewer than 1 in 10" if tenths == 0 else f"about {tenths} in 10"


def _friendly_problem(finding: Finding) -> str:
    if finding.type == "bool":
        return "Choose yes or no."
    if finding.type == "choice":
        return "Choose one of the answers."
    if finding.type == "scale":
        return "Choose a number from 0 to 10."
    unit = f" {finding.unit}" if finding.unit else ""
    lo = finding.min if finding.min is not None else 0
    hi = finding.max if finding.max is not None else 0
    return f"Enter a number from {lo:g} to {hi:g}{unit}."


# ---------------------------------------------------------------------------------------------
# Reading a step's form into answers.


@dataclass
class StepInput:
    raw: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    entered: dict[str, str] = field(default_factory=dict)


def _number(text: str) -> float | int | None:
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


CHECKLIST_ANSWERS: dict[str, bool | None] = {"yes": True, "no": False, "unsure": None}
CHECKLIST_INCOMPLETE = (
    "Please answer each question: Yes, No or Not sure. If none of them is true for you, "
    "press “None of these”."
)


NONE_OF_THESE_CONFLICT = (
    "You chose Yes or Not sure for some of these, so we did not take “None of these”. "
    "Check your answers and press Next."
)


def read_step_form(kb: Knowledge, form: Mapping[str, Any], role: str) -> StepInput:
    """Turn a posted step into {finding: value}.

    A safety checklist item is answered one by one: Yes, No or Not sure (stored as unknown);
    "None of these" answers No to all. An item left blank is never taken as No: the step is
    asked again."""
    out = StepInput()
    ids = [f for f in str(form.get("step", "")).split(",") if f]
    unknown = [f for f in ids if f not in kb.findings]
    if not ids or unknown:
        out.errors.append("This page is out of date. Please answer the question shown now.")
        return out
    group = kb.groups.get(str(form.get("group", "")))
    if group is not None and not set(ids) <= set(group.findings):
        group = None
    dont_know = form.get("action") == "dont_know"
    none_of_these = form.get("action") == "none_of_these"
    if none_of_these and any(str(form.get(fid, "")).strip() in ("yes", "unsure") for fid in ids):
        # "None of these" must not erase a Yes or a Not sure the person chose on this page.
        none_of_these = False
        out.errors.append(NONE_OF_THESE_CONFLICT)
    blank: list[str] = []
    for fid in ids:
        finding = kb.findings[fid]
        text = str(form.get(fid, "")).strip()
        out.entered[fid] = text
        if dont_know:
            out.raw[fid] = None
        elif group is not None and group.kind == "checklist":
            if none_of_these:
                out.raw[fid] = False
            elif text in CHECKLIST_ANSWERS:
                out.raw[fid] = CHECKLIST_ANSWERS[text]
            else:
                blank.append(fid)
        elif not text:
            if group is None:  # a single question: an empty answer is a mistake, not a skip
                out.errors.append(
                    f"{_question(kb, fid, role)} Choose an answer, or press “Don't know”."
                )
            out.raw[fid] = None
        elif finding.type == "bool":
            if text not in ("yes", "no"):
                out.errors.append(f"{_question(kb, fid, role)} {_friendly_problem(finding)}")
            out.raw[fid] = text == "yes"
        elif finding.type in ("number", "scale"):
            number = _number(text)
            if number is None:
                out.errors.append(f"{_question(kb, fid, role)} {_friendly_problem(finding)}")
            out.raw[fid] = number
        else:
            out.raw[fid] = text
    if blank:
        out.errors.append(CHECKLIST_INCOMPLETE)
    return out


# ---------------------------------------------------------------------------------------------
# Rendering.


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _field(kb: Knowledge, fid: str, role: str, *, recheck: bool = False) -> dict[str, Any]:
    f = kb.findings[fid]
    how_to_check = f.unknown_policy.how_to_check if recheck and f.unknown_policy else None
    choices: list[tuple[str, str]] = []
    if f.type == "bool":
        choices = [("yes", "Yes"), ("no", "No")]
    elif f.type == "choice":
        choices = [(v, f.value_labels.get(v, v.replace("_", " "))) for v in f.values]
    elif f.type == "scale":
        choices = [(str(n), str(n)) for n in range(11)]
    return {
        "id": fid,
        "type": f.type,
        "question": _question(kb, fid, role),
        "help": (how_to_check or f.help or "").strip() if role != "clinician" else "",
        "how_to_check": bool(how_to_check),
        "choices": choices,
        "min": f"{f.min:g}" if f.min is not None else "",
        "max": f"{f.max:g}" if f.max is not None else "",
        "unit": f.unit or "",
    }


def _step_context(
    kb: Knowledge,
    screening: Screening,
    *,
    errors: list[str] | None = None,
    entered: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    state = screening_service.interview_state(kb, screening)
    if state.done or not state.steps:
        return None
    step: Step = state.steps[0]
    answered = len(screening.history)
    total = answered + len(state.steps)
    group = kb.groups[step.id] if step.kind == "group" else None
    return {
        "screening": screening,
        "step": step,
        "group": group,
        "fields": [_field(kb, fid, screening.role, recheck=step.recheck) for fid in step.findings],
        "answered": answered,
        "total": total,
        "errors": errors or [],
        "entered": dict(entered or {}),
        "can_go_back": bool(screening.history),
    }


def _to_result(request: Request, screening: Screening) -> Response:
    target = f"/screening/{screening.id}/result"
    if _is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


STALE_NOTICE = (
    "You had already answered that page, so that change was not saved. To change an answer, "
    "use the Back button on this page."
)


def _to_step(
    request: Request, screening: Screening, kb: Knowledge, *, stale: bool = False
) -> Response:
    if _is_htmx(request):
        return _render_step(request, kb, screening, notice=STALE_NOTICE if stale else None)
    suffix = "?stale=1" if stale else ""
    return RedirectResponse(f"/screening/{screening.id}{suffix}", status_code=303)


def _render_step(
    request: Request,
    kb: Knowledge,
    screening: Screening,
    *,
    errors: list[str] | None = None,
    entered: Mapping[str, str] | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> Response:
    ctx = _step_context(kb, screening, errors=errors, entered=entered)
    if ctx is None:
        return _to_result(request, screening)
    ctx["notice"] = notice
    htmx = _is_htmx(request)
    # base.html's htmx-config lets htmx swap a 400, so the fragment carries the message.
    name = "screening_step_fragment.html" if htmx else "screening_step.html"
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, ctx, status_code=status_code
    )
    # The browser's own Back must fetch the step again, not replay an old form from its cache.
    response.headers["cache-control"] = "no-store"
    return response


def _not_found() -> HTTPException:
    return HTTPException(status_code=404, detail=NOT_FOUND)


async def _read(
    request: Request, session: Any, screening_id: str, actor: Actor | None
) -> Screening:
    try:
        screening: Screening = await run_in_threadpool(
            screening_service.read,
            session,
            screening_id=screening_id,
            visitor_token=visitor_token(request),
            actor=actor,
            address=client_address(request),
        )
    except NotAllowed:
        raise _not_found() from None
    return screening


# ---------------------------------------------------------------------------------------------
# Routes.


@router.get("/screening", response_class=HTMLResponse, include_in_schema=False)
async def read_screening_intro(request: Request, kb: Kb) -> Response:
    """Explain the free screening and offer to start it."""
    response: Response = request.app.state.templates.TemplateResponse(
        request, "screening_intro.html", {"disclaimer": kb.advice.disclaimer.strip()}
    )
    return response


@router.post("/screening", include_in_schema=False)
async def create_screening_interview(
    request: Request, session: DbSession, kb: Kb, actor: OptionalActor, clinic: ClinicDep
) -> Response:
    """Start a screening for this browser and go to its first step."""
    token = visitor_token(request)
    new_token = None if token else new_visitor_token()
    screening = await run_in_threadpool(
        screening_service.start_interview,
        session,
        kb=kb,
        clinic_id=clinic.id,
        actor=actor,
        visitor_token=token or new_token or "",
        address=client_address(request),
    )
    response = RedirectResponse(f"/screening/{screening.id}", status_code=303)
    if new_token is not None:
        set_visitor_cookie(request, response, new_token)
    return response


@router.get("/screening/{screening_id}", response_class=HTMLResponse, include_in_schema=False)
async def read_screening_step(
    screening_id: str,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: OptionalActor,
    stale: bool = False,
) -> Response:
    """Show the current step of the interview (the fragment alone for htmx)."""
    screening = await _read(request, session, screening_id, actor)
    if screening.status != "in_progress":
        return _to_result(request, screening)
    return _render_step(request, kb, screening, notice=STALE_NOTICE if stale else None)


@router.post("/screening/{screening_id}/answer", include_in_schema=False)
async def update_screening_answer(
    screening_id: str, request: Request, session: DbSession, kb: Kb, actor: OptionalActor
) -> Response:
    """Record the answers of one step, then show the next step or the result."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    parsed = read_step_form(kb, fields, "patient")
    problems = list(parsed.errors)
    if not problems:
        try:
            screening = await run_in_threadpool(
                screening_service.record_step,
                session,
                kb=kb,
                screening_id=screening_id,
                visitor_token=visitor_token(request),
                actor=actor,
                raw=parsed.raw,
                address=client_address(request),
            )
        except NotAllowed:
            raise _not_found() from None
        except screening_service.ScreeningClosed:
            return _to_result(request, await _read(request, session, screening_id, actor))
        except screening_service.StaleStep:
            # A double submit or an old page: show whatever step is current now, and say so.
            return _to_step(
                request, await _read(request, session, screening_id, actor), kb, stale=True
            )
        except InvalidAnswers as exc:
            problems = [
                f"{_question(kb, p.finding, 'patient')} "
                + (
                    _friendly_problem(kb.findings[p.finding])
                    if p.finding in kb.findings
                    else p.message
                )
                for p in exc.problems
            ]
        except screening_service.StepError as exc:
            problems = [str(exc)]
        else:
            if screening.status == "complete":
                return _to_result(request, screening)
            return _to_step(request, screening, kb)
    screening = await _read(request, session, screening_id, actor)
    if screening.status != "in_progress":
        return _to_result(request, screening)
    return _render_step(
        request, kb, screening, errors=problems, entered=parsed.entered, status_code=400
    )


@router.post("/screening/{screening_id}/back", include_in_schema=False)
async def update_screening_back(
    screening_id: str, request: Request, session: DbSession, kb: Kb, actor: OptionalActor
) -> Response:
    """Go back one step: its answers are removed and it is asked again."""
    try:
        screening = await run_in_threadpool(
            screening_service.go_back,
            session,
            kb=kb,
            screening_id=screening_id,
            visitor_token=visitor_token(request),
            actor=actor,
            address=client_address(request),
        )
    except NotAllowed:
        raise _not_found() from None
    except screening_service.ScreeningClosed:
        return _to_result(request, await _read(request, session, screening_id, actor))
    return _to_step(request, screening, kb)


def unsure_safety_questions(kb: Knowledge, screening: Screening) -> list[str]:
    """Safety questions left at "don't know" that could still mean emergency or urgent care.

    Such a result is not "no warning signs": the page says which were not ruled out.
    """
    answers: dict[str, Answer | None] = dict(screening.answers)
    return [
        _question(kb, fid, screening.role)
        for fid in safety.not_ruled_out(kb, answers, screening.role)
    ]


def unasked_safety_questions(kb: Knowledge, screening: Screening) -> list[str]:
    """Safety questions nobody asked that could still mean emergency or urgent care (a result
    made from a few answers, as the API allows). An empty form is not a "no": the page says
    these were not asked, and never shows the all-clear."""
    answers: dict[str, Answer | None] = dict(screening.answers)
    return [_question(kb, fid, screening.role) for fid in safety.not_asked(kb, answers, "patient")]


def must_rule_out_names(kb: Knowledge, screening: Screening) -> list[str]:
    """The causes the clinic will rule out first, in plain words (the engine's must_rule_out)."""
    ids = screening.result.get("must_rule_out")
    if ids is None:  # a result stored before the field existed: work it out from the answers
        ids = list(screen(kb, dict(screening.answers), role=screening.role).must_rule_out)
    return [kb.conditions[c].patient_name for c in ids if c in kb.conditions]


def _headline(kb: Knowledge, urgency: str) -> str:
    for level, message in kb.advice.urgency_messages.items():
        if level == urgency:
            return message.heading.strip()
    return urgency


def _result_context(
    kb: Knowledge, screening: Screening, timezone: str, clinic_phone: str = ""
) -> dict[str, Any]:
    result = screening.result
    role = screening.role
    urgency = str(result.get("urgency", screening.urgency))
    causes = []
    for cond in result.get("conditions", [])[:TOP_CAUSES]:
        towards, away = [], []
        evidence = cond.get("evidence", [])
        named = bool(evidence) and evidence[0].get("kind") == "red_flag"
        for e in evidence[1:] if named else evidence:
            item = {
                "question": _question(kb, e["finding"], role),
                "answer": answer_text(kb, e["finding"], e.get("value")),
            }
            if e.get("lr", 1) > 1:
                towards.append(item)
            elif e.get("lr", 1) < 1:
                away.append(item)
        known = kb.conditions.get(cond["id"])
        causes.append(
            {
                "id": cond["id"],
                "name": cond.get("patient_name") or cond.get("name") or cond["id"],
                "chance": out_of_ten(chance_to_show(cond)),
                "named_by_warning_sign": named,
                "summary": known.patient_summary.strip() if known else "",
                "towards": towards,
                "away": away,
            }
        )
    answers = [
        {"question": _question(kb, fid, role), "answer": answer_text(kb, fid, value)}
        for fid, value in screening_service.answers_in_order(screening)
    ]
    unsure = unsure_safety_questions(kb, screening) if urgency != "emergency" else []
    unasked = (
        unasked_safety_questions(kb, screening)
        if urgency != "emergency" and role == "patient"
        else []
    )
    headline = _headline(kb, urgency)
    badge = urgency
    if safety.open_sign_blocks_all_clear(urgency, unsure, unasked):
        headline, badge = safety.NOT_RULED_OUT, "urgent"  # the result page's banner says why
    return {
        "unsure_safety": unsure,
        "unasked_safety": unasked,
        "badge": badge,
        "must_rule_out": must_rule_out_names(kb, screening),
        "clinic_phone": clinic_phone,
        "screening": screening,
        "urgency": urgency,
        "headline": headline,
        "red_flags": result.get("red_flags", []),
        "suspects": _suspects(kb, result),
        "causes": causes,
        "advice": result.get("advice", []),
        "disclaimer": str(result.get("disclaimer", kb.advice.disclaimer)).strip(),
        "knowledge_version": screening.knowledge_version,
        "answers": answers,
        "timezone": timezone,
    }


def _suspects(kb: Knowledge, result: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for flag in result.get("red_flags", []):
        for cid in flag.get("suspects", []):
            cond = kb.conditions.get(cid)
            name = cond.patient_name if cond else cid
            if name not in names:
                names.append(name)
    return names


@router.get(
    "/screening/{screening_id}/result", response_class=HTMLResponse, include_in_schema=False
)
async def read_screening_result(
    screening_id: str,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: OptionalActor,
    clinic: ClinicDep,
) -> Response:
    """Show the result, urgency first; booking is offered only when it is safe to wait."""
    screening = await _read(request, session, screening_id, actor)
    if screening.status != "complete":
        return RedirectResponse(f"/screening/{screening.id}", status_code=303)
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        "screening_result.html",
        _result_context(kb, screening, clinic.timezone, clinic.phone),
    )
    return response


@router.get(
    "/screening/{screening_id}/summary", response_class=HTMLResponse, include_in_schema=False
)
async def read_screening_summary(
    screening_id: str,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: OptionalActor,
    clinic: ClinicDep,
) -> Response:
    """A printable summary of the answers and the result, to bring to a visit."""
    screening = await _read(request, session, screening_id, actor)
    if screening.status != "complete":  # no result to print before the questions are done
        return RedirectResponse(f"/screening/{screening.id}", status_code=303)
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        "screening_summary.html",
        _result_context(kb, screening, clinic.timezone, clinic.phone),
    )
    return response
