"""The Bayesian differential on worked examples: priors, LR+ and LR-, constructs, expert weights."""

from __future__ import annotations

import math
from typing import Any

import pytest

from popliteal.knowledge.loader import Knowledge
from popliteal.screening.differential import rank


def odds(kb: Knowledge, answers: dict[str, Any]) -> dict[str, float]:
    return {r.id: r.log_odds for r in rank(kb, answers)}


def lr(kb: Knowledge, finding: str, value: Any, condition: str) -> float:
    entry = next(
        e
        for e in kb.likelihoods
        if e.finding == finding and e.condition == condition and e.value == value
    )
    return kb.lr_of(entry)


def test_no_answers_ranks_by_base_prior(kb: Knowledge) -> None:
    ranked = rank(kb, {})
    base = {c.id: c.prior.base.probability for c in kb.conditions.values()}
    total = sum(base.values())
    for r in ranked:
        assert r.probability == pytest.approx(base[r.id] / total)
        assert r.log_odds == pytest.approx(math.log(base[r.id] / (1 - base[r.id])))
        assert r.evidence == ()


def test_age_band_factor_moves_the_prior(kb: Knowledge) -> None:
    band = next(b for b in kb.conditions["knee_osteoarthritis"].prior.age if b.min <= 60 < b.max)
    shift = odds(kb, {"age_years": 60})["knee_osteoarthritis"] - odds(kb, {})["knee_osteoarthritis"]
    assert shift == pytest.approx(math.log(band.factor))
    assert band.factor > 1


def test_not_running_lowers_running_overload(kb: Knowledge) -> None:
    before = odds(kb, {})["running_overload"]
    assert odds(kb, {"runner": False})["running_overload"] < before
    assert odds(kb, {"runner": True})["running_overload"] > before


def test_yes_applies_lr_plus_and_no_applies_lr_minus(kb: Knowledge) -> None:
    base = odds(kb, {})["pcl_injury"]
    yes = odds(kb, {"posterior_sag": True})["pcl_injury"] - base
    no = odds(kb, {"posterior_sag": False})["pcl_injury"] - base
    assert yes == pytest.approx(math.log(lr(kb, "posterior_sag", True, "pcl_injury")))
    assert no == pytest.approx(math.log(lr(kb, "posterior_sag", False, "pcl_injury")))
    assert yes > 0 > no


def test_dont_know_adds_nothing(kb: Knowledge) -> None:
    assert odds(kb, {"posterior_sag": None, "mcmurray": None}) == odds(kb, {})


def test_only_the_most_informative_test_of_a_construct_counts(kb: Knowledge) -> None:
    drawer = lr(kb, "posterior_drawer", "grade_2", "pcl_injury")
    quads = lr(kb, "quadriceps_active_test", True, "pcl_injury")
    base = odds(kb, {})["pcl_injury"]
    both = odds(kb, {"posterior_drawer": "grade_2", "quadriceps_active_test": True})
    strongest = max(abs(math.log(drawer)), abs(math.log(quads)))
    assert both["pcl_injury"] - base == pytest.approx(strongest)
    pcl = next(
        r
        for r in rank(kb, {"posterior_drawer": "grade_2", "quadriceps_active_test": True})
        if r.id == "pcl_injury"
    )
    assert [e.finding for e in pcl.evidence] == ["posterior_drawer"]


def test_a_negative_test_can_outweigh_a_weaker_positive_in_its_construct(kb: Knowledge) -> None:
    # Lowery cluster 1/5 (LR 0.77) against a primary-care McMurray (LR about 1): the more
    # informative answer of the meniscal construct is the one that counts.
    answers = {"meniscal_cluster_count": 1, "mcmurray": True}
    meniscus = next(r for r in rank(kb, answers) if r.id == "meniscal_tear")
    counted = [e for e in meniscus.evidence if e.finding in answers]
    assert len(counted) == 1


def test_direction_only_weights_are_flagged(kb: Knowledge) -> None:
    ranked = rank(kb, {"calf_pop_on_pushoff": True})
    strain = next(r for r in ranked if r.id == "gastrocnemius_strain")
    (effect,) = [e for e in strain.evidence if e.finding == "calf_pop_on_pushoff"]
    assert effect.expert_weight
    assert effect.lr == kb.direction_weights.strong_up


def test_published_lr_carries_its_source(kb: Knowledge) -> None:
    pcl = next(r for r in rank(kb, {"posterior_drawer": "grade_2"}) if r.id == "pcl_injury")
    (effect,) = pcl.evidence
    assert effect.source == "rubinstein_1994"
    assert not effect.expert_weight
