"""Red-flag vocabulary added from guidelines (issue 14): each new sign fires its rule, "not sure"
leaves it not ruled out, the cause it names is shown, and the interview asks it.

- Acute limb ischaemia (ESVS 2020, read through RCEM Learning 2022 and ACI NSW; the 6 Ps): a
  leg colder, paler or blotchier than the other; claudication that suddenly got worse.
- Knee dislocation: the skin dimple ("pucker") of an irreducible posterolateral dislocation
  (Woon 2016); gross instability after a recent or high-force injury (Boyce 2015).
- A clinician's suspicion of a clot, tested the same day whatever the Wells score (NICE NG158).
- Bruising behind the knee or at the ankle without an injury: a ruptured cyst or a clot, told
  apart only by a scan (NG158 1.1.1, Holroyd 2004; expert level).
"""

from __future__ import annotations

import html
from typing import Any

import pytest

from popliteal.screening.engine import screen, to_json
from popliteal.screening.interview import plan, to_recheck
from popliteal.screening.models import Screening
from popliteal.screening.triage import safety_findings, triage
from tests.screening.test_properties import KB
from tests.screening.test_web_pages import CONSERVATIVE, fill, start, step_form

INJURED = {"onset": "injury_sudden", "symptom_duration_weeks": 0.3}


def fired(answers: dict[str, Any], role: str = "patient") -> dict[str, str]:
    return {r.id: r.urgency for r in triage(KB, answers, role=role).fired}


def result(answers: dict[str, Any], role: str = "patient") -> dict[str, Any]:
    return to_json(KB, screen(KB, answers, role=role))


# ---------------------------------------------------------------- each new sign fires its rule

TRIGGERS = [
    # (answers, role, rule, urgency, the cause it must show)
    ({"leg_cold_or_mottled": True}, "patient", "rf_cold_leg_acute", "emergency",
     "popliteal_artery_aneurysm"),
    ({"walking_distance_suddenly_shorter": True}, "patient", "rf_claudication_suddenly_worse",
     "emergency", "popliteal_artery_aneurysm"),
    ({**INJURED, "knee_skin_dimple": True}, "patient", "rf_knee_dislocation", "emergency",
     "knee_dislocation"),
    ({**INJURED, "knee_skin_dimple": True}, "clinician", "rf_knee_dislocation", "emergency",
     "knee_dislocation"),
    ({**INJURED, "knee_gross_instability": True}, "clinician", "rf_knee_dislocation",
     "emergency", "knee_dislocation"),
    ({"clinician_suspects_dvt": True}, "clinician", "rf_dvt_suspected_by_clinician",
     "emergency", "dvt"),
    ({"onset": "sudden_no_injury", "bruising": "ankle_or_foot"}, "patient",
     "rf_bruising_without_injury", "emergency", "bakers_cyst_rupture"),
]  # fmt: skip


@pytest.mark.parametrize(("answers", "role", "rule", "level", "cause"), TRIGGERS)
def test_each_new_sign_fires_its_rule_and_shows_the_cause_it_names(
    answers: dict[str, Any], role: str, rule: str, level: str, cause: str
) -> None:
    assert fired(answers, role)[rule] == level
    out = result({"age_years": 45, **answers}, role)
    assert out["urgency"] == level
    flag = next(f for f in out["red_flags"] if f["id"] == rule)
    assert cause in flag["suspects"]
    assert cause in out["must_rule_out"]
    assert cause in [c["id"] for c in out["conditions"][:3]]


@pytest.mark.parametrize(
    ("weeks", "rule", "level"),
    [
        (0, "rf_cold_leg_acute", "emergency"),
        (2, "rf_cold_leg_acute", "emergency"),  # acute limb ischaemia: under 2 weeks (ESVS)
        (2.5, "rf_cold_leg_lasting", "urgent"),  # chronic: vascular review within days
        (30, "rf_cold_leg_lasting", "urgent"),
    ],
)
def test_a_cold_leg_is_an_emergency_within_two_weeks_and_urgent_after(
    weeks: float, rule: str, level: str
) -> None:
    answers = {"leg_cold_or_mottled": True, "symptom_duration_weeks": weeks}
    assert fired(answers)[rule] == level
    assert triage(KB, answers).urgency == level


