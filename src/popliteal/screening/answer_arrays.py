"""The answer model and the likelihood ratios as arrays, built once per knowledge base.

The interview asks "how much would each question tell us?" for every unasked question, and
simulates forty completions of the remaining questions; done one number at a time in Python
that was most of a screening's time. Here every (question, answer band) is a row and every
condition a column, so the expected information gain of all questions is a handful of array
operations. The arrays hold the same figures as answer_model.py and differential.py (nothing
is re-derived), and the callers keep every decision exactly as the one-at-a-time code takes
it (see interview.py and stop_rule.py).
"""

from __future__ import annotations

import math
from functools import cache
from itertools import accumulate

import numpy as np
import numpy.typing as npt

from popliteal.screening.answer_model import _entropy, finding_model
from popliteal.screening.differential import Model

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class AnswerArrays:
    """Rows: every answer band of every question that has one; columns: the conditions."""

    def __init__(self, model: Model) -> None:
        self.model = model
        kb = model.kb
        n = len(model.condition_ids)
        self.n = n
        self.finding_ids: tuple[str, ...] = tuple(
            fid for fid in kb.findings if finding_model(model, fid).domain
        )
        self.position = {fid: k for k, fid in enumerate(self.finding_ids)}
        self.first_row: dict[str, int] = {}
        p_rows: list[list[float]] = []
        log_lr_rows: list[list[float]] = []
        has_rows: list[list[bool]] = []
        # Per question and condition: the cumulative weights random.choices would build.
        self.draw: dict[str, tuple[tuple[tuple[float, ...], float], ...]] = {}
        for fid in self.finding_ids:
            fm = finding_model(model, fid)
            self.first_row[fid] = len(p_rows)
            for v, value in enumerate(fm.domain):
                p_rows.append([fm.p_given[i][v] for i in range(n)])
                row = [0.0] * n
                has = [False] * n
                for i, eff in model.effects(fid, value):
                    row[i] += math.log(eff.lr)
                    has[i] = True
                log_lr_rows.append(row)
                has_rows.append(has)
            cums = []
            for i in range(n):
                cum = tuple(accumulate(fm.p_given[i]))
                cums.append((cum, cum[-1] + 0.0))  # random.choices: total = cum[-1] + 0.0
            self.draw[fid] = tuple(cums)
        self.domain = {fid: finding_model(model, fid).domain for fid in self.finding_ids}
        # The stop rule's draws at once: per question and condition, the cumulative weights
        # that bisection compares with (all but the last; +inf pads), and their total.
        width = max(len(d) for d in self.domain.values())
        self.cum_below_last: FloatArray = np.full((len(self.finding_ids), n, width), np.inf)
        self.cum_total: FloatArray = np.zeros((len(self.finding_ids), n))
        for k, fid in enumerate(self.finding_ids):
            for i, (cum, total) in enumerate(self.draw[fid]):
                self.cum_below_last[k, i, : len(cum) - 1] = cum[:-1]
                self.cum_total[k, i] = total
        self.p_given: FloatArray = np.array(p_rows, dtype=np.float64)
        self.rows = len(p_rows)
        logs = np.log2(self.p_given, out=np.zeros_like(self.p_given), where=self.p_given > 0)
        self.p_log_p: FloatArray = self.p_given * logs
        self.starts = np.array([self.first_row[f] for f in self.finding_ids], dtype=np.intp)
        # One extra row of zeros (index -1): "not answered" adds nothing.
        self.log_lr: FloatArray = np.array([*log_lr_rows, [0.0] * n], dtype=np.float64)
        self.has_effect: BoolArray = np.array([*has_rows, [False] * n], dtype=np.bool_)

    def information_gains(self, probs: list[float]) -> FloatArray:
        """answer_model.information_gain for every question at once (same order as
        `finding_ids`), to within rounding: about 1e-15 bits.

        With j = P(answer, condition) = P(answer | condition) b(condition), the expected entropy
        after an answer is the sum over its bands of p log p - sum(j log j), and
        sum(j log j) = (P log P) b + P (b log b): three matrix-vector products."""
        belief = np.array(probs, dtype=np.float64)
        # np.zeros, not np.zeros_like: the same zeros, without a Python-level wrapper.
        b_log_b = belief * np.log2(belief, out=np.zeros(len(probs)), where=belief > 0)
        p_answer = self.p_given @ belief
        j_log_j = self.p_log_p @ belief + self.p_given @ b_log_b
        p_log_p = p_answer * np.log2(p_answer, out=np.zeros(self.rows), where=p_answer > 0)
        expected = np.add.reduceat(p_log_p - j_log_j, self.starts)
        gains: FloatArray = np.maximum(_entropy(probs) - expected, 0.0)
        return gains


@cache
def answer_arrays(model: Model) -> AnswerArrays:
    """One set of arrays per indexed knowledge base."""
    return AnswerArrays(model)
