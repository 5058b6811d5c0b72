"""`popliteal plan draft`: a care plan drafted from a condition's protocol."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console

from popliteal.cli._exits import fail, knowledge_base


def plan_draft(
    condition: Annotated[str, typer.Option("--condition", help="Condition id (the contract's).")],
    goal: Annotated[
        str,
        typer.Option(
            "--goal",
            help="everyday_life, walking, stairs_and_squatting, return_to_running or sport.",
        ),
    ] = "everyday_life",
    pain: Annotated[
        int | None, typer.Option("--pain", help="Usual pain now, 0-10 (sets the phase).")
    ] = None,
    equipment: Annotated[
        str | None,
        typer.Option(
            "--equipment",
            help="Comma-separated equipment the person has, e.g. "
            "band,step,foam_roller (a chair, a wall and a towel are assumed).",
        ),
    ] = None,
    minutes: Annotated[
        int | None, typer.Option("--minutes", help="Minutes a day for the home programme.")
    ] = None,
    phase: Annotated[
        str | None, typer.Option("--phase", help="Start in this phase instead.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the draft as JSON.")] = False,
) -> None:
    """Draft a plan (phase, home exercises, treatments, limits, criteria) for a condition."""
    from popliteal.plans import rules as plan_rules

    kb = knowledge_base()
    items = [x.strip() for x in (equipment or "").split(",") if x.strip() and x.strip() != "none"]
    if minutes is not None and not 1 <= minutes <= 240:
        raise fail("--minutes must be from 1 to 240")
    try:
        request = plan_rules.DraftRequest(
            condition=condition,
            goal=goal,  # type: ignore[arg-type]  # checked by draft_plan
            pain=pain,
            equipment=frozenset(items),
            minutes_per_day=minutes,
            phase=phase,  # type: ignore[arg-type]  # checked by draft_plan
        )
        draft = plan_rules.draft_plan(kb, request)
    except plan_rules.PlanRequestError as exc:
        raise fail(str(exc)) from None
    if as_json:
        payload = plan_rules.draft_to_json(draft)
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    from popliteal.plans.terminal import print_draft

    print_draft(kb, draft, Console())