@pytest.mark.parametrize(
    "sign",
    [
        {"paraesthesia": "whole_foot"},
        {"foot_drop_or_weakness": True},
        {"neuro_deficit_worsening": True},
        {"walking_distance_suddenly_shorter": True},
    ],
)
def test_a_cold_leg_with_numbness_or_weakness_is_a_threatened_limb_at_any_time(
    sign: dict[str, Any],
) -> None:
    """ACI NSW: paraesthesia and paralysis from ischaemia need emergency review, whatever the
    duration."""
    answers = {"leg_cold_or_mottled": True, "symptom_duration_weeks": 30, **sign}
    assert fired(answers)["rf_cold_leg_acute"] == "emergency"


def test_a_leg_that_is_not_cold_fires_no_ischaemia_rule() -> None:
    rules = fired({"leg_cold_or_mottled": False, "walking_distance_suddenly_shorter": False})
    assert not {"rf_cold_leg_acute", "rf_cold_leg_lasting", "rf_claudication_suddenly_worse"} & set(
        rules
    )


@pytest.mark.parametrize(
    ("context", "fires"),
    [
        ({}, True),
        ({"onset": "gradual"}, True),
        ({"onset": "injury_sudden"}, False),  # an injured leg limits walking for its own reason
        ({"onset": "sudden_no_injury", "calf_pop_on_pushoff": True}, False),  # a calf tear
    ],
)
def test_suddenly_shorter_walking_is_an_ischaemia_sign_unless_an_injury_explains_it(
    context: dict[str, Any], fires: bool
) -> None:
    answers = {"walking_distance_suddenly_shorter": True, **context}
    assert ("rf_claudication_suddenly_worse" in fired(answers)) is fires


def test_gross_instability_is_a_dislocation_until_pulses_and_abi_are_recorded() -> None:
    """Boyce 2015: a knee may dislocate and go back in; normal pulses with an ABI of 0.9 or more
    are observed, so then the combined ligament injury is referred within weeks."""
    unstable = {**INJURED, "knee_gross_instability": True}
    assert fired(unstable, "clinician")["rf_knee_dislocation"] == "emergency"
    checked = {**unstable, "pedal_pulses": "normal", "abi": 1.05}
    assert "rf_knee_dislocation" not in fired(checked, "clinician")
    assert triage(KB, checked, role="clinician").urgency == "surgical_consult"
    assert "sc_combined_ligament" in fired(checked, "clinician")


def test_old_gross_instability_is_an_emergency_only_after_a_high_force_injury() -> None:
    old = {"onset": "injury_sudden", "symptom_duration_weeks": 8, "knee_gross_instability": True}
    assert "rf_knee_dislocation" not in fired(old, "clinician")
    high = {**old, "mech_high_energy_or_deformity": True}
    assert fired(high, "clinician")["rf_knee_dislocation"] == "emergency"


def test_a_clinicians_suspicion_after_a_blow_keeps_the_clot_pathway_whatever_the_wells_score() -> (
    None
):
    """NG158 1.1.2-1.1.4: every suspected DVT is scored and tested the same day; another
    diagnosis judged as likely (Wells -2) only chooses the D-dimer over the scan."""
    blow = {"onset": "injury_sudden", "direct_blow_back_of_knee_or_calf": True}
    assert triage(KB, blow, role="clinician").urgency != "emergency"
    suspected = {**blow, "clinician_suspects_dvt": True, "wells_alternative_dx_as_likely": True}
    assert fired(suspected, "clinician")["rf_dvt_suspected_by_clinician"] == "emergency"
    assert "rf_dvt_suspected_by_clinician" not in fired({**blow, "clinician_suspects_dvt": False})


@pytest.mark.parametrize(
    ("extra", "fires"),
    [
        ({"onset": "gradual"}, True),
        ({"onset": "injury_sudden"}, False),  # an injury's bruise: the muscle and ligament rules
        ({"onset": "sudden_no_injury", "calf_pop_on_pushoff": True}, False),  # a tennis leg
    ],
)
def test_bruising_without_an_injury_is_a_same_day_scan(extra: dict[str, Any], fires: bool) -> None:
    answers = {"bruising": "back_of_knee_or_calf", **extra}
    assert ("rf_bruising_without_injury" in fired(answers)) is fires


