"""`popliteal plan draft ... --json`: the stable contract, run as a real process."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


def test_draft_json_has_exactly_the_contract_shape(run_cli_process: Run) -> None:
    done = run_cli_process(
        "plan",
        "draft",
        "--condition",
        "hamstring_strain",
        "--goal",
        "return_to_running",
        "--pain",
        "4",
        "--equipment",
        "band,step",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["condition"] == "hamstring_strain"
    assert out["phase"] in ("protect", "restore_motion", "strengthen", "return_to_activity")
    assert 4 <= len(out["exercises"]) <= 8
    for item in out["exercises"]:
        assert list(item) == ["id", "name", "sets", "reps", "hold_s", "minutes", "per_week"]
        assert isinstance(item["per_week"], int)
    for key in ("treatments", "activity_limits", "progression_criteria", "sources"):
        assert isinstance(out[key], list)
    assert out["sources"]


@pytest.mark.parametrize(
    ("condition", "urgency"),
    [
        ("dvt", "emergency"),
        ("septic_arthritis", "emergency"),
        ("fracture", "emergency"),
        ("knee_dislocation", "emergency"),
        ("tumor", "urgent"),
        ("popliteal_artery_aneurysm", "urgent"),
        ("popliteal_artery_entrapment", "urgent"),
    ],
)
def test_referral_conditions_print_only_the_referral(
    run_cli: Run, condition: str, urgency: str
) -> None:
    done = run_cli("plan", "draft", "--condition", condition, "--pain", "1", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"condition": condition, "referral": urgency, "exercises": []}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--condition", "knee_ache"], "unknown condition 'knee_ache'"),
        (["--condition", "pcl_injury", "--pain", "12"], "0 to 10"),
        (["--condition", "pcl_injury", "--equipment", "band,trampoline"], "trampoline"),
        (["--condition", "pcl_injury", "--goal", "marathon"], "unknown goal 'marathon'"),
    ],
)
def test_bad_arguments_exit_2_naming_the_problem(
    run_cli: Run, args: list[str], message: str
) -> None:
    done = run_cli("plan", "draft", *args, "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in " ".join(done.stderr.split())


def test_without_json_a_readable_table(run_cli: Run) -> None:
    done = run_cli("plan", "draft", "--condition", "knee_osteoarthritis", "--pain", "5")
    assert done.returncode == 0, done.stderr
    assert "not a diagnosis" in done.stdout
    assert "phase" in done.stdout
    referral = run_cli("plan", "draft", "--condition", "dvt")
    assert "No exercise plan" in " ".join(referral.stdout.split())
