"""running.yaml: every load threshold and walk-run rule names a known source."""

from __future__ import annotations

from collections.abc import Mapping

from popliteal.knowledge.checks._refs import Cite
from popliteal.knowledge.schema import RunningFile, SourceEntry

# The load rules whose flags a person reads on their own running page, with the source.
FLAGGED_LOAD_RULES = (
    "weekly_limit",
    "weekly_limit_above_usual",
    "week_over_week",
    "acwr",
    "run_pain",
    "next_morning",
    "surface_majority",
)


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


def plain_flag_sources(running: RunningFile, sources: Mapping[str, SourceEntry]) -> list[str]:
    """A load flag names its source on the person's own page: that source needs a `plain`
    name there (a citation with journal and pages, or a file name, is for clinicians)."""
    load_rules = running.load
    cited = [(f"load.{name}", getattr(load_rules, name).source) for name in FLAGGED_LOAD_RULES]
    cited += [(f"load.run_spike_tiers ({t.id})", t.source) for t in load_rules.run_spike_tiers]
    return [
        f"running.yaml: {where}: source '{key}' has no plain name for the person's page"
        for where, key in cited
        if key is not None and key in sources and sources[key].plain is None
    ]