# ---------------------------------------------------------------- "not sure" is never "no"

UNSURE = [
    ({}, "leg_cold_or_mottled", "popliteal_artery_aneurysm"),
    ({}, "walking_distance_suddenly_shorter", "popliteal_artery_aneurysm"),
    (INJURED, "knee_skin_dimple", "knee_dislocation"),
]


@pytest.mark.parametrize(("context", "finding", "cause"), UNSURE)
def test_not_sure_leaves_the_new_sign_not_ruled_out_and_names_its_cause(
    context: dict[str, Any], finding: str, cause: str
) -> None:
    out = result({"age_years": 60, **context, finding: None})
    assert out["safety_not_ruled_out"] == [finding]
    assert cause in out["must_rule_out"]
    assert finding in safety_findings(KB)
    policy = KB.findings[finding].unknown_policy
    assert policy is not None
    assert policy.ask_again
    assert policy.how_to_check


# ---------------------------------------------------------------- the interview asks them


def test_the_interview_asks_the_blood_flow_checks_with_the_emergency_signs() -> None:
    steps = plan(KB, {}).steps
    ids = [s.id for s in steps]
    flow = steps[ids.index("leg_blood_flow")]
    assert flow.safety
    assert flow.findings == ("leg_cold_or_mottled", "walking_distance_suddenly_shorter")
    assert ids.index("danger_signs") < ids.index("leg_blood_flow") < ids.index("how_it_started")


def test_the_skin_dimple_is_asked_as_a_safety_question_after_an_injury_only() -> None:
    assert "knee_skin_dimple" not in plan(KB, {"onset": "gradual"}).next_findings()
    after = plan(KB, {"onset": "injury_sudden"}).steps
    dimple = next(s for s in after if "knee_skin_dimple" in s.findings)
    assert dimple.safety


def test_a_clinician_is_asked_the_new_exam_signs_among_the_safety_items() -> None:
    state = plan(KB, INJURED, role="clinician")
    safety = {f for s in state.steps if s.safety for f in s.findings}
    assert {"clinician_suspects_dvt", "knee_gross_instability", "leg_cold_or_mottled"} <= safety


def test_not_sure_to_a_cold_leg_is_asked_again_with_how_to_check() -> None:
    answers = {"age_years": 60, "leg_cold_or_mottled": None}
    assert to_recheck(KB, answers, {"leg_cold_or_mottled"}) == ["leg_cold_or_mottled"]


def test_the_web_interview_asks_the_cold_leg_and_twice_not_sure_stays_not_ruled_out(
    client: Any, db: Any
) -> None:
    path = start(client)
    sid = path.split("/")[2]

    def post(answers: dict[str, str]) -> None:
        form = step_form(client.get(path).text)
        reply = client.post(form.action, data={**form.hidden, "action": "answer", **answers})
        assert reply.status_code == 303

    def step_ids() -> list[str]:
        return step_form(client.get(path).text).hidden["step"].split(",")

    post(fill(step_form(client.get(path).text), CONSERVATIVE))  # about you
    post(dict.fromkeys(step_ids(), "no"))  # the emergency signs
    assert step_ids() == ["leg_cold_or_mottled", "walking_distance_suddenly_shorter"]
    page = html.unescape(client.get(path).text)
    assert "colder than the other one" in page
    post({"leg_cold_or_mottled": "unsure", "walking_distance_suddenly_shorter": "no"})
    again = html.unescape(client.get(path).text)
    assert step_ids() == ["leg_cold_or_mottled"]
    assert "Feel both feet and lower legs with the back of your hand." in again
    post({"leg_cold_or_mottled": "unsure"})
    assert "leg_cold_or_mottled" not in step_ids()
    stored = db.get(Screening, sid)
    assert stored.answers["leg_cold_or_mottled"] is None
    assert "leg_cold_or_mottled" in stored.result["safety_not_ruled_out"]
    assert "popliteal_artery_aneurysm" in stored.result["must_rule_out"]
    db.rollback()
