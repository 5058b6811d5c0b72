"""The interview's stop rule: would the top three survive the remaining questions?

Forty completions of the remaining questions are drawn from the answer model (a condition from
the current belief, then each question as a person with it might answer), with a random stream
seeded from the answers, so the same answers always give the same plan. The interview stops when
the top three stays the same in at least STABLE_SHARE of them.

The draws are made exactly as `random.choices` makes them (same stream, same cumulative
weights, same bisection), so the completions are the ones answer_model.sample_completion gives.
They are then scored all at once as arrays; a completion whose third and fourth causes are too
close for the array sums to tell apart is scored again with differential.accumulate, so every
verdict is the one the one-at-a-time computation reaches.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from bisect import bisect
from collections.abc import Mapping
from functools import cache, lru_cache
from itertools import accumulate as running_total

import numpy as np
import numpy.typing as npt

from popliteal.knowledge.loader import Knowledge, read_findings
from popliteal.knowledge.schema import Answer
from popliteal.screening.answer_arrays import AnswerArrays, BoolArray, FloatArray, answer_arrays
from popliteal.screening.compiled_rules import ValueTest, programs
from popliteal.screening.differential import Model, accumulate, normalise

Answers = Mapping[str, Answer | None]
# Stop when, in this share of simulated completions of the remaining questions, the top three
# stays the same (the completions are drawn from the same answer model as the gain).
STABLE_SHARE = 0.9
COMPLETIONS = 40
# The array sums differ from accumulate() by about 1e-13; a gap under MARGIN between the third
# and fourth log scores is settled by accumulate(). So is a third cause more than UNDERFLOW
# below the first, whose probability could round to zero and tie.
MARGIN = 1e-7
UNDERFLOW = 700.0


def top3(probs: list[float], ids: tuple[str, ...]) -> frozenset[int]:
    """The three most likely causes (ties by id)."""
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], ids[i]))
    return frozenset(order[:3])


def _seed(answers: Answers) -> bytes:
    return hashlib.sha256(json.dumps(sorted(answers.items()), default=str).encode()).digest()


@cache
def _predicate_reads(kb: Knowledge) -> dict[str, frozenset[str]]:
    return {
        pid: frozenset(read_findings(p.when, kb.predicates, kb.scores))
        for pid, p in kb.predicates.items()
    }


@cache
def _predicate_rows(model: Model) -> tuple[tuple[str, FloatArray], ...]:
    """Per whole-rule figure, the log ratios it adds per condition when its predicate holds."""
    rows = []
    for pid, entries in model.by_predicate.items():
        row = np.zeros(len(model.condition_ids))
        for i, entry in entries:
            row[i] += math.log(model.kb.lr_of(entry))
        rows.append((pid, row))
    return tuple(rows)


Candidate = tuple[str, tuple[tuple[str, ValueTest], ...]]


def _candidates(arrays: AnswerArrays, answers: Answers, role: str) -> list[Candidate]:
    """The questions a completion may answer, in question order, each with the ask_if tests
    that depend on an earlier drawn answer (the others are settled by `answers` already)."""
    asked_if = programs(arrays.model.kb, role).gates  # None: not this answerer's question
    out: list[Candidate] = []
    drawable: set[str] = set()
    for fid in arrays.finding_ids:
        tests = asked_if[fid]
        if fid in answers or tests is None:
            continue
        gates: list[tuple[str, ValueTest]] = []
        for gate, test in tests:
            if gate in drawable:
                gates.append((gate, test))
            elif not test(answers.get(gate)):
                break
        else:
            drawable.add(fid)
            out.append((fid, tuple(gates)))
    return out


IntArray = npt.NDArray[np.intp]


def _uniforms(rng: random.Random, count: int) -> FloatArray:
    """The next `count` values of `rng.random()`, at once.

    Python's random and NumPy's legacy RandomState are the same Mersenne Twister and make a
    double from two 32-bit words the same way (genrand_res53), so given Python's state NumPy
    continues the very same stream (test_stop_rule checks it)."""
    _, state, _ = rng.getstate()
    # The legacy generator: its stream never changes. Seeded with 0 only to skip reading the
    # system's entropy: set_state replaces the whole state.
    twister = np.random.RandomState(0)
    twister.set_state(("MT19937", np.array(state[:-1], dtype=np.uint32), int(state[-1]), 0, 0.0))
    uniforms: FloatArray = twister.random_sample(count)
    return uniforms


def _draw(
    arrays: AnswerArrays,
    answers: Answers,
    candidates: list[Candidate],
    probs: list[float],
    rng: random.Random,
) -> IntArray:
    """For each completion, the row of every candidate's drawn answer (-1: not asked).

    The same random stream and the same bisection over the same cumulative weights as
    `rng.choices(range(n), weights=probs)` then `rng.choices(domain, weights=...)` per
    question (answer_model.sample_completion): the answers are identical."""
    cum_probs = list(running_total(probs))
    total = cum_probs[-1] + 0.0
    if not (total > 0.0 and math.isfinite(total)):
        raise ValueError("Total of weights must be greater than zero and finite")
    last = len(cum_probs) - 1
    if not any(gates for _, gates in candidates):
        # Every completion asks every candidate: one condition draw, then one per question.
        k = len(candidates)
        u = _uniforms(rng, COMPLETIONS * (1 + k)).reshape(COMPLETIONS, 1 + k)
        ci = np.searchsorted(np.array(cum_probs[:last]), u[:, 0] * total, side="right")
        at = np.array([arrays.position[fid] for fid, _ in candidates], dtype=np.intp)
        limit = arrays.cum_below_last[at[None, :], ci[:, None]]  # (completion, question, band)
        x = u[:, 1:] * arrays.cum_total[at[None, :], ci[:, None]]
        band = (limit <= x[:, :, None]).sum(axis=2)
        rows: IntArray = arrays.starts[at][None, :] + band
        return rows
    draws = [
        (j, fid, gates, arrays.draw[fid], arrays.first_row[fid], arrays.domain[fid])
        for j, (fid, gates) in enumerate(candidates)
    ]
    uniform = rng.random
    table = np.full((COMPLETIONS, len(candidates)), -1, dtype=np.intp)
    for row in table:
        c = bisect(cum_probs, uniform() * total, 0, last)
        out = dict(answers)
        for j, fid, gates, weights, first, domain in draws:
            if gates and not all(test(out.get(g)) for g, test in gates):
                continue
            cum, cum_total = weights[c]
            v = bisect(cum, uniform() * cum_total, 0, len(domain) - 1)
            out[fid] = domain[v]
            row[j] = first + v
    return table


def _completion(
    arrays: AnswerArrays,
    answers: Answers,
    candidates: list[Candidate],
    row: IntArray,
    only: frozenset[str] | None = None,
) -> dict[str, Answer | None]:
    """The answers plus one completion's drawn answers (only those in `only`, when given)."""
    out = dict(answers)
    for (fid, _), r in zip(candidates, row.tolist(), strict=True):
        if r >= 0 and (only is None or fid in only):
            out[fid] = arrays.domain[fid][r - arrays.first_row[fid]]
    return out


