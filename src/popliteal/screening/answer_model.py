"""The answer model: how likely each answer is for a person with each condition.

Built from the same LRs and priors as the ranking. The interview uses it for expected information
gain and for simulated completions; the benchmark uses it to draw synthetic cases.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt

from popliteal.knowledge.schema import Answer, Finding
from popliteal.screening.differential import Model, normalise
from popliteal.screening.relevance import askable
from popliteal.screening.triage import safety_findings

# Assumed share of "yes" among people without the condition, when the LRs do not fix it: red-flag
# symptoms are rare in people without the condition that explains them.
BASE_TRUE = 0.25
BASE_TRUE_RED_FLAG = 0.03
# A choice whose first value is the normal one ("none", "negative", ...): most people without a
# condition that explains it give that answer, as with a yes/no finding's "no". Without this the
# abnormal answers would each be assumed as common as the normal one (bruising in 3 of 4 people).
NORMAL_FIRST = frozenset({"none", "negative", "normal", "full"})
FloatArray = npt.NDArray[np.float64]
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
        elif finding.type == "choice" and domain and domain[0] in NORMAL_FIRST:
            abnormal = default_true / (len(domain) - 1)
            base = [1 - default_true] + [abnormal] * (len(domain) - 1)
            weights = [base[v] * math.exp(log_lr[v][i]) for v in range(len(domain))]
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

    The log terms are added condition by condition in answer-id order, as running sums
    (`np.add.accumulate` adds one row after another), so the result is the same to the last
    bit as adding them one at a time in Python: the stop rule's random draws depend on it.
    """
    rows: list[FloatArray] = [_base_row(model)]
    for fid in sorted(answers):
        value = answers[fid]
        if value is None:
            continue
        rows += _answer_rows(model, fid, (type(value).__name__, value))
    if len(rows) == 1:
        return normalise(list(model.base_log_prob))
    # np.array, not np.stack: the same table, built without np.stack's checks in Python.
    log_p: list[float] = np.add.accumulate(np.array(rows), axis=0)[-1].tolist()
    return normalise(log_p)


@cache
def _base_row(model: Model) -> FloatArray:
    return np.array(model.base_log_prob, dtype=np.float64)


@lru_cache(maxsize=16384)  # bounded: numbers make one entry per distinct answer
def _answer_rows(model: Model, fid: str, key: tuple[str, Answer]) -> tuple[FloatArray, ...]:
    """The log terms one answer adds to the belief, as rows (none, one, or a prior's)."""
    if fid in PRIOR_FINDINGS:
        return _prior_rows(model, fid, key)
    fm = finding_model(model, fid)
    idx = _domain_index(fm, key[1]) if fm.domain else None
    if idx is None:
        return ()
    return (_log_p_given(model, fid)[idx],)


@lru_cache(maxsize=4096)  # bounded: ages make one entry per distinct answer
def _prior_rows(model: Model, fid: str, key: tuple[str, Answer]) -> tuple[FloatArray, ...]:
    """The prior factors of one answer as rows, a new row whenever a condition repeats, so each
    condition's terms are still added one after another."""
    rows: list[list[float]] = []
    for i, eff in model.effects(fid, key[1]):
        if not rows or rows[-1][i] != 0.0:
            rows.append([0.0] * len(model.condition_ids))
        rows[-1][i] = math.log(eff.lr)
    return tuple(np.array(r, dtype=np.float64) for r in rows)


@cache
def _log_p_given(model: Model, finding_id: str) -> FloatArray:
    """log P(answer | condition), per answer band then condition: taken once, not per call."""
    fm = finding_model(model, finding_id)
    table: FloatArray = np.array(
        [
            [math.log(fm.p_given[i][v]) for i in range(len(model.condition_ids))]
            for v in range(len(fm.domain))
        ],
        dtype=np.float64,
    )
    return table


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
