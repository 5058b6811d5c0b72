"""Differential: a Bayesian update in log-odds from priors and likelihood ratios.

Each condition starts at its prior (base probability, then age band, sex and runner factors when
those are answered) and every answered finding multiplies its odds by the LR the knowledge base
gives for that answer. Unanswered findings (absent or null) add nothing; "no" applies LR-.
Correlated tests share a `construct`: per condition only the most informative answered one
(largest |log LR|) counts, so McMurray, Thessaly and joint-line tenderness are not multiplied.
A whole rule or criteria set (the Ottawa knee rule, a criteria set for osteoarthritis) carries
its published figure once, as a `predicate` entry applied when the predicate holds on the
answers, never spread over its items. Probabilities are finally normalised over all conditions
(multi-class Bayes: prior x LRs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer, Condition, Finding, Likelihood
from popliteal.screening.compiled_rules import programs


@dataclass(frozen=True)
class Effect:
    """One reason for or against a condition: an answer and the ratio it applies."""

    finding: str
    value: Answer
    lr: float
    source: str | None
    expert_weight: bool
    kind: str  # "likelihood" or "prior"
    note: str | None = None


# An effect beside the key rank() orders it by: (-|log LR|, finding or predicate).
Evidence = tuple[tuple[float, str], Effect]
# A frozen dataclass's fields are set through object.__setattr__ (its own refuses).
_set_fields = object.__setattr__


@dataclass(frozen=True, init=False)
class RankedCondition:
    id: str
    name: str
    patient_name: str
    probability: float
    log_odds: float
    evidence: tuple[Effect, ...]
    # The cause's share from its prior and the answers alone. It differs from `probability`
    # only after a fired rule placed a named cause first (safety.red_flag_suspects_first):
    # `probability` then orders the list, and this is the chance to show a person.
    from_answers: float

    def __init__(
        self,
        id: str,
        name: str,
        patient_name: str,
        probability: float,
        log_odds: float,
        evidence: tuple[Effect, ...],
        from_answers: float | None = None,
    ) -> None:
        # Every screening builds one per condition: its fields given as one new dict (a third
        # of the time of the frozen class's object.__setattr__ per field; rank() passes them
        # by position, which costs less than by name).
        _set_fields(
            self,
            "__dict__",
            {
                "id": id,
                "name": name,
                "patient_name": patient_name,
                "probability": probability,
                "log_odds": log_odds,
                "evidence": evidence,
                "from_answers": probability if from_answers is None else from_answers,
            },
        )


def chance_to_show(condition: Mapping[str, Any]) -> float:
    """The chance to show for one cause of a stored result: its share from the answers alone
    (`probability_from_answers`), not the ordering share a red flag raised; results stored
    before the field existed have only `probability`."""
    shown = condition.get("probability_from_answers", condition.get("probability", 0.0))
    return float(shown)


class Model:
    """The knowledge base indexed for fast scoring: effects per (finding, value) per condition."""

    def __init__(self, kb: Knowledge) -> None:
        self.kb = kb
        self.condition_ids: tuple[str, ...] = tuple(kb.conditions)
        self.names = tuple((c.id, c.name, c.patient_name) for c in kb.conditions.values())
        self.base_log_odds = tuple(_logit(c.prior.base.probability) for c in kb.conditions.values())
        self.base_log_prob = tuple(
            math.log(c.prior.base.probability) for c in kb.conditions.values()
        )
        self._by_finding: dict[str, list[tuple[int, Likelihood]]] = {}
        self.by_predicate: dict[str, list[tuple[int, Likelihood]]] = {}
        index = {cid: i for i, cid in enumerate(self.condition_ids)}
        for entry in [*kb.likelihoods, *absent_entries(kb)]:
            target = self.by_predicate if entry.predicate else self._by_finding
            target.setdefault(entry.key, []).append((index[entry.condition], entry))
        self.construct_of = {f.id: f.construct_ for f in kb.findings.values()}
        # Per predicate: (condition index, log LR, evidence entry) of its whole-rule figures.
        self.predicate_log_effects: dict[str, tuple[tuple[int, float, Evidence], ...]] = {}
        for pid, entries in self.by_predicate.items():
            effects = [(i, self.effect_of(e, pid, True, "rule")) for i, e in entries]
            self.predicate_log_effects[pid] = tuple(
                (i, math.log(eff.lr), ((-abs(math.log(eff.lr)), pid), eff)) for i, eff in effects
            )

    def effects(self, finding: str, value: Answer) -> tuple[tuple[int, Effect], ...]:
        """Every (condition index, effect) that answering `finding` = `value` applies."""
        return _effects(self, finding, _key(value))

    def log_effects(self, finding: str, value: Answer) -> tuple[tuple[int, float, Evidence], ...]:
        """`effects` with each ratio's natural log, taken once, and each effect as an evidence
        entry: beside it, the key rank() orders it by, (-|log LR|, finding)."""
        return _log_effects(self, finding, _key(value))

    def _compute(self, finding: str, value: Answer) -> tuple[tuple[int, Effect], ...]:
        out: list[tuple[int, Effect]] = []
        f = self.kb.findings[finding]
        for i, cond in enumerate(self.kb.conditions.values()):
            factor = _prior_factor(cond, f, value)
            if factor is not None:
                out.append((i, factor))
        for i, e in self._by_finding.get(finding, []):
            if e.value is not None:
                if type(e.value) is not type(value) or e.value != value:
                    continue
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                if e.min is not None and value < e.min:
                    continue
                if e.max is not None and value >= e.max:
                    continue
            out.append((i, self.effect_of(e, finding, value, "likelihood")))
        return tuple(out)

    def effect_of(self, entry: Likelihood, finding: str, value: Answer, kind: str) -> Effect:
        """What one likelihood entry does when it applies, with its provenance."""
        return Effect(
            finding=finding,
            value=value,
            lr=self.kb.lr_of(entry),
            source=entry.source,
            expert_weight=entry.direction is not None,
            kind=kind,
            note=entry.note,
        )


def absent_entries(kb: Knowledge) -> list[Likelihood]:
    """For a yes/no finding given as a frequency of "yes", the ratio "no" applies:
    (1 - frequency) / (1 - background), unless the knowledge base gives "no" its own entry."""
    authored = {(e.finding, e.condition, repr(e.value)) for e in kb.likelihoods}
    out: list[Likelihood] = []
    for e in kb.likelihoods:
        if e.frequency is None or e.value is not True or e.finding is None:
            continue
        if (e.finding, e.condition, repr(False)) in authored:
            continue
        background = kb.background_of(e.finding, True)
        out.append(
            e.model_copy(
                update={
                    "value": False,
                    "frequency": None,
                    "lr": (1 - e.frequency) / (1 - background),
                    "note": f"derived: 'no', from the frequency of 'yes' ({e.frequency:g}) "
                    f"over its background ({background:g})",
                }
            )
        )
    return out


def _key(value: Answer) -> tuple[str, Answer]:
    return (type(value).__name__, value)


@lru_cache(maxsize=16384)  # bounded: numbers make one entry per distinct answer
def _effects(model: Model, finding: str, key: tuple[str, Answer]) -> tuple[tuple[int, Effect], ...]:
    return model._compute(finding, key[1])


@lru_cache(maxsize=16384)
def _log_effects(
    model: Model, finding: str, key: tuple[str, Answer]
) -> tuple[tuple[int, float, Evidence], ...]:
    out = []
    for i, eff in model.effects(finding, key[1]):
        log_lr = math.log(eff.lr)
        out.append((i, log_lr, ((-abs(log_lr), finding), eff)))
    return tuple(out)


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _prior_factor(cond: Condition, finding: Finding, value: Answer) -> Effect | None:
    prior = cond.prior
    if finding.id == "age_years" and isinstance(value, int | float) and not isinstance(value, bool):
        for band in prior.age:
            if band.min <= value < band.max:
                return Effect(
                    "age_years",
                    value,
                    band.factor,
                    band.source,
                    band.expert_judgement is not None,
                    "prior",
                )
    elif finding.id == "sex" and isinstance(value, str) and value in prior.sex:
        f = prior.sex[value]
        return Effect("sex", value, f.factor, f.source, f.expert_judgement is not None, "prior")
    elif finding.id == "runner" and isinstance(value, bool):
        r = prior.runner if value else prior.non_runner
        if r is not None:
            return Effect(
                "runner", value, r.factor, r.source, r.expert_judgement is not None, "prior"
            )
    return None


@cache
def model_for(kb: Knowledge) -> Model:
    """One indexed model per knowledge base."""
    return Model(kb)


@dataclass
class Scores:
    """Per-condition log contributions; construct members kept apart so one can replace another."""

    free: list[float]
    construct_best: dict[str, list[float]]
    # Per condition, its evidence entries: (the key rank() orders it by, effect).
    evidence: list[list[Evidence]]
    construct_effect: dict[str, list[Evidence | None]]

    def log_scores(self, base: tuple[float, ...]) -> list[float]:
        out = [b + f for b, f in zip(base, self.free, strict=True)]
        for best in self.construct_best.values():
            for i, v in enumerate(best):
                out[i] += v
        return out


def accumulate(model: Model, answers: Mapping[str, Answer | None]) -> Scores:
    """Add up every answered finding's effects, one per construct per condition."""
    n = len(model.condition_ids)
    scores = Scores(
        free=[0.0] * n,
        construct_best={},
        evidence=[[] for _ in range(n)],
        construct_effect={},
    )
    free, evidence = scores.free, scores.evidence
    construct_of = model.construct_of
    for finding in sorted(answers):
        value = answers[finding]
        if value is None:
            continue
        construct = construct_of.get(finding)
        effects = _log_effects(model, finding, (type(value).__name__, value))  # log_effects
        if construct is None:
            for i, log_lr, entry in effects:
                free[i] += log_lr
                evidence[i].append(entry)
            continue
        if not effects:
            continue
        best = scores.construct_best.setdefault(construct, [0.0] * n)
        chosen = scores.construct_effect.setdefault(construct, [None] * n)
        for i, log_lr, entry in effects:
            if chosen[i] is None or abs(log_lr) > abs(best[i]):
                best[i] = log_lr
                chosen[i] = entry
    for chosen in scores.construct_effect.values():
        for i, chosen_entry in enumerate(chosen):
            if chosen_entry is not None:  # its key: (-|best log LR|, the chosen finding)
                evidence[i].append(chosen_entry)
    holds = programs(model.kb, "clinician").predicate_holds
    for pid, effects in model.predicate_log_effects.items():
        if holds[pid](answers):
            for i, log_lr, entry in effects:
                free[i] += log_lr
                evidence[i].append(entry)
    return scores


