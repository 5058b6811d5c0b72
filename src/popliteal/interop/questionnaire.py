"""The screening as a FHIR Questionnaire generated from the knowledge base, and
QuestionnaireResponses both ways: a stored screening or outcome questionnaire out, and a
response to the screening Questionnaire back in as the engine's answers.

Each item's linkId is the finding id of the contract; a choice's answer options are its
values, coded in `urn:popliteal:answer:<finding>` with the person's label as display. An item
present without an answer means "asked, don't know" (`null` in the contract): it adds no
evidence and is never read as "no".
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from popliteal.interop.fhir_base import (
    CHOICE_SYSTEM,
    SCREENING_QUESTIONNAIRE,
    Ids,
    instant,
    validated,
)
from popliteal.interop.records import Episode, ResponseRec, ScreeningRec
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Finding

ITEM_TYPES = {"bool": "boolean", "scale": "integer", "number": "decimal", "choice": "choice"}
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
# The response statuses a screening is evaluated from (a partial one is screened as it is).
ACCEPTED_STATUSES = ("completed", "in-progress", "amended")


class ResponseProblems(ValueError):
    """The QuestionnaireResponse cannot be read as screening answers; `problems` say why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _choice_system(finding_id: str) -> str:
    return f"{CHOICE_SYSTEM}:{finding_id}"


def _typed(f: Finding, value: Any, prefix: str) -> dict[str, Any]:
    """An answer value in the item's own type, as enableWhen's `answer[x]`."""
    if f.type == "bool":
        return {f"{prefix}Boolean": bool(value)}
    if f.type == "choice":
        return {f"{prefix}Coding": {"system": _choice_system(f.id), "code": str(value)}}
    if f.type == "scale":
        return {f"{prefix}Integer": int(value)}
    return {f"{prefix}Decimal": float(value)}


def _enable_when(kb: Knowledge, f: Finding, listed: set[str]) -> dict[str, Any]:
    """The finding's `ask_if` as enableWhen, when FHIR can say it exactly; otherwise nothing
    (the item is always shown: asking more never hides a danger sign)."""
    conditions: list[dict[str, Any]] = []
    behavior = "all"
    for t in f.ask_if:
        if t.unknown or t.clinician_only or t.finding not in listed:
            return {}
        source = kb.findings[t.finding]
        ask = {"question": t.finding}
        if t.equals is not None:
            conditions.append({**ask, "operator": "=", **_typed(source, t.equals, "answer")})
        elif t.in_ is not None and len(f.ask_if) == 1:
            behavior = "any"
            conditions += [{**ask, "operator": "=", **_typed(source, v, "answer")} for v in t.in_]
        elif t.at_least is not None and source.type != "choice":
            conditions.append({**ask, "operator": ">=", **_typed(source, t.at_least, "answer")})
        elif t.at_most is not None and source.type != "choice":
            conditions.append({**ask, "operator": "<=", **_typed(source, t.at_most, "answer")})
        elif t.below is not None and source.type != "choice":
            conditions.append({**ask, "operator": "<", **_typed(source, t.below, "answer")})
        elif t.missing is not None:
            conditions.append({**ask, "operator": "exists", "answerBoolean": not t.missing})
        else:
            return {}
    if not conditions:
        return {}
    out: dict[str, Any] = {"enableWhen": conditions}
    if len(conditions) > 1:
        out["enableBehavior"] = behavior
    return out


def _item(f: Finding) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": f.id,
        "text": f.question or f.clinician_wording or f.id,
        "type": ITEM_TYPES[f.type],
        "required": False,
    }
    if f.type == "choice":
        item["answerOption"] = [
            {
                "valueCoding": {
                    "system": _choice_system(f.id),
                    "code": v,
                    "display": f.value_labels.get(v, v),
                }
            }
            for v in f.values
        ]
    bounds = (0.0, 10.0) if f.type == "scale" else (f.min, f.max)
    if f.type in ("scale", "number"):
        kind = "valueInteger" if f.type == "scale" else "valueDecimal"
        extensions = []
        for url, bound in ((MIN_VALUE, bounds[0]), (MAX_VALUE, bounds[1])):
            if bound is not None:
                value = int(bound) if kind == "valueInteger" else float(bound)
                extensions.append({"url": url, kind: value})
        item["extension"] = extensions
    return item


