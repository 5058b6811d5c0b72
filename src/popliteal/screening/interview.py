"""Adaptive interview: which question to ask next, and when to stop.

Order: first every question the person can answer that could still fire an emergency or urgent
rule (found with three-valued logic over the rules, in findings.yaml order; a checklist group is
one step). Then the question with the largest expected information gain over the current
distribution of conditions. Stop when no remaining question has a real chance of changing the top
three, or when questions run out. An emergency ends the interview: the person must seek care now.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer, Expr, Finding
from popliteal.screening.differential import Model, accumulate, model_for, normalise
from popliteal.screening.triage import _leaf, safety_findings, triage

Tri = Literal[True, False, None]  # None = not known yet

# Assumed share of "yes" among people without the condition, when the LRs do not fix it: red-flag
# symptoms are rare in people without the condition that explains them.
BASE_TRUE = 0.25
BASE_TRUE_RED_FLAG = 0.03
MIN_GAIN_BITS = 1e-4
# Stop when, in this share of simulated completions of the remaining questions, the top three
# stays the same (the completions are drawn from the same answer model as the gain).
STABLE_SHARE = 0.9
COMPLETIONS = 40


@dataclass(frozen=True)
class Step:
    """One screen of the interview: a single question or a short checklist group."""

    kind: Literal["finding", "group"]
    id: str
    findings: tuple[str, ...]
    safety: bool
    gain_bits: float = 0.0


@dataclass(frozen=True)
class InterviewState:
    done: bool
    steps: tuple[Step, ...]

    def next_findings(self) -> list[str]:
        return [f for step in self.steps for f in step.findings]


# ------------------------------------------------------------------ relevance


def _matches(
    value: Answer | None, equals: Answer | None, in_: list[Answer] | None, at_least: float | None
) -> bool:
    if value is None:
        return False
    if equals is not None:
        return type(value) is type(equals) and value == equals
    if in_ is not None:
        return any(type(value) is type(v) and value == v for v in in_)
    if at_least is not None:
        return not isinstance(value, bool | str) and value >= at_least
    return False


def askable(finding: Finding, answers: Mapping[str, Answer | None], role: str) -> bool:
    """Unasked, answerable by this role, and made relevant by earlier answers."""
    if finding.id in answers:
        return False
    if role != "clinician" and "P" not in finding.who:
        return False
    return all(
        _matches(answers.get(c.finding), c.equals, c.in_, c.at_least) for c in finding.ask_if
    )


def could_be_asked(
    kb: Knowledge, finding_id: str, answers: Mapping[str, Answer | None], role: str
) -> bool:
    """Unanswered, answerable by this role, and not ruled out by an answered ask_if."""
    f = kb.findings[finding_id]
    if answers.get(finding_id) is not None or (role != "clinician" and "P" not in f.who):
        return False
    if finding_id in answers:  # asked already: "don't know"
        return False
    return all(
        answers.get(c.finding) is None
        or _matches(answers.get(c.finding), c.equals, c.in_, c.at_least)
        for c in f.ask_if
    )


def _tri_leaf(value: Answer | None, expr: Expr) -> Tri:
    if value is None and expr.missing is None and not expr.unknown:
        return None
    return _leaf(value, expr)


def _open_findings(
    kb: Knowledge, expr: Expr, answers: Mapping[str, Answer | None], role: str, out: set[str]
) -> Tri:
    """Kleene-evaluate `expr`; add to `out` the unanswered findings that could still decide it."""
    if expr.all is not None or expr.any is not None:
        children = expr.all if expr.all is not None else expr.any
        assert children is not None  # noqa: S101
        results: list[tuple[Tri, set[str]]] = []
        for child in children:
            sub: set[str] = set()
            results.append((_open_findings(kb, child, answers, role, sub), sub))
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
        r = _open_findings(kb, expr.not_, answers, role, out)
        return None if r is None else not r
    if expr.ref is not None:
        return _open_findings(kb, kb.predicates[expr.ref].when, answers, role, out)
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
            elif could_be_asked(kb, item.finding, answers, role):
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
    if value is None and not could_be_asked(kb, expr.finding, answers, role):
        return _leaf(None, expr)  # will stay unanswered here: judge it as unanswered
    r = _tri_leaf(value, expr)
    if r is None:
        out.add(expr.finding)
    return r


def open_safety_findings(
    kb: Knowledge, answers: Mapping[str, Answer | None], role: str
) -> set[str]:
    """Unanswered findings that could still fire an emergency or urgent rule."""
    out: set[str] = set()
    for rule in kb.rules:
        if rule.urgency in ("emergency", "urgent"):
            sub: set[str] = set()
            if _open_findings(kb, rule.when, answers, role, sub) is None:
                out |= sub
    return out


# ------------------------------------------------------------------ information gain


@dataclass(frozen=True)
class _FindingModel:
    domain: tuple[Answer, ...]
    log_lr: tuple[tuple[float, ...], ...]  # [value][condition]
    p_given: tuple[tuple[float, ...], ...]  # [condition][value]: P(answer | condition)


def _domain(model: Model, finding: Finding) -> tuple[Answer, ...]:
    if finding.type == "bool":
        return (True, False)
    if finding.type == "choice":
        return tuple(finding.values)
    lo = 0.0 if finding.type == "scale" else float(finding.min or 0.0)
    hi = 10.0 if finding.type == "scale" else float(finding.max or 0.0)
    cuts = {lo}
    for entry in model.kb.likelihoods:
        if entry.finding == finding.id:
            cuts.update(x for x in (entry.min, entry.max) if x is not None and lo < x <= hi)
    if finding.id == "age_years":
        for cond in model.kb.conditions.values():
            cuts.update(b.min for b in cond.prior.age if lo < b.min <= hi)
    if len(cuts) == 1:
        return ()
    return tuple(int(c) if finding.type == "scale" else c for c in sorted(cuts))


@cache
def _finding_model(model: Model, finding_id: str) -> _FindingModel:
    finding = model.kb.findings[finding_id]
    default_true = BASE_TRUE_RED_FLAG if finding_id in safety_findings(model.kb) else BASE_TRUE
    domain = _domain(model, finding)
    n = len(model.condition_ids)
    log_lr = []
    for value in domain:
        row = [0.0] * n
        for i, eff in model.effects(finding_id, value):
            row[i] += math.log(eff.lr)
        log_lr.append(tuple(row))
    p_given: list[tuple[float, ...]] = []
    for i in range(n):
        if finding.type == "bool" and log_lr:
            lr_pos, lr_neg = math.exp(log_lr[0][i]), math.exp(log_lr[1][i])
            if (lr_pos - 1) * (1 - lr_neg) > 0:
                base_true = (1 - lr_neg) / (lr_pos - lr_neg)  # 1 - specificity
            else:
                base_true = default_true
            weights = [base_true * lr_pos, (1 - base_true) * lr_neg]
        else:
            weights = [math.exp(log_lr[v][i]) for v in range(len(domain))]
        total = sum(weights)
        p_given.append(tuple(w / total for w in weights))
    return _FindingModel(domain=domain, log_lr=tuple(log_lr), p_given=tuple(p_given))


def _entropy(probs: list[float]) -> float:
    return -sum(p * math.log2(p) for p in probs if p > 0)


def _top3(probs: list[float], ids: tuple[str, ...]) -> frozenset[int]:
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], ids[i]))
    return frozenset(order[:3])


def information_gain(model: Model, probs: list[float], finding_id: str) -> float:
    """Expected information gain (bits) over the conditions from asking this question.

    `probs` is the current belief; the answer model P(answer | condition) gives a proper
    Bayesian expectation.
    """
    fm = _finding_model(model, finding_id)
    if not fm.domain:
        return 0.0
    expected_h = 0.0
    for v in range(len(fm.domain)):
        joint = [probs[i] * fm.p_given[i][v] for i in range(len(probs))]
        p_v = sum(joint)
        if p_v > 0:
            expected_h += p_v * _entropy([j / p_v for j in joint])
    return max(_entropy(probs) - expected_h, 0.0)


PRIOR_FINDINGS = frozenset({"age_years", "sex", "runner"})


def _domain_index(fm: _FindingModel, value: Answer) -> int | None:
    if isinstance(value, bool | str):
        for i, v in enumerate(fm.domain):
            if type(v) is type(value) and v == value:
                return i
        return None
    below = [i for i, v in enumerate(fm.domain) if not isinstance(v, bool | str) and v <= value]
    return below[-1] if below else None


def belief(model: Model, answers: Mapping[str, Answer | None]) -> list[float]:
    """P(condition | answers) under the answer model: the distribution the questions act on.

    Age, sex and runner act through the priors, as in the ranking; every other answer weighs in
    with P(answer | condition), so a "no" counts even where no LR- is published.
    """
    log_p = list(model.base_log_prob)
    for fid in sorted(answers):
        value = answers[fid]
        if value is None:
            continue
        if fid in PRIOR_FINDINGS:
            for i, eff in model.effects(fid, value):
                log_p[i] += math.log(eff.lr)
            continue
        fm = _finding_model(model, fid)
        idx = _domain_index(fm, value) if fm.domain else None
        if idx is not None:
            for i in range(len(log_p)):
                log_p[i] += math.log(fm.p_given[i][idx])
    return normalise(log_p)


def sample_completion(
    model: Model,
    answers: Mapping[str, Answer | None],
    role: str,
    condition_index: int,
    rng: random.Random,
) -> dict[str, Answer | None]:
    """Answer every remaining relevant question as a person with this condition might."""
    out = dict(answers)
    for fid, finding in model.kb.findings.items():
        if not askable(finding, out, role):
            continue
        fm = _finding_model(model, fid)
        if fm.domain:
            out[fid] = rng.choices(fm.domain, weights=fm.p_given[condition_index])[0]
    return out


def _top3_is_stable(
    model: Model,
    answers: Mapping[str, Answer | None],
    role: str,
    log_scores: list[float],
    probs: list[float],
) -> bool:
    """Would the top three survive the remaining questions? Checked on simulated completions.

    The random draws are seeded from the answers, so the same answers always give the same plan.
    """
    seed = hashlib.sha256(json.dumps(sorted(answers.items()), default=str).encode()).digest()
    rng = random.Random(seed)  # noqa: S311 - a simulation, not security
    ids = model.condition_ids
    now = _top3(normalise(log_scores), ids)
    allowed_misses = int(COMPLETIONS * (1 - STABLE_SHARE))
    misses = 0
    for _ in range(COMPLETIONS):
        ci = rng.choices(range(len(ids)), weights=probs)[0]
        completion = sample_completion(model, answers, role, ci, rng)
        after = accumulate(model, completion).log_scores(model.base_log_prob)
        if _top3(normalise(after), ids) != now:
            misses += 1
            if misses > allowed_misses:
                return False
    return True


# ------------------------------------------------------------------ the plan


def plan(
    kb: Knowledge, answers: Mapping[str, Answer | None], *, role: str = "patient"
) -> InterviewState:
    """Every remaining step, best first; `done` when the interview should stop."""
    if triage(kb, answers, role=role).urgency == "emergency":
        return InterviewState(done=True, steps=())
    order = list(kb.findings)
    askable_ids = [f for f in order if askable(kb.findings[f], answers, role)]
    safety_open = open_safety_findings(kb, answers, role)
    steps: list[Step] = []
    seen_groups: set[str] = set()
    for fid in askable_ids:
        if fid not in safety_open:
            continue
        group = kb.group_of.get(fid)
        if group is None or role == "clinician":
            steps.append(Step("finding", fid, (fid,), safety=True))
        elif group not in seen_groups:
            seen_groups.add(group)
            members = tuple(m for m in kb.groups[group].findings if m in askable_ids)
            steps.append(Step("group", group, members, safety=True))
    in_steps = {f for s in steps for f in s.findings}

    model = model_for(kb)
    scores = accumulate(model, answers)
    log_scores = scores.log_scores(model.base_log_prob)
    probs = belief(model, answers)
    # A checklist group is one step: its gain is the sum of its members' gains (an upper bound
    # on the joint gain, good enough to order steps).
    candidates: dict[str, tuple[float, int, list[str]]] = {}
    for pos, fid in enumerate(askable_ids):
        if fid in in_steps:
            continue
        gain = information_gain(model, probs, fid)
        group = kb.group_of.get(fid) if role != "clinician" else None
        key = f"group:{group}" if group else fid
        total, first, grouped = candidates.get(key, (0.0, pos, []))
        candidates[key] = (total + gain, first, [*grouped, fid])
    ranked = sorted(
        (
            (gain, pos, key, grouped)
            for key, (gain, pos, grouped) in candidates.items()
            if gain > MIN_GAIN_BITS
        ),
        key=lambda t: (-t[0], t[1]),
    )
    if not steps and (not ranked or _top3_is_stable(model, answers, role, log_scores, probs)):
        return InterviewState(done=True, steps=())
    for gain, _, key, grouped in ranked:
        if key.startswith("group:"):
            steps.append(
                Step(
                    "group",
                    key.removeprefix("group:"),
                    tuple(grouped),
                    safety=False,
                    gain_bits=gain,
                )
            )
        else:
            steps.append(Step("finding", key, (key,), safety=False, gain_bits=gain))
    return InterviewState(done=False, steps=tuple(steps))
