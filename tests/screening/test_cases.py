"""Textbook presentations of every contract condition, screened end to end.

The cases live in validation/cases/textbook/ (the validation set's format, PROTOCOL.md §4):
each is a presentation as its cited source describes it, written only in contract ids and
values. Here the urgency must be exactly right (red flags drive it, never probabilities); the
expected condition must rank first when the condition is common and the presentation is full,
and in the top three for the rare ones (PAES, PAA, fabella, dislocation, fracture, tumour).
They check the knowledge base against itself; `make validate` measures it on published cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.screening.answers import parse_answers
from popliteal.validation.cases import Case, load_cases
from tests.conftest import result_json
from tests.contract import CONDITION_IDS

FIRST = 1
TOP_3 = 3
TEXTBOOK = Path(__file__).resolve().parents[2] / "validation" / "cases" / "textbook"


@dataclass(frozen=True)
class Expect:
    within: int = FIRST
    red_flags: frozenset[str] = field(default_factory=frozenset)


EXPECT: dict[str, Expect] = {
    "tb-pcl-fall-on-flexed-knee-grade-2-drawer": Expect(),
    "tb-pcl-dashboard-patient-only": Expect(),
    "tb-plc-varus-hyperextension-dial-30": Expect(
        red_flags=frozenset({"sc_instability", "sc_posterolateral_corner"})
    ),
    "tb-meniscus-young-twist-lowery-4": Expect(red_flags=frozenset({"sc_meniscal_mechanical"})),
    "tb-meniscus-degenerative-lowery-3": Expect(),
    "tb-oa-acr-clinical-criteria": Expect(),
    "tb-oa-60-stiffness-crepitus-patient-only": Expect(),
    "tb-bakers-cyst-soft-posteromedial-mass": Expect(),
    "tb-bakers-cyst-fullness-patient-only": Expect(),
    "tb-bakers-rupture-crescent-sign": Expect(red_flags=frozenset({"rf_unexplained_leg_swelling"})),
    "tb-hamstring-strain-sprint": Expect(),
    "tb-hamstring-strain-bruising-patient-only": Expect(
        red_flags=frozenset({"sc_serious_muscle_tear"})
    ),
    "tb-hamstring-tendinopathy-runner": Expect(),
    "tb-gastrocnemius-tennis-leg": Expect(),
    "tb-gastrocnemius-bruising-patient-only": Expect(
        red_flags=frozenset({"rf_tendon_rupture_suspected"})
    ),
    "tb-popliteus-downhill-garrick": Expect(),
    "tb-runner-added-downhill-patient-only": Expect(),
    "tb-radiculopathy-s1-slump": Expect(),
    "tb-radiculopathy-patient-only": Expect(),
    "tb-peroneal-foot-drop-tinel": Expect(red_flags=frozenset({"rf_motor_deficit"})),
    "tb-dvt-post-surgery-wells-4": Expect(
        red_flags=frozenset({"rf_dvt_wells_likely", "rf_unexplained_leg_swelling"})
    ),
    "tb-dvt-cancer-previous-clot-patient-only": Expect(
        red_flags=frozenset({"rf_dvt_wells_likely"})
    ),
    "tb-paa-pulsatile-mass-older-man": Expect(
        within=TOP_3, red_flags=frozenset({"rf_pulsatile_mass"})
    ),
    "tb-paa-throbbing-lump-patient-only": Expect(
        within=TOP_3, red_flags=frozenset({"rf_pulsatile_mass"})
    ),
    "tb-paes-young-athlete-claudication": Expect(
        within=TOP_3, red_flags=frozenset({"rf_paes_suspected"})
    ),
    "tb-paes-claudication-patient-only": Expect(
        within=TOP_3, red_flags=frozenset({"rf_paes_suspected"})
    ),
    "tb-fabella-posterolateral-focal": Expect(within=TOP_3),
    "tb-septic-knee-over-80-with-ra": Expect(red_flags=frozenset({"rf_septic_arthritis"})),
    "tb-septic-after-injection-patient-only": Expect(
        red_flags=frozenset({"rf_fever_knee_pain", "rf_septic_arthritis"})
    ),
    "tb-fracture-fall-ottawa-positive": Expect(
        within=TOP_3, red_flags=frozenset({"rf_haemarthrosis", "rf_ottawa_positive"})
    ),
    "tb-dislocation-high-energy-abi-low": Expect(
        within=TOP_3, red_flags=frozenset({"rf_knee_dislocation"})
    ),
    "tb-tumour-adolescent-night-pain-lump": Expect(
        within=TOP_3, red_flags=frozenset({"rf_tumour_suspected"})
    ),
    "tb-mcl-valgus-laxity": Expect(),
}


def _textbook() -> dict[str, Case]:
    cases, problems = load_cases(default_knowledge(), TEXTBOOK)
    assert problems == []
    return {c.id: c for c in cases}


CASES = _textbook()


PARAMS = [pytest.param(case, id=case_id) for case_id, case in CASES.items()]


def test_every_textbook_case_has_its_expectation() -> None:
    assert set(EXPECT) == set(CASES)


def screened(kb: Knowledge, case: Case) -> dict[str, Any]:
    answers = parse_answers(kb, dict(case.answers))  # only contract ids and values
    return result_json(kb, answers, case.role)


def rank_of(result: dict[str, Any], condition: str) -> int:
    return [c["id"] for c in result["conditions"]].index(condition) + 1


def evidence(result: dict[str, Any], condition: str) -> list[dict[str, Any]]:
    return next(c["evidence"] for c in result["conditions"] if c["id"] == condition)


@pytest.mark.parametrize("case", PARAMS)
def test_case_urgency_is_exact(kb: Knowledge, case: Case) -> None:
    result = screened(kb, case)
    assert result["urgency"] == case.urgency, [r["id"] for r in result["red_flags"]]
    assert EXPECT[case.id].red_flags <= {r["id"] for r in result["red_flags"]}


@pytest.mark.parametrize("case", PARAMS)
def test_case_condition_is_ranked(kb: Knowledge, case: Case) -> None:
    result = screened(kb, case)
    top = [c["id"] for c in result["conditions"][:5]]
    assert rank_of(result, case.diagnosis) <= EXPECT[case.id].within, top


def test_every_contract_condition_has_a_case() -> None:
    assert {case.diagnosis for case in CASES.values()} == set(CONDITION_IDS)


def test_pcl_reasons_include_the_posterior_drawer(kb: Knowledge) -> None:
    result = screened(kb, CASES["tb-pcl-fall-on-flexed-knee-grade-2-drawer"])
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
    result = screened(kb, CASES["tb-oa-acr-clinical-criteria"])
    against = [
        e for e in evidence(result, "meniscal_tear") if e["finding"] == "meniscal_cluster_count"
    ]
    assert len(against) == 1
    assert against[0]["lr"] < 1
    assert against[0]["source"] == "lowery_2006"


def test_oa_reasons_cite_the_criteria_set_once_not_an_item(kb: Knowledge) -> None:
    """The ACR clinical criteria's accuracy belongs to the whole set (Peat 2006): it applies once
    when the set is met, and morning stiffness no longer carries the set's figure alone."""
    result = screened(kb, CASES["tb-oa-acr-clinical-criteria"])
    oa = evidence(result, "knee_osteoarthritis")
    rule = [e for e in oa if e["kind"] == "rule"]
    assert [(e["finding"], e["lr"], e["source"]) for e in rule] == [
        ("acr_knee_oa_clinical_met", 1.64, "peat_2006")
    ]
    assert not [e for e in oa if e["finding"] == "morning_stiffness_lt_30min"]


