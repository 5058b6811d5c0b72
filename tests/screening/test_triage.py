"""Each red-flag rule at its boundaries, with the source of the rule named in the test."""

from __future__ import annotations

from typing import Any

import pytest

from popliteal.knowledge.loader import Knowledge
from popliteal.screening.triage import triage

INJURY = {"onset": "injury_sudden"}


def fired(kb: Knowledge, answers: dict[str, Any], role: str = "patient") -> set[str]:
    return {r.id for r in triage(kb, answers, role=role).fired}


def urgency(kb: Knowledge, answers: dict[str, Any], role: str = "patient") -> str:
    return triage(kb, answers, role=role).urgency


def test_no_answers_is_conservative(kb: Knowledge) -> None:
    assert urgency(kb, {}) == "conservative"


# Ottawa knee rule, Stiell 1995/1996 (§2.3): age 55 or older, acute injury only.
def test_ottawa_age_54_does_not_fire_and_55_does(kb: Knowledge) -> None:
    assert "rf_ottawa_positive" not in fired(kb, {**INJURY, "age_years": 54})
    assert "rf_ottawa_positive" in fired(kb, {**INJURY, "age_years": 55})
    assert urgency(kb, {**INJURY, "age_years": 55}) == "emergency"


def test_ottawa_needs_an_injury(kb: Knowledge) -> None:
    assert "rf_ottawa_positive" not in fired(kb, {"onset": "gradual", "age_years": 70})
    assert "rf_ottawa_positive" not in fired(kb, {"age_years": 70})


def test_ottawa_applies_only_within_the_first_week(kb: Knowledge) -> None:
    assert "rf_ottawa_positive" in fired(
        kb, {**INJURY, "age_years": 60, "symptom_duration_weeks": 1}
    )
    assert "rf_ottawa_positive" not in fired(
        kb, {**INJURY, "age_years": 60, "symptom_duration_weeks": 1.5}
    )


@pytest.mark.parametrize(
    "item",
    [
        "ottawa_isolated_patella_tenderness",
        "ottawa_fibular_head_tenderness",
        "ottawa_cannot_flex_90",
        "ottawa_cannot_bear_weight_4_steps",
        "unable_to_bear_weight",
    ],
)
def test_each_ottawa_item_fires_alone_after_injury(kb: Knowledge, item: str) -> None:
    assert "rf_ottawa_positive" in fired(kb, {**INJURY, "age_years": 30, item: True})
    assert "rf_ottawa_positive" not in fired(kb, {**INJURY, "age_years": 30, item: False})


def test_ottawa_reports_the_findings_that_fired_it(kb: Knowledge) -> None:
    result = triage(
        kb,
        {
            **INJURY,
            "age_years": 30,
            "ottawa_fibular_head_tenderness": True,
            "ottawa_cannot_flex_90": False,
        },
    )
    rule = next(r for r in result.fired if r.id == "rf_ottawa_positive")
    assert set(rule.because) == {"onset", "ottawa_fibular_head_tenderness"}


def test_mechanism_counts_as_injury_when_onset_unanswered(kb: Knowledge) -> None:
    answers = {"mech_dashboard_or_fall_on_flexed_knee": True, "age_years": 58}
    assert "rf_ottawa_positive" in fired(kb, answers)
    assert "rf_ottawa_positive" not in fired(kb, {**answers, "onset": "gradual"})


def test_a_positive_ottawa_exam_item_implies_an_acute_injury(kb: Knowledge) -> None:
    assert "rf_ottawa_positive" in fired(kb, {"ottawa_fibular_head_tenderness": True})
    assert "rf_ottawa_positive" not in fired(
        kb, {"onset": "gradual", "ottawa_fibular_head_tenderness": True}
    )


def test_unable_to_bear_weight_after_the_window_is_urgent(kb: Knowledge) -> None:
    answers = {
        **INJURY,
        "age_years": 30,
        "symptom_duration_weeks": 3,
        "unable_to_bear_weight": True,
    }
    assert "rf_injury_cannot_bear_weight" in fired(kb, answers)
    assert urgency(kb, answers) == "urgent"


