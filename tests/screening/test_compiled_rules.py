"""The rules written out as functions (compiled_rules.py, _rule_source.py) mean what the tree
walkers mean: `holds` is triage.evaluate, `kleene` is relevance.kleene (the same verdict and the
same undecided findings), for every rule, predicate and must-rule-out condition, for a person
and for a clinician, with both "still open" tests the screening uses; and the two safety
checks made at once agree with each made alone."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from popliteal.knowledge.loader import default_knowledge, read_findings
from popliteal.knowledge.schema import Expr
from popliteal.screening.compiled_rules import programs
from popliteal.screening.relevance import could_be_asked, kleene, open_safety_findings
from popliteal.screening.safety import open_rules, open_rules_and_findings
from popliteal.screening.simulate import sample_case
from popliteal.screening.triage import evaluate, triage
from tests.screening.test_properties import value_strategy

KB = default_knowledge()
ROLES = ("patient", "clinician")
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The findings the rules read, and those that gate them: answers to the others decide nothing.
READ = sorted(
    set().union(*(read_findings(r.when, KB.predicates, KB.scores) for r in KB.rules))
    | {t.finding for f in KB.findings.values() for t in f.ask_if}
)
rule_answers = st.fixed_dictionaries(
    {}, optional={fid: st.one_of(st.none(), value_strategy(KB.findings[fid])) for fid in READ}
)


def _expressions() -> list[tuple[str, Expr]]:
    out: list[tuple[str, Expr]] = [(f"predicate {n}", p.when) for n, p in KB.predicates.items()]
    out += [(f"rule {r.id}", r.when) for r in KB.rules]
    return out


def _agree(answers: dict[str, Any], role: str) -> None:
    compiled = programs(KB, role)
    holds = [*compiled.predicate_holds.values(), *compiled.rule_holds]
    kleenes = [*compiled.predicate_kleene.values(), *compiled.rule_kleene]
    asked = compiled.could_be_asked(answers)
    unsettled = compiled.unsettled(answers)
    for fid in KB.findings:
        assert asked(fid) == could_be_asked(KB, fid, answers, role), fid
        answerable = role == "clinician" or "P" in KB.findings[fid].who
        assert unsettled(fid) == (answers.get(fid) is None and answerable), fid
    for (label, expr), holds_fn, kleene_fn in zip(_expressions(), holds, kleenes, strict=True):
        assert holds_fn(answers) == evaluate(KB, expr, answers, role)[0], label
        for still_open in (asked, unsettled):
            want: set[str] = set()
            got: list[str] = []
            verdict = kleene_fn(answers, still_open, got)
            assert verdict is kleene(KB, expr, answers, role, want, still_open), label
            assert set(got) == want, label
    opened, safety_open = open_rules_and_findings(KB, answers, role)
    assert opened == open_rules(KB, answers, role)
    assert safety_open == open_safety_findings(KB, answers, role)
    # A screening hands them the rules its triage fired: the same verdicts, not judged again.
    fired = {rule.id for rule in triage(KB, answers, role=role).fired}
    assert open_rules_and_findings(KB, answers, role, fired) == (opened, safety_open)
    assert open_rules(KB, answers, role, fired) == opened
    policy = KB.must_rule_out
    assert policy is not None
    for entry, only_if in zip(policy.conditions, compiled.only_if, strict=True):
        if entry.only_if is None:
            assert only_if is None
        else:
            assert only_if is not None
            assert only_if(answers) == evaluate(KB, entry.only_if, answers, role)[0]


@SETTINGS
@given(answers=rule_answers, role=st.sampled_from(ROLES))
def test_written_out_rules_mean_what_the_tree_walkers_mean(
    answers: dict[str, Any], role: str
) -> None:
    _agree(answers, role)


@pytest.mark.parametrize("role", ROLES)
def test_written_out_rules_agree_on_synthetic_people_part_way_through(role: str) -> None:
    rng = random.Random(7)
    fired = 0
    for _ in range(60):
        items = list(sample_case(KB, rng).answers.items())
        for k in (0, 5, 15, len(items) // 2, len(items)):
            answers = dict(items[:k])
            _agree(answers, role)
            fired += any(h(answers) for h in programs(KB, role).rule_holds)
    assert fired > 20  # the cases do fire rules: the agreement is not all "no"
