"""Property tests of the pure engine (hypothesis): laws that must hold for any answers."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.knowledge.schema import Finding
from popliteal.screening.differential import rank
from popliteal.screening.engine import screen, to_json
from popliteal.screening.triage import triage, urgency_rank

KB = default_knowledge()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def value_strategy(f: Finding) -> st.SearchStrategy[Any]:
    if f.type == "bool":
        return st.booleans()
    if f.type == "choice":
        return st.sampled_from(f.values)
    if f.type == "scale":
        return st.integers(0, 10)
    assert f.min is not None
    assert f.max is not None
    return st.one_of(st.integers(int(f.min), int(f.max)), st.floats(f.min, f.max, allow_nan=False))


FINDINGS = sorted(KB.findings)
answers_st = st.fixed_dictionaries(
    {}, optional={fid: st.one_of(st.none(), value_strategy(KB.findings[fid])) for fid in FINDINGS}
)


def log_odds(kb: Knowledge, answers: dict[str, Any]) -> dict[str, float]:
    return {r.id: r.log_odds for r in rank(kb, answers)}


@SETTINGS
@given(answers=answers_st)
def test_probabilities_sum_to_one_and_are_sorted(answers: dict[str, Any]) -> None:
    ranked = rank(KB, answers)
    assert math.isclose(sum(r.probability for r in ranked), 1.0, abs_tol=1e-9)
    probs = [r.probability for r in ranked]
    assert probs == sorted(probs, reverse=True)
    assert all(0 <= p <= 1 for p in probs)


@SETTINGS
@given(answers=answers_st, data=st.data())
def test_a_finding_with_lr_above_1_never_lowers_that_conditions_odds(
    answers: dict[str, Any], data: st.DataObject
) -> None:
    entry = data.draw(
        st.sampled_from([e for e in KB.likelihoods if KB.lr_of(e) > 1 and e.value is not None])
    )
    answers = {k: v for k, v in answers.items() if k != entry.finding}
    before = log_odds(KB, answers)[entry.condition]
    after = log_odds(KB, {**answers, entry.finding: entry.value})[entry.condition]
    assert after >= before - 1e-12


@SETTINGS
@given(answers=answers_st)
def test_unanswered_and_dont_know_add_nothing(answers: dict[str, Any]) -> None:
    known = {k: v for k, v in answers.items() if v is not None}
    with_nulls = {**known, **{fid: None for fid in FINDINGS if fid not in known}}
    assert log_odds(KB, known) == log_odds(KB, with_nulls)


@SETTINGS
@given(answers=answers_st)
def test_deterministic(answers: dict[str, Any]) -> None:
    assert to_json(KB, screen(KB, answers)) == to_json(KB, screen(KB, dict(answers)))


@SETTINGS
@given(answers=answers_st, role=st.sampled_from(["patient", "clinician"]))
def test_urgency_is_never_lower_than_a_fired_rule(answers: dict[str, Any], role: str) -> None:
    result = screen(KB, answers, role=role)
    for rule in result.triage.fired:
        assert urgency_rank(result.triage.urgency) <= urgency_rank(rule.urgency)
    assert to_json(KB, result)["urgency"] == result.triage.urgency


@SETTINGS
@given(answers=answers_st, extra=answers_st)
def test_more_answers_never_unfire_an_emergency_except_by_clinician_judgement(
    answers: dict[str, Any], extra: dict[str, Any]
) -> None:
    """Adding answers may add red flags; it never turns an emergency into less (patient view).

    Only onset/duration can legitimately close the Ottawa window, and only a clinician can
    explain a swelling, so those are held fixed.
    """
    held = {"onset", "symptom_duration_weeks", "wells_alternative_dx_as_likely"}
    first = triage(KB, answers)
    more = {**{k: v for k, v in extra.items() if k not in answers and k not in held}, **answers}
    if first.urgency == "emergency":
        assert triage(KB, more).urgency == "emergency"


@SETTINGS
@given(answers=answers_st)
def test_construct_counts_one_test_per_condition(answers: dict[str, Any]) -> None:
    for cond in rank(KB, answers):
        constructs = [
            KB.findings[e.finding].construct_ for e in cond.evidence if e.kind == "likelihood"
        ]
        named = [c for c in constructs if c is not None]
        assert len(named) == len(set(named))


@SETTINGS
@given(answers=answers_st, role=st.sampled_from(["patient", "clinician"]))
def test_every_result_is_strict_json_with_the_disclaimer(
    answers: dict[str, Any], role: str
) -> None:
    out = json.loads(json.dumps(to_json(KB, screen(KB, answers, role=role)), allow_nan=False))
    assert "not a diagnosis" in out["disclaimer"]
    assert out["knowledge_version"] == KB.version
    assert len(out["conditions"]) == len(KB.conditions)