# Wells DVT score, Wells 1997/2003, two-level (§2.2): >= 2 likely.
WELLS_PATIENT_ITEMS = [
    "wells_active_cancer",
    "wells_paralysis_or_cast",
    "wells_bedridden_or_major_surgery",
    "wells_previous_dvt",
]


def test_wells_1_is_not_likely_and_2_is(kb: Knowledge) -> None:
    one = {"wells_active_cancer": True}
    two = {"wells_active_cancer": True, "wells_previous_dvt": True}
    assert "rf_dvt_wells_likely" not in fired(kb, one)
    assert triage(kb, one).wells_score == 1
    assert "rf_dvt_wells_likely" in fired(kb, two)
    assert urgency(kb, two) == "emergency"


@pytest.mark.parametrize(
    "item",
    [
        "wells_deep_vein_tenderness",
        "wells_collateral_veins",
        "wells_calf_swelling_gt_3cm",
        "wells_pitting_oedema",
        "wells_entire_leg_swollen",
        *WELLS_PATIENT_ITEMS,
    ],
)
def test_every_wells_item_is_worth_one_point(kb: Knowledge, item: str) -> None:
    assert (
        triage(
            kb,
            {item: True, "wells_active_cancer": True}
            if item != "wells_active_cancer"
            else {item: True, "wells_previous_dvt": True},
        ).wells_score
        == 2
    )


def test_alternative_diagnosis_counts_only_from_a_clinician(kb: Knowledge) -> None:
    answers = {
        "wells_active_cancer": True,
        "wells_previous_dvt": True,
        "wells_deep_vein_tenderness": True,
        "wells_alternative_dx_as_likely": True,
    }
    patient = triage(kb, answers, role="patient")
    assert patient.wells_score == 3
    assert "rf_dvt_wells_likely" in {r.id for r in patient.fired}
    assert patient.wells_alternative_ignored
    clinician = triage(kb, answers, role="clinician")
    assert clinician.wells_score == 1
    assert "rf_dvt_wells_likely" not in {r.id for r in clinician.fired}


def test_unexplained_calf_swelling_is_an_emergency(kb: Knowledge) -> None:
    # A ruptured Baker's cyst cannot be told from DVT clinically (§1.4, §2.1).
    assert urgency(kb, {"calf_swelling": True}) == "emergency"
    assert urgency(kb, {"calf_swelling": True, "lump_behind_knee": True}) == "emergency"
    assert urgency(kb, {"calf_swelling": False}) == "conservative"
    assert "rf_unexplained_leg_swelling" not in fired(
        kb, {"calf_swelling": True, "wells_alternative_dx_as_likely": True}, role="clinician"
    )
    assert "rf_unexplained_leg_swelling" in fired(
        kb, {"calf_swelling": True, "wells_alternative_dx_as_likely": True}, role="patient"
    )


