"""Which questions are still relevant: ask_if gates, and rules that an answer could still fire.

Rules are evaluated in three-valued (Kleene) logic: an unanswered finding that could still be
asked is "unknown", so a rule is open while some answer could still make it true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import (
    AllOf,
    Answer,
    AnyOf,
    Expr,
    Finding,
    FindingTest,
    Not,
    Ref,
    ScoreTest,
)
from popliteal.screening.compiled_rules import programs
from popliteal.screening.triage import leaf_holds

Tri = Literal[True, False, None]  # None = not known yet


def askable(finding: Finding, answers: Mapping[str, Answer | None], role: str) -> bool:
    """Unasked, answerable by this role, and made relevant by earlier answers."""
    if finding.id in answers:
        return False
    if role != "clinician" and "P" not in finding.who:
        return False
    return all(leaf_holds(answers.get(c.finding), c) for c in finding.ask_if)


def could_be_asked(
    kb: Knowledge, finding_id: str, answers: Mapping[str, Answer | None], role: str
) -> bool:
    """Unanswered, answerable by this role, and not ruled out by an answered ask_if."""
    f = kb.findings[finding_id]
    if finding_id in answers or (role != "clinician" and "P" not in f.who):
        return False  # answered, or asked already ("don't know"), or not this role's question
    return all(
        answers.get(c.finding) is None or leaf_holds(answers.get(c.finding), c) for c in f.ask_if
    )


def _tri_score(value: int, test: ScoreTest) -> Tri:
    return leaf_holds(value, test)


def _kleene_children(
    kb: Knowledge,
    children: list[Expr],
    decisive: bool,
    answers: Mapping[str, Answer | None],
    role: str,
    out: set[str],
    still_open: Callable[[str], bool],
) -> Tri:
    """`all` (decisive False) or `any` (decisive True) over children in Kleene logic."""
    undecided: set[str] = set()
    open_child = False
    for child in children:
        sub: set[str] = set()
        r = kleene(kb, child, answers, role, sub, still_open)
        if r is decisive:
            return decisive  # settled whatever the other children are
        if r is None:
            open_child = True
            undecided |= sub
    if not open_child:
        return not decisive
    out |= undecided
    return None


def _kleene_score(
    kb: Knowledge,
    test: ScoreTest,
    answers: Mapping[str, Answer | None],
    role: str,
    out: set[str],
    still_open: Callable[[str], bool],
) -> Tri:
    """A score test is open while the unanswered items could still move it across its line."""
    known = 0
    pending: list[str] = []
    best_add = 0
    for item in kb.scores[test.score].items:
        if item.clinician_only and role != "clinician":
            continue
        value = answers.get(item.finding)
        if value is True:
            known += item.points
        elif value is None and still_open(item.finding):
            pending.append(item.finding)
            best_add += max(item.points, 0)
    now = _tri_score(known, test)
    if now == _tri_score(known + best_add, test):
        return now
    out.update(pending)
    return None


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
    match expr:
        case AllOf(all=children):
            return _kleene_children(kb, children, False, answers, role, out, still_open)
        case AnyOf(any=children):
            return _kleene_children(kb, children, True, answers, role, out, still_open)
        case Not(not_=child):
            r = kleene(kb, child, answers, role, out, still_open)
            return None if r is None else not r
        case Ref(ref=name):
            return kleene(kb, kb.predicates[name].when, answers, role, out, still_open)
        case ScoreTest():
            return _kleene_score(kb, expr, answers, role, out, still_open)
        case FindingTest(finding=finding):
            if expr.clinician_only and role != "clinician":
                return False
            value = answers.get(finding)
            if value is None and not still_open(finding):
                return leaf_holds(None, expr)  # will stay unanswered here: judge it as unanswered
            if value is None:
                # Still open: its answer decides the leaf, whatever a default for an unanswered
                # finding (`missing`, `unknown: true`) would make of it when the rule is applied.
                out.add(finding)
                return None
            return leaf_holds(value, expr)


def open_safety_findings(
    kb: Knowledge, answers: Mapping[str, Answer | None], role: str
) -> set[str]:
    """Unanswered findings that could still fire an emergency or urgent rule."""
    out: set[str] = set()
    compiled = programs(kb, role)
    askable_now = compiled.could_be_asked(answers)
    for _, _, rule_kleene, _ in compiled.safety_rules:  # the RED_FLAG_LEVELS rules
        sub: list[str] = []
        if rule_kleene(answers, askable_now, sub) is None:
            out.update(sub)
    return out
