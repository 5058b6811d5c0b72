"""Red-flag rules audited against their guidelines: a trigger case written from each guideline
statement, and the boundary on either side of each line the rule draws."""

from __future__ import annotations

from typing import Any

import pytest

from popliteal.screening.engine import screen, to_json
from popliteal.screening.triage import triage
from tests.screening.test_properties import KB


def fired(answers: dict[str, Any], role: str = "patient") -> dict[str, str]:
    return {r.id: r.urgency for r in triage(KB, answers, role=role).fired}


def urgency(answers: dict[str, Any], role: str = "patient") -> str:
    return triage(KB, answers, role=role).urgency


# ---------------------------------------------------------------- NICE NG158: DVT, same day


@pytest.mark.parametrize("score_items", [["wells_previous_dvt"], ["wells_active_cancer"]])
def test_calf_pain_with_one_clot_risk_is_tested_the_same_day(score_items: list[str]) -> None:
    """NG158: Wells "unlikely" (1) with calf symptoms still needs a D-dimer, the same day."""
    answers = {"pain_location": "calf", **dict.fromkeys(score_items, True)}
    assert fired(answers)["rf_dvt_wells_unlikely_calf"] == "emergency"
    assert urgency(answers) == "emergency"


def test_calf_pain_without_a_clot_risk_is_not_a_suspected_clot_from_the_person_alone() -> None:
    assert "rf_dvt_wells_unlikely_calf" not in fired({"pain_location": "calf"})


def test_deep_vein_tenderness_is_tested_the_same_day_whatever_the_wells_score() -> None:
    """A clinician finding deep-vein tenderness with another diagnosis as likely (Wells -1)."""
    answers = {"wells_deep_vein_tenderness": True, "wells_alternative_dx_as_likely": True}
    assert fired(answers, role="clinician")["rf_dvt_wells_unlikely_calf"] == "emergency"


def test_diffuse_calf_tenderness_on_examination_is_a_suspected_clot() -> None:
    """NG158 1.1.1: calf tenderness is a sign of DVT, tested the same day, even beside a lump."""
    answers = {"tenderness_site": "calf_diffuse", "lump_behind_knee": True, "age_years": 71}
    assert fired(answers, role="clinician")["rf_dvt_wells_unlikely_calf"] == "emergency"
    assert "rf_dvt_wells_unlikely_calf" not in fired(
        {"tenderness_site": "medial_gastrocnemius"}, role="clinician"
    )


def test_wells_likely_stays_its_own_rule() -> None:
    answers = {"pain_location": "calf", "wells_previous_dvt": True, "wells_active_cancer": True}
    rules = fired(answers)
    assert "rf_dvt_wells_likely" in rules
    assert "rf_dvt_wells_unlikely_calf" not in rules


@pytest.mark.parametrize(
    ("weeks", "trend", "fires"),
    [
        (0.5, "worsening", True),  # 3.5 days: after the first days
        (2, "worsening", True),
        (0.4, "worsening", False),  # the first days: a fresh strain may still be worsening
        (2, "improving", False),
        (2, "stable", False),
    ],
)
def test_calf_pain_worsening_days_after_an_injury_is_reassessed_for_a_clot(
    weeks: float, trend: str, fires: bool
) -> None:
    answers = {
        "onset": "injury_sudden",
        "calf_pop_on_pushoff": True,
        "pain_location": "calf",
        "pain_trend": trend,
        "symptom_duration_weeks": weeks,
    }
    assert ("rf_calf_pain_worsening_after_injury" in fired(answers)) is fires
    if fires:
        assert urgency(answers) == "emergency"


# ---------------------------------------------------------------- SVS 2022: popliteal aneurysm


@pytest.mark.parametrize(("age", "fires"), [(49, False), (50, True), (72, True)])
def test_a_lump_behind_the_knee_at_50_or_over_is_scanned_before_it_is_called_a_cyst(
    age: int, fires: bool
) -> None:
    answers = {"age_years": age, "lump_behind_knee": True, "lump_pulsates": False}
    assert ("rf_mass_over_50" in fired(answers)) is fires
    assert urgency(answers) == ("surgical_consult" if fires else "conservative")
    out = to_json(KB, screen(KB, answers))
    assert ("popliteal_artery_aneurysm" in out["must_rule_out"]) is fires


