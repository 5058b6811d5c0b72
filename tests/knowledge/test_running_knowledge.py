"""running.yaml: the load thresholds and walk-run levels load, are cited, and are checked."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from popliteal.knowledge.loader import Knowledge, load
from tests.knowledge.editing import edited_copy, problems_of


def broken(tmp_path: Path, edit: Callable[[Any], None]) -> Path:
    return edited_copy(tmp_path, "running.yaml", edit)


def test_load_thresholds_are_the_ones_the_evidence_gives(kb: Knowledge) -> None:
    rules = kb.running.load
    assert rules.weekly_limit.miles == 15
    assert rules.weekly_limit.km == pytest.approx(24.14016)  # 15 x 1.609344
    assert rules.weekly_limit.source == "seed_chiro_runner"
    assert [(t.id, t.above_pct) for t in rules.run_spike_tiers] == [
        ("run_spike_10", 10),
        ("run_spike_30", 30),
        ("run_spike_100", 100),
    ]
    assert {t.source for t in rules.run_spike_tiers} == {"frandsen_2025"}
    assert (rules.week_over_week.above_pct, rules.week_over_week.source) == (
        30,
        "nielsen_2014_jospt",
    )
    assert rules.not_the_10_percent_rule.source == "buist_2008"
    assert (rules.acwr.above, rules.acwr.source) == (1.5, "gabbett_2016")
    assert "contested" in rules.acwr.contested
    assert rules.run_pain.pain_during_max == 3
    assert rules.next_morning.source == "silbernagel_2007"
    assert (rules.surface_majority.above_share, rules.surface_majority.window_days) == (0.5, 28)
    assert rules.symptomatic.window_days >= 1


def test_walk_run_levels_follow_delaware(kb: Knowledge) -> None:
    programme = kb.running.walk_run
    assert [lv.total_miles for lv in programme.levels] == [2, 2, 2, 2, 2, 2.5, 3, 3]
    level1 = programme.levels[0]
    assert [(s.activity, s.miles) for s in level1.segments] == [("walk", 0.1), ("jog", 0.1)]
    assert level1.repeats == 10
    assert all(lv.source == "delaware_run_2018" for lv in programme.levels[:7])
    assert programme.levels[7].expert_judgement  # level 8's distance is not in the source
    assert programme.max_sessions_per_week.value == 4
    assert programme.max_levels_per_7_days.value == 2
    assert programme.min_sessions_per_level.value == 2
    assert programme.min_sessions_per_level.source == "trials_2023_rtr"
    assert programme.preferred_surfaces.surfaces == ["track_or_treadmill", "grass_or_mixed"]
    # The cap stays below the flagged 15 mi and still holds 4 sessions of the longest level.
    cap_km = programme.weekly_cap.share_of_limit * kb.running.load.weekly_limit.km
    assert cap_km < kb.running.load.weekly_limit.km
    assert cap_km >= 4 * max(lv.total_km for lv in programme.levels) - 1e-9


def test_a_running_threshold_naming_an_unknown_source_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["load"]["week_over_week"]["source"] = "nobody_2031"

    found = problems_of(broken(tmp_path, edit))
    assert found == [
        "running.yaml: field load.week_over_week: source 'nobody_2031' is not in sources.yaml"
    ]


def test_an_uncited_level_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        del data["walk_run"]["levels"][2]["source"]

    found = problems_of(broken(tmp_path, edit))
    assert len(found) == 1
    assert found[0].startswith("running.yaml: walk_run, levels, entry 3")
    assert "'source'" in found[0]


def test_a_level_whose_repeats_do_not_add_up_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["walk_run"]["levels"][0]["repeats"] = 9  # 9 x 0.2 mi is not 2 mi

    (problem,) = problems_of(broken(tmp_path, edit))
    assert "running.yaml" in problem
    assert "9 x 0.2 mi is not total_miles 2" in problem


def test_levels_out_of_order_are_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        levels = data["walk_run"]["levels"]
        levels[0], levels[1] = levels[1], levels[0]

    (problem,) = problems_of(broken(tmp_path, edit))
    assert "numbered 1, 2, 3" in problem


def test_a_cap_too_small_for_one_session_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["walk_run"]["weekly_cap"]["share_of_limit"] = 0.1  # 2.41 km < 4.83 km

    (problem,) = problems_of(broken(tmp_path, edit))
    assert "no week could hold a session" in problem


def test_spike_tiers_must_rise(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["load"]["run_spike_tiers"][1]["above_pct"] = 5

    (problem,) = problems_of(broken(tmp_path, edit))
    assert "strictly rising" in problem


def test_an_unknown_surface_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["walk_run"]["preferred_surfaces"]["surfaces"] = ["sand"]

    (problem,) = problems_of(broken(tmp_path, edit))
    assert problem.startswith("running.yaml: walk_run, preferred_surfaces, surfaces")


def test_running_yaml_is_part_of_the_knowledge_version(tmp_path: Path, kb: Knowledge) -> None:
    def edit(data: Any) -> None:
        data["load"]["symptomatic"]["window_days"] = 21

    assert load(broken(tmp_path, edit)).version != kb.version


def test_knowledge_check_counts_the_running_rules(
    run_cli_process: Callable[..., subprocess.CompletedProcess[str]], kb: Knowledge
) -> None:
    done = run_cli_process("knowledge", "check")
    assert done.returncode == 0, done.stderr
    tiers = len(kb.running.load.run_spike_tiers)
    levels = len(kb.running.walk_run.levels)
    assert f"{tiers} spike tiers, {levels} walk-run levels" in done.stdout


def test_a_load_flag_source_without_a_plain_name_is_refused(tmp_path: Path) -> None:
    """A flag names its source on the person's own page: in plain words, not a citation."""

    def edit(data: Any) -> None:
        for entry in data["sources"]:
            if entry["key"] == "frandsen_2025":
                del entry["plain"]

    problems = problems_of(edited_copy(tmp_path, "sources.yaml", edit))
    assert any("run_spike_tiers" in p and "frandsen_2025" in p for p in problems), problems
