"""outcomes.yaml and followup.yaml: every scoring rule, missing-data rule, MCID and follow-up
threshold cited; every condition, finding, rule, scale and item follow-up names exists."""

from __future__ import annotations

from collections.abc import Mapping

from popliteal.knowledge.checks._refs import Cite, unknown
from popliteal.knowledge.schema import Condition, Finding, FollowupFile, OutcomesFile, RedFlagRule


def cite_outcomes(outcomes: OutcomesFile, cite: Cite) -> None:
    """Every scoring rule, missing-data rule and MCID must name a known source."""
    for name, inst in outcomes.instruments.items():
        where = f"outcomes.yaml: {name}"
        cite(f"{where}, field scoring", inst.scoring)
        for scale in inst.scales:
            cite(f"{where}, scale {scale.key}, field min_answered", scale.min_answered)
        for comp in inst.composites:
            cite(f"{where}, composite {comp.key}", comp)
        for m in inst.mcid:
            cite(f"{where}, mcid {m.scale}", m)


def check_followup(
    followup: FollowupFile,
    outcomes: OutcomesFile,
    findings: Mapping[str, Finding],
    conditions: Mapping[str, Condition],
    rules: Mapping[str, RedFlagRule],
    cite: Cite,
) -> list[str]:
    """Every threshold cited; every condition, finding, rule, scale and item it names exists."""
    where = "followup.yaml"
    problems: list[str] = []
    choice = followup.instruments
    for name, cited in (
        ("instruments", choice),
        ("schedule", followup.schedule),
        ("review.pain_worse", followup.review.pain_worse),
        ("review.adequate_care", followup.review.adequate_care),
        ("review.no_improvement", followup.review.no_improvement),
        ("review.snooze_days", followup.review.snooze_days),
        ("discharge.pain_free", followup.discharge.pain_free),
        (
            "discharge.full_range_of_motion.other_knee",
            followup.discharge.full_range_of_motion.other_knee,
        ),
        (
            "discharge.full_range_of_motion.normative",
            followup.discharge.full_range_of_motion.normative,
        ),
        ("discharge.evidence_within_days", followup.discharge.evidence_within_days),
        (
            "discharge.target_activity.return_to_running",
            followup.discharge.target_activity.return_to_running,
        ),
    ):
        cite(f"{where}: field {name}", cited)
    problems += unknown(
        f"{where}: instruments", "condition", choice.lefs_for_conditions, conditions
    )

    def mcid_scales(instrument: str) -> set[str]:
        return {m.scale for m in outcomes.instruments[instrument].mcid}  # type: ignore[index]

    for instrument, scales in choice.improvement_scales.items():
        problems += [
            f"{where}: instruments.improvement_scales.{instrument}: '{s}' has no MCID "
            "in outcomes.yaml"
            for s in scales
            if s not in mcid_scales(instrument)
        ]
    if not mcid_scales("nprs"):
        problems.append(f"{where}: review.pain_worse needs the NPRS MCID in outcomes.yaml")
    for item in followup.safety_checklist.items:
        for fid, value in item.findings.items():
            f = findings.get(fid)
            if f is None:
                problems.append(f"{where}: safety item {item.id}: unknown finding '{fid}'")
            elif f.type != "bool" or "P" not in f.who:
                problems.append(
                    f"{where}: safety item {item.id}: '{fid}' must be a yes/no question the "
                    "person answers"
                )
            elif not value:
                problems.append(
                    f"{where}: safety item {item.id}: a ticked item reports a finding as true"
                )
    failed = followup.review.failed_care
    if failed.finding not in findings or findings[failed.finding].type != "number":
        problems.append(f"{where}: review.failed_care: '{failed.finding}' is not a number finding")
    if failed.rule not in rules:
        problems.append(f"{where}: review.failed_care: unknown red-flag rule '{failed.rule}'")
    for instrument, goal in followup.discharge.outcome_goal.items():
        cite(f"{where}: discharge.outcome_goal.{instrument}", goal)
        inst = outcomes.instruments[instrument]
        keys = {s.key for s in inst.scales} | {c.key for c in inst.composites}
        if goal.scale not in keys:
            problems.append(
                f"{where}: discharge.outcome_goal.{instrument}: unknown scale '{goal.scale}'"
            )
    for goal_id, target in followup.discharge.target_activity.by_goal.items():
        cite(f"{where}: discharge.target_activity.by_goal.{goal_id}", target)
        for instrument, item_ids in target.items.items():
            inst = outcomes.instruments[instrument]
            problems += [
                f"{where}: target_activity.by_goal.{goal_id}: unknown {instrument} item '{i}'"
                for i in item_ids
                if inst.item(i) is None
            ]
    return problems
