"""Rule expressions turned into plain functions once per knowledge base, for speed.

`triage.evaluate` and `relevance.kleene` walk an expression tree with `match` on every call and
build sets of finding ids as they go; a screening walks every red-flag rule and predicate many
times. Here each rule and predicate becomes one function once (per knowledge base and per
answerer; _rule_source.py writes them), with the same meaning: `holds` is `evaluate(...)[0]`
and `kleene` is `relevance.kleene`. Which findings made a rule true is still asked of
`evaluate`, only for the rules that fired.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from itertools import filterfalse

from popliteal.knowledge.loader import Knowledge, read_findings
from popliteal.knowledge.schema import (
    RED_FLAG_LEVELS,
    Answer,
    FindingTest,
    ScoreTest,
)
from popliteal.screening._rule_source import RuleWriter

Answers = Mapping[str, Answer | None]
Tri = bool | None  # None = not known yet
ValueTest = Callable[[Answer | None], bool]
Holds = Callable[[Answers], bool]
StillOpen = Callable[[str], bool]
Kleene = Callable[[Answers, StillOpen, list[str]], Tri]
# At most this many (lead question, answer) pairs keep the follow-ups they close.
CLOSED_CACHE = 4096


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
        writer = RuleWriter(kb, clinician, value_test, self._score_holds, self._score_kleene)
        sources: dict[str, str] = {}
        for k, predicate in enumerate(kb.predicates.values()):
            sources[f"predicate{k}_holds"] = writer.holds_source(
                f"predicate{k}_holds", predicate.when
            )
            sources[f"predicate{k}_kleene"] = writer.kleene_source(
                f"predicate{k}_kleene", predicate.when
            )
        for k, rule in enumerate(kb.rules):
            sources[f"rule{k}_holds"] = writer.holds_source(f"rule{k}_holds", rule.when)
            sources[f"rule{k}_kleene"] = writer.kleene_source(f"rule{k}_kleene", rule.when)
        policy = kb.must_rule_out
        entries = policy.conditions if policy is not None else []
        for k, entry in enumerate(entries):
            if entry.only_if is not None:
                sources[f"only_if{k}"] = writer.holds_source(f"only_if{k}", entry.only_if)
        built = writer.build(sources)
        self.predicate_holds: dict[str, Holds] = {
            name: built[f"predicate{k}_holds"] for k, name in enumerate(kb.predicates)
        }
        self.predicate_kleene: dict[str, Kleene] = {
            name: built[f"predicate{k}_kleene"] for k, name in enumerate(kb.predicates)
        }
        self.rule_holds: tuple[Holds, ...] = tuple(
            built[f"rule{k}_holds"] for k in range(len(kb.rules))
        )
        self.rule_kleene: tuple[Kleene, ...] = tuple(
            built[f"rule{k}_kleene"] for k in range(len(kb.rules))
        )
        # The emergency and urgent rules: (id, holds, kleene, the findings it reads), in the
        # knowledge base's order.
        self.safety_rules: tuple[tuple[str, Holds, Kleene, frozenset[str]], ...] = tuple(
            (rule.id, holds, kleene, frozenset(read_findings(rule.when, kb.predicates, kb.scores)))
            for rule, holds, kleene in zip(kb.rules, self.rule_holds, self.rule_kleene, strict=True)
            if rule.urgency in RED_FLAG_LEVELS
        )
        self.only_if: tuple[Holds | None, ...] = tuple(
            built.get(f"only_if{k}") for k in range(len(entries))
        )
        # The findings this answerer can answer (a person: those marked P).
        self.answerable = frozenset(
            fid for fid, f in kb.findings.items() if clinician or "P" in f.who
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

        # This answerer's questions in question order, and per lead question (one an ask_if
        # test reads) its follow-ups with their tests: few leads, many questions.
        self._order = tuple(fid for fid, g in self.gates.items() if g is not None)
        leads: dict[str, list[tuple[str, ValueTest]]] = {}
        for fid in self._order:
            for lead, test in self.gates[fid] or ():
                leads.setdefault(lead, []).append((fid, test))
        self._follow_ups = {lead: tuple(tests) for lead, tests in leads.items()}
        self._closed: dict[tuple[str, type, Answer | None], frozenset[str]] = {}

    def closed_by(self, lead: str, value: Answer | None) -> frozenset[str]:
        """The follow-ups of `lead` whose ask_if test fails on this answer to it (None: not
        answered, or "not sure"), worked out once per distinct answer."""
        key = (lead, type(value), value)  # the type too: True is not 1 here
        closed = self._closed.get(key)
        if closed is None:
            closed = frozenset(fid for fid, test in self._follow_ups[lead] if not test(value))
            if len(self._closed) < CLOSED_CACHE:  # bounded: numbers make one per answer
                self._closed[key] = closed
        return closed

    def askable(self, answers: Answers) -> list[str]:
        """relevance.askable for every finding, in question order: not answered, and no ask_if
        test fails (on an answer, or on a lead not answered: not yet)."""
        left_out = set(answers)
        get = answers.get
        for lead in self._follow_ups:
            left_out.update(self.closed_by(lead, get(lead)))
        return list(filterfalse(left_out.__contains__, self._order))

    def could_be_asked(self, answers: Answers) -> StillOpen:
        """relevance.could_be_asked on these answers, as a function of the finding id.

        Worked out for every finding at once (a set's membership test): the rules ask about
        the same findings many times over."""
        return self.could_be_asked_set(answers).__contains__

    def could_be_asked_set(self, answers: Answers) -> frozenset[str]:
        """The findings relevance.could_be_asked says yes to on these answers: this answerer's,
        not answered, and no ask_if test fails on an answer given (a lead not answered or
        answered "not sure" closes nothing)."""
        get = answers.get
        closed = [
            self.closed_by(lead, value)
            for lead in self._follow_ups
            if (value := get(lead)) is not None
        ]
        return self.answerable.difference(answers, *closed)

    def unsettled(self, answers: Answers) -> StillOpen:
        """Not answered, or answered "not sure", and answerable by this answerer (the safety
        check's `still_open`, screening/safety.py), as a function of the finding id."""
        return self.unsettled_set(answers).__contains__

    def unsettled_set(self, answers: Answers) -> frozenset[str]:
        """The findings `unsettled` says yes to on these answers (could_be_asked_set and more)."""
        known = [fid for fid, value in answers.items() if value is not None]
        return self.answerable.difference(known)

    def _score_items(self, score: str) -> tuple[tuple[str, int], ...]:
        return tuple(
            (item.finding, item.points)
            for item in self.kb.scores[score].items
            if self.clinician or not item.clinician_only
        )

    def _score_holds(self, expr: ScoreTest) -> Holds:
        """`evaluate(kb, expr, answers, role)[0]` for a score test, as a function."""
        items = self._score_items(expr.score)
        test = value_test(expr)

        def score_holds(answers: Answers) -> bool:
            total = 0
            for finding, points in items:
                if answers.get(finding) is True:
                    total += points
            return test(total)

        return score_holds

    def _score_kleene(self, expr: ScoreTest) -> Kleene:
        """`relevance.kleene(...)` for a score test, as a function."""
        return _score_kleene(self._score_items(expr.score), value_test(expr))


def _score_kleene(items: tuple[tuple[str, int], ...], test: ValueTest) -> Kleene:
    weighted = tuple((finding, points, max(points, 0)) for finding, points in items)

    def score(answers: Answers, still_open: StillOpen, out: list[str]) -> Tri:
        known = 0
        pending: list[str] = []
        best_add = 0
        get = answers.get
        for finding, points, most in weighted:
            value = get(finding)
            if value is True:
                known += points
            elif value is None and still_open(finding):
                pending.append(finding)
                best_add += most
        now = test(known)
        if now == test(known + best_add):
            return now
        out.extend(pending)
        return None

    return score


@cache
def _programs(kb: Knowledge, clinician: bool) -> RulePrograms:
    return RulePrograms(kb, clinician)


def programs(kb: Knowledge, role: str) -> RulePrograms:
    """The compiled rules of this knowledge base for this answerer, built once."""
    return _programs(kb, role == "clinician")
