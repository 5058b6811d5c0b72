"""codes.yaml: the clinical codes the FHIR export may write. Every code is cited and says
whether it was read in a source (`found`) or recalled; the loader refuses a code for an
unknown condition, an uncited code, and a missing entry for a measure the export writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from popliteal.knowledge.loader import Knowledge
from tests.knowledge.editing import edited_copy, problems_of


def test_every_code_is_cited_and_only_found_ones_name_a_real_source(kb: Knowledge) -> None:
    codes = [
        code
        for entry in kb.codes.conditions
        for code in (entry.snomed, entry.icd10cm)
        if code is not None
    ] + [m.loinc for m in kb.codes.measures if m.loinc is not None]
    assert codes
    for code in codes:
        if code.figure == "found":
            assert code.source in kb.sources, code
            assert kb.sources[code.source].kind in ("found", "found_secondary")
        else:
            assert code.expert_judgement, code  # a recalled code says so, never a source


def test_a_code_for_an_unknown_condition_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["conditions"][0]["condition"] = "housemaids_knee"

    assert "codes.yaml: condition housemaids_knee: unknown condition 'housemaids_knee'" in (
        problems_of(edited_copy(tmp_path, "codes.yaml", edit))
    )


def test_an_uncited_code_is_refused_naming_the_entry(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        del data["conditions"][0]["icd10cm"]["source"]

    assert problems_of(edited_copy(tmp_path, "codes.yaml", edit)) == [
        "codes.yaml: conditions, entry 1, field icd10cm: Value error, give exactly one of "
        "'source' (a sources.yaml key) or 'expert_judgement' (a one-line rationale)"
    ]


def test_a_measure_the_export_writes_must_be_listed(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["measures"] = [m for m in data["measures"] if m["id"] != "lefs_total"]

    assert problems_of(edited_copy(tmp_path, "codes.yaml", edit)) == [
        "codes.yaml: measure 'lefs_total' is missing"
    ]
