"""`popliteal validate`: case files checked, a frozen split, and the Gilbert 2020 measures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from popliteal.knowledge.loader import Knowledge
from popliteal.validation.cases import half_of, load_cases, sparse_variant
from popliteal.validation.measures import Outcome, summarise, wilson

ROOT = Path(__file__).resolve().parents[2] / "validation"
CASE = {
    "id": "pub-doe2020",
    "citation": "Doe J. A posterior knee case. J Case Rep 2020;1:1-2.",
    "link": "https://example.org/doe2020",
    "kind": "case_report",
    "answers": {"age_years": 40, "calf_swelling": True},
    "role": "patient",
    "diagnosis": "dvt",
    "urgency": "emergency",
    "urgency_guideline": "NICE NG158: suspected DVT tested the same day",
}


def _write(folder: Path, case: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{case['id']}.yaml").write_text(yaml.safe_dump(case), encoding="utf-8")


def test_the_shipped_cases_are_valid_and_the_split_is_frozen(kb: Knowledge) -> None:
    cases, problems = load_cases(kb, ROOT / "cases")
    assert problems == []
    assert sum(not c.published for c in cases) == 33  # the textbook cases
    frozen = dict(
        line.split() for line in (ROOT / "split.txt").read_text().splitlines() if line.strip()
    )
    published = {c.id for c in cases if c.published}
    assert set(frozen) == published
    assert all(half_of(cid) == half for cid, half in frozen.items())


def test_check_reports_bad_files_with_exit_2_and_shows_no_result(
    run_cli: Any, tmp_path: Path
) -> None:
    _write(tmp_path, CASE)
    _write(tmp_path, {**CASE, "id": "pub-roe2021", "answers": {"calf_swelling": "maybe"}})
    _write(tmp_path, {**CASE, "id": "pub-poe2022", "diagnosis": "gout"})
    proc = run_cli("validate", "--check", "--dir", str(tmp_path))
    assert proc.returncode == 2
    assert "pub-roe2021.yaml: calf_swelling" in proc.stderr
    assert "unknown diagnosis 'gout'" in proc.stderr
    assert "urgency" not in proc.stdout
    (tmp_path / "pub-roe2021.yaml").unlink()
    (tmp_path / "pub-poe2022.yaml").unlink()
    ok = run_cli("validate", "--check", "--dir", str(tmp_path))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "1 cases read (1 published), all valid"


def test_an_exam_finding_needs_the_clinician_role(kb: Knowledge, tmp_path: Path) -> None:
    _write(tmp_path, {**CASE, "answers": {"posterior_sag": True}})
    cases, problems = load_cases(kb, tmp_path)
    assert cases == []
    assert any("need role: clinician" in p for p in problems)


def test_validate_json_gives_each_measure_with_an_interval(run_cli: Any, tmp_path: Path) -> None:
    _write(tmp_path, CASE)
    proc = run_cli("validate", "--json", "--dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    group = report["groups"]["published, all"]
    assert group["all"]["safe"]["n"] == 1
    assert group["emergency"]["emergency_to_routine"] == {
        "hits": 0,
        "n": 1,
        "share": 0.0,
        "ci95_low": 0.0,
        "ci95_high": pytest.approx(0.7935, abs=1e-3),
    }


@pytest.mark.parametrize(
    ("reference", "engine", "safe", "under"),
    [
        ("emergency", "emergency", True, False),
        ("emergency", "urgent", True, True),
        ("emergency", "surgical_consult", False, True),
        ("conservative", "emergency", True, False),
        ("urgent", "surgical_consult", True, True),
        ("urgent", "conservative", False, True),
    ],
)
def test_safe_is_the_reference_more_urgent_or_one_level_less(
    reference: Any, engine: Any, safe: bool, under: bool
) -> None:
    o = Outcome("c", reference, engine, "dvt", 1)
    assert (o.safe, o.under_triage) == (safe, under)
    assert o.emergency_to_routine == (reference == "emergency" and engine == "conservative")


def test_rates_and_wilson_intervals() -> None:
    lo, hi = wilson(97, 100)
    assert lo == pytest.approx(0.9155, abs=1e-3)
    assert hi == pytest.approx(0.9897, abs=1e-3)
    assert wilson(0, 0) == (0.0, 1.0)
    outcomes = [
        Outcome("a", "conservative", "conservative", "dvt", 1),
        Outcome("b", "emergency", "conservative", "dvt", 5),
    ]
    rates = summarise(outcomes)
    assert (rates["top3"].hits, rates["top3"].n) == (1, 2)
    assert (rates["emergency_to_routine"].hits, rates["emergency_to_routine"].n) == (1, 1)


def test_sparse_variants_keep_a_seeded_30_percent(kb: Knowledge) -> None:
    cases, _ = load_cases(kb, ROOT / "cases" / "textbook")
    case = max(cases, key=lambda c: len(c.answers))
    once, twice = sparse_variant(case), sparse_variant(case)
    assert once.answers == twice.answers
    assert len(once.answers) == round(len(case.answers) * 0.3)
    assert once.answers.items() <= case.answers.items()
