"""The knowledge base: complete, every number cited, errors that name file, entry, field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from popliteal.knowledge.loader import DATA_DIR, Knowledge, KnowledgeError, content_hash, load
from tests.conftest import SHARED
from tests.contract import CONDITION_IDS, FINDINGS
from tests.knowledge.editing import edited_copy


def test_every_contract_condition_is_present(kb: Knowledge) -> None:
    assert set(CONDITION_IDS) <= set(kb.conditions)


@pytest.mark.parametrize("finding_id", sorted(FINDINGS))
def test_every_contract_finding_has_its_exact_type_and_values(
    kb: Knowledge, finding_id: str
) -> None:
    spec = FINDINGS[finding_id]
    f = kb.findings[finding_id]
    assert f.type == spec[0]
    if spec[0] == "choice":
        assert tuple(f.values) == spec[1:]
    if spec[0] == "number":
        assert (f.min, f.max) == spec[1:]


def test_constructs_of_the_contract(kb: Knowledge) -> None:
    constructs = {f.id: f.construct_ for f in kb.findings.values()}
    for fid in ("posterior_drawer", "posterior_sag", "quadriceps_active_test"):
        assert constructs[fid] == "pcl_exam"
    for fid in ("meniscal_cluster_count", "mcmurray", "joint_line_tenderness", "thessaly"):
        assert constructs[fid] == "meniscal_exam"
    for fid in ("slr_positive", "slump_positive"):
        assert constructs[fid] == "neurodynamic"


def test_every_condition_can_be_moved_by_evidence(kb: Knowledge) -> None:
    moved = {e.condition for e in kb.likelihoods}
    assert moved == set(kb.conditions)


def test_every_number_has_a_source_or_an_expert_rationale(kb: Knowledge) -> None:
    cited = list(kb.likelihoods) + list(kb.rules) + list(kb.scores.values())
    for c in kb.conditions.values():
        cited += [c.prior.base, *c.prior.age, *c.prior.sex.values()]
        cited += [c.prior.runner] if c.prior.runner else []
    for item in cited:
        assert (item.source in kb.sources) or (item.expert_judgement or "").strip()


def test_direction_only_weights_are_the_fixed_small_factors(kb: Knowledge) -> None:
    w = kb.direction_weights
    assert (w.down, w.up) == (0.67, 1.5)
    for e in kb.likelihoods:
        if e.direction is not None:
            assert kb.lr_of(e) in (w.up, w.down, w.strong_up, w.strong_down)


def test_wells_score_items_are_exact(kb: Knowledge) -> None:
    items = {i.finding: (i.points, i.clinician_only) for i in kb.scores["wells_dvt"].items}
    assert items.pop("wells_alternative_dx_as_likely") == (-2, True)
    assert len(items) == 9
    assert all(points == 1 and not clinician_only for points, clinician_only in items.values())


def test_every_urgency_level_has_advice(kb: Knowledge) -> None:
    for level in ("emergency", "urgent", "surgical_consult", "conservative"):
        assert kb.advice.by_urgency[level]


def test_version_is_a_content_hash(tmp_path: Path, kb: Knowledge) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    assert content_hash(copy) == kb.version
    advice = copy / "advice.yaml"
    advice.write_text(advice.read_text() + "\n# a comment changes the content\n")
    assert content_hash(copy) != kb.version


_broken_copy = edited_copy


def test_schema_error_names_file_entry_and_field(tmp_path: Path) -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        data["conditions"][2]["prior"]["base"]["probability"] = 3

    copy = _broken_copy(tmp_path, "conditions.yaml", edit)
    with pytest.raises(KnowledgeError) as info:
        load(copy)
    message = str(info.value)
    assert "conditions.yaml" in message
    assert "entry 3 (meniscal_tear)" in message
    assert "prior.base.probability" in message


def test_dangling_source_and_unknown_finding_are_reported(tmp_path: Path) -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        data["likelihoods"][0]["source"] = "no_such_paper_2099"
        data["likelihoods"][0].pop("expert_judgement", None)
        data["likelihoods"][1]["finding"] = "no_such_finding"

    copy = _broken_copy(tmp_path, "likelihoods.yaml", edit)
    with pytest.raises(KnowledgeError) as info:
        load(copy)
    problems = info.value.problems
    assert any("no_such_paper_2099" in p and "likelihoods.yaml" in p for p in problems)
    assert any("no_such_finding" in p for p in problems)


def test_missing_citation_is_rejected(tmp_path: Path) -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        rule = data["rules"][0]
        rule.pop("source", None)
        rule.pop("expert_judgement", None)

    copy = _broken_copy(tmp_path, "red_flags.yaml", edit)
    with pytest.raises(KnowledgeError, match=r"red_flags.yaml: .*entry 1 \(rf_pe_suspected\)"):
        load(copy)


SEED_CAUSES = {  # every cause the two seed pages name -> the condition that must cover it
    "posterior cruciate ligament (PCL)": "pcl_injury",
    "Sciatica": "lumbar_radiculopathy",
    "Knee osteoarthritis": "knee_osteoarthritis",
    "meniscus": "meniscal_tear",
    "Strained calf muscles or hamstring muscles": "hamstring_strain",
}
SEED_TREATMENTS = (
    "joint_mobilization",
    "myofascial_release",
    "ice",
    "chiropractic_adjustment",
    "activity_modification",
    "virtual_therapy",
    "at_home_care",
    "free_screening",
)
SEED_SURGERY = ("torn_ligaments", "instability", "torn_meniscus", "serious_muscle_tear")


def test_seed_causes_treatments_and_surgery_indications_are_covered(kb: Knowledge) -> None:
    covered: dict[str, set[str]] = {}
    for item in kb.seed_items:
        for kind, ids in item.covers.items():
            covered.setdefault(kind, set()).update(ids)
    for quote, condition in SEED_CAUSES.items():
        assert any(quote.lower() in i.quote.lower() for i in kb.seed_items), quote
        assert condition in covered["condition"]
    assert {"gastrocnemius_strain", "running_overload"} <= covered["condition"]
    assert set(SEED_TREATMENTS) <= covered["treatment"] <= set(kb.treatments)
    assert set(SEED_SURGERY) == covered["surgery_indication"] == set(kb.surgery_indications)
    assert {"weekly_running_miles", "running_surface"} <= covered["finding"]


@pytest.mark.skipif(
    not (SHARED / "seeds").is_dir(), reason="the seed pages are not beside the repo"
)
def test_seed_quotes_are_verbatim(kb: Knowledge) -> None:
    for item in kb.seed_items:
        text = (SHARED / "seeds" / kb.seeds[item.seed].file).read_text(encoding="utf-8")
        assert item.quote in text, item.quote
