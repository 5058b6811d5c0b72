"""The adaptive interview: safety first, relevant questions only, a clear end."""

from __future__ import annotations

import random
from typing import Any

from popliteal.knowledge.loader import Knowledge
from popliteal.screening.interview import plan
from popliteal.screening.safety import not_ruled_out
from popliteal.screening.simulate import run_interview, sample_case
from popliteal.screening.triage import safety_findings

NEGATIVE_SAFETY = {
    "age_years": 40,
    "sex": "female",
    "knee_side": "left",
    "runner": False,
    "onset": "gradual",
    "symptom_duration_weeks": 6,
    "pain_trend": "stable",
    "breathless_or_chest_pain": False,
    "cold_pale_numb_foot": False,
    "leg_cold_or_mottled": False,
    "walking_distance_suddenly_shorter": False,
    "saddle_numbness_or_bladder_bowel_change": False,
    "neuro_deficit_worsening": False,
    "fever_or_chills": False,
    "knee_hot_red_swollen": False,
    "calf_swelling": False,
    "wells_entire_leg_swollen": False,
    "unable_to_bear_weight": False,
    "locked_cannot_straighten": False,
    "foot_drop_or_weakness": False,
    "recent_knee_surgery_or_injection": False,
    "wells_active_cancer": False,
    "wells_paralysis_or_cast": False,
    "wells_bedridden_or_major_surgery": False,
    "wells_previous_dvt": False,
    "night_or_rest_pain": False,
    "unexplained_weight_loss": False,
    "night_sweats": False,
    "exertional_calf_claudication": False,
    "bilateral_leg_symptoms": False,
    "lump_behind_knee": False,
    "bruising": "none",
    "knee_swollen": False,
    "skin_red_knee_or_leg": False,
}


def test_safety_steps_come_first(kb: Knowledge) -> None:
    state = plan(kb, {})
    safety_flags = [s.safety for s in state.steps]
    first_other = safety_flags.index(False)
    assert all(safety_flags[:first_other])
    assert not any(safety_flags[first_other:])
    asked_first = {f for s in state.steps[:first_other] for f in s.findings}
    assert {
        "breathless_or_chest_pain",
        "cold_pale_numb_foot",
        "calf_swelling",
        "knee_hot_red_swollen",
        "age_years",
        "onset",
    } <= asked_first


def test_a_checklist_is_one_step(kb: Knowledge) -> None:
    state = plan(kb, {})
    danger = next(s for s in state.steps if s.id == "danger_signs")
    assert danger.kind == "group"
    assert len(danger.findings) == len(kb.groups["danger_signs"].findings)
    findings = state.next_findings()
    start = findings.index(danger.findings[0])
    assert tuple(findings[start : start + len(danger.findings)]) == danger.findings


def test_after_negative_safety_answers_the_rest_is_ranked_by_gain(kb: Knowledge) -> None:
    state = plan(kb, NEGATIVE_SAFETY)
    assert not state.done
    gains = [s.gain_bits for s in state.steps]
    assert gains == sorted(gains, reverse=True)
    assert all(not s.safety for s in state.steps)


def test_emergency_ends_the_interview(kb: Knowledge) -> None:
    state = plan(kb, {"breathless_or_chest_pain": True})
    assert state.done
    assert state.steps == ()


def test_dont_know_is_not_asked_again(kb: Knowledge) -> None:
    asked = plan(kb, {"age_years": None, "sex": None, "runner": None}).next_findings()
    assert not {"age_years", "sex", "runner"} & set(asked)


def test_follow_up_questions_wait_for_their_trigger(kb: Knowledge) -> None:
    base = dict(NEGATIVE_SAFETY)
    base.pop("lump_behind_knee")
    assert "lump_pulsates" not in plan(kb, base).next_findings()
    with_lump = plan(kb, {**base, "lump_behind_knee": True}).next_findings()
    assert "lump_pulsates" in with_lump
    assert "weekly_running_miles" not in plan(kb, NEGATIVE_SAFETY).next_findings()
    runner = plan(kb, {**NEGATIVE_SAFETY, "runner": True}).next_findings()
    assert "weekly_running_miles" in runner


