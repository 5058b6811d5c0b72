"""What a rule expression reads, and whether an answer fits a finding: the load checks use
them, and so does the screening (triage walks the rules, answers are checked on the way in)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from popliteal.knowledge.schema import (
    AllOf,
    Answer,
    AnyOf,
    Expr,
    Finding,
    FindingTest,
    Not,
    Predicate,
    Ref,
    Score,
    ScoreTest,
)


def value_problem(finding: Finding, value: Answer) -> str | None:
    """Why `value` is not a valid answer to `finding`, or None when it is."""
    if finding.type == "bool":
        return None if isinstance(value, bool) else "expected true or false"
    if isinstance(value, bool):
        return f"expected a {finding.type}, not true/false"
    if finding.type == "choice":
        if value not in finding.values:
            return "expected one of " + ", ".join(finding.values)
        return None
    if finding.type == "scale":
        if not isinstance(value, int) or not 0 <= value <= 10:
            return "expected a whole number from 0 to 10"
        return None
    if not isinstance(value, int | float):
        return "expected a number"
    lo = finding.min if finding.min is not None else float("-inf")
    hi = finding.max if finding.max is not None else float("inf")
    if not lo <= value <= hi:
        return f"expected a number from {lo:g} to {hi:g}"
    return None


def walk_expr(expr: Expr) -> Iterator[Expr]:
    """Every node of a rule expression, the expression itself first (refs not followed)."""
    yield expr
    match expr:
        case AllOf(all=children) | AnyOf(any=children):
            for child in children:
                yield from walk_expr(child)
        case Not(not_=child):
            yield from walk_expr(child)


def read_findings(
    expr: Expr,
    predicates: Mapping[str, Predicate],
    scores: Mapping[str, Score],
    seen: frozenset[str] = frozenset(),
) -> Iterator[str]:
    """Every finding an expression reads, through the predicates and scores it names."""
    for node in walk_expr(expr):
        match node:
            case FindingTest(finding=finding):
                yield finding
            case ScoreTest(score=score) if score in scores:
                yield from (item.finding for item in scores[score].items)
            case Ref(ref=name) if name in predicates and name not in seen:
                yield from read_findings(predicates[name].when, predicates, scores, seen | {name})