def screening_questionnaire(kb: Knowledge) -> dict[str, Any]:
    """The person's screening questions as a Questionnaire (version = knowledge version).

    Every question the person may be asked is listed; a question the interview asks only
    after some answer (`ask_if`) carries it as enableWhen where FHIR can say it exactly. Any
    subset may be answered."""
    listed = {f.id for f in kb.findings.values() if "P" in f.who}
    items = [
        {**_item(f), **_enable_when(kb, f, listed)} for f in kb.findings.values() if f.id in listed
    ]
    data = {
        "resourceType": "Questionnaire",
        "id": "screening",
        "url": SCREENING_QUESTIONNAIRE,
        "version": kb.version,
        "name": "PoplitealScreening",
        "title": "Pain behind the knee: screening questions",
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            "Answer the questions you can. Leave an answer out when you are not sure: it "
            "counts as 'not sure', never as 'no'."
        ),
        "item": items,
    }
    return validated(Questionnaire, data)


def _answer(kb: Knowledge, finding_id: str, value: Any) -> dict[str, Any]:
    f = kb.findings.get(finding_id)
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if (f is not None and f.type == "choice") or isinstance(value, str):
        label = f.value_labels.get(str(value), str(value)) if f is not None else str(value)
        return {
            "valueCoding": {"system": _choice_system(finding_id), "code": value, "display": label}
        }
    if (f is not None and f.type == "number") or isinstance(value, float):
        return {"valueDecimal": value}
    return {"valueInteger": int(value)}


def screening_response(kb: Knowledge, ids: Ids, ep: Episode, s: ScreeningRec) -> dict[str, Any]:
    """A stored screening (the person's or a clinician's exam) as a QuestionnaireResponse."""
    items = []
    for fid, value in s.answers.items():
        f = kb.findings.get(fid)
        item: dict[str, Any] = {"linkId": fid}
        if f is not None:
            item["text"] = (f.question if s.role == "patient" else f.clinician_wording) or fid
        if value is not None:
            item["answer"] = [_answer(kb, fid, value)]
        items.append(item)
    author = (
        ids.ref("Practitioner", s.entered_by)
        if s.entered_by in ep.staff
        else ids.ref("Patient", ep.patient.id)
    )
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": ids.id("QuestionnaireResponse", f"screening-{s.id}"),
        "identifier": {"system": "urn:popliteal:screening", "value": s.id},
        "questionnaire": f"{SCREENING_QUESTIONNAIRE}|{s.knowledge_version}",
        "status": "completed",
        "subject": ids.ref("Patient", ep.patient.id),
        "authored": instant(s.created_at),
        "author": author,
        "source": ids.ref("Patient", ep.patient.id),
    }
    if items:
        data["item"] = items
    return validated(QuestionnaireResponse, data)


def outcome_response(kb: Knowledge, ids: Ids, ep: Episode, r: ResponseRec) -> dict[str, Any]:
    """An outcome questionnaire (KOOS, LEFS, IKDC, NPRS): item ids and answer numbers, with
    our neutral item labels (licensed wording is never exported)."""
    instrument = kb.outcomes.instruments.get(r.instrument)  # type: ignore[call-overload]
    labels = {i.id: i.label for i in instrument.items} if instrument is not None else {}
    items = []
    for item_id, value in r.answers.items():
        item: dict[str, Any] = {"linkId": str(item_id)}
        if item_id in labels:
            item["text"] = labels[item_id]
        if isinstance(value, bool):
            item["answer"] = [{"valueBoolean": value}]
        elif isinstance(value, int | float):
            item["answer"] = [{"valueInteger": int(value)}]
        items.append(item)
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": ids.id("QuestionnaireResponse", f"outcome-{r.id}"),
        "questionnaire": f"urn:popliteal:questionnaire:{r.instrument}",
        "status": "completed",
        "subject": ids.ref("Patient", ep.patient.id),
        "authored": instant(r.submitted_at),
        "source": ids.ref("Patient", ep.patient.id),
    }
    if items:
        data["item"] = items
    return validated(QuestionnaireResponse, data)


