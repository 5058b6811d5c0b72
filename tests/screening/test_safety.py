"""Safety in the engine: "not sure" is never "no", red-flag suspects rank first, must-rule-out.

Property tests run the engine on any answers (hypothesis); the cases name their source.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from popliteal.screening.engine import screen, to_json
from popliteal.screening.safety import not_ruled_out, open_rules, own_chance
from popliteal.screening.triage import safety_findings, triage
from tests.screening.test_properties import KB, SETTINGS, answers_st, value_strategy

SAFETY_LEVELS = ("emergency", "urgent")
PERSON_SAFETY = sorted(f for f in safety_findings(KB) if "P" in KB.findings[f].who)


CANT_MISS = {e.condition for e in KB.must_rule_out.conditions} if KB.must_rule_out else set()


def fired_suspects(answers: dict[str, Any], *, lower_rules: bool = True) -> list[str]:
    """Every suspect of a fired emergency or urgent rule and, with `lower_rules`, the can't-miss
    suspects of a fired lower rule (the aneurysm a lump at 50 or over names), most urgent rule
    first."""
    out: list[str] = []
    for rule in triage(KB, answers).fired:
        red_flag = rule.urgency in SAFETY_LEVELS
        named = [c for c in rule.suspects if red_flag or (lower_rules and c in CANT_MISS)]
        out += [c for c in named if c not in out]
    return out


def test_calf_swelling_ranks_the_clot_and_the_ruptured_cyst_first_and_names_them() -> None:
    """The issue's reproduction: the rule naming DVT and a ruptured Baker's cyst fires (NICE
    NG158: unexplained calf swelling is tested the same day; a ruptured cyst cannot be told
    from a clot without a scan), so both are in the top three and must be ruled out."""
    answers = {
        "age_years": 62,
        "sex": "female",
        "runner": False,
        "calf_swelling": True,
        "pain_location": "calf",
    }
    out = to_json(KB, screen(KB, answers))
    assert out["urgency"] == "emergency"
    top3 = [c["id"] for c in out["conditions"][:3]]
    assert {"dvt", "bakers_cyst_rupture"} <= set(top3)
    assert out["must_rule_out"][:2] == ["dvt", "bakers_cyst_rupture"]
    assert out["safety_not_ruled_out"] == []
    probs = [c["probability"] for c in out["conditions"]]
    assert probs == sorted(probs, reverse=True)
    assert math.isclose(sum(probs), 1.0, abs_tol=1e-9)
    dvt = next(c for c in out["conditions"] if c["id"] == "dvt")
    if dvt["evidence"] and dvt["evidence"][0]["kind"] == "red_flag":  # raised: said openly
        assert dvt["evidence"][0]["lr"] > 1


def test_not_sure_on_every_safety_question_lists_exactly_those_and_names_what_to_rule_out() -> None:
    answers: dict[str, Any] = {"age_years": 45, **dict.fromkeys(PERSON_SAFETY)}
    out = to_json(KB, screen(KB, answers))
    listed = out["safety_not_ruled_out"]
    assert listed, "every warning sign was left unknown: none is ruled out"
    assert set(listed) <= set(PERSON_SAFETY)
    for must in ("calf_swelling", "breathless_or_chest_pain", "cold_pale_numb_foot"):
        assert must in listed
    assert "dvt" in out["must_rule_out"]


def test_a_safety_question_that_was_not_asked_is_never_listed() -> None:
    out = to_json(KB, screen(KB, {"age_years": 45, "calf_swelling": None}))
    assert out["safety_not_ruled_out"] == ["calf_swelling"]
    empty = to_json(KB, screen(KB, {}))
    assert empty["safety_not_ruled_out"] == []


def test_a_no_answer_rules_the_sign_out() -> None:
    out = to_json(KB, screen(KB, {"calf_swelling": False, "lump_behind_knee": False}))
    assert out["safety_not_ruled_out"] == []
    out = to_json(KB, screen(KB, {"calf_swelling": False, "fever_or_chills": None}))
    assert out["safety_not_ruled_out"] == ["fever_or_chills"]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # 5% floor: a can't-miss cause at or above it is listed (red_flags.yaml must_rule_out)
        ({}, []),
        ({"foot_drop_or_weakness": True, "pain_radiates_below_knee": True}, ["peripheral"]),
    ],
)
def test_cant_miss_causes_are_listed_from_the_threshold(
    answers: dict[str, Any], expected: list[str]
) -> None:
    out = to_json(KB, screen(KB, answers))
    policy = KB.must_rule_out
    assert policy is not None
    cant_miss = {e.condition for e in policy.conditions}
    for c in out["conditions"]:
        if c["id"] in cant_miss and c["probability"] < policy.threshold:
            fired = any(c["id"] in f["suspects"] for f in out["red_flags"])
            assert fired or c["id"] not in out["must_rule_out"]
    for prefix in expected:
        assert any(c.startswith(prefix) for c in out["must_rule_out"]), out["must_rule_out"]


@SETTINGS
@given(answers=answers_st)
def test_a_cause_named_by_a_fired_rule_is_in_the_top_three(
    answers: dict[str, Any],
) -> None:
    suspects = fired_suspects(answers)
    out = to_json(KB, screen(KB, answers))
    order = [c["id"] for c in out["conditions"]]
    for cid in suspects[:3]:
        assert cid in order[:3], (cid, order[:3])
    # A red flag is never outranked by statistics: nothing a fired emergency or urgent rule
    # does not name comes before a cause it names.
    red = [c for c in fired_suspects(answers, lower_rules=False) if c in suspects[:3]]
    for cid in red:
        above = order[: order.index(cid)]
        assert set(above) <= set(suspects), (cid, above)
    assert set(suspects) <= set(out["must_rule_out"])
    probs = [c["probability"] for c in out["conditions"]]
    assert probs == sorted(probs, reverse=True)
    assert math.isclose(sum(probs), 1.0, abs_tol=1e-9)


@SETTINGS
@given(answers=answers_st, data=st.data())
def test_a_not_sure_that_could_still_fire_a_rule_is_never_dropped(
    answers: dict[str, Any], data: st.DataObject
) -> None:
    """If some answer to a "not sure" safety question would fire a new emergency or urgent
    rule, that question is listed as not ruled out: "don't know" is never "no"."""
    finding = data.draw(st.sampled_from(PERSON_SAFETY))
    answers = {**answers, finding: None}
    listed = not_ruled_out(KB, answers)
    assert all(answers.get(f, "absent") is None for f in listed)  # only what was asked
    before = {r.id for r in triage(KB, answers).fired if r.urgency in SAFETY_LEVELS}
    value = data.draw(value_strategy(KB.findings[finding]))
    after = {
        r.id for r in triage(KB, {**answers, finding: value}).fired if r.urgency in SAFETY_LEVELS
    }
    if after - before:
        assert finding in listed, (finding, value, after - before)


def test_an_unsure_duration_after_an_injury_that_stops_walking_is_not_ruled_out() -> None:
    """An unanswered duration counts as "within the first week" for the Ottawa rule, but more
    than a week would fire the can-not-walk rule: the duration is open, not settled
    (hypothesis found this: the default for an unanswered finding hid the other answer)."""
    answers = {"onset": "injury_sudden", "unable_to_bear_weight": True}
    unsure = {**answers, "symptom_duration_weeks": None}
    assert "symptom_duration_weeks" in not_ruled_out(KB, unsure)
    assert (
        "symptom_duration_weeks"
        in open_rules(KB, unsure, "patient")["rf_injury_cannot_bear_weight"]
    )
    assert "rf_injury_cannot_bear_weight" in {
        r.id for r in triage(KB, {**answers, "symptom_duration_weeks": 3}).fired
    }


@SETTINGS
@given(answers=answers_st)
def test_a_green_result_has_nothing_left_not_ruled_out(answers: dict[str, Any]) -> None:
    """Green (conservative with no warning sign left unknown) only when every person-answered
    safety question that could still fire a rule was answered."""
    out = to_json(KB, screen(KB, answers))
    if out["urgency"] == "conservative" and not out["safety_not_ruled_out"]:
        for finding in PERSON_SAFETY:
            if finding in answers and answers[finding] is None:
                for value in (True, False) if KB.findings[finding].type == "bool" else ():
                    fired = triage(KB, {**answers, finding: value}).fired
                    assert all(r.urgency not in SAFETY_LEVELS for r in fired), finding


def test_a_cant_miss_cause_diluted_by_a_common_one_is_still_ruled_out() -> None:
    """Causes can coexist: strong arthritis evidence takes most of the ranking's share, yet calf
    pain after a long trip still leaves a clot to rule out (its own chance, not its share)."""
    answers: dict[str, Any] = {
        "age_years": 70,
        "sex": "female",
        "history_knee_oa": True,
        "crepitus": True,
        "morning_stiffness_lt_30min": True,
        "pain_location": "calf",
        "onset": "gradual",
        "symptom_duration_weeks": 30,
        "recent_long_travel": True,
    }
    result = screen(KB, answers)
    dvt = next(c for c in result.conditions if c.id == "dvt")
    assert dvt.probability < 0.05 <= own_chance(dvt)
    assert "dvt" in result.must_rule_out


def test_a_safety_question_never_asked_is_not_a_no() -> None:
    """An empty form is not a "no" to anything on it: the warning signs nobody asked about are
    listed (`safety_not_asked`) beside those answered "not sure" (the contract's field)."""
    empty = to_json(KB, screen(KB, {}))
    for must in (
        "breathless_or_chest_pain",
        "calf_swelling",
        "cold_pale_numb_foot",
        "fever_or_chills",
    ):
        assert must in empty["safety_not_asked"]
    assert empty["safety_not_ruled_out"] == []
    some = to_json(
        KB,
        screen(
            KB,
            {"calf_swelling": False, "lump_behind_knee": False, "breathless_or_chest_pain": None},
        ),
    )
    assert "calf_swelling" not in some["safety_not_asked"]  # answered no
    assert some["safety_not_ruled_out"] == ["breathless_or_chest_pain"]  # not sure: listed there
    assert "breathless_or_chest_pain" not in some["safety_not_asked"]
    assert "lump_pulsates" not in some["safety_not_asked"]  # no lump: its follow-up is closed
    assert "cold_pale_numb_foot" in some["safety_not_asked"]


def test_a_finished_interview_leaves_no_warning_sign_unasked() -> None:
    """The adaptive interview asks every warning sign that could still matter before it stops,
    so a screening done on the site never needs the "not asked" list."""
    import random

    from popliteal.screening.interview import plan
    from popliteal.screening.simulate import sample_case

    rng = random.Random(20261207)
    for _ in range(40):
        case = sample_case(KB, rng)
        answers: dict[str, Any] = {}
        while not (state := plan(KB, answers, role="patient")).done:
            for fid in state.steps[0].findings:
                answers[fid] = case.answers.get(fid)
        if triage(KB, answers).urgency != "emergency":
            assert to_json(KB, screen(KB, answers))["safety_not_asked"] == [], answers


def _top3(out: dict[str, Any]) -> list[str]:
    return [c["id"] for c in out["conditions"][:3]]


def test_a_lump_at_fifty_or_over_keeps_the_aneurysm_among_the_first_three() -> None:
    """A lump behind the knee at 60 is mostly a Baker's cyst, but the rule that sends it for a
    scan names the aneurysm; the clinician's ranking must show it, not bury it at 10th."""
    answers = {"age_years": 60, "lump_behind_knee": True, "lump_pulsates": False}
    out = to_json(KB, screen(KB, answers))
    assert "rf_mass_over_50" in [r["id"] for r in out["red_flags"]]
    assert out["urgency"] == "surgical_consult"
    assert "popliteal_artery_aneurysm" in _top3(out)
    assert _top3(out)[0] == "bakers_cyst"  # the likelier cause keeps first place
    raised = next(c for c in out["conditions"] if c["id"] == "popliteal_artery_aneurysm")
    assert raised["evidence"][0]["kind"] == "red_flag"  # the raise is shown, not hidden


def test_a_prominent_popliteal_pulse_is_an_aneurysm_until_scanned() -> None:
    answers = {
        "age_years": 38,
        "sex": "male",
        "calf_swelling": True,
        "popliteal_pulse_prominent": True,
    }
    out = to_json(KB, screen(KB, answers, role="clinician"))
    fired = {r["id"]: r for r in out["red_flags"]}
    assert "rf_pulsatile_mass" in fired
    assert "popliteal_artery_aneurysm" in _top3(out)
    assert "popliteal_artery_aneurysm" in out["must_rule_out"]
    calm = to_json(
        KB, screen(KB, {**answers, "popliteal_pulse_prominent": False}, role="clinician")
    )
    assert "rf_pulsatile_mass" not in {r["id"] for r in calm["red_flags"]}


def test_a_foot_drop_after_a_knee_injury_this_week_is_a_possible_dislocation() -> None:
    """A peroneal palsy after a knee injury: the knee may have dislocated and gone back in."""
    answers = {
        "age_years": 43,
        "onset": "injury_sudden",
        "symptom_duration_weeks": 0.1,
        "foot_drop_or_weakness": True,
    }
    out = to_json(KB, screen(KB, answers))
    assert out["urgency"] == "emergency"
    assert "rf_knee_dislocation" in {r["id"] for r in out["red_flags"]}
    assert "knee_dislocation" in _top3(out)
    months = to_json(KB, screen(KB, {**answers, "symptom_duration_weeks": 12}))
    assert "rf_knee_dislocation" not in {r["id"] for r in months["red_flags"]}
    assert months["urgency"] == "urgent"  # still the nerve rule (rf_motor_deficit)


def test_a_swollen_calf_after_knee_surgery_puts_the_clot_first() -> None:
    """Statistics alone put knee arthritis or sciatica above the clot here; the emergency rule
    that names the clot outranks them (the raise is shown as a red-flag effect)."""
    answers = {"age_years": 60, "recent_knee_surgery_or_injection": True, "calf_swelling": True}
    out = to_json(KB, screen(KB, answers))
    assert out["urgency"] == "emergency"
    assert out["conditions"][0]["id"] == "dvt"
    assert out["conditions"][0]["evidence"][0]["kind"] == "red_flag"
    assert "dvt" in out["must_rule_out"]
