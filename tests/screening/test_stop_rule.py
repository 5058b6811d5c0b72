"""The fast interview arithmetic reaches the one-at-a-time verdicts exactly: the same random
draws, the same belief to the last bit, the same stop decisions, also on its slow paths."""

from __future__ import annotations

import hashlib
import json
import math
import random

import pytest

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer
from popliteal.screening import stop_rule
from popliteal.screening.answer_arrays import answer_arrays
from popliteal.screening.answer_model import (
    PRIOR_FINDINGS,
    _domain_index,
    belief,
    finding_model,
    information_gain,
    sample_completion,
)
from popliteal.screening.differential import Model, accumulate, model_for, normalise
from popliteal.screening.simulate import sample_case
from popliteal.screening.triage import safety_findings

Answers = dict[str, Answer | None]


def one_at_a_time_belief(model: Model, answers: Answers) -> list[float]:
    """The belief as first written: one log term at a time."""
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
            for i in range(len(log_p)):
                log_p[i] += math.log(fm.p_given[i][idx])
    return normalise(log_p)


def one_at_a_time_stable(model: Model, answers: Answers, role: str) -> bool:
    """The stop rule as first written: completions drawn with random.choices, each scored by
    accumulate(), stopping at the fifth miss."""
    seed = hashlib.sha256(json.dumps(sorted(answers.items()), default=str).encode()).digest()
    rng = random.Random(seed)
    ids = model.condition_ids
    now = stop_rule.top3(normalise(accumulate(model, answers).log_scores(model.base_log_prob)), ids)
    probs = one_at_a_time_belief(model, answers)
    misses = 0
    for _ in range(stop_rule.COMPLETIONS):
        ci = rng.choices(range(len(ids)), weights=probs)[0]
        completion = sample_completion(model, answers, role, ci, rng)
        after = accumulate(model, completion).log_scores(model.base_log_prob)
        if stop_rule.top3(normalise(after), ids) != now:
            misses += 1
            if misses > int(stop_rule.COMPLETIONS * (1 - stop_rule.STABLE_SHARE)):
                return False
    return True


def states(kb: Knowledge, count: int) -> list[tuple[Answers, str]]:
    """Safety answered and part of the rest (the stop rule's usual state), and answer sets cut
    short, so some questions still wait on an ask_if gate."""
    rng = random.Random(7)
    safety = safety_findings(kb)
    out: list[tuple[Answers, str]] = []
    for n in range(count):
        case = sample_case(kb, rng)
        items = list(case.answers.items())
        share = 0.9 if n % 2 else 0.3
        kept = {f: v for f, v in items if f in safety or rng.random() < share}
        out.append((kept, "patient"))
        out.append((dict(items[: 5 + n % 20]), "patient" if n % 4 else "clinician"))
    return out


def test_numpy_continues_the_python_random_stream() -> None:
    rng = random.Random(b"any seed")
    rng.random()
    copy = random.Random()
    copy.setstate(rng.getstate())
    assert stop_rule._uniforms(rng, 500).tolist() == [copy.random() for _ in range(500)]


def test_belief_is_the_same_to_the_last_bit(kb: Knowledge) -> None:
    model = model_for(kb)
    for answers, _ in states(kb, 30):
        assert belief(model, answers) == one_at_a_time_belief(model, answers)


def test_array_gains_match_the_one_at_a_time_gain(kb: Knowledge) -> None:
    model = model_for(kb)
    arrays = answer_arrays(model)
    for answers, _ in states(kb, 10):
        probs = belief(model, answers)
        gains = arrays.information_gains(probs)
        for k, fid in enumerate(arrays.finding_ids):
            assert gains[k] == pytest.approx(information_gain(model, probs, fid), abs=1e-12)


@pytest.mark.parametrize("margin", [stop_rule.MARGIN, math.inf])
def test_stop_rule_verdicts_match_the_one_at_a_time_rule(
    kb: Knowledge, monkeypatch: pytest.MonkeyPatch, margin: float
) -> None:
    # margin inf: every completion is scored again by accumulate(), the path for close calls.
    monkeypatch.setattr(stop_rule, "MARGIN", margin)
    model = model_for(kb)
    verdicts = []
    for answers, role in states(kb, 12):
        log_scores = accumulate(model, answers).log_scores(model.base_log_prob)
        probs = belief(model, answers)
        fast = stop_rule.top3_is_stable(model, answers, role, log_scores, probs)
        assert fast == one_at_a_time_stable(model, answers, role), answers
        verdicts.append(fast)
    assert set(verdicts) == {True, False}
