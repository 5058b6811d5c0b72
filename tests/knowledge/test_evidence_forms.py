"""The three forms of evidence: a published ratio, a published frequency over a background rate,
and a whole-rule figure applied once when its predicate holds; and the evidence counts."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from popliteal.knowledge.evidence import evidence_counts
from popliteal.knowledge.loader import Knowledge, load
from popliteal.screening.differential import rank
from tests.knowledge.editing import edited_copy, problems_of


def _probability(kb: Knowledge, answers: dict[str, Any], condition: str) -> float:
    return next(c.probability for c in rank(kb, answers) if c.id == condition)


def _evidence(kb: Knowledge, answers: dict[str, Any], condition: str) -> list[Any]:
    return list(next(c.evidence for c in rank(kb, answers) if c.id == condition))


def _with_frequency(data: dict[str, Any]) -> None:
    data["likelihoods"] = [
        e
        for e in data["likelihoods"]
        if not (
            e.get("finding") == "lump_pulsates" and e["condition"] == "popliteal_artery_aneurysm"
        )
    ]
    data["likelihoods"].append(
        {
            "finding": "lump_pulsates",
            "value": True,
            "condition": "popliteal_artery_aneurysm",
            "frequency": 0.6,
            "source": "goodacre_2005",
            "figure": "found",
        }
    )
    data.setdefault("backgrounds", []).append(
        {"finding": "lump_pulsates", "value": True, "frequency": 0.02, "source": "goodacre_2005"}
    )


def test_a_frequency_is_a_ratio_over_the_background_both_ways(tmp_path: Path) -> None:
    kb = load(edited_copy(tmp_path, "likelihoods.yaml", _with_frequency))
    yes = _evidence(kb, {"lump_pulsates": True}, "popliteal_artery_aneurysm")
    no = _evidence(kb, {"lump_pulsates": False}, "popliteal_artery_aneurysm")
    assert [e.lr for e in yes if e.finding == "lump_pulsates"] == [pytest.approx(0.6 / 0.02)]
    assert [e.lr for e in no if e.finding == "lump_pulsates"] == [pytest.approx(0.4 / 0.98)]
    counts = evidence_counts(kb)["conditions"]["popliteal_artery_aneurysm"]
    assert counts["sourced_discriminating_findings"] >= 1


def test_a_frequency_without_a_background_is_refused(tmp_path: Path) -> None:
    def no_background(data: dict[str, Any]) -> None:
        _with_frequency(data)
        data["backgrounds"] = []

    problems = problems_of(edited_copy(tmp_path, "likelihoods.yaml", no_background))
    assert any("needs a background for lump_pulsates" in p for p in problems)


def _with_rule_figure(data: dict[str, Any]) -> None:
    data["likelihoods"].append(
        {
            "predicate": "ottawa_rule_positive",
            "condition": "tumor",
            "lr": 4.0,
            "source": "stiell_1996",
        }
    )


def test_a_whole_rule_figure_applies_once_when_its_predicate_holds(tmp_path: Path) -> None:
    kb = load(edited_copy(tmp_path, "likelihoods.yaml", _with_rule_figure))
    plain = load(edited_copy(tmp_path / "plain", "likelihoods.yaml", lambda d: None))
    injured = {
        "onset": "injury_sudden",
        "symptom_duration_weeks": 0,
        "ottawa_fibular_head_tenderness": True,
        "ottawa_cannot_flex_90": True,  # two items: the rule's figure still applies once
    }
    rules = [e for e in _evidence(kb, injured, "tumor") if e.kind == "rule"]
    assert [(e.finding, e.lr) for e in rules] == [("ottawa_rule_positive", 4.0)]
    assert _probability(kb, injured, "tumor") > _probability(plain, injured, "tumor")
    weeks_later = {**injured, "symptom_duration_weeks": 5}
    assert not [e for e in _evidence(kb, weeks_later, "tumor") if e.kind == "rule"]
    assert math.isclose(
        _probability(kb, weeks_later, "tumor"), _probability(plain, weeks_later, "tumor")
    )


def test_a_rule_figure_names_a_known_predicate_and_takes_no_value(tmp_path: Path) -> None:
    def bad(data: dict[str, Any]) -> None:
        data["likelihoods"].append(
            {
                "predicate": "no_such_rule",
                "condition": "fracture",
                "lr": 2.0,
                "source": "stiell_1996",
            }
        )

    assert any(
        "unknown predicate 'no_such_rule'" in p
        for p in problems_of(edited_copy(tmp_path, "likelihoods.yaml", bad))
    )


def test_knowledge_check_json_reports_the_evidence_counts(run_cli: Any, kb: Knowledge) -> None:
    proc = run_cli("knowledge", "check", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    lik = report["likelihoods"]
    assert lik["total"] == len(kb.likelihoods)
    assert lik["published_found"] + lik["published_recalled"] + lik["expert_weight"] == lik["total"]
    assert report["priors"]["total"] >= len(kb.conditions)
    assert set(report["conditions"]) == set(kb.conditions)
    assert all("sourced_discriminating_findings" in v for v in report["conditions"].values())
