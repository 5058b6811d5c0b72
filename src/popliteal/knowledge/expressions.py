"""What a rule expression reads, and whether an answer fits a finding: the load checks use
them, and so does the screening (triage walks the rules, answers are checked on the way in)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from popliteal.knowledge.schema import Answer, Expr, Finding, Predicate, Score


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
    for child in (expr.all or []) + (expr.any or []):
        yield from walk_expr(child)
    if expr.not_ is not None:
        yield from walk_expr(expr.not_)


def read_findings(
    expr: Expr,
    predicates: Mapping[str, Predicate],
    scores: Mapping[str, Score],
    seen: frozenset[str] = frozenset(),
) -> Iterator[str]:
    """Every finding an expression reads, through the predicates and scores it names."""
    for node in walk_expr(expr):
        if node.finding is not None:
            yield node.finding
        if node.score is not None and node.score in scores:
            yield from (item.finding for item in scores[node.score].items)
        if node.ref is not None and node.ref in predicates and node.ref not in seen:
            yield from read_findings(
                predicates[node.ref].when, predicates, scores, seen | {node.ref}
            )
