"""One screening: triage, differential, next questions and advice, as the stable JSON contract.

The CLI, the API and the pages all call `screen()`, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer, Urgency
from popliteal.screening.differential import RankedCondition, rank
from popliteal.screening.interview import InterviewState, plan
from popliteal.screening.safety import (
    NOT_RULED_OUT,
    must_rule_out,
    not_asked,
    not_ruled_out,
    open_rules,
    open_rules_and_findings,
    red_flag_suspects_first,
)
from popliteal.screening.triage import TriageResult, triage

SELF_CARE_FROM_TOP = 3
# The first advice of a routine result while a warning sign is "not sure" or never asked: an
# API result is read without the result page's banner, so it must not read as all clear.
NOT_RULED_OUT_ADVICE = (
    f"{NOT_RULED_OUT}. Answer the questions about them. If any of them is true, get care today."
)


@dataclass(frozen=True)
class ScreeningResult:
    knowledge_version: str
    role: str
    triage: TriageResult
    conditions: tuple[RankedCondition, ...]
    interview: InterviewState
    advice: tuple[str, ...]
    disclaimer: str
    # Safety findings answered "not sure" that could still fire an emergency or urgent rule.
    safety_not_ruled_out: tuple[str, ...] = ()
    # Those never answered at all that could (safety.not_asked): not ruled out either.
    safety_not_asked: tuple[str, ...] = ()
    # Causes the clinic must rule out, most urgent first (screening/safety.py).
    must_rule_out: tuple[str, ...] = ()


def _advice(
    kb: Knowledge, urgency: Urgency, ranked: list[RankedCondition], *, sign_open: bool
) -> tuple[str, ...]:
    texts = [a.text.strip() for a in kb.advice.by_urgency.get(urgency, [])]
    if urgency == "conservative" and sign_open:
        texts.insert(0, NOT_RULED_OUT_ADVICE)
    # A cause's self-care only when an answer points to it: with none (an empty form), the
    # top of the ranking is its prior alone, and its advice would read as a finding.
    if urgency == "conservative" and ranked and ranked[0].evidence:
        top = kb.conditions[ranked[0].id]
        texts.extend(t.strip() for t in top.self_care[:SELF_CARE_FROM_TOP] if t not in texts)
    return tuple(texts)


def screen(
    kb: Knowledge,
    answers: Mapping[str, Answer | None],
    *,
    role: str = "patient",
    asked_once: Collection[str] = (),
) -> ScreeningResult:
    """Screen validated answers (see answers.parse_answers). Deterministic.

    `asked_once` is for a step-by-step interview: see interview.plan."""
    tri = triage(kb, answers, role=role)
    ranked = red_flag_suspects_first(kb, rank(kb, answers), tri.fired, answers)
    fired = {rule.id for rule in tri.fired}  # the same rules, judged once
    if tri.urgency == "emergency":  # the interview ends: no plan, no questions left open
        opened, safety_open = open_rules(kb, answers, role, fired), frozenset[str]()
    else:
        opened, safety_open = open_rules_and_findings(kb, answers, role, fired)
    interview = plan(
        kb,
        answers,
        role=role,
        urgency=tri.urgency,
        asked_once=asked_once,
        safety_open=safety_open,
    )
    unsure = not_ruled_out(kb, answers, role, opened)
    # An emergency ends the interview unplanned: nothing more is asked, none listed.
    unasked = not_asked(kb, answers, role, interview.safety_open)
    return ScreeningResult(
        knowledge_version=kb.version,
        role=role,
        triage=tri,
        conditions=tuple(ranked),
        interview=interview,
        advice=_advice(kb, tri.urgency, ranked, sign_open=bool(unsure or unasked)),
        disclaimer=kb.advice.disclaimer.strip(),
        safety_not_ruled_out=unsure,
        safety_not_asked=unasked,
        must_rule_out=must_rule_out(kb, answers, tri.fired, ranked, role, opened),
    )


def question_text(kb: Knowledge, finding_id: str, role: str) -> str:
    """The wording for this role: the person's question, or the clinician's exam item (for a
    whole-rule figure, the rule's plain label)."""
    if finding_id not in kb.findings and finding_id in kb.predicates:
        predicate = kb.predicates[finding_id]
        return (predicate.label or predicate.description).strip()
    f = kb.findings[finding_id]
    if role == "clinician" and f.clinician_wording:
        return f.clinician_wording.strip()
    return (f.question or f.clinician_wording or finding_id).strip()


def to_json(kb: Knowledge, result: ScreeningResult) -> dict[str, Any]:
    """The stable contract of ARCHITECTURE.md (fields may be added, never renamed)."""
    return {
        "knowledge_version": result.knowledge_version,
        "urgency": result.triage.urgency,
        "red_flags": [
            {
                "id": r.id,
                "urgency": r.urgency,
                "because": list(r.because),
                "suspects": list(r.suspects),
                "title": r.title,
                "patient_message": r.patient_message,
                "clinician_note": r.clinician_note,
                "source": r.source,
            }
            for r in result.triage.fired
        ],
        "safety_not_ruled_out": list(result.safety_not_ruled_out),
        "safety_not_asked": list(result.safety_not_asked),
        "must_rule_out": list(result.must_rule_out),
        "conditions": [
            {
                "id": c.id,
                "name": c.name,
                "patient_name": c.patient_name,
                "probability": c.probability,
                "probability_from_answers": c.from_answers,
                "evidence": [
                    {
                        "finding": e.finding,
                        "value": e.value,
                        "lr": e.lr,
                        "source": e.source,
                        "expert_weight": e.expert_weight,
                        "kind": e.kind,
                    }
                    for e in c.evidence
                ],
            }
            for c in result.conditions
        ],
        "next_questions": [
            {"finding": fid, "question": question_text(kb, fid, result.role)}
            for fid in result.interview.next_findings()
        ],
        "advice": list(result.advice),
        "disclaimer": result.disclaimer,
        "role": result.role,
        "wells_score": result.triage.wells_score,
    }