def _dense(model: Model, fid: str, value: Answer) -> tuple[FloatArray, BoolArray]:
    """One answer's log ratios per condition, and which conditions it has a ratio for."""
    return _dense_of(model, fid, (type(value).__name__, value))


@lru_cache(maxsize=16384)  # bounded: numbers make one entry per distinct answer
def _dense_of(model: Model, fid: str, key: tuple[str, Answer]) -> tuple[FloatArray, BoolArray]:
    row = [0.0] * len(model.condition_ids)
    has = [False] * len(model.condition_ids)
    for i, eff in model.effects(fid, key[1]):
        row[i] += math.log(eff.lr)
        has[i] = True
    return np.array(row), np.array(has, dtype=np.bool_)


Member = tuple[str, tuple[FloatArray, BoolArray] | None, int]


def _log_scores(
    arrays: AnswerArrays, answers: Answers, candidates: list[Candidate], index: IntArray
) -> FloatArray:
    """differential.accumulate(...).log_scores(base_log_prob) for every completion at once (the
    same terms; only the order of the sums differs)."""
    model = arrays.model
    n = len(model.condition_ids)
    # The fixed terms, added one row after another (np.add.accumulate, below): the same sums,
    # in the same order, as adding each to the running total at once.
    fixed_rows: list[FloatArray] = [np.array(model.base_log_prob)]
    # Per construct, its answered members: (finding, fixed (row, has) or None, column or -1).
    members: dict[str, list[Member]] = {}
    free_columns = []
    for j, (fid, _) in enumerate(candidates):
        construct = model.construct_of.get(fid)
        if construct is None:
            free_columns.append(j)
        else:
            members.setdefault(construct, []).append((fid, None, j))
    for fid, value in answers.items():
        if value is None:
            continue
        construct = model.construct_of.get(fid)
        if construct is None:
            fixed_rows.append(_dense(model, fid, value)[0])
        else:
            members.setdefault(construct, []).append((fid, _dense(model, fid, value), -1))
    shape = (len(index), n)
    choose: list[list[Member]] = []
    for group in members.values():
        if len(group) > 1:
            choose.append(group)
        elif group[0][1] is not None:  # one answered member: its ratios count as they are
            fixed_rows.append(group[0][1][0])
        else:
            free_columns.append(group[0][2])
    fixed = np.add.accumulate(np.stack(fixed_rows), axis=0)[-1]
    scores = np.tile(fixed, (len(index), 1))
    if free_columns:
        scores += arrays.log_lr[index[:, free_columns]].sum(axis=1)
    for group in choose:
        group.sort(key=lambda m: m[0])  # accumulate() reads answers in id order
        values = np.stack(
            [
                np.broadcast_to(f[0], shape) if f is not None else arrays.log_lr[index[:, j]]
                for _, f, j in group
            ],
            axis=1,
        )
        has = np.stack(
            [
                np.broadcast_to(f[1], shape) if f is not None else arrays.has_effect[index[:, j]]
                for _, f, j in group
            ],
            axis=1,
        )
        # The largest |log LR| counts, the first (by id) among equals: accumulate's choice.
        pick = np.where(has, np.abs(values), -1.0).argmax(axis=1)
        best = np.take_along_axis(values, pick[:, None, :], axis=1)[:, 0, :]
        scores += np.where(has.any(axis=1), best, 0.0)
    drawn = {fid: j for j, (fid, _) in enumerate(candidates)}
    reads = _predicate_reads(model.kb)
    holds = programs(model.kb, "clinician").predicate_holds
    for pid, row in _predicate_rows(model):
        read = reads[pid] & drawn.keys()
        if not read:
            if holds[pid](answers):
                scores += row
            continue
        # Judged once per distinct combination of the drawn answers it reads.
        columns = [drawn[f] for f in sorted(read)]
        seen: dict[tuple[int, ...], bool] = {}
        hit = np.zeros(len(index))
        for k, key in enumerate(map(tuple, index[:, columns].tolist())):
            if key not in seen:
                seen[key] = holds[pid](
                    _completion(arrays, answers, candidates, index[k], frozenset(read))
                )
            hit[k] = seen[key]
        scores += hit[:, None] * row
    return scores


