"""The exam form's "Check these first" (issue 18): the engine's next exam items for this
person, warning-sign tests first only where the person's answers have not argued the cause
down; nothing is ever left off the form."""

from __future__ import annotations

from typing import Any

from popliteal.knowledge.loader import Knowledge
from popliteal.screening import exam_layout
from popliteal.screening.triage import safety_findings

WELLS = {
    "wells_entire_leg_swollen",
    "wells_calf_swelling_gt_3cm",
    "wells_pitting_oedema",
    "wells_deep_vein_tenderness",
    "wells_collateral_veins",
}
# A runner whose pain builds with running and settles with rest, who said no to every danger
# sign the person is asked about.
RUNNER: dict[str, Any] = {
    "age_years": 28,
    "sex": "female",
    "runner": True,
    "onset": "gradual",
    "pain_location": "upper_calf",
    "pain_with_activity_eased_by_rest": True,
    "calf_swelling": False,
    "cold_pale_numb_foot": False,
    "leg_cold_or_mottled": False,
    "recent_knee_surgery_or_injection": False,
}


def _first(kb: Knowledge, answers: dict[str, Any]) -> list[str]:
    return [f.id for f in exam_layout.live_ranking(kb, answers).priority]


def test_an_overuse_runner_is_not_met_with_a_clots_tests_first(kb: Knowledge) -> None:
    first = _first(kb, RUNNER)
    assert first, "the engine still has exam items to suggest"
    assert not WELLS & set(first[:3]), first
    assert any(f not in safety_findings(kb) for f in first), first  # ranking items come in


def test_a_painful_calf_after_knee_surgery_gets_the_clots_tests_first(kb: Knowledge) -> None:
    first = _first(
        kb, {"age_years": 60, "recent_knee_surgery_or_injection": True, "pain_location": "calf"}
    )
    assert WELLS & set(first[:2]), first


def test_an_empty_form_puts_the_warning_sign_tests_first(kb: Knowledge) -> None:
    first = _first(kb, {})
    assert set(first[:3]) <= safety_findings(kb), first


def test_the_first_items_and_the_regions_hold_every_exam_item_once(kb: Knowledge) -> None:
    for answers in ({}, RUNNER):
        first = exam_layout.live_ranking(kb, answers).priority
        sections = exam_layout.exam_sections(kb, leave_out=frozenset(f.id for f in first))
        shown = [f.id for f in first] + [f.id for _, _, fs in sections for f in fs]
        assert sorted(shown) == sorted(f.id for f in exam_layout.exam_findings(kb))
