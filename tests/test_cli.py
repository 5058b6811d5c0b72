"""The stable CLI contract of `popliteal screen` and `popliteal knowledge`, run as a process."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from popliteal.knowledge.loader import DATA_DIR, KNOWLEDGE_DIR_ENV
from tests.contract import CONDITION_IDS, URGENCY_LEVELS

Run = Callable[..., CompletedProcess[str]]
Write = Callable[[Any], Path]


def screen_json(run_cli: Run, answers_file: Write, answers: dict[str, Any]) -> dict[str, Any]:
    proc = run_cli("screen", "--answers", str(answers_file({"answers": answers})), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_json_has_every_contract_field(run_cli_process: Run, answers_file: Write) -> None:
    out = screen_json(
        run_cli_process,
        answers_file,
        {"age_years": 34, "onset": "gradual", "runner": True, "pain_location": "posterolateral"},
    )
    assert {
        "knowledge_version",
        "urgency",
        "red_flags",
        "conditions",
        "next_questions",
        "advice",
        "disclaimer",
    } <= set(out)
    assert out["urgency"] in URGENCY_LEVELS
    assert [c["id"] for c in out["conditions"]] != []
    assert set(CONDITION_IDS) == {c["id"] for c in out["conditions"]}
    probs = [c["probability"] for c in out["conditions"]]
    assert probs == sorted(probs, reverse=True)
    assert math.isclose(sum(probs), 1.0, abs_tol=1e-9)
    for c in out["conditions"]:
        assert {"id", "name", "probability", "evidence"} <= set(c)
        for e in c["evidence"]:
            assert {"finding", "value", "lr"} <= set(e)
    for q in out["next_questions"]:
        assert set(q) >= {"finding", "question"}
        assert q["question"]
    assert "not a diagnosis" in out["disclaimer"].lower()
    assert isinstance(out["advice"], list)
    assert out["advice"]


def test_red_flag_json_names_rule_level_and_findings(run_cli: Run, answers_file: Write) -> None:
    out = screen_json(run_cli, answers_file, {"onset": "injury_sudden", "age_years": 61})
    assert out["urgency"] == "emergency"
    assert {
        "id": "rf_ottawa_positive",
        "urgency": "emergency",
        "because": ["age_years", "onset"],
    }.items() <= out["red_flags"][0].items()


def test_null_means_dont_know_and_is_not_asked_again(run_cli: Run, answers_file: Write) -> None:
    out = screen_json(run_cli, answers_file, {"age_years": None, "runner": None})
    asked = {q["finding"] for q in out["next_questions"]}
    assert "age_years" not in asked
    assert "runner" not in asked
    empty = screen_json(run_cli, answers_file, {})
    assert "age_years" in {q["finding"] for q in empty["next_questions"]}
    assert out["conditions"] == empty["conditions"]


def test_emergency_ends_the_interview(run_cli: Run, answers_file: Write) -> None:
    out = screen_json(run_cli, answers_file, {"cold_pale_numb_foot": True})
    assert out["urgency"] == "emergency"
    assert out["next_questions"] == []


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ({"no_such_finding": True}, ["no_such_finding"]),
        ({"runner": "yes"}, ["runner"]),
        ({"runner": 1}, ["runner"]),
        ({"age_years": 121}, ["age_years"]),
        ({"age_years": True}, ["age_years"]),
        ({"pain_now": 11}, ["pain_now"]),
        ({"pain_now": 4.5}, ["pain_now"]),
        ({"onset": "slowly"}, ["onset"]),
        ({"bmi": "thirty"}, ["bmi"]),
        ({"sex": ["female"]}, ["sex"]),
        (
            {"runner": "maybe", "bogus_id": 3, "age_years": -1, "onset": "gradual"},
            ["runner", "bogus_id", "age_years"],
        ),
    ],
)
def test_bad_answers_exit_2_naming_every_id(
    run_cli: Run, answers_file: Write, answers: dict[str, Any], named: list[str]
) -> None:
    proc = run_cli("screen", "--answers", str(answers_file({"answers": answers})), "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    for fid in named:
        assert fid in proc.stderr
    assert "onset" not in proc.stderr or "onset" in named


@pytest.mark.parametrize(
    "payload",
    [
        '{"answers": ',
        "[1, 2]",
        '{"answers": [1]}',
        '{"answer": {}}',
        '{"answers": {}, "role": "nurse"}',
    ],
)
def test_malformed_files_exit_2(run_cli: Run, answers_file: Write, payload: str) -> None:
    proc = run_cli("screen", "--answers", str(answers_file(payload)), "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "error" in proc.stderr


def test_missing_file_exits_2(run_cli: Run, tmp_path: Path) -> None:
    proc = run_cli("screen", "--answers", str(tmp_path / "nope.json"), "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""


def test_scale_accepts_whole_number_written_as_float(run_cli: Run, answers_file: Write) -> None:
    out = screen_json(run_cli, answers_file, {"pain_now": 4.0})
    assert out["urgency"] == "conservative"


def test_clinician_flag_applies_the_alternative_diagnosis_item(
    run_cli: Run, answers_file: Write
) -> None:
    answers = {
        "wells_active_cancer": True,
        "wells_previous_dvt": True,
        "wells_alternative_dx_as_likely": True,
    }
    path = str(answers_file({"answers": answers}))
    patient = json.loads(run_cli("screen", "--answers", path, "--json").stdout)
    clinician = json.loads(run_cli("screen", "--answers", path, "--json", "--clinician").stdout)
    assert patient["urgency"] == "emergency"
    assert clinician["urgency"] == "conservative"
    assert clinician["wells_score"] == 0


def test_same_input_same_output(run_cli: Run, answers_file: Write) -> None:
    path = str(answers_file({"answers": {"age_years": 45, "catching_or_locking": True}}))
    first = run_cli("screen", "--answers", path, "--json").stdout
    assert first == run_cli("screen", "--answers", path, "--json").stdout


def test_human_output_leads_with_urgency(run_cli: Run, answers_file: Write) -> None:
    path = str(answers_file({"answers": {"knee_hot_red_swollen": True}}))
    proc = run_cli("screen", "--answers", path)
    assert proc.returncode == 0
    first_lines = proc.stdout.strip().splitlines()[:3]
    assert any("EMERGENCY" in line for line in first_lines)
    assert "not a diagnosis" in proc.stdout.lower()


def test_a_few_answers_are_never_called_a_good_fit(run_cli: Run, answers_file: Write) -> None:
    """Nothing fired, but the warning signs were never asked: not the all-clear."""
    from popliteal.demo import DEMO_ANSWERS

    few = run_cli("screen", "--answers", str(answers_file({"answers": {"age_years": 40}})))
    assert few.returncode == 0
    assert "Some warning signs are not ruled out yet" in few.stdout
    assert "good fit" not in few.stdout
    assert "Warning signs not ruled out (never asked)" in few.stdout
    whole = run_cli("screen", "--answers", str(answers_file({"answers": DEMO_ANSWERS})))
    assert "good fit" in whole.stdout
    assert "never asked" not in whole.stdout


def test_knowledge_check_prints_counts(run_cli: Run) -> None:
    proc = run_cli("knowledge", "check")
    assert proc.returncode == 0, proc.stderr
    assert "conditions        22" in proc.stdout
    assert "knowledge_version" in proc.stdout


def test_knowledge_show_prints_evidence_and_sources(run_cli: Run) -> None:
    proc = run_cli("knowledge", "show", "pcl_injury")
    assert proc.returncode == 0, proc.stderr
    assert "posterior_drawer" in proc.stdout
    assert "Rubinstein" in proc.stdout
    bad = run_cli("knowledge", "show", "no_such_condition")
    assert bad.returncode == 2
    assert "no_such_condition" in bad.stderr


def test_other_top_level_fields_are_ignored(run_cli: Run, answers_file: Write) -> None:
    path = str(answers_file({"case": "runner 1", "answers": {"runner": True}}))
    proc = run_cli("screen", "--answers", path, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["urgency"] == "conservative"


def _broken_knowledge(tmp_path: Path) -> Path:
    copy = tmp_path / "clinic-evidence"
    shutil.copytree(DATA_DIR, copy)
    text = (copy / "likelihoods.yaml").read_text()
    (copy / "likelihoods.yaml").write_text(text.replace("source: rubinstein_1994", "source: nope"))
    return copy


def test_knowledge_check_names_the_problem_in_an_edited_copy(run_cli: Run, tmp_path: Path) -> None:
    proc = run_cli("knowledge", "check", "--dir", str(_broken_knowledge(tmp_path)))
    assert proc.returncode == 1
    assert "likelihoods.yaml" in proc.stderr
    assert "'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_invalid_knowledge_base_is_refused_before_screening(
    tmp_path: Path, answers_file: Write
) -> None:
    env = {**os.environ, KNOWLEDGE_DIR_ENV: str(_broken_knowledge(tmp_path))}
    path = str(answers_file({"answers": {}}))
    proc = subprocess.run(
        [sys.executable, "-m", "popliteal", "screen", "--answers", path, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "rubinstein" not in proc.stderr
    assert "nope" in proc.stderr