def test_a_non_pulsatile_mass_found_on_exam_over_50_is_scanned_too() -> None:
    answers = {"age_years": 66, "popliteal_mass_exam": "soft_non_pulsatile"}
    assert fired(answers, role="clinician")["rf_mass_over_50"] == "surgical_consult"


def test_a_pulsatile_lump_is_urgent_and_with_a_cold_foot_an_emergency() -> None:
    assert urgency({"lump_behind_knee": True, "lump_pulsates": True}) == "urgent"
    cold = {"lump_behind_knee": True, "lump_pulsates": True, "cold_pale_numb_foot": True}
    assert fired(cold)["rf_aneurysm_ischaemia"] == "emergency"


# ---------------------------------------------------------------- NICE NG12 / CG27: bone tumour


@pytest.mark.parametrize("age", [12, 24, 25, 40, 70])
def test_night_or_rest_pain_needs_an_x_ray_at_any_age(age: int) -> None:
    answers = {"age_years": age, "night_or_rest_pain": True}
    assert fired(answers)["rf_tumour_suspected"] == "urgent"


def test_night_pain_after_a_minor_injury_still_needs_the_x_ray() -> None:
    answers = {"onset": "injury_sudden", "mech_twist_planted_foot": True}
    assert fired({**answers, "night_or_rest_pain": True})["rf_tumour_suspected"] == "urgent"


@pytest.mark.parametrize(
    ("weeks", "extra", "fires"),
    [
        (6, {}, True),
        (5.9, {}, False),
        (12, {"onset": "injury_sudden"}, True),  # a minor injury does not explain it away
        (12, {"history_knee_oa": True}, False),  # explained by known osteoarthritis
        (12, {"inflammatory_arthritis": True}, False),
    ],
)
def test_pain_that_keeps_getting_worse_for_six_weeks_needs_an_x_ray(
    weeks: float, extra: dict[str, Any], fires: bool
) -> None:
    answers = {"pain_trend": "worsening", "symptom_duration_weeks": weeks, **extra}
    assert ("rf_tumour_suspected" in fired(answers)) is fires


def test_stable_long_pain_is_not_a_tumour_flag() -> None:
    answers = {"pain_trend": "stable", "symptom_duration_weeks": 30}
    assert "rf_tumour_suspected" not in fired(answers)


# ---------------------------------------------------------------- displaced meniscal tear


@pytest.mark.parametrize(
    ("rom", "fires"),
    [("lacks_extension", True), ("lacks_both", True), ("lacks_flexion", False), ("full", False)],
)
def test_a_knee_that_cannot_straighten_after_a_twist_is_an_urgent_orthopaedic_review(
    rom: str, fires: bool
) -> None:
    answers = {"mech_twist_planted_foot": True, "knee_rom_limited": rom}
    assert ("rf_extension_block_after_twist" in fired(answers, role="clinician")) is fires


def test_reported_locking_is_urgent_whatever_the_mechanism() -> None:
    assert urgency({"locked_cannot_straighten": True}) == "urgent"


# ---------------------------------------------------------------- Ottawa knee rule


@pytest.mark.parametrize(("weeks", "rule"), [(1, "rf_ottawa_positive"), (3, None)])
def test_ottawa_is_one_rule_within_seven_days(weeks: float, rule: str | None) -> None:
    answers = {"onset": "injury_sudden", "symptom_duration_weeks": weeks, "age_years": 60}
    assert ("rf_ottawa_positive" in fired(answers)) is (rule is not None)


def test_a_high_energy_injury_names_fracture_whatever_ottawa_says() -> None:
    answers: dict[str, Any] = {
        "onset": "injury_sudden",
        "mech_high_energy_or_deformity": True,
        "age_years": 30,
    }
    rules = triage(KB, answers).fired
    dislocation = next(r for r in rules if r.id == "rf_knee_dislocation")
    assert "fracture" in dislocation.suspects


def test_unable_to_bear_weight_after_the_ottawa_window_is_still_urgent() -> None:
    answers = {"onset": "injury_sudden", "symptom_duration_weeks": 3, "unable_to_bear_weight": True}
    assert fired(answers)["rf_injury_cannot_bear_weight"] == "urgent"


def test_every_changed_rule_records_its_guideline_audit() -> None:
    audited = {r.id for r in KB.rules if r.audit}
    for rule_id in (
        "rf_dvt_wells_unlikely_calf",
        "rf_calf_pain_worsening_after_injury",
        "rf_mass_over_50",
        "rf_tumour_suspected",
        "rf_extension_block_after_twist",
        "rf_locked_knee",
        "rf_ottawa_positive",
    ):
        assert rule_id in audited


