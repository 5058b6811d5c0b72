"""The interactive `popliteal screen`, driven through its real standard input."""

from __future__ import annotations

import json
from collections.abc import Callable
from subprocess import CompletedProcess

Run = Callable[..., CompletedProcess[str]]

# About you (age, sex, which knee, runner); the danger-signs checklist comes next.
INTAKE = "34\n1\n1\nn\n"
# None of the danger signs, none of the blood-flow checks; then how it started (pain now,
# "slowly", weeks).
NO_DANGER_THEN_SLOW_START = "0\n0\n5\n3\n6\n"


def test_emergency_stops_the_interview_with_a_banner(run_cli: Run) -> None:
    proc = run_cli("screen", stdin=INTAKE + "1\n\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "EMERGENCY" in out
    assert "Call your emergency number now" in out
    assert "Most likely causes" not in out
    assert "not a diagnosis" in out


def test_interview_runs_to_a_ranked_result(run_cli_process: Run) -> None:
    proc = run_cli_process(
        "screen", "--json", stdin=INTAKE + NO_DANGER_THEN_SLOW_START + "\n" * 400
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["urgency"] == "conservative"
    assert result["next_questions"] == []
    assert result["conditions"][0]["probability"] > 0


def test_back_undoes_the_last_step(run_cli: Run) -> None:
    # After "how it started" go back, change "slowly" to "when I got hurt", then quit.
    proc = run_cli("screen", "--json", stdin=INTAKE + NO_DANGER_THEN_SLOW_START + "b\n5\n1\n6\nq\n")
    assert proc.returncode == 0, proc.stderr
    after_back = {q["finding"] for q in json.loads(proc.stdout)["next_questions"]}
    assert "mech_high_energy_or_deformity" in after_back
    proc = run_cli("screen", "--json", stdin=INTAKE + NO_DANGER_THEN_SLOW_START + "q\n")
    without_back = {q["finding"] for q in json.loads(proc.stdout)["next_questions"]}
    assert "mech_high_energy_or_deformity" not in without_back


def test_invalid_input_is_asked_again(run_cli: Run) -> None:
    proc = run_cli("screen", stdin="abc\n200\n34\n1\n1\nn\nq\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Please answer as shown") == 2


def test_dont_know_and_quit_still_give_a_result(run_cli: Run) -> None:
    proc = run_cli("screen", "--json", stdin="\n\n\n\nq\n")
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


def test_not_sure_to_a_danger_sign_is_asked_again_with_a_way_to_check(run_cli: Run) -> None:
    """Enter (not sure) at the danger signs: the same signs come back with how to check them.
    "None" the second time rules them out; "not sure" again leaves them not ruled out."""
    proc = run_cli("screen", "--json", stdin=INTAKE + "\n0\nq\n")
    assert proc.returncode == 0, proc.stderr
    assert "here is how to check" in proc.stderr
    assert "How to check: Touch both feet with your hand." in proc.stderr
    assert "cold_pale_numb_foot" not in json.loads(proc.stdout)["safety_not_ruled_out"]
    still = run_cli("screen", "--json", stdin=INTAKE + "\n\nq\n")
    assert "cold_pale_numb_foot" in json.loads(still.stdout)["safety_not_ruled_out"]


def test_a_checklist_asks_which_lines_are_not_sure(run_cli: Run) -> None:
    """One line true, one not sure: the rest are "no", the not-sure one stays open."""
    proc = run_cli("screen", "--json", stdin=INTAKE + "5\n6\nq\n")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert "knee_hot_red_swollen" in result["safety_not_ruled_out"]
    assert "cold_pale_numb_foot" not in result["safety_not_ruled_out"]


def test_the_blood_flow_checks_follow_the_danger_signs(run_cli: Run) -> None:
    """The cold-leg and walking-distance checks (acute limb ischaemia) are asked right after the
    danger signs; "not sure" to the cold leg leaves it not ruled out."""
    proc = run_cli("screen", "--json", stdin=INTAKE + "0\n\n\nq\n")
    assert proc.returncode == 0, proc.stderr
    assert "colder than the other one" in proc.stderr
    assert "Feel both feet and lower legs with the back of your hand." in proc.stderr
    result = json.loads(proc.stdout)
    assert "leg_cold_or_mottled" in result["safety_not_ruled_out"]
    assert "popliteal_artery_aneurysm" in result["must_rule_out"]