def _flat_items(items: list[Any]) -> list[Any]:
    out = []
    for item in items or []:
        out.append(item)
        out += _flat_items(item.item or [])
        for answer in item.answer or []:
            out += _flat_items(answer.item or [])
    return out


def answers_from_response(payload: Any) -> dict[str, Any]:
    """The screening answers of a QuestionnaireResponse to the screening Questionnaire.

    Raises ResponseProblems naming every problem (not FHIR, another questionnaire, a status
    that is not an answer set, an item answered twice or with an answer type the screening
    does not take). Finding ids and values are checked afterwards by the screening itself."""
    if not isinstance(payload, dict) or payload.get("resourceType") != "QuestionnaireResponse":
        raise ResponseProblems(['expected a FHIR QuestionnaireResponse ("resourceType")'])
    try:
        response = QuestionnaireResponse.model_validate(payload)
    except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        if not isinstance(exc, ValidationError):
            raise ResponseProblems([f"QuestionnaireResponse: {exc}"]) from None
        raise ResponseProblems(
            [
                f"{'.'.join(str(x) for x in e['loc']) or 'QuestionnaireResponse'}: {e['msg']}"
                for e in exc.errors()
            ]
        ) from None
    problems: list[str] = []
    canonical = str(response.questionnaire or "").split("|", 1)[0]
    if canonical != SCREENING_QUESTIONNAIRE:
        problems.append(
            f"questionnaire: expected '{SCREENING_QUESTIONNAIRE}' (GET "
            f"/api/fhir/Questionnaire/screening), got '{response.questionnaire or ''}'"
        )
    if response.status not in ACCEPTED_STATUSES:
        problems.append(
            f"status: '{response.status}' is not an answer set (use {', '.join(ACCEPTED_STATUSES)})"
        )
    answers: dict[str, Any] = {}
    for item in _flat_items(response.item or []):
        link = str(item.linkId)
        if not item.answer:
            if item.item:  # a group: its own items carry the answers
                continue
            value: Any = None
        elif len(item.answer) > 1:
            problems.append(f"item '{link}': one answer expected, got {len(item.answer)}")
            continue
        else:
            value, problem = _value(link, item.answer[0])
            if problem:
                problems.append(problem)
                continue
        if link in answers:
            problems.append(f"item '{link}': answered twice")
            continue
        answers[link] = value
    if problems:
        raise ResponseProblems(problems)
    return answers


def _value(link: str, answer: Any) -> tuple[Any, str | None]:
    if answer.valueBoolean is not None:
        return answer.valueBoolean, None
    if answer.valueInteger is not None:
        return answer.valueInteger, None
    if answer.valueDecimal is not None:
        number = float(answer.valueDecimal)
        return (int(number) if number.is_integer() else number), None
    if answer.valueCoding is not None:
        coding = answer.valueCoding
        if coding.system not in (None, _choice_system(link)):
            return None, (
                f"item '{link}': answer coded in '{coding.system}', expected "
                f"'{_choice_system(link)}'"
            )
        return coding.code, None
    if answer.valueString is not None:
        return answer.valueString, None
    return None, (
        f"item '{link}': answer type not taken (use valueBoolean, valueInteger, "
        "valueDecimal, valueCoding or valueString)"
    )
