"""red_flags.yaml: scores, rules and the can't-miss list name known findings, scores,
predicates and conditions with valid answers; a person's question that could fire an
emergency or urgent rule says what "not sure" does."""

from __future__ import annotations

from collections.abc import Mapping

from popliteal.knowledge.checks._refs import Cite, unknown
from popliteal.knowledge.expressions import read_findings, value_problem, walk_expr
from popliteal.knowledge.schema import (
    RED_FLAG_LEVELS,
    Condition,
    Expr,
    Finding,
    FindingTest,
    Predicate,
    RedFlagRule,
    RedFlagsFile,
    Ref,
    Score,
    ScoreTest,
)


def check_red_flags(
    red_flags_file: RedFlagsFile,
    *,
    findings: Mapping[str, Finding],
    conditions: Mapping[str, Condition],
    scores: Mapping[str, Score],
    predicates: Mapping[str, Predicate],
    rules: Mapping[str, RedFlagRule],
    cite: Cite,
    problems: list[str],
) -> None:
    """Every score, rule and must-rule-out entry cited, and every id their expressions name
    known, with answers that fit their findings."""
    for s in scores.values():
        cite(f"red_flags.yaml: score {s.id}", s)
        for item in s.items:
            if item.finding not in findings:
                problems.append(f"red_flags.yaml: score {s.id}: unknown finding '{item.finding}'")
    exprs: list[tuple[str, Expr]] = [(f"predicate {p.id}", p.when) for p in predicates.values()]
    exprs += [(f"rule {r.id}", r.when) for r in rules.values()]
    for r in rules.values():
        cite(f"red_flags.yaml: rule {r.id}", r)
        problems += unknown(
            f"red_flags.yaml: rule {r.id}", "suspected condition", r.suspects, conditions
        )
    if red_flags_file.must_rule_out is not None:
        cite("red_flags.yaml: must_rule_out", red_flags_file.must_rule_out)
        for cant_miss in red_flags_file.must_rule_out.conditions:
            problems += unknown(
                "red_flags.yaml: must_rule_out", "condition", [cant_miss.condition], conditions
            )
            if cant_miss.only_if is not None:
                exprs.append((f"must_rule_out {cant_miss.condition}", cant_miss.only_if))
    for where, expr in exprs:
        for node in walk_expr(expr):
            match node:
                case Ref(ref=name) if name not in predicates:
                    problems.append(f"red_flags.yaml: {where}: unknown predicate '{name}'")
                case ScoreTest(score=score) if score not in scores:
                    problems.append(f"red_flags.yaml: {where}: unknown score '{score}'")
                case FindingTest(finding=fid) if fid not in findings:
                    problems.append(f"red_flags.yaml: {where}: unknown finding '{fid}'")
                case FindingTest(finding=fid):
                    for v in ([node.equals] if node.equals is not None else []) + (node.in_ or []):
                        why = value_problem(findings[fid], v)
                        if why:
                            problems.append(f"red_flags.yaml: {where}: {fid}={v!r}: {why}")


def unknown_policy_problems(
    findings: Mapping[str, Finding],
    rules: Mapping[str, RedFlagRule],
    predicates: Mapping[str, Predicate],
    scores: Mapping[str, Score],
) -> list[str]:
    """A question a person answers that could fire an emergency or urgent rule must say what
    "not sure" does: ask again with a way to check, or keep it open (never "no")."""
    safety = {
        fid
        for r in rules.values()
        if r.urgency in RED_FLAG_LEVELS
        for fid in read_findings(r.when, predicates, scores)
    }
    return [
        f"findings.yaml: {fid}: can fire an emergency or urgent rule, so it needs "
        "'unknown_policy' (ask_again with how_to_check, or ask_again: false)"
        for fid in sorted(safety)
        if fid in findings and "P" in findings[fid].who and findings[fid].unknown_policy is None
    ]