def test_pulsating_lump_question_is_a_safety_question(kb: Knowledge) -> None:
    state = plan(kb, {**NEGATIVE_SAFETY, "lump_behind_knee": True})
    assert "lump_pulsates" in state.steps[0].findings
    assert state.steps[0].safety


def test_the_lumps_questions_come_on_one_screen(kb: Knowledge) -> None:
    """Pulsing, size and growth were three screens; now one short form, still first."""
    state = plan(kb, {**NEGATIVE_SAFETY, "lump_behind_knee": True})
    first = state.steps[0]
    assert (first.kind, first.id) == ("group", "lump_details")
    assert set(first.findings) == {"lump_pulsates", "lump_size", "lump_growing"}
    assert not any("lump_size" in s.findings for s in state.steps[1:])


def test_a_blank_on_the_where_it_hurts_form_stays_open_as_not_sure(kb: Knowledge) -> None:
    """Pins and needles asked on a form and left blank is "don't know", never "no": with both
    legs affected it stays a safety question, and nothing else from the form is asked again."""
    answers = {k: v for k, v in NEGATIVE_SAFETY.items() if k != "pain_trend"}
    answers["bilateral_leg_symptoms"] = True
    state = plan(kb, answers)
    form = next(s for s in state.steps if s.id == "where_it_hurts")
    assert form.safety
    assert "paraesthesia" in form.findings
    left_blank = {**answers, **dict.fromkeys(form.findings)}
    assert "paraesthesia" in not_ruled_out(kb, left_blank)
    after = plan(kb, left_blank)
    assert not any(f in form.findings for s in after.steps for f in s.findings)


def test_injury_questions_become_safety_questions_after_an_injury(kb: Knowledge) -> None:
    answers = {**NEGATIVE_SAFETY, "onset": "injury_sudden", "symptom_duration_weeks": 0}
    state = plan(kb, answers)
    first = state.steps[0]
    assert first.safety
    assert "mech_high_energy_or_deformity" in first.findings


def test_the_person_is_never_asked_an_exam_item(kb: Knowledge) -> None:
    findings = plan(kb, NEGATIVE_SAFETY).next_findings()
    assert all("P" in kb.findings[f].who for f in findings)


def test_a_clinician_is_asked_exam_items(kb: Knowledge) -> None:
    findings = plan(kb, NEGATIVE_SAFETY, role="clinician").next_findings()
    assert any(kb.findings[f].who == ["C"] for f in findings)


def test_clinician_only_wells_items_are_safety_items_for_clinicians(kb: Knowledge) -> None:
    state = plan(kb, NEGATIVE_SAFETY, role="clinician")
    safety = {f for s in state.steps if s.safety for f in s.findings}
    assert "wells_deep_vein_tenderness" in safety
    assert safety <= safety_findings(kb)


def test_plan_is_deterministic(kb: Knowledge) -> None:
    answers: dict[str, Any] = {**NEGATIVE_SAFETY, "pain_location": "posterolateral"}
    assert plan(kb, answers) == plan(kb, dict(answers))


def test_interview_ends_when_everything_is_answered(kb: Knowledge) -> None:
    answers: dict[str, Any] = dict.fromkeys(kb.findings)
    assert plan(kb, answers).done


def test_synthetic_interviews_end_and_mostly_agree_with_the_full_questionnaire(
    kb: Knowledge,
) -> None:
    rng = random.Random(20261122)
    runs = [run_interview(kb, sample_case(kb, rng)) for _ in range(40)]
    person_questions = sum("P" in f.who for f in kb.findings.values())
    assert all(run.steps < person_questions for run in runs)
    calm = [r for r in runs if not r.emergency]
    agreement = sum(r.top3_full == r.top3_adaptive for r in calm) / len(calm)
    assert agreement >= 0.8


def test_both_legs_affected_leads_to_the_cauda_equina_questions(kb: Knowledge) -> None:
    state = plan(kb, {**NEGATIVE_SAFETY, "bilateral_leg_symptoms": True})
    safety = {f for s in state.steps if s.safety for f in s.findings}
    assert {"low_back_pain", "pain_radiates_below_knee", "paraesthesia"} <= safety