def top3_is_stable(
    model: Model, answers: Answers, role: str, log_scores: list[float], probs: list[float]
) -> bool:
    """Would the top three survive the remaining questions? Checked on simulated completions."""
    ids = model.condition_ids
    now = top3(normalise(log_scores), ids)
    if len(ids) <= 3:
        return True
    rng = random.Random(_seed(answers))  # noqa: S311 - a simulation, not security
    arrays = answer_arrays(model)
    candidates = _candidates(arrays, answers, role)
    index = _draw(arrays, answers, candidates, probs, rng)
    scores = _log_scores(arrays, answers, candidates, index)
    order = np.argsort(-scores, axis=1, kind="stable")
    at = np.arange(len(index))
    first, third, fourth = (scores[at, order[:, k]] for k in (0, 2, 3))
    clear = (third - fourth > MARGIN) & (first - third < UNDERFLOW)
    allowed_misses = int(COMPLETIONS * (1 - STABLE_SHARE))
    misses = 0
    for k in range(len(index)):
        if clear[k]:
            after = frozenset(int(i) for i in order[k, :3])
        else:
            completion = _completion(arrays, answers, candidates, index[k])
            exact = accumulate(model, completion).log_scores(model.base_log_prob)
            after = top3(normalise(exact), ids)
        if after != now:
            misses += 1
            if misses > allowed_misses:
                return False
    return True
