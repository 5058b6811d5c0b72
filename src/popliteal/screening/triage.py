"""Red-flag triage: rules from red_flags.yaml, evaluated before and apart from the ranking.

The urgency of a screening is the most urgent fired rule. Nothing in the differential can lower
it: `screen()` takes the urgency from here and never from probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from popliteal.knowledge.loader import Knowledge, walk_expr
from popliteal.knowledge.schema import RED_FLAG_LEVELS, Answer, Expr, Urgency, urgency_rank

Answers = Mapping[str, Answer | None]
# Who answered, "patient" or "clinician" (not the account Role): some items need a clinician.
Answerer = str


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
    kb: Knowledge, score_id: str, answers: Answers, role: Answerer
) -> tuple[int, set[str]]:
    """Sum a points score (e.g. Wells) over items answered true; some items need a clinician.

    Returns the score and the finding ids that added points.
    """
    total = 0
    counted: set[str] = set()
    for item in kb.scores[score_id].items:
        if answers.get(item.finding) is not True:
            continue
        if item.clinician_only and role != "clinician":
            continue
        total += item.points
        if item.points > 0:
            counted.add(item.finding)
    return total, counted


def leaf_holds(value: Answer | None, expr: Expr) -> bool:
    """Whether one finding or score test holds for this value (None = unanswered)."""
    if expr.missing is not None:
        return (value is None) == expr.missing
    if value is None:
        return expr.unknown
    if expr.equals is not None:
        return type(value) is type(expr.equals) and value == expr.equals
    if expr.in_ is not None:
        return any(type(value) is type(v) and value == v for v in expr.in_)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if expr.at_least is not None:
        return value >= expr.at_least
    if expr.at_most is not None:
        return value <= expr.at_most
    if expr.below is not None:
        return value < expr.below
    return False


def evaluate(kb: Knowledge, expr: Expr, answers: Answers, role: Answerer) -> tuple[bool, set[str]]:
    """Evaluate a rule expression; also return the finding ids that made it true."""
    if expr.all is not None:
        ids: set[str] = set()
        for child in expr.all:
            ok, child_ids = evaluate(kb, child, answers, role)
            if not ok:
                return False, set()
            ids |= child_ids
        return True, ids
    if expr.any is not None:
        hit = False
        ids = set()
        for child in expr.any:
            ok, child_ids = evaluate(kb, child, answers, role)
            if ok:
                hit = True
                ids |= child_ids
        return hit, ids
    if expr.not_ is not None:
        ok, _ = evaluate(kb, expr.not_, answers, role)
        return not ok, set()
    if expr.ref is not None:
        return evaluate(kb, kb.predicates[expr.ref].when, answers, role)
    if expr.score is not None:
        total, counted = score_value(kb, expr.score, answers, role)
        return leaf_holds(total, expr), counted
    assert expr.finding is not None  # noqa: S101 - the schema guarantees one form
    if expr.clinician_only and role != "clinician":
        return False, set()
    value = answers.get(expr.finding)
    ok = leaf_holds(value, expr)
    return ok, ({expr.finding} if ok and value is not None else set())


def triage(kb: Knowledge, answers: Answers, *, role: Answerer = "patient") -> TriageResult:
    """Fire every red-flag rule that matches; urgency is the most urgent one fired."""
    fired: list[FiredRule] = []
    for rule in kb.rules:
        ok, because = evaluate(kb, rule.when, answers, role)
        if ok:
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
    ignored = role != "clinician" and answers.get("wells_alternative_dx_as_likely") is True
    return TriageResult(
        urgency=urgency, fired=tuple(fired), wells_score=wells, wells_alternative_ignored=ignored
    )


@cache
def safety_findings(kb: Knowledge) -> frozenset[str]:
    """Finding ids that any emergency or urgent rule reads: the red-flag symptoms."""
    out: set[str] = set()

    def collect(expr: Expr) -> None:
        for node in walk_expr(expr):
            if node.finding is not None:
                out.add(node.finding)
            if node.score is not None:
                out.update(i.finding for i in kb.scores[node.score].items)
            if node.ref is not None:
                collect(kb.predicates[node.ref].when)

    for rule in kb.rules:
        if rule.urgency in RED_FLAG_LEVELS:
            collect(rule.when)
    return frozenset(out)
