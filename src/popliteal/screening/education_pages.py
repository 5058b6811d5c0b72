"""The public pages around the screening: the home page (what the service does, the way in to
the screening) and the education pages about each cause the screening weighs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from popliteal.accounts.deps import get_optional_user
from popliteal.accounts.models import Clinic
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import RED_FLAG_LEVELS, URGENCY_ORDER, Condition
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession, Kb

router = APIRouter(
    max_body_size=MAX_BODY_BYTES, tags=["pages"], dependencies=[Depends(get_optional_user)]
)

# Conditions grouped by the care they usually need, in plain words.
USUAL_CARE_HEADINGS = {
    "conservative": "Usually helped by physical therapy, chiropractic care and self-care",
    "surgical_consult": "Often need a knee specialist's opinion",
    "urgent": "Need a doctor within days",
    "emergency": "Need emergency care",
}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def read_home(request: Request, kb: Kb) -> HTMLResponse:
    """Say what the service does and does not do."""
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "home.html", {"disclaimer": kb.advice.disclaimer.strip()}
    )


def urgent_mimics(kb: Knowledge) -> set[str]:
    """Conditions that can look like one that cannot wait (a burst cyst looks like a clot).

    Read from the red-flag rules: an emergency or urgent rule that suspects a condition needing
    urgent care together with others names those others as its look-alikes.
    """
    out: set[str] = set()
    for rule in kb.rules:
        if rule.urgency not in RED_FLAG_LEVELS:
            continue
        serious = {c for c in rule.suspects if kb.conditions[c].usual_care in RED_FLAG_LEVELS}
        if serious:
            out |= set(rule.suspects) - serious
    return out


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


@router.get("/conditions", response_class=HTMLResponse, include_in_schema=False)
async def read_conditions(request: Request, kb: Kb) -> HTMLResponse:
    """List every cause of pain behind the knee, grouped by the care it usually needs."""
    groups = []
    mimics = urgent_mimics(kb)
    # Common, self-manageable causes first: most readers have one of those.
    for urgency in reversed(URGENCY_ORDER):
        items = [
            {
                "id": c.id,
                "name": c.patient_name,
                "summary": _first_sentence(c.patient_summary),
                "urgent_mimic": c.id in mimics and urgency not in RED_FLAG_LEVELS,
            }
            for c in kb.conditions.values()
            if c.usual_care == urgency
        ]
        if items:
            groups.append({"heading": USUAL_CARE_HEADINGS[urgency], "conditions": items})
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "education_list.html",
        {"groups": groups, "disclaimer": kb.advice.disclaimer.strip()},
    )


def get_clinic_phone(session: DbSession) -> str:
    """The clinic's phone for a tap-to-call link; empty while no clinic is set up, so the
    education pages still work on a bare install. A plain function: FastAPI runs it in a
    thread, off the event loop."""
    phone = session.scalar(select(Clinic.phone).order_by(Clinic.id).limit(1))
    return phone or ""


ClinicPhone = Annotated[str, Depends(get_clinic_phone)]


def _condition_context(kb: Knowledge, condition: Condition) -> dict[str, Any]:
    cid = condition.id
    # treatments.yaml does not name conditions; the seed pages do, where a quote covers both.
    treatment_ids: list[str] = []
    quotes = []
    for item in kb.seed_items:
        if cid not in item.covers.get("condition", []):
            continue
        seed = kb.seeds.get(item.seed)
        quotes.append({"quote": item.quote, "source": seed.title if seed else item.seed})
        treatment_ids += [t for t in item.covers.get("treatment", []) if t not in treatment_ids]
    treatments = [
        {"name": kb.treatments[t].name, "description": kb.treatments[t].patient_description}
        for t in treatment_ids
        if t in kb.treatments
    ]
    surgery = [s.name for s in kb.surgery_indications.values() if cid in s.conditions]
    return {
        "condition": condition,
        "treatments": treatments,
        "surgery": surgery,
        "quotes": quotes,
        "disclaimer": kb.advice.disclaimer.strip(),
    }


@router.get("/conditions/{condition_id}", response_class=HTMLResponse, include_in_schema=False)
async def read_condition(
    condition_id: str, request: Request, kb: Kb, phone: ClinicPhone
) -> HTMLResponse:
    """Explain one cause in plain words: what it is, signs, what helps, when to get help.

    The care it needs is said in the one message for its urgency level, the words the
    screening result, check-ins and alerts use, so the pages never disagree.
    """
    condition = kb.conditions.get(condition_id)
    if condition is None:
        raise HTTPException(status_code=404, detail="We have no page about that.")
    context = _condition_context(kb, condition) | {"clinic_phone": phone}
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "education_condition.html", context
    )