# ---------------------------------------------------------------- audited as they stand (issue 13)


@pytest.mark.parametrize(
    ("answers", "role"),
    [
        ({"knee_hot_red_swollen": True, "fever_or_chills": False}, "patient"),
        ({"effusion": "tense_hot"}, "clinician"),
    ],
)
def test_a_hot_swollen_knee_is_septic_until_proven_otherwise_even_without_fever(
    answers: dict[str, Any], role: str
) -> None:
    """BSR/BOA 2006: treat as septic arthritis even in the absence of fever."""
    assert fired(answers, role=role)["rf_septic_arthritis"] == "emergency"


def test_saddle_numbness_or_a_bladder_change_alone_is_an_emergency() -> None:
    """BMJ Best Practice: any one cauda equina red flag means hospital within hours."""
    answers = {"saddle_numbness_or_bladder_bowel_change": True}
    assert fired(answers)["rf_cauda_equina"] == "emergency"


@pytest.mark.parametrize(
    "sign", ["low_back_pain", "pain_radiates_below_knee", "foot_drop_or_weakness"]
)
def test_both_legs_affected_with_a_nerve_root_sign_is_the_cauda_equina_emergency(sign: str) -> None:
    """BMJ Best Practice / NHS Lothian: bilateral sciatica or deficits of both legs."""
    answers = {"bilateral_leg_symptoms": True, sign: True}
    assert fired(answers)["rf_cauda_equina"] == "emergency"


@pytest.mark.parametrize(
    ("age", "rule", "level"),
    [
        (49, "rf_paes_suspected", "urgent"),
        (None, "rf_paes_suspected", "urgent"),  # age unknown: the young person's rule
        (50, "sc_claudication_older", "surgical_consult"),
    ],
)
def test_exertional_calf_claudication_is_flagged_at_every_age(
    age: int | None, rule: str, level: str
) -> None:
    answers: dict[str, Any] = {"exertional_calf_claudication": True}
    if age is not None:
        answers["age_years"] = age
    assert fired(answers) == {rule: level}


@pytest.mark.parametrize(("abi", "fires"), [(0.89, True), (0.9, False)])
def test_after_an_injury_an_abi_below_0_9_is_the_dislocation_emergency(
    abi: float, fires: bool
) -> None:
    """Boyce 2015: normal pulses with ABI 0.9 or more are observed with serial examination."""
    answers = {
        "onset": "injury_sudden",
        "symptom_duration_weeks": 0.2,
        "pedal_pulses": "normal",
        "abi": abi,
    }
    assert ("rf_knee_dislocation" in fired(answers, role="clinician")) is fires


def test_a_swollen_calf_is_the_same_day_clot_pathway_whatever_the_person_thinks_it_is() -> None:
    """NG158: a swollen leg is a DVT sign; only a clinician's alternative diagnosis counts."""
    answers = {"calf_swelling": True, "wells_alternative_dx_as_likely": True}
    assert fired(answers)["rf_unexplained_leg_swelling"] == "emergency"


def test_a_worsening_deficit_is_an_emergency_and_a_stable_foot_drop_urgent() -> None:
    assert urgency({"neuro_deficit_worsening": True}) == "emergency"
    assert urgency({"foot_drop_or_weakness": True}) == "urgent"


# Section 2.1 E3 and Boyce 2015: a knee lax in several ligaments after an acute injury may have
# dislocated and gone back in; it is an emergency until pulses and the ABI are recorded normal.
MULTI_LIGAMENT = {
    "onset": "injury_sudden",
    "symptom_duration_weeks": 0,
    "posterior_sag": True,
    "valgus_laxity_30": True,
}


def test_a_multi_ligament_knee_after_an_injury_is_a_dislocation_until_pulses_are_normal() -> None:
    assert "rf_knee_dislocation" in fired(MULTI_LIGAMENT, "clinician")
    assert urgency(MULTI_LIGAMENT, "clinician") == "emergency"
    only_pulses = {**MULTI_LIGAMENT, "pedal_pulses": "normal"}
    assert "rf_knee_dislocation" in fired(only_pulses, "clinician")  # the ABI is still missing
    checked = {**only_pulses, "abi": 1.0}
    assert "rf_knee_dislocation" not in fired(checked, "clinician")
    assert urgency(checked, "clinician") == "surgical_consult"
    one_ligament = {**MULTI_LIGAMENT, "valgus_laxity_30": False}
    assert "rf_knee_dislocation" not in fired(one_ligament, "clinician")
    weeks_later = {**MULTI_LIGAMENT, "symptom_duration_weeks": 3}
    assert "rf_knee_dislocation" not in fired(weeks_later, "clinician")


