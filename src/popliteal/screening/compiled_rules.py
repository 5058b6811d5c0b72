"""Rule expressions turned into plain functions once per knowledge base, for speed.

`triage.evaluate` and `relevance.kleene` walk an expression tree with `match` on every call and
build sets of finding ids as they go; a screening walks every red-flag rule and predicate many
times. Here each node becomes a closure once (per knowledge base and per answerer), with the
same meaning: `holds` is `evaluate(...)[0]` and `kleene` is `relevance.kleene`. Which findings
made a rule true is still asked of `evaluate`, only for the rules that fired.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import (
    AllOf,
    Answer,
    AnyOf,
    Expr,
    FindingTest,
    Not,
    Ref,
    ScoreTest,
)

Answers = Mapping[str, Answer | None]
Tri = bool | None  # None = not known yet
ValueTest = Callable[[Answer | None], bool]
Holds = Callable[[Answers], bool]
StillOpen = Callable[[str], bool]
Kleene = Callable[[Answers, StillOpen, list[str]], Tri]


def value_test(test: FindingTest | ScoreTest) -> ValueTest:
    """triage.leaf_holds for one test, decided once: a function of the value alone."""
    if test.missing is not None:
        missing = test.missing
        return lambda value: (value is None) == missing
    unknown = test.unknown
    if test.equals is not None:
        equals = test.equals
        kind = type(equals)
        return lambda value: unknown if value is None else (type(value) is kind and value == equals)
    if test.in_ is not None:
        # (type, value) pairs: True is not 1 and 1.0 is not 1 here, as in leaf_holds.
        options = frozenset((type(v), v) for v in test.in_)
        return lambda value: unknown if value is None else (type(value), value) in options

    def number(check: Callable[[float], bool]) -> ValueTest:
        def holds(value: Answer | None) -> bool:
            if value is None:
                return unknown
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            return check(value)

        return holds

    if test.at_least is not None:
        at_least = test.at_least
        return number(lambda v: v >= at_least)
    if test.at_most is not None:
        at_most = test.at_most
        return number(lambda v: v <= at_most)
    if test.below is not None:
        below = test.below
        return number(lambda v: v < below)
    return lambda value: unknown if value is None else False


class RulePrograms:
    """Every red-flag rule and predicate of one knowledge base as functions, for one answerer
    (a clinician, or anyone else: `clinician_only` items count only for a clinician)."""

    def __init__(self, kb: Knowledge, clinician: bool) -> None:
        self.kb = kb
        self.clinician = clinician
        self.predicate_holds: dict[str, Holds] = {}
        self.predicate_kleene: dict[str, Kleene] = {}
        for name, predicate in kb.predicates.items():
            self.predicate_holds[name] = self.holds(predicate.when)
            self.predicate_kleene[name] = self.kleene(predicate.when)
        self.rule_holds = tuple(self.holds(rule.when) for rule in kb.rules)
        self.rule_kleene = tuple(self.kleene(rule.when) for rule in kb.rules)
        policy = kb.must_rule_out
        self.only_if: tuple[Holds | None, ...] = tuple(
            None if entry.only_if is None else self.holds(entry.only_if)
            for entry in (policy.conditions if policy is not None else [])
        )
        # Per finding, in question order: None when this answerer is not asked it, else its
        # ask_if tests (relevance.askable and could_be_asked).
        self.gates: dict[str, tuple[tuple[str, ValueTest], ...] | None] = {
            fid: (
                tuple((t.finding, value_test(t)) for t in f.ask_if)
                if clinician or "P" in f.who
                else None
            )
            for fid, f in kb.findings.items()
        }

    def askable(self, answers: Answers) -> list[str]:
        """relevance.askable for every finding, in question order."""
        out = []
        for fid, gates in self.gates.items():
            if gates is None or fid in answers:
                continue
            if gates and not all(test(answers.get(g)) for g, test in gates):
                continue
            out.append(fid)
        return out

    def could_be_asked(self, answers: Answers) -> StillOpen:
        """relevance.could_be_asked on these answers, as a function of the finding id."""
        gates = self.gates

        def still_open(fid: str) -> bool:
            tests = gates[fid]
            if tests is None or fid in answers:
                return False
            for g, test in tests:
                value = answers.get(g)
                if value is not None and not test(value):
                    return False
            return True

        return still_open

    def _score_items(self, score: str) -> tuple[tuple[str, int], ...]:
        return tuple(
            (item.finding, item.points)
            for item in self.kb.scores[score].items
            if self.clinician or not item.clinician_only
        )

    def holds(self, expr: Expr) -> Holds:
        """`evaluate(kb, expr, answers, role)[0]` as a function of the answers."""
        match expr:
            case AllOf(all=children):
                every = tuple(self.holds(c) for c in children)
                if len(every) == 2:
                    one, two = every
                    return lambda answers: one(answers) and two(answers)

                def all_hold(answers: Answers) -> bool:
                    return all(child(answers) for child in every)

                return all_hold
            case AnyOf(any=children):
                some = tuple(self.holds(c) for c in children)
                if len(some) == 2:
                    one, two = some
                    return lambda answers: one(answers) or two(answers)

                def any_holds(answers: Answers) -> bool:
                    return any(child(answers) for child in some)

                return any_holds
            case Not(not_=child):
                inner = self.holds(child)
                return lambda answers: not inner(answers)
            case Ref(ref=name):
                named = self.predicate_holds
                return lambda answers: named[name](answers)
            case ScoreTest(score=score):
                items = self._score_items(score)
                test = value_test(expr)

                def score_holds(answers: Answers) -> bool:
                    total = 0
                    for finding, points in items:
                        if answers.get(finding) is True:
                            total += points
                    return test(total)

                return score_holds
            case FindingTest(finding=finding):
                if expr.clinician_only and not self.clinician:
                    return lambda answers: False
                leaf = value_test(expr)
                return lambda answers: leaf(answers.get(finding))

    def kleene(self, expr: Expr) -> Kleene:
        """`relevance.kleene(kb, expr, answers, role, out, still_open)` as a function."""
        match expr:
            case AllOf(all=children):
                return _children(tuple(self.kleene(c) for c in children), decisive=False)
            case AnyOf(any=children):
                return _children(tuple(self.kleene(c) for c in children), decisive=True)
            case Not(not_=child):
                inner = self.kleene(child)

                def negated(answers: Answers, still_open: StillOpen, out: list[str]) -> Tri:
                    r = inner(answers, still_open, out)
                    return None if r is None else not r

                return negated
            case Ref(ref=name):
                named = self.predicate_kleene
                return lambda answers, still_open, out: named[name](answers, still_open, out)
            case ScoreTest(score=score):
                return _score_kleene(self._score_items(score), value_test(expr))
            case FindingTest(finding=finding):
                if expr.clinician_only and not self.clinician:
                    return lambda answers, still_open, out: False
                return _finding_kleene(finding, value_test(expr))


def _children(children: tuple[Kleene, ...], *, decisive: bool) -> Kleene:
    """`all` (decisive False) or `any` (decisive True) in Kleene logic (relevance.py).

    Every node adds to `out` only when it returns None (unknown), so the children share one
    list, cut back to where it was when a decisive child settles the node."""

    def combined(answers: Answers, still_open: StillOpen, out: list[str]) -> Tri:
        mark = len(out)
        open_child = False
        for child in children:
            r = child(answers, still_open, out)
            if r is decisive:
                del out[mark:]
                return decisive
            if r is None:
                open_child = True
        return None if open_child else not decisive

    return combined


def _score_kleene(items: tuple[tuple[str, int], ...], test: ValueTest) -> Kleene:
    def score(answers: Answers, still_open: StillOpen, out: list[str]) -> Tri:
        known = 0
        pending: list[str] = []
        best_add = 0
        for finding, points in items:
            value = answers.get(finding)
            if value is True:
                known += points
            elif value is None and still_open(finding):
                pending.append(finding)
                best_add += max(points, 0)
        now = test(known)
        if now == test(known + best_add):
            return now
        out.extend(pending)
        return None

    return score


def _finding_kleene(finding: str, test: ValueTest) -> Kleene:
    def leaf(answers: Answers, still_open: StillOpen, out: list[str]) -> Tri:
        value = answers.get(finding)
        if value is None:
            if not still_open(finding):
                return test(None)
            out.append(finding)
            return None
        return test(value)

    return leaf


@cache
def _programs(kb: Knowledge, clinician: bool) -> RulePrograms:
    return RulePrograms(kb, clinician)


def programs(kb: Knowledge, role: str) -> RulePrograms:
    """The compiled rules of this knowledge base for this answerer, built once."""
    return _programs(kb, role == "clinician")