# (answers, rule): the smallest answers that fire each rule. Sources: PE, ischaemia, compartment
# RCEM / NICE NG158 (§2.1 E1, E2, E7); dislocation Mills 2004 (§2.4); septic Margaretten 2007;
# cauda equina BMJ Best Practice (§2.1 E5); aneurysm SVS Farber 2022; haemarthrosis §2.1 U1.
EMERGENCY_CASES: list[tuple[dict[str, Any], str]] = [
    ({"breathless_or_chest_pain": True}, "rf_pe_suspected"),
    ({"fever_or_chills": True}, "rf_fever_knee_pain"),
    ({"wells_previous_dvt": True, "pain_location": "calf"}, "rf_dvt_wells_unlikely_calf"),
    (
        {**INJURY, "pain_location": "calf", "pain_trend": "worsening", "symptom_duration_weeks": 1},
        "rf_calf_pain_worsening_after_injury",
    ),
    ({"cold_pale_numb_foot": True}, "rf_limb_ischaemia"),
    ({"mech_high_energy_or_deformity": True}, "rf_knee_dislocation"),
    ({**INJURY, "pedal_pulses": "reduced_or_absent"}, "rf_knee_dislocation"),
    ({"knee_hot_red_swollen": True}, "rf_septic_arthritis"),
    ({"effusion": "tense_hot"}, "rf_septic_arthritis"),
    ({"saddle_numbness_or_bladder_bowel_change": True}, "rf_cauda_equina"),
    ({"bilateral_leg_symptoms": True, "low_back_pain": True}, "rf_cauda_equina"),
    ({"neuro_deficit_worsening": True}, "rf_progressive_neuro_deficit"),
    ({"calf_pain_passive_stretch_tense": True}, "rf_compartment_syndrome"),
    ({"lump_pulsates": True, "cold_pale_numb_foot": True}, "rf_aneurysm_ischaemia"),
    ({"swelling_within_2h_of_injury": True}, "rf_haemarthrosis"),
    ({"wells_active_cancer": True, "wells_previous_dvt": True}, "rf_dvt_wells_likely"),
    ({"calf_swelling": True}, "rf_unexplained_leg_swelling"),
    ({**INJURY, "age_years": 55}, "rf_ottawa_positive"),
    # issue 14 safety vocabulary: ESVS 2020 acute limb ischaemia, Woon 2016 pucker sign, NICE
    # NG158 suspected DVT (a clinician's suspicion; spontaneous calf bruising)
    ({"leg_cold_or_mottled": True}, "rf_cold_leg_acute"),
    ({"walking_distance_suddenly_shorter": True}, "rf_claudication_suddenly_worse"),
    ({**INJURY, "knee_skin_dimple": True}, "rf_knee_dislocation"),
    ({"clinician_suspects_dvt": True}, "rf_dvt_suspected_by_clinician"),
    ({"onset": "gradual", "bruising": "back_of_knee_or_calf"}, "rf_bruising_without_injury"),
]


@pytest.mark.parametrize(("answers", "rule"), EMERGENCY_CASES)
def test_emergency_triggers(kb: Knowledge, answers: dict[str, Any], rule: str) -> None:
    assert rule in fired(kb, answers)
    assert urgency(kb, answers) == "emergency"


def test_both_legs_affected_alone_is_urgent_and_with_nerve_signs_an_emergency(
    kb: Knowledge,
) -> None:
    # Bilateral sciatica or leg weakness is a cauda equina red flag (§2.1 E5, §2.4).
    assert urgency(kb, {"bilateral_leg_symptoms": True}) == "urgent"
    assert "rf_cauda_equina" not in fired(kb, {"bilateral_leg_symptoms": True})
    both = {"bilateral_leg_symptoms": True, "pain_radiates_below_knee": True}
    assert urgency(kb, both) == "emergency"


def test_fever_or_new_swelling_after_knee_surgery_is_an_emergency(kb: Knowledge) -> None:
    """A septic joint is same-day care, which is our emergency level (clinical-contract.md
    "septic joint ... after recent surgery/injection"; §2.1 U1 (7) fever with knee pain)."""
    assert urgency(kb, {"fever_or_chills": True}) == "emergency"
    after_surgery = {"recent_knee_surgery_or_injection": True}
    assert urgency(kb, after_surgery) != "emergency"  # surgery alone is not a sign
    swollen = {**after_surgery, "swelling_gradual_or_after_activity": True}
    assert "rf_fever_knee_pain" in fired(kb, swollen)
    assert urgency(kb, swollen) == "emergency"
    assert urgency(kb, {"fever_or_chills": False}) == "conservative"


# ABI < 0.90 after knee trauma: arterial injury (Mills 2004).
def test_abi_boundary_after_injury(kb: Knowledge) -> None:
    assert "rf_knee_dislocation" not in fired(kb, {**INJURY, "abi": 0.9})
    assert "rf_knee_dislocation" in fired(kb, {**INJURY, "abi": 0.89})