# An injury's emergency signs are about the first days: a high-force injury or fast swelling
# years ago is not an emergency now (DeHaven 1980; section 2.1 E3 / U1 (3)).
def test_old_high_force_injury_or_fast_swelling_is_not_an_emergency_now() -> None:
    crash = {"onset": "injury_sudden", "mech_high_energy_or_deformity": True}
    assert urgency({**crash, "symptom_duration_weeks": 1}) == "emergency"
    assert urgency(crash) == "emergency"  # duration unknown: still an emergency
    assert "rf_knee_dislocation" not in fired({**crash, "symptom_duration_weeks": 104})
    swelled = {"onset": "injury_sudden", "swelling_within_2h_of_injury": True}
    assert "rf_haemarthrosis" in fired({**swelled, "symptom_duration_weeks": 1})
    assert "rf_haemarthrosis" in fired(swelled)
    later = {**swelled, "symptom_duration_weeks": 6}
    assert "rf_haemarthrosis" not in fired(later)
    assert "sc_old_haemarthrosis" in fired(later)
    assert urgency(later) == "surgical_consult"


# Scottish Referral Guidelines 2025 (NHS Lothian) and NICE NG12: a soft tissue lump that is
# growing, 5 cm or more, deep or fixed, or hard needs an urgent scan (within 2 weeks).
def test_a_lump_with_a_sarcoma_feature_is_urgent_at_any_age() -> None:
    lump = {"age_years": 34, "lump_behind_knee": True}
    assert "rf_soft_tissue_sarcoma_suspected" not in fired(lump)
    for feature in (
        {"lump_growing": True},
        {"lump_size": "golf_ball_or_bigger"},
    ):
        assert urgency({**lump, **feature}) == "urgent"
    assert urgency({**lump, "lump_growing": False, "lump_size": "smaller_than_golf_ball"}) == (
        "conservative"
    )
    exam = {"popliteal_mass_exam": "soft_non_pulsatile"}
    assert "rf_soft_tissue_sarcoma_suspected" not in fired(
        {**exam, "mass_size_cm": 4.9}, "clinician"
    )
    assert "rf_soft_tissue_sarcoma_suspected" in fired({**exam, "mass_size_cm": 5}, "clinician")
    assert "rf_soft_tissue_sarcoma_suspected" in fired(
        {**exam, "mass_fixed_or_hard": True}, "clinician"
    )
    assert "tumor" in to_json(KB, screen(KB, {**lump, "lump_growing": True}))["must_rule_out"]


# BSR/BOA (Coakley 2006): a hot swollen joint is septic until proven otherwise; a swollen knee
# with red skin is that joint, whichever way it was recorded.
def test_a_swollen_knee_with_red_skin_is_a_hot_swollen_joint() -> None:
    assert urgency({"knee_swollen": True, "skin_red_knee_or_leg": True}) == "emergency"
    assert "rf_septic_arthritis" in fired(
        {"effusion": "large", "skin_red_knee_or_leg": True}, "clinician"
    )
    assert "rf_septic_arthritis" not in fired(
        {"effusion": "small", "skin_red_knee_or_leg": True}, "clinician"
    )
    assert "rf_septic_arthritis" not in fired({"knee_swollen": True, "skin_red_knee_or_leg": False})


# A motor deficit recorded as an MRC grade: dorsiflexion 4/5 or less is the foot-drop deficit.
def test_weak_ankle_dorsiflexion_by_grade_is_a_motor_deficit() -> None:
    assert "rf_motor_deficit" in fired({"ankle_dorsiflexion_mrc": 4}, "clinician")
    assert "rf_motor_deficit" not in fired({"ankle_dorsiflexion_mrc": 5}, "clinician")


def test_weak_toe_flexion_by_grade_is_a_tibial_motor_deficit() -> None:
    """The tibial pattern: toe flexion 3/5 or less; 4/5 can be pain from a calf strain."""
    assert "rf_motor_deficit" in fired({"toe_flexion_mrc": 2}, "clinician")
    assert "rf_motor_deficit" not in fired({"toe_flexion_mrc": 4}, "clinician")
