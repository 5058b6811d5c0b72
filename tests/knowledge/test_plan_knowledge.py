"""The loader refuses unsafe or broken plan knowledge, naming file, entry and problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from popliteal.knowledge.loader import Knowledge
from tests.knowledge.editing import edited_copy, packaged, problems_of

broken = edited_copy


def test_a_protocol_prescribing_a_contraindicated_exercise_is_refused(
    tmp_path: Path, kb: Knowledge
) -> None:
    condition, phase, exercise = next(
        (c.condition, ph, ex.id)
        for ex in kb.exercises.values()
        for c in ex.contraindications
        if c.condition in kb.protocols
        for ph in c.phases
        if ph in {p.id for p in kb.protocols[c.condition].phases}
    )

    def edit(data: dict[str, Any]) -> None:
        proto = next(p for p in data["protocols"] if p["condition"] == condition)
        target = next(ph for ph in proto["phases"] if ph["id"] == phase)
        target["exercises"].append(
            {
                "exercise": exercise,
                "sets": 2,
                "reps": 8,
                "per_week": 3,
                "expert_judgement": "added by a careless edit for this test",
            }
        )

    found = problems_of(broken(tmp_path, "protocols.yaml", edit))
    assert any(
        f"protocols.yaml: {condition}, phase {phase}" in p and "contraindicated" in p for p in found
    ), found


def test_an_emergency_condition_cannot_get_a_protocol(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        copy = dict(data["protocols"][0])
        copy["condition"] = "dvt"
        data["protocols"].append(copy)

    found = problems_of(broken(tmp_path, "protocols.yaml", edit))
    assert any("protocols.yaml: dvt" in p and "referral, not a plan" in p for p in found)


def test_a_conservative_condition_without_a_protocol_is_reported(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["protocols"] = [p for p in data["protocols"] if p["condition"] != "fabella_syndrome"]

    found = problems_of(broken(tmp_path, "protocols.yaml", edit))
    assert "protocols.yaml: conservative-care condition 'fabella_syndrome' has no protocol" in found


def test_a_missing_illustration_and_a_dangling_variant_are_reported(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["exercises"][0]["harder"] = ["no_such_exercise"]

    copy = broken(tmp_path, "exercises.yaml", edit)
    first = packaged("exercises.yaml")["exercises"][0]
    (copy / "illustrations" / first["illustration"]).unlink()
    found = problems_of(copy)
    assert any("no_such_exercise" in p for p in found)
    assert any(
        f"illustration 'illustrations/{first['illustration']}' is missing" in p for p in found
    )


def test_a_dose_without_provenance_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        rx = data["protocols"][0]["phases"][0]["exercises"][0]
        rx.pop("source", None)
        rx.pop("expert_judgement", None)

    found = problems_of(broken(tmp_path, "protocols.yaml", edit))
    assert any("protocols.yaml" in p and "source" in p for p in found)


def test_every_plan_number_has_a_source_or_a_rationale(kb: Knowledge) -> None:
    cited: list[Any] = [kb.drafting.exercise_count, kb.drafting.timing]
    cited += [kb.progression.pain_rule, kb.progression.sessions_rule]
    for ex in kb.exercises.values():
        cited += [ex.dose, *ex.contraindications]
    for proto in kb.protocols.values():
        cited += list(proto.refer_when)
        for ph in proto.phases:
            cited += [*ph.exercises, *ph.treatments, *ph.activity_limits, *ph.progression_criteria]
            if ph.draft_entry:
                cited.append(ph.draft_entry)
    for item in cited:
        assert (item.source in kb.sources) or (item.expert_judgement or "").strip()


def test_a_criterion_id_used_twice_in_a_phase_is_reported(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        phase = data["protocols"][0]["phases"][0]
        phase["progression_criteria"].append(dict(phase["progression_criteria"][0]))

    found = problems_of(broken(tmp_path, "protocols.yaml", edit))
    assert any("criterion id" in p and "used twice" in p for p in found), found