# Sources: locked knee Logerstedt 2018 (§2.1 U1); motor deficit §1.9-1.10; tumour §1.17; PAES
# VisualDx (§1.13); pulsatile mass SVS (§1.12); tendon rupture §2.1 U2; fever §2.1 U1 (7);
# Wells 1 with calf pain NICE NG158; weight bearing beyond the Ottawa window §2.3.
URGENT_CASES: list[tuple[dict[str, Any], str]] = [
    ({"lump_behind_knee": True, "lump_growing": True}, "rf_soft_tissue_sarcoma_suspected"),
    ({"bilateral_leg_symptoms": True}, "rf_bilateral_leg_symptoms"),
    ({"locked_cannot_straighten": True}, "rf_locked_knee"),
    ({"foot_drop_or_weakness": True}, "rf_motor_deficit"),
    ({"myotomal_weakness": "l5"}, "rf_motor_deficit"),
    ({"night_or_rest_pain": True, "unexplained_weight_loss": True}, "rf_tumour_suspected"),
    ({"night_or_rest_pain": True, "age_years": 19}, "rf_tumour_suspected"),
    ({"exertional_calf_claudication": True, "age_years": 28}, "rf_paes_suspected"),
    ({"pulses_lost_on_plantarflexion": True}, "rf_paes_suspected"),
    ({"lump_pulsates": True}, "rf_pulsatile_mass"),
    ({"popliteal_mass_exam": "pulsatile"}, "rf_pulsatile_mass"),
    ({"night_or_rest_pain": True, "age_years": 40}, "rf_tumour_suspected"),
    (
        {"mech_twist_planted_foot": True, "knee_rom_limited": "lacks_extension"},
        "rf_extension_block_after_twist",
    ),
    (
        {"calf_pop_on_pushoff": True, "bruising": "ankle_or_foot", "walking_difficult": True},
        "rf_tendon_rupture_suspected",
    ),
    (
        {**INJURY, "symptom_duration_weeks": 3, "unable_to_bear_weight": True},
        "rf_injury_cannot_bear_weight",
    ),
    # a cold leg past the 2 weeks of acute limb ischaemia (ESVS 2020): vascular review in days
    ({"leg_cold_or_mottled": True, "symptom_duration_weeks": 4}, "rf_cold_leg_lasting"),
]


@pytest.mark.parametrize(("answers", "rule"), URGENT_CASES)
def test_urgent_triggers(kb: Knowledge, answers: dict[str, Any], rule: str) -> None:
    assert rule in fired(kb, answers)
    assert urgency(kb, answers) == "urgent"


def test_tumour_night_pain_has_no_age_gate(kb: Knowledge) -> None:
    """NICE CG27 1.13.3 / NG12: unexplained bone pain at rest is X-rayed at any age; under 25
    raises suspicion but is not a gate (tests/screening/test_guideline_rules.py)."""
    assert "rf_tumour_suspected" in fired(kb, {"night_or_rest_pain": True, "age_years": 24})
    assert "rf_tumour_suspected" in fired(kb, {"night_or_rest_pain": True, "age_years": 25})


def test_claudication_age_boundary(kb: Knowledge) -> None:
    young = {"exertional_calf_claudication": True, "age_years": 49}
    old = {"exertional_calf_claudication": True, "age_years": 50}
    assert urgency(kb, young) == "urgent"
    assert urgency(kb, old) == "surgical_consult"


# Sources: PCL grade 3 and combined injuries VisualDx / AccessPediatrics (§1.1, §3.2); PLC §1.14;
# instability Logerstedt 2017; meniscus with mechanical symptoms Kise 2016; muscle tears §1.5,
# §1.7; failed care Kise 2016 (§2.1 R); claudication over 50 §1.12.
SURGICAL_CASES: list[tuple[dict[str, Any], str]] = [
    (
        {
            "onset": "injury_sudden",
            "swelling_within_2h_of_injury": True,
            "symptom_duration_weeks": 4,
        },
        "sc_old_haemarthrosis",
    ),
    ({"posterior_drawer": "grade_3"}, "sc_pcl_grade_3"),
    ({"age_years": 61, "lump_behind_knee": True, "lump_pulsates": False}, "rf_mass_over_50"),
    ({"posterior_sag": True, "lachman_positive": True}, "sc_combined_ligament"),
    ({"dial_test": "at_30_only"}, "sc_posterolateral_corner"),
    ({"varus_laxity_30": True}, "sc_posterolateral_corner"),
    (
        {"onset": "injury_sudden", "mech_hyperextension_or_varus_blow": True},
        "sc_plc_mechanism_unexamined",
    ),
    ({"giving_way": True, "valgus_laxity_30": True}, "sc_instability"),
    ({"catching_or_locking": True, "mcmurray": True}, "sc_meniscal_mechanical"),
    (
        {"thigh_pain_onset_sprint_kick_stretch": True, "bruising": "thigh"},
        "sc_serious_muscle_tear",
    ),
    ({"conservative_care_weeks_without_improvement": 12}, "sc_failed_conservative_care"),
    ({"exertional_calf_claudication": True, "age_years": 50}, "sc_claudication_older"),
]