def predicate_effects(
    model: Model, answers: Mapping[str, Answer | None]
) -> list[tuple[int, Effect]]:
    """The whole-rule figures whose predicate holds on these answers (judged as the triage
    judges it: an unanswered item is taken as its rule says)."""
    out: list[tuple[int, Effect]] = []
    holds = programs(model.kb, "clinician").predicate_holds
    for pid, entries in model.by_predicate.items():
        if not holds[pid](answers):
            continue
        out += [(i, model.effect_of(e, pid, True, "rule")) for i, e in entries]
    return out


def normalise(log_scores: list[float]) -> list[float]:
    """Softmax: probabilities over the conditions that sum to 1."""
    top = max(log_scores)
    weights = [math.exp(s - top) for s in log_scores]
    total = sum(weights)
    return [w / total for w in weights]


def rank(kb: Knowledge, answers: Mapping[str, Answer | None]) -> list[RankedCondition]:
    """Rank every condition by posterior probability, highest first, each with its evidence."""
    model = model_for(kb)
    scores = accumulate(model, answers)
    # Scores.log_scores of both bases in one pass: the same sums, in the same order.
    bests = list(scores.construct_best.values())
    log_prob: list[float] = []
    log_odds: list[float] = []
    for base_prob, base_odds, free in zip(
        model.base_log_prob, model.base_log_odds, scores.free, strict=True
    ):
        log_prob.append(base_prob + free)
        log_odds.append(base_odds + free)
    for best in bests:
        for i, v in enumerate(best):
            log_prob[i] += v
            log_odds[i] += v
    probs = normalise(log_prob)
    # (-probability, id, cause): sorting these orders the causes as (-probability, id) does,
    # without a key function called per cause (ids are unique, so causes are never compared).
    ranked: list[tuple[float, str, RankedCondition]] = []
    key, effect_of_entry = itemgetter(0), itemgetter(1)
    for i, (cid, name, patient_name) in enumerate(model.names):
        entries = scores.evidence[i]
        # Strongest first, then by finding: (-|log LR|, finding), taken when it was added
        # (a stable sort: equal keys keep the order they were added in).
        if len(entries) > 1:
            entries.sort(key=key)
        probability = probs[i]
        ranked.append(
            (
                -probability,
                cid,
                RankedCondition(
                    cid,
                    name,
                    patient_name,
                    probability,
                    log_odds[i],
                    tuple(map(effect_of_entry, entries)) if entries else (),
                ),
            )
        )
    ranked.sort()
    return [cause for _, _, cause in ranked]