def test_dvt_case_reports_its_wells_score(kb: Knowledge) -> None:
    result = screened(kb, CASES["tb-dvt-post-surgery-wells-4"])
    assert result["wells_score"] == 4
    fired = next(r for r in result["red_flags"] if r["id"] == "rf_dvt_wells_likely")
    assert "wells_calf_swelling_gt_3cm" in fired["because"]


def test_runner_overload_keeps_the_loaded_tissues_in_view(kb: Knowledge) -> None:
    # §1.16: a training-load error raises distal hamstring and popliteus tendinopathy; §1.8:
    # posterolateral pain after added downhill running is the popliteus history.
    result = screened(kb, CASES["tb-runner-added-downhill-patient-only"])
    top = [c["id"] for c in result["conditions"][:3]]
    assert top[0] == "running_overload"
    assert {"popliteus_tendinopathy", "hamstring_tendinopathy"} <= set(top)


def test_claudication_is_evidence_against_overload(kb: Knowledge) -> None:
    result = screened(kb, CASES["tb-paes-claudication-patient-only"])
    against = [
        e
        for e in evidence(result, "running_overload")
        if e["finding"] == "exertional_calf_claudication"
    ]
    assert [(e["lr"], e["expert_weight"]) for e in against] == [(0.67, True)]