@pytest.mark.parametrize(("answers", "rule"), SURGICAL_CASES)
def test_surgical_consult_triggers(kb: Knowledge, answers: dict[str, Any], rule: str) -> None:
    assert rule in fired(kb, answers)
    assert urgency(kb, answers) == "surgical_consult"


# Failure of >= 12 weeks of adequate conservative care (Kise 2016; §2.1 R).
def test_failed_conservative_care_boundary(kb: Knowledge) -> None:
    assert urgency(kb, {"conservative_care_weeks_without_improvement": 11.9}) == "conservative"
    assert urgency(kb, {"conservative_care_weeks_without_improvement": 12}) == "surgical_consult"


# §1.14: the PLC mechanism asks for a ligament examination within weeks until a clinician has
# recorded both the dial test and varus laxity, and only for a recent (or undated) injury.
def test_plc_mechanism_holds_until_both_plc_tests_are_recorded(kb: Knowledge) -> None:
    hurt = {"onset": "injury_sudden", "mech_hyperextension_or_varus_blow": True}
    rule = "sc_plc_mechanism_unexamined"
    assert rule in fired(kb, {**hurt, "symptom_duration_weeks": 3})
    assert rule not in fired(kb, {**hurt, "symptom_duration_weeks": 3.5})
    assert rule in fired(kb, {**hurt, "dial_test": "negative"})
    examined = {**hurt, "dial_test": "negative", "varus_laxity_30": False}
    assert rule not in fired(kb, examined)
    assert urgency(kb, examined) == "conservative"
    assert urgency(kb, {**hurt, "dial_test": "at_30_only", "varus_laxity_30": False}) == (
        "surgical_consult"
    )


def test_posterior_drawer_grade_2_alone_stays_conservative(kb: Knowledge) -> None:
    assert urgency(kb, {"posterior_drawer": "grade_2"}) == "conservative"


def test_most_urgent_rule_wins_and_all_are_listed(kb: Knowledge) -> None:
    result = triage(
        kb,
        {
            "locked_cannot_straighten": True,
            "breathless_or_chest_pain": True,
            "posterior_drawer": "grade_3",
        },
    )
    assert result.urgency == "emergency"
    assert [r.urgency for r in result.fired] == ["emergency", "urgent", "surgical_consult"]


def test_every_rule_has_messages_for_both_audiences(kb: Knowledge) -> None:
    for rule in kb.rules:
        assert rule.patient_message.strip()
        assert rule.clinician_note.strip()


ALL_CASES = EMERGENCY_CASES + URGENT_CASES + SURGICAL_CASES


def test_every_rule_has_a_trigger_case(kb: Knowledge) -> None:
    assert {rule for _, rule in ALL_CASES} == {r.id for r in kb.rules}


@pytest.mark.parametrize(
    ("answers", "rule"),
    [
        (answers, rule)
        for answers, rule in ALL_CASES
        if sum(v is True for v in answers.values()) == 1
    ],
)
def test_the_rule_does_not_fire_when_its_trigger_is_denied(
    kb: Knowledge, answers: dict[str, Any], rule: str
) -> None:
    denied = {k: (False if v is True else v) for k, v in answers.items()}
    assert rule not in fired(kb, denied)
