"""Which questions are still relevant: ask_if gates, and rules that an answer could still fire.

Rules are evaluated in three-valued (Kleene) logic: an unanswered finding that could still be
asked is "unknown", so a rule is open while some answer could still make it true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Literal

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import RED_FLAG_LEVELS, Answer, Expr, Finding
from popliteal.screening.triage import leaf_holds

Tri = Literal[True, False, None]  # None = not known yet


def askable(finding: Finding, answers: Mapping[str, Answer | None], role: str) -> bool:
    """Unasked, answerable by this role, and made relevant by earlier answers."""
    if finding.id in answers:
        return False
    if role != "clinician" and "P" not in finding.who:
        return False
    return all(
        c.finding is not None and leaf_holds(answers.get(c.finding), c) for c in finding.ask_if
    )


def could_be_asked(
    kb: Knowledge, finding_id: str, answers: Mapping[str, Answer | None], role: str
) -> bool:
    """Unanswered, answerable by this role, and not ruled out by an answered ask_if."""
    f = kb.findings[finding_id]
    if finding_id in answers or (role != "clinician" and "P" not in f.who):
        return False  # answered, or asked already ("don't know"), or not this role's question
    return all(
        c.finding is not None
        and (answers.get(c.finding) is None or leaf_holds(answers.get(c.finding), c))
        for c in f.ask_if
    )


def _tri_leaf(value: Answer | None, expr: Expr) -> Tri:
    if value is None and expr.missing is None and not expr.unknown:
        return None
    return leaf_holds(value, expr)


def kleene(
    kb: Knowledge,
    expr: Expr,
    answers: Mapping[str, Answer | None],
    role: str,
    out: set[str],
    still_open: Callable[[str], bool],
) -> Tri:
    """Kleene-evaluate `expr`; add to `out` the unanswered findings that could still decide it.

    `still_open(finding_id)` says whether an unanswered finding may yet be answered (unknown);
    one that may not is judged as unanswered. The interview passes "could still be asked";
    the result's safety check also counts "asked, not sure" as open (screening/safety.py).
    """
    if expr.all is not None or expr.any is not None:
        children = expr.all if expr.all is not None else expr.any
        assert children is not None  # noqa: S101
        results: list[tuple[Tri, set[str]]] = []
        for child in children:
            sub: set[str] = set()
            results.append((kleene(kb, child, answers, role, sub, still_open), sub))
        decisive = expr.any is not None
        if any(r is decisive for r, _ in results):
            return decisive
        if all(r is (not decisive) for r, _ in results):
            return not decisive
        for r, sub in results:
            if r is None:
                out |= sub
        return None
    if expr.not_ is not None:
        r = kleene(kb, expr.not_, answers, role, out, still_open)
        return None if r is None else not r
    if expr.ref is not None:
        return kleene(kb, kb.predicates[expr.ref].when, answers, role, out, still_open)
    if expr.score is not None:
        known = 0
        pending: list[str] = []
        best_add = 0
        for item in kb.scores[expr.score].items:
            if item.clinician_only and role != "clinician":
                continue
            value = answers.get(item.finding)
            if value is True:
                known += item.points
            elif value is None and still_open(item.finding):
                pending.append(item.finding)
                best_add += max(item.points, 0)
        now = _tri_leaf(known, expr)
        best = _tri_leaf(known + best_add, expr)
        if now == best:
            return now
        out.update(pending)
        return None
    assert expr.finding is not None  # noqa: S101
    if expr.clinician_only and role != "clinician":
        return False
    value = answers.get(expr.finding)
    if value is None and not still_open(expr.finding):
        return leaf_holds(None, expr)  # will stay unanswered here: judge it as unanswered
    if value is None:
        # Still open: its answer decides the leaf, whatever a default for an unanswered
        # finding (`missing`, `unknown: true`) would make of it when the rule is applied.
        out.add(expr.finding)
        return None
    return leaf_holds(value, expr)


def open_safety_findings(
    kb: Knowledge, answers: Mapping[str, Answer | None], role: str
) -> set[str]:
    """Unanswered findings that could still fire an emergency or urgent rule."""
    out: set[str] = set()
    for rule in kb.rules:
        if rule.urgency in RED_FLAG_LEVELS:
            sub: set[str] = set()
            askable_now = partial(could_be_asked, kb, answers=answers, role=role)
            if kleene(kb, rule.when, answers, role, sub, askable_now) is None:
                out |= sub
    return out
