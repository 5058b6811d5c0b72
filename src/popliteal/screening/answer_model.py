"""The answer model: how likely each answer is for a person with each condition.

Built from the same LRs and priors as the ranking. The interview uses it for expected information
gain and for simulated completions; the benchmark uses it to draw synthetic cases.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from popliteal.knowledge.schema import Answer, Finding
from popliteal.screening.differential import Model, normalise
from popliteal.screening.relevance import askable
from popliteal.screening.triage import safety_findings

# Assumed share of "yes" among people without the condition, when the LRs do not fix it: red-flag
# symptoms are rare in people without the condition that explains them.
BASE_TRUE = 0.25
BASE_TRUE_RED_FLAG = 0.03
PRIOR_FINDINGS = frozenset({"age_years", "sex", "runner"})


@dataclass(frozen=True)
class FindingModel:
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
def finding_model(model: Model, finding_id: str) -> FindingModel:
    """P(answer | condition) for every answer band of one finding, from its LRs."""
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
    return FindingModel(domain=domain, log_lr=tuple(log_lr), p_given=tuple(p_given))


def _entropy(probs: list[float]) -> float:
    return -sum(p * math.log2(p) for p in probs if p > 0)


def information_gain(model: Model, probs: list[float], finding_id: str) -> float:
    """Expected information gain (bits) over the conditions from asking this question.

    `probs` is the current belief; the answer model P(answer | condition) gives a proper
    Bayesian expectation.
    """
    fm = finding_model(model, finding_id)
    if not fm.domain:
        return 0.0
    expected_h = 0.0
    for v in range(len(fm.domain)):
        joint = [probs[i] * fm.p_given[i][v] for i in range(len(probs))]
        p_v = sum(joint)
        if p_v > 0:
            expected_h += p_v * _entropy([j / p_v for j in joint])
    return max(_entropy(probs) - expected_h, 0.0)


def _domain_index(fm: FindingModel, value: Answer) -> int | None:
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
        fm = finding_model(model, fid)
        idx = _domain_index(fm, value) if fm.domain else None
        if idx is not None:
            row = _log_p_given(model, fid)[idx]
            log_p = [a + b for a, b in zip(log_p, row, strict=True)]
    return normalise(log_p)


@cache
def _log_p_given(model: Model, finding_id: str) -> tuple[tuple[float, ...], ...]:
    """log P(answer | condition), per answer band then condition: taken once, not per call."""
    fm = finding_model(model, finding_id)
    return tuple(
        tuple(math.log(fm.p_given[i][v]) for i in range(len(model.condition_ids)))
        for v in range(len(fm.domain))
    )


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
        fm = finding_model(model, fid)
        if fm.domain:
            out[fid] = rng.choices(fm.domain, weights=fm.p_given[condition_index])[0]
    return out
