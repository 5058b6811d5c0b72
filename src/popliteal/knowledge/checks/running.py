"""running.yaml: every load threshold and walk-run rule names a known source."""

from __future__ import annotations

from popliteal.knowledge.checks._refs import Cite
from popliteal.knowledge.schema import RunningFile


def cite_running(running: RunningFile, cite: Cite) -> None:
    """Every running threshold and walk-run level must name a known source."""
    load_rules = running.load
    for name in (
        "weekly_limit",
        "weekly_limit_above_usual",
        "week_over_week",
        "not_the_10_percent_rule",
        "acwr",
        "run_pain",
        "next_morning",
        "surface_majority",
        "symptomatic",
    ):
        cite(f"running.yaml: field load.{name}", getattr(load_rules, name))
    for tier in load_rules.run_spike_tiers:
        cite(f"running.yaml: load.run_spike_tiers ({tier.id})", tier)
    programme = running.walk_run
    for level in programme.levels:
        cite(f"running.yaml: walk_run level {level.level}", level)
    for name in (
        "max_sessions_per_week",
        "rest_day_between_runs",
        "max_levels_per_7_days",
        "min_sessions_per_level",
        "preferred_surfaces",
        "weekly_cap",
    ):
        cite(f"running.yaml: field walk_run.{name}", getattr(programme, name))
