"""Textbook presentations of every contract condition, screened end to end.

Each case is a presentation as the cited source describes it, written only in contract ids and
values. The urgency must be exactly right (red flags drive it, never probabilities); the
expected condition must rank first when the condition is common and the presentation is full,
and in the top three for the rare ones (PAES, PAA, fabella, dislocation, fracture, tumour).
Section numbers (§) refer to ../shared/design/clinical-evidence.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Urgency
from popliteal.screening.answers import parse_answers
from tests.conftest import result_json
from tests.contract import CONDITION_IDS

FIRST = 1
TOP_3 = 3


@dataclass(frozen=True)
class Case:
    condition: str
    urgency: Urgency
    answers: dict[str, Any]
    role: str = "clinician"
    within: int = FIRST
    red_flags: frozenset[str] = field(default_factory=frozenset)


CASES: dict[str, Case] = {
    # §1.1 PCL: young man, fall onto the flexed knee in contact sport, little swelling, posterior
    # pain; posterior drawer grade 2 with sag, other ligaments intact (VisualDx PCL;
    # kneejointsurgery PCL; Rubinstein 1994). Isolated grade I-II PCL is treated without surgery
    # (AccessPediatrics PCL).
    "pcl-fall-on-flexed-knee-grade-2-drawer": Case(
        "pcl_injury",
        "conservative",
        {
            "age_years": 24,
            "sex": "male",
            "sport": "combat_or_contact",
            "onset": "injury_sudden",
            "symptom_duration_weeks": 3,
            "mech_dashboard_or_fall_on_flexed_knee": True,
            "pop_at_injury": False,
            "pain_location": "center_back",
            "pain_downhill_or_stairs_down": True,
            "unable_to_bear_weight": False,
            "effusion": "small",
            "posterior_drawer": "grade_2",
            "posterior_sag": True,
            "lachman_positive": False,
            "valgus_laxity_30": False,
            "varus_laxity_30": False,
            "dial_test": "negative",
            "ottawa_fibular_head_tenderness": False,
            "ottawa_cannot_flex_90": False,
        },
    ),
    # §1.1 PCL, patient only: dashboard injury in a car crash a few weeks ago, pain behind the knee
    # worse on stairs down, no pop (VisualDx PCL; AccessPediatrics PCL; kneejointsurgery PCL).
    "pcl-dashboard-patient-only": Case(
        "pcl_injury",
        "conservative",
        {
            "age_years": 29,
            "sex": "male",
            "onset": "injury_sudden",
            "symptom_duration_weeks": 4,
            "mech_dashboard_or_fall_on_flexed_knee": True,
            "mech_high_energy_or_deformity": False,
            "pop_at_injury": False,
            "pain_location": "center_back",
            "pain_downhill_or_stairs_down": True,
            "pain_when_walking": True,
            "unable_to_bear_weight": False,
        },
        role="patient",
    ),
    # §1.14 PLC: blow to the anteromedial knee with varus/hyperextension in a tackle,
    # posterolateral pain and bruising, instability near extension; varus laxity at 30 deg and
    # dial test positive at 30 deg only (UMEM pearl; LaPrade 2008; clinicalpub PLC).
    "plc-varus-hyperextension-dial-30": Case(
        "posterolateral_corner_injury",
        "surgical_consult",
        {
            "age_years": 27,
            "sex": "male",
            "sport": "combat_or_contact",
            "onset": "injury_sudden",
            "symptom_duration_weeks": 2,
            "mech_hyperextension_or_varus_blow": True,
            "pain_location": "posterolateral",
            "bruising": "back_of_knee_or_calf",
            "giving_way": True,
            "unable_to_bear_weight": False,
            "varus_laxity_30": True,
            "dial_test": "at_30_only",
            "posterior_drawer": "negative",
            "lachman_positive": False,
            "valgus_laxity_30": False,
        },
        red_flags=frozenset({"sc_posterolateral_corner", "sc_instability"}),
    ),
    # §1.2 meniscus, traumatic: young footballer twisted on a planted foot, swelling over the next
    # day, catching, deep-squat pain at the posteromedial joint line; Lowery cluster 4/5
    # (Howell 2014; Lowery 2006). Mechanical symptoms with a positive exam: specialist opinion.
    "meniscus-young-twist-lowery-4": Case(
        "meniscal_tear",
        "surgical_consult",
        {
            "age_years": 22,
            "sex": "male",
            "sport": "field_or_court_sport",
            "onset": "injury_sudden",
            "symptom_duration_weeks": 2,
            "mech_twist_planted_foot": True,
            "swelling_within_2h_of_injury": False,
            "swelling_gradual_or_after_activity": True,
            "catching_or_locking": True,
            "locked_cannot_straighten": False,
            "pain_deep_squat_or_kneel": True,
            "pain_location": "posteromedial",
            "unable_to_bear_weight": False,
            "effusion": "small",
            "tenderness_site": "posteromedial_joint_line",
            "meniscal_cluster_count": 4,
            "lachman_positive": False,
            "posterior_drawer": "negative",
            "valgus_laxity_30": False,
        },
        red_flags=frozenset({"sc_meniscal_mechanical"}),
    ),
    # §1.2 meniscus, degenerative: man in his fifties, insidious posteromedial pain, deep-squat
    # pain, swelling after activity, no locking, no OA stiffness or grinding; Lowery cluster 3/5
    # (Howell 2014; Englund 2008; Lowery 2006). Exercise therapy first (Kise 2016).
    "meniscus-degenerative-lowery-3": Case(
        "meniscal_tear",
        "conservative",
        {
            "age_years": 52,
            "sex": "male",
            "onset": "gradual",
            "symptom_duration_weeks": 8,
            "pain_location": "posteromedial",
            "pain_deep_squat_or_kneel": True,
            "swelling_gradual_or_after_activity": True,
            "catching_or_locking": False,
            "morning_stiffness_lt_30min": False,
            "crepitus": False,
            "effusion": "small",
            "knee_rom_limited": "full",
            "tenderness_site": "posteromedial_joint_line",
            "meniscal_cluster_count": 3,
        },
    ),
    # §1.3 knee OA: woman over 60 with BMI 32, a year of gradual pain, morning stiffness under 30
    # min, crepitus, pain with deep flexion and walking, small cool effusion, loss of flexion
    # (Altman 1986 ACR criteria; Peat 2006). Meniscal cluster 1/5 argues against a tear.
    "oa-acr-clinical-criteria": Case(
        "knee_osteoarthritis",
        "conservative",
        {
            "age_years": 64,
            "sex": "female",
            "bmi": 32,
            "onset": "gradual",
            "symptom_duration_weeks": 52,
            "morning_stiffness_lt_30min": True,
            "crepitus": True,
            "pain_deep_squat_or_kneel": True,
            "pain_when_walking": True,
            "swelling_gradual_or_after_activity": True,
            "knee_hot_red_swollen": False,
            "effusion": "small",
            "knee_rom_limited": "lacks_flexion",
            "meniscal_cluster_count": 1,
        },
    ),
    # §1.3 knee OA, patient only: 60-year-old with gradual pain, short morning stiffness and
    # crepitus (Altman 1986; Peat 2006).
    "oa-60-stiffness-crepitus-patient-only": Case(
        "knee_osteoarthritis",
        "conservative",
        {
            "age_years": 60,
            "onset": "gradual",
            "symptom_duration_weeks": 26,
            "morning_stiffness_lt_30min": True,
            "crepitus": True,
            "pain_when_walking": True,
        },
        role="patient",
    ),
    # §1.4 Baker's cyst: woman in her late fifties with known knee OA, posteromedial fullness that
    # tightens after activity and with full flexion; soft non-pulsatile posteromedial mass
    # (Handy 2001; doctor123 Baker's cyst: OA in ~50%). Over 50, the mass is scanned before it
    # is called a cyst (SVS 2022, Farber): a surgical consult, care may start meanwhile.
    "bakers-cyst-soft-posteromedial-mass": Case(
        "bakers_cyst",
        "surgical_consult",
        {
            "age_years": 58,
            "sex": "female",
            "history_knee_oa": True,
            "onset": "gradual",
            "symptom_duration_weeks": 10,
            "pain_location": "posteromedial",
            "lump_behind_knee": True,
            "lump_pulsates": False,
            "swelling_gradual_or_after_activity": True,
            "pain_deep_squat_or_kneel": True,
            "night_or_rest_pain": False,
            "calf_swelling": False,
            "popliteal_mass_exam": "soft_non_pulsatile",
            "effusion": "small",
            "knee_rom_limited": "lacks_flexion",
            "tenderness_site": "popliteal_fossa",
        },
    ),
    # §1.4 Baker's cyst, patient only: fullness behind the knee that does not pulse, known OA;
    # at 55 it is scanned before it is called a cyst (SVS 2022, Farber).
    "bakers-cyst-fullness-patient-only": Case(
        "bakers_cyst",
        "surgical_consult",
        {
            "age_years": 55,
            "history_knee_oa": True,
            "onset": "gradual",
            "pain_location": "posteromedial",
            "lump_behind_knee": True,
            "lump_pulsates": False,
            "swelling_gradual_or_after_activity": True,
            "pain_deep_squat_or_kneel": True,
            "calf_swelling": False,
            "night_or_rest_pain": False,
        },
        role="patient",
    ),
    # §1.4 ruptured Baker's cyst: older woman with knee OA and a known lump, sudden calf pain and
    # swelling without injury, bruising tracking to the ankle (crescent sign)
    # (medicalalgorithms pseudothrombophlebitis). Calf swelling nobody has explained is an
    # emergency: it cannot be told from DVT clinically (§2.1).
    "bakers-rupture-crescent-sign": Case(
        "bakers_cyst_rupture",
        "emergency",
        {
            "age_years": 63,
            "sex": "female",
            "history_knee_oa": True,
            "lump_behind_knee": True,
            "onset": "sudden_no_injury",
            "pain_location": "calf",
            "calf_swelling": True,
            "bruising": "ankle_or_foot",
        },
        role="patient",
        red_flags=frozenset({"rf_unexplained_leg_swelling"}),
    ),
    # §1.5 hamstring strain: young footballer, sudden sharp posterior-thigh pain while sprinting,
    # earlier strain on the same side; muscle-belly pain on resisted knee flexion, knee-extension
    # deficit (Askling 2013; Schmitt 2012; Martin 2022 CPG).
    "hamstring-strain-sprint": Case(
        "hamstring_strain",
        "conservative",
        {
            "age_years": 21,
            "sex": "male",
            "sport": "field_or_court_sport",
            "runner": True,
            "onset": "injury_sudden",
            "symptom_duration_weeks": 1,
            "thigh_pain_onset_sprint_kick_stretch": True,
            "prior_hamstring_injury": True,
            "pain_location": "back_of_thigh",
            "limp": True,
            "unable_to_bear_weight": False,
            "bruising": "none",
            "resisted_knee_flexion_pain": "muscle_belly",
            "tenderness_site": "hamstring_muscle_belly",
            "active_knee_extension_deficit_deg": 20,
        },
    ),
    # §1.5 hamstring strain, patient only, with bruising over 24-48 h: a serious tear needs a
    # specialist opinion (Erickson 2017; Martin 2022 CPG; §2.1 U2 (3)).
    "hamstring-strain-bruising-patient-only": Case(
        "hamstring_strain",
        "surgical_consult",
        {
            "age_years": 19,
            "sport": "field_or_court_sport",
            "onset": "injury_sudden",
            "symptom_duration_weeks": 1,
            "thigh_pain_onset_sprint_kick_stretch": True,
            "pain_location": "back_of_thigh",
            "bruising": "thigh",
            "limp": True,
            "walking_difficult": False,
            "unable_to_bear_weight": False,
        },
        role="patient",
        red_flags=frozenset({"sc_serious_muscle_tear"}),
    ),
    # §1.6 distal hamstring tendinopathy: endurance runner after longer long runs and hill work,
    # gradual posterolateral pain (biceps femoris), worse with running, eased by rest; focal
    # distal-tendon tenderness and pain on resisted knee flexion (thephysiorunner; eorthopod;
    # summerhillphysio, via §1.6).
    "hamstring-tendinopathy-runner": Case(
        "hamstring_tendinopathy",
        "conservative",
        {
            "age_years": 38,
            "sex": "male",
            "runner": True,
            "sport": "running",
            "onset": "gradual",
            "symptom_duration_weeks": 10,
            "run_spike_longest_run_pct": "30_100",
            "hills_or_downhill_added": True,
            "pain_location": "posterolateral",
            "pain_with_activity_eased_by_rest": True,
            "resisted_knee_flexion_pain": "distal_tendon",
            "tenderness_site": "distal_hamstring_tendon",
            "posterolateral_provocation": "negative",
        },
    ),
    # §1.7 tennis leg: man in his forties, pop "like a kick in the calf" pushing off at tennis,
    # upper-calf pain, hard to push off; tender medial gastrocnemius head, painful heel raise and
    # passive dorsiflexion (Gaulrapp 1999; Kwak 2006; Duke tennis leg). Tenderness without
    # bruising, a pop or trouble walking is not by itself a serious tear: conservative care.
    "gastrocnemius-tennis-leg": Case(
        "gastrocnemius_strain",
        "conservative",
        {
            "age_years": 45,
            "sex": "male",
            "sport": "field_or_court_sport",
            "onset": "injury_sudden",
            "symptom_duration_weeks": 1,
            "calf_pop_on_pushoff": True,
            "pain_location": "upper_calf",
            "walking_difficult": False,
            "limp": True,
            "unable_to_bear_weight": False,
            "calf_swelling": False,
            "medial_gastroc_tenderness_or_defect": True,
            "heel_raise_painful_or_weak": True,
            "calf_pain_on_stretch": True,
            "calf_pain_passive_stretch_tense": False,
            "tenderness_site": "medial_gastrocnemius",
        },
    ),
    # §1.7 tennis leg, patient only: pop on push-off, bruising tracking to the ankle, walking hard:
    # suspected complete tear, urgent review (Duke tennis leg; Kwak 2006: 68% complete).
    "gastrocnemius-bruising-patient-only": Case(
        "gastrocnemius_strain",
        "urgent",
        {
            "age_years": 48,
            "sex": "male",
            "onset": "injury_sudden",
            "symptom_duration_weeks": 1,
            "calf_pop_on_pushoff": True,
            "pain_location": "upper_calf",
            "bruising": "ankle_or_foot",
            "walking_difficult": True,
            "unable_to_bear_weight": False,
            "calf_swelling": False,
        },
        role="patient",
        red_flags=frozenset({"rf_tendon_rupture_suspected"}),
    ),
    # §1.8 popliteus tendinopathy: trail runner/hiker after more downhill, gradual posterolateral
    # pain worse downhill and down stairs; positive Garrick test and tenderness at the popliteus
    # origin, lateral meniscus and PLC tests negative (teachmeorthopedics; sportsmedreview).
    "popliteus-downhill-garrick": Case(
        "popliteus_tendinopathy",
        "conservative",
        {
            "age_years": 34,
            "sex": "female",
            "runner": True,
            "sport": "running",
            "onset": "gradual",
            "symptom_duration_weeks": 5,
            "hills_or_downhill_added": True,
            "pain_location": "posterolateral",
            "pain_downhill_or_stairs_down": True,
            "posterolateral_provocation": "popliteus_pattern",
            "tenderness_site": "posterolateral_joint_line",
            "meniscal_cluster_count": 1,
            "varus_laxity_30": False,
            "dial_test": "negative",
        },
    ),
    # §1.16 (with §1.8) patient only: a runner who added downhill running, with posterolateral
    # pain at a predictable point in runs after a jump in long-run and weekly distance
    # (Frandsen 2025; Nielsen 2014 JOSPT). A training-load error is the first thing to fix.
    "runner-added-downhill-patient-only": Case(
        "running_overload",
        "conservative",
        {
            "age_years": 35,
            "runner": True,
            "sport": "running",
            "weekly_running_miles": 25,
            "onset": "gradual",
            "hills_or_downhill_added": True,
            "run_spike_longest_run_pct": "30_100",
            "weekly_distance_increase_pct": "gt_30",
            "pain_location": "posterolateral",
            "pain_at_predictable_run_distance": True,
            "pain_downhill_or_stairs_down": True,
        },
        role="patient",
    ),
    # §1.9 lumbar radiculopathy (S1): middle-aged man with low back pain and leg pain running
    # past the knee, sole/lateral-foot paraesthesia, positive SLR and slump, reduced ankle reflex,
    # no weakness (Devillé 1998; Majlesi 2008; van der Windt 2010).
    "radiculopathy-s1-slump": Case(
        "lumbar_radiculopathy",
        "conservative",
        {
            "age_years": 45,
            "sex": "male",
            "onset": "gradual",
            "low_back_pain": True,
            "pain_radiates_below_knee": True,
            "pain_location": "back_of_thigh",
            "paraesthesia": "sole_calf_lateral_foot",
            "foot_drop_or_weakness": False,
            "bilateral_leg_symptoms": False,
            "saddle_numbness_or_bladder_bowel_change": False,
            "slr_positive": True,
            "slump_positive": True,
            "myotomal_weakness": "none",
            "reduced_ankle_reflex": True,
        },
    ),
    # §1.9 radiculopathy, patient only: back pain with pain and tingling down the leg.
    "radiculopathy-patient-only": Case(
        "lumbar_radiculopathy",
        "conservative",
        {
            "age_years": 42,
            "onset": "gradual",
            "low_back_pain": True,
            "pain_radiates_below_knee": True,
            "pain_location": "diffuse_leg",
            "paraesthesia": "sole_calf_lateral_foot",
            "foot_drop_or_weakness": False,
            "bilateral_leg_symptoms": False,
            "saddle_numbness_or_bladder_bowel_change": False,
        },
        role="patient",
    ),
    # §1.10 common peroneal neuropathy: foot drop with numbness of the shin/dorsum of the foot,
    # posterolateral knee pain, no back pain; Tinel at the fibular neck, normal ankle reflex
    # (peroneal review 2021; StatPearls peroneal; Clinical Advisor). New foot drop: urgent.
    "peroneal-foot-drop-tinel": Case(
        "peripheral_nerve_lesion",
        "urgent",
        {
            "age_years": 36,
            "sex": "female",
            "onset": "gradual",
            "pain_location": "posterolateral",
            "paraesthesia": "dorsum_foot_shin",
            "foot_drop_or_weakness": True,
            "neuro_deficit_worsening": False,
            "low_back_pain": False,
            "bilateral_leg_symptoms": False,
            "fibular_neck_tinel": True,
            "reduced_ankle_reflex": False,
            "slr_positive": False,
        },
        red_flags=frozenset({"rf_motor_deficit"}),
    ),
    # §1.11 DVT: older man three weeks after major surgery, sudden calf pain and swelling; calf
    # >3 cm larger, pitting oedema, deep-vein tenderness: Wells 4 = likely (Wells 1997/2003;
    # Goodacre 2005; NICE NG158).
    "dvt-post-surgery-wells-4": Case(
        "dvt",
        "emergency",
        {
            "age_years": 67,
            "sex": "male",
            "onset": "sudden_no_injury",
            "pain_location": "calf",
            "calf_swelling": True,
            "wells_bedridden_or_major_surgery": True,
            "wells_calf_swelling_gt_3cm": True,
            "wells_pitting_oedema": True,
            "wells_deep_vein_tenderness": True,
        },
        red_flags=frozenset({"rf_dvt_wells_likely", "rf_unexplained_leg_swelling"}),
    ),
    # §1.11 DVT, patient only: woman on cancer treatment with a previous clot and new calf pain:
    # Wells 2 = likely even before any examination (Wells 2003; Goodacre 2005).
    "dvt-cancer-previous-clot-patient-only": Case(
        "dvt",
        "emergency",
        {
            "age_years": 58,
            "sex": "female",
            "onset": "sudden_no_injury",
            "pain_location": "calf",
            "wells_active_cancer": True,
            "wells_previous_dvt": True,
        },
        role="patient",
        red_flags=frozenset({"rf_dvt_wells_likely"}),
    ),
    # §1.12 PAA: man over 65 who smokes, a lump behind the knee that throbs; pulsatile popliteal
    # mass with normal foot pulses (Farber 2022 SVS; Cervin; droracle PAA). Pulsatile mass
    # without ischaemia: urgent vascular review.
    "paa-pulsatile-mass-older-man": Case(
        "popliteal_artery_aneurysm",
        "urgent",
        {
            "age_years": 72,
            "sex": "male",
            "smoker": True,
            "onset": "gradual",
            "lump_behind_knee": True,
            "lump_pulsates": True,
            "cold_pale_numb_foot": False,
            "popliteal_mass_exam": "pulsatile",
            "pedal_pulses": "normal",
        },
        within=TOP_3,
        red_flags=frozenset({"rf_pulsatile_mass"}),
    ),
    # §1.12 PAA, patient only: man in his seventies who smokes, with a lump behind the knee
    # that throbs (Farber 2022 SVS; droracle PAA: 95-99% male).
    "paa-throbbing-lump-patient-only": Case(
        "popliteal_artery_aneurysm",
        "urgent",
        {
            "age_years": 74,
            "sex": "male",
            "smoker": True,
            "onset": "gradual",
            "lump_behind_knee": True,
            "lump_pulsates": True,
            "cold_pale_numb_foot": False,
        },
        role="patient",
        within=TOP_3,
        red_flags=frozenset({"rf_pulsatile_mass"}),
    ),
    # §1.13 PAES: young male athlete, exertional calf claudication gone minutes after stopping,
    # pulses fade on active plantarflexion, resting ABI near normal (VisualDx PAES; Sirico 2019).
    "paes-young-athlete-claudication": Case(
        "popliteal_artery_entrapment",
        "urgent",
        {
            "age_years": 23,
            "sex": "male",
            "runner": True,
            "sport": "running",
            "onset": "gradual",
            "exertional_calf_claudication": True,
            "pain_with_activity_eased_by_rest": True,
            "pain_location": "calf",
            "calf_swelling": False,
            "cold_pale_numb_foot": False,
            "pedal_pulses": "normal",
            "abi": 0.95,
            "pulses_lost_on_plantarflexion": True,
        },
        within=TOP_3,
        red_flags=frozenset({"rf_paes_suspected"}),
    ),
    # §1.13 PAES, patient only: young male runner with calf cramp during runs that is gone
    # minutes after stopping (VisualDx PAES; Wikipedia PAES, via §1.13).
    "paes-claudication-patient-only": Case(
        "popliteal_artery_entrapment",
        "urgent",
        {
            "age_years": 23,
            "sex": "male",
            "runner": True,
            "sport": "running",
            "onset": "gradual",
            "exertional_calf_claudication": True,
            "pain_with_activity_eased_by_rest": True,
            "pain_location": "calf",
            "calf_swelling": False,
            "cold_pale_numb_foot": False,
        },
        role="patient",
        within=TOP_3,
        red_flags=frozenset({"rf_paes_suspected"}),
    ),
    # §1.15 fabella syndrome: runner after a jump in weekly training, intermittent posterolateral
    # pain with activity; focal tenderness and compression pain over the fabella, popliteus and
    # PLC tests negative (Driessen 2014; fabella prevalence 2019).
    "fabella-posterolateral-focal": Case(
        "fabella_syndrome",
        "conservative",
        {
            "age_years": 31,
            "sex": "female",
            "runner": True,
            "sport": "running",
            "onset": "gradual",
            "weekly_distance_increase_pct": "gt_30",
            "pain_location": "posterolateral",
            "pain_with_activity_eased_by_rest": True,
            "posterolateral_provocation": "fabella_pattern",
            "tenderness_site": "posterolateral_joint_line",
            "varus_laxity_30": False,
            "dial_test": "negative",
            "meniscal_cluster_count": 0,
        },
        within=TOP_3,
    ),
    # §2.4 septic arthritis: woman over 80 with rheumatoid arthritis, hot red very swollen knee
    # with fever, holds it still; tense hot effusion (Margaretten 2007: age > 80 LR ~3.5, RA a
    # risk factor, fever insensitive).
    "septic-knee-over-80-with-ra": Case(
        "septic_arthritis",
        "emergency",
        {
            "age_years": 82,
            "sex": "female",
            "inflammatory_arthritis": True,
            "onset": "sudden_no_injury",
            "knee_hot_red_swollen": True,
            "fever_or_chills": True,
            "night_or_rest_pain": True,
            "effusion": "tense_hot",
            "knee_rom_limited": "lacks_both",
        },
        red_flags=frozenset({"rf_septic_arthritis"}),
    ),
    # §2.4 septic arthritis, patient only: hot red swollen knee with fever days after a knee
    # injection (Margaretten 2007: recent joint surgery LR ~6.9).
    "septic-after-injection-patient-only": Case(
        "septic_arthritis",
        "emergency",
        {
            "age_years": 45,
            "onset": "sudden_no_injury",
            "recent_knee_surgery_or_injection": True,
            "knee_hot_red_swollen": True,
            "fever_or_chills": True,
        },
        role="patient",
        red_flags=frozenset({"rf_septic_arthritis", "rf_fever_knee_pain"}),
    ),
    # §2.3 / §1.17 fracture (tibial plateau / fibular head): woman over 55 after a fall, rapid
    # swelling, cannot take 4 steps or bend to 90 deg, fibular head tender; Ottawa rule positive
    # (Stiell 1995/1996; Bachmann 2004).
    "fracture-fall-ottawa-positive": Case(
        "fracture",
        "emergency",
        {
            "age_years": 61,
            "sex": "female",
            "onset": "injury_sudden",
            "symptom_duration_weeks": 0,
            "mech_high_energy_or_deformity": False,
            "swelling_within_2h_of_injury": True,
            "unable_to_bear_weight": True,
            "ottawa_cannot_bear_weight_4_steps": True,
            "ottawa_cannot_flex_90": True,
            "ottawa_fibular_head_tenderness": True,
            "effusion": "large",
        },
        within=TOP_3,
        red_flags=frozenset({"rf_ottawa_positive", "rf_haemarthrosis"}),
    ),
    # §2.1 E3 / §2.4 knee dislocation: high-energy crash, knee looked out of place, rapid
    # swelling, cannot bear weight; multidirectional laxity (Lachman, grade 3 drawer, dial at 30
    # and 90), reduced foot pulses, ABI < 0.9 (Mills 2004; Boyce 2015).
    "dislocation-high-energy-abi-low": Case(
        "knee_dislocation",
        "emergency",
        {
            "age_years": 26,
            "sex": "male",
            "onset": "injury_sudden",
            "symptom_duration_weeks": 0,
            "mech_high_energy_or_deformity": True,
            "swelling_within_2h_of_injury": True,
            "unable_to_bear_weight": True,
            "lachman_positive": True,
            "posterior_drawer": "grade_3",
            "dial_test": "at_30_and_90",
            "pedal_pulses": "reduced_or_absent",
            "abi": 0.7,
        },
        within=TOP_3,
        red_flags=frozenset({"rf_knee_dislocation"}),
    ),
    # §1.17 tumour: adolescent with steadily worsening pain behind the knee at night and rest, not
    # eased by position, and a lump, no injury (standard red-flag teaching, recalled; osteosarcoma
    # peaks in adolescents). Suspected tumour: urgent imaging (§2.1 U2 (8)).
    "tumour-adolescent-night-pain-lump": Case(
        "tumor",
        "urgent",
        {
            "age_years": 16,
            "sex": "male",
            "onset": "gradual",
            "symptom_duration_weeks": 8,
            "pain_trend": "worsening",
            "night_or_rest_pain": True,
            "lump_behind_knee": True,
            "lump_pulsates": False,
            "unexplained_weight_loss": True,
            "calf_swelling": False,
        },
        role="patient",
        within=TOP_3,
        red_flags=frozenset({"rf_tumour_suspected"}),
    ),
    # §1.14 / §2.1 collateral ligament (MCL): footballer hit on the side of the knee in a tackle,
    # pain at the side spreading behind; valgus laxity at 30 deg, cruciates and menisci normal
    # (Logerstedt 2017 ligament-sprain CPG). Isolated MCL sprains are treated without surgery.
    "mcl-valgus-laxity": Case(
        "collateral_ligament_injury",
        "conservative",
        {
            "age_years": 25,
            "sex": "male",
            "sport": "field_or_court_sport",
            "onset": "injury_sudden",
            "symptom_duration_weeks": 2,
            "pain_location": "knee_front_or_side",
            "pop_at_injury": False,
            "unable_to_bear_weight": False,
            "valgus_laxity_30": True,
            "varus_laxity_30": False,
            "lachman_positive": False,
            "posterior_drawer": "negative",
            "dial_test": "negative",
            "meniscal_cluster_count": 1,
        },
    ),
}
PARAMS = [pytest.param(case, id=case_id) for case_id, case in CASES.items()]


def screened(kb: Knowledge, case: Case) -> dict[str, Any]:
    answers = parse_answers(kb, case.answers)  # only contract ids and values
    return result_json(kb, answers, case.role)


def rank_of(result: dict[str, Any], condition: str) -> int:
    return [c["id"] for c in result["conditions"]].index(condition) + 1


def evidence(result: dict[str, Any], condition: str) -> list[dict[str, Any]]:
    return next(c["evidence"] for c in result["conditions"] if c["id"] == condition)


@pytest.mark.parametrize("case", PARAMS)
def test_case_urgency_is_exact(kb: Knowledge, case: Case) -> None:
    result = screened(kb, case)
    assert result["urgency"] == case.urgency, [r["id"] for r in result["red_flags"]]
    assert case.red_flags <= {r["id"] for r in result["red_flags"]}


@pytest.mark.parametrize("case", PARAMS)
def test_case_condition_is_ranked(kb: Knowledge, case: Case) -> None:
    result = screened(kb, case)
    top = [c["id"] for c in result["conditions"][:5]]
    assert rank_of(result, case.condition) <= case.within, top


def test_every_contract_condition_has_a_case() -> None:
    assert {case.condition for case in CASES.values()} == set(CONDITION_IDS)


def test_pcl_reasons_include_the_posterior_drawer(kb: Knowledge) -> None:
    result = screened(kb, CASES["pcl-fall-on-flexed-knee-grade-2-drawer"])
    drawer = [e for e in evidence(result, "pcl_injury") if e["finding"] == "posterior_drawer"]
    assert drawer == [
        {
            "finding": "posterior_drawer",
            "value": "grade_2",
            "lr": 20,
            "source": "rubinstein_1994",
            "expert_weight": False,
            "kind": "likelihood",
        }
    ]
    # The drawer and the sag share the pcl_exam construct: only one of them counts.
    assert not [e for e in evidence(result, "pcl_injury") if e["finding"] == "posterior_sag"]


def test_negative_meniscal_cluster_counts_against_a_tear(kb: Knowledge) -> None:
    result = screened(kb, CASES["oa-acr-clinical-criteria"])
    against = [
        e for e in evidence(result, "meniscal_tear") if e["finding"] == "meniscal_cluster_count"
    ]
    assert len(against) == 1
    assert against[0]["lr"] < 1
    assert against[0]["source"] == "lowery_2006"


def test_oa_reasons_cite_the_primary_care_criteria(kb: Knowledge) -> None:
    result = screened(kb, CASES["oa-acr-clinical-criteria"])
    stiffness = [
        e
        for e in evidence(result, "knee_osteoarthritis")
        if e["finding"] == "morning_stiffness_lt_30min"
    ]
    assert [(e["lr"], e["source"]) for e in stiffness] == [(1.6, "peat_2006")]


def test_dvt_case_reports_its_wells_score(kb: Knowledge) -> None:
    result = screened(kb, CASES["dvt-post-surgery-wells-4"])
    assert result["wells_score"] == 4
    fired = next(r for r in result["red_flags"] if r["id"] == "rf_dvt_wells_likely")
    assert "wells_calf_swelling_gt_3cm" in fired["because"]


def test_runner_overload_keeps_the_loaded_tissues_in_view(kb: Knowledge) -> None:
    # §1.16: a training-load error raises distal hamstring and popliteus tendinopathy; §1.8:
    # posterolateral pain after added downhill running is the popliteus history.
    result = screened(kb, CASES["runner-added-downhill-patient-only"])
    top = [c["id"] for c in result["conditions"][:3]]
    assert top[0] == "running_overload"
    assert {"popliteus_tendinopathy", "hamstring_tendinopathy"} <= set(top)


def test_claudication_is_evidence_against_overload(kb: Knowledge) -> None:
    result = screened(kb, CASES["paes-claudication-patient-only"])
    against = [
        e
        for e in evidence(result, "running_overload")
        if e["finding"] == "exertional_calf_claudication"
    ]
    assert [(e["lr"], e["expert_weight"]) for e in against] == [(0.67, True)]
