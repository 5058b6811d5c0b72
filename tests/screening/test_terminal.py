"""The interactive `popliteal screen`, driven through its real standard input."""

from __future__ import annotations

import json
from collections.abc import Callable
from subprocess import CompletedProcess

Run = Callable[..., CompletedProcess[str]]

# About you (age, sex, runner), how it started (onset, weeks), then the danger-signs checklist.
INTAKE = "34\n1\nn\n3\n6\n"


def test_emergency_stops_the_interview_with_a_banner(run_cli: Run) -> None:
    proc = run_cli("screen", stdin=INTAKE + "1\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "EMERGENCY" in out
    assert "Call your emergency number now" in out
    assert "Most likely causes" not in out
    assert "not a diagnosis" in out


def test_interview_runs_to_a_ranked_result(run_cli_process: Run) -> None:
    proc = run_cli_process("screen", "--json", stdin=INTAKE + "0\n" + "\n" * 400)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["urgency"] == "conservative"
    assert result["next_questions"] == []
    assert result["conditions"][0]["probability"] > 0


def test_back_undoes_the_last_step(run_cli: Run) -> None:
    # At the danger-signs step go back, change "slowly" to "when I got hurt", then quit.
    proc = run_cli("screen", "--json", stdin=INTAKE + "b\n1\n0\nq\n")
    assert proc.returncode == 0, proc.stderr
    after_back = {q["finding"] for q in json.loads(proc.stdout)["next_questions"]}
    assert "mech_high_energy_or_deformity" in after_back
    proc = run_cli("screen", "--json", stdin=INTAKE + "q\n")
    without_back = {q["finding"] for q in json.loads(proc.stdout)["next_questions"]}
    assert "mech_high_energy_or_deformity" not in without_back


def test_invalid_input_is_asked_again(run_cli: Run) -> None:
    proc = run_cli("screen", stdin="abc\n200\n34\n1\nn\nq\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Please answer as shown") == 2


def test_dont_know_and_quit_still_give_a_result(run_cli: Run) -> None:
    proc = run_cli("screen", "--json", stdin="\n\n\nq\n")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["urgency"] == "conservative"
    assert "age_years" not in {q["finding"] for q in result["next_questions"]}


def test_dont_know_to_the_danger_signs_is_shown_as_not_ruled_out(run_cli: Run) -> None:
    """The danger-signs step answered "don't know" (Enter): the result names those signs."""
    proc = run_cli("screen", stdin=INTAKE + "\nq\n")
    assert proc.returncode == 0, proc.stderr
    assert "Warning signs not ruled out" in proc.stdout
    assert "The clinic checks these first" in proc.stdout
    done = run_cli("screen", "--json", stdin=INTAKE + "\nq\n")
    result = json.loads(done.stdout)
    assert result["safety_not_ruled_out"]
    assert result["must_rule_out"]
