"""Red-flag triage: rules from red_flags.yaml, evaluated before and apart from the ranking.

The urgency of a screening is the most urgent fired rule. Nothing in the differential can lower
it: `screen()` takes the urgency from here and never from probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from popliteal.knowledge.loader import Knowledge, walk_expr
from popliteal.knowledge.schema import (
    RED_FLAG_LEVELS,
    AllOf,
    Answer,
    AnyOf,
    Expr,
    FindingTest,
    Not,
    Ref,
    ScoreTest,
    Urgency,
    urgency_rank,
)
from popliteal.screening.compiled_rules import programs

Answers = Mapping[str, Answer | None]


class Answerer(StrEnum):
    """Who gave the answers (not the account Role: an admin answers nothing). Some items count
    only when a clinician gave them. A StrEnum, so "patient" and "clinician" still compare
    equal and JSON, the database and the pages keep the plain strings."""

    PATIENT = "patient"
    CLINICIAN = "clinician"


# Callers may pass the enum or its plain string (the API and the database hold strings).
AnswererLike = Answerer | str


@dataclass(frozen=True)
class FiredRule:
    id: str
    urgency: Urgency
    title: str
    because: tuple[str, ...]
    suspects: tuple[str, ...]
    patient_message: str
    clinician_note: str
    source: str | None


@dataclass(frozen=True)
class TriageResult:
    urgency: Urgency
    fired: tuple[FiredRule, ...]
    wells_score: int | None
    wells_alternative_ignored: bool


def score_value(
    kb: Knowledge, score_id: str, answers: Answers, role: AnswererLike
) -> tuple[int, set[str]]:
    """Sum a points score (e.g. Wells) over items answered true; some items need a clinician.

    Returns the score and the finding ids that added points.
    """
    total = 0
    counted: set[str] = set()
    for item in kb.scores[score_id].items:
        if answers.get(item.finding) is not True:
            continue
        if item.clinician_only and role != Answerer.CLINICIAN:
            continue
        total += item.points
        if item.points > 0:
            counted.add(item.finding)
    return total, counted


def leaf_holds(value: Answer | None, test: FindingTest | ScoreTest) -> bool:
    """Whether one finding or score test holds for this value (None = unanswered)."""
    if test.missing is not None:
        return (value is None) == test.missing
    if value is None:
        return test.unknown
    if test.equals is not None:
        return type(value) is type(test.equals) and value == test.equals
    if test.in_ is not None:
        return any(type(value) is type(v) and value == v for v in test.in_)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if test.at_least is not None:
        return value >= test.at_least
    if test.at_most is not None:
        return value <= test.at_most
    if test.below is not None:
        return value < test.below
    return False


def evaluate(
    kb: Knowledge, expr: Expr, answers: Answers, role: AnswererLike
) -> tuple[bool, set[str]]:
    """Evaluate a rule expression; also return the finding ids that made it true."""
    match expr:
        case AllOf(all=children):
            ids: set[str] = set()
            for child in children:
                ok, child_ids = evaluate(kb, child, answers, role)
                if not ok:
                    return False, set()
                ids |= child_ids
            return True, ids
        case AnyOf(any=children):
            hit = False
            ids = set()
            for child in children:
                ok, child_ids = evaluate(kb, child, answers, role)
                if ok:
                    hit = True
                    ids |= child_ids
            return hit, ids
        case Not(not_=child):
            ok, _ = evaluate(kb, child, answers, role)
            return not ok, set()
        case Ref(ref=name):
            return evaluate(kb, kb.predicates[name].when, answers, role)
        case ScoreTest(score=score):
            total, counted = score_value(kb, score, answers, role)
            return leaf_holds(total, expr), counted
        case FindingTest(finding=finding):
            if expr.clinician_only and role != Answerer.CLINICIAN:
                return False, set()
            value = answers.get(finding)
            ok = leaf_holds(value, expr)
            return ok, ({finding} if ok and value is not None else set())


def triage(
    kb: Knowledge, answers: Answers, *, role: AnswererLike = Answerer.PATIENT
) -> TriageResult:
    """Fire every red-flag rule that matches; urgency is the most urgent one fired."""
    fired: list[FiredRule] = []
    for rule, holds in zip(kb.rules, programs(kb, role).rule_holds, strict=True):
        if holds(answers):
            _, because = evaluate(kb, rule.when, answers, role)  # which answers made it fire
            fired.append(
                FiredRule(
                    id=rule.id,
                    urgency=Urgency(rule.urgency),
                    title=rule.title,
                    because=tuple(sorted(because)),
                    suspects=tuple(rule.suspects),
                    patient_message=rule.patient_message.strip(),
                    clinician_note=rule.clinician_note.strip(),
                    source=rule.source,
                )
            )
    fired.sort(key=lambda r: urgency_rank(r.urgency))
    urgency = fired[0].urgency if fired else Urgency.CONSERVATIVE
    wells: int | None = None
    if "wells_dvt" in kb.scores and any(
        answers.get(i.finding) is not None for i in kb.scores["wells_dvt"].items
    ):
        wells, _ = score_value(kb, "wells_dvt", answers, role)
    ignored = role != Answerer.CLINICIAN and answers.get("wells_alternative_dx_as_likely") is True
    return TriageResult(
        urgency=urgency, fired=tuple(fired), wells_score=wells, wells_alternative_ignored=ignored
    )


@cache
def safety_findings(kb: Knowledge) -> frozenset[str]:
    """Finding ids that any emergency or urgent rule reads: the red-flag symptoms."""
    out: set[str] = set()

    def collect(expr: Expr) -> None:
        for node in walk_expr(expr):
            match node:
                case FindingTest(finding=finding):
                    out.add(finding)
                case ScoreTest(score=score):
                    out.update(i.finding for i in kb.scores[score].items)
                case Ref(ref=name):
                    collect(kb.predicates[name].when)

    for rule in kb.rules:
        if rule.urgency in RED_FLAG_LEVELS:
            collect(rule.when)
    return frozenset(out)
