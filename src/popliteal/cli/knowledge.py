"""`popliteal knowledge check` and `show`: the knowledge base validated and counted, and one
condition with its evidence.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from popliteal.cli._exits import err, fail, knowledge_base
from popliteal.knowledge.loader import KnowledgeError, load


def knowledge_check(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Check this folder instead (e.g. an edited copy of data/).",
            file_okay=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the evidence counts as JSON.")
    ] = False,
) -> None:
    """Validate every knowledge file and print what it holds and how much of it is published."""
    from popliteal.knowledge.evidence import evidence_counts

    if directory is None:
        kb = knowledge_base()
    else:
        try:
            kb = load(directory)
        except KnowledgeError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None
    counts = evidence_counts(kb)
    if as_json:
        sys.stdout.write(json.dumps({"knowledge_version": kb.version, **counts}, indent=2) + "\n")
        return
    out = Console()
    expert = sum(1 for e in kb.likelihoods if e.direction is not None)
    out.print(f"knowledge_version {kb.version}")
    out.print(f"conditions        {len(kb.conditions)}")
    out.print(
        f"findings          {len(kb.findings)} "
        f"({sum('P' in f.who for f in kb.findings.values())} answered by the person)"
    )
    lik = counts["likelihoods"]
    out.print(
        f"likelihood ratios {lik['total']} ({lik['published_found']} published and read, "
        f"{lik['published_recalled']} published but recalled, {lik['expert_weight']} expert "
        f"weights, {expert} of them direction-only)"
    )
    pri = counts["priors"]
    out.print(f"priors            {pri['total']} ({pri['sourced']} sourced)")
    out.print(f"red-flag rules    {len(kb.rules)}")
    out.print(f"treatments        {len(kb.treatments)}")
    out.print(f"sources           {len(kb.sources)}")
    out.print(f"seed items        {len(kb.seed_items)}")
    out.print(f"exercises         {len(kb.exercises)}")
    phases = sum(len(p.phases) for p in kb.protocols.values())
    out.print(f"protocols         {len(kb.protocols)} ({phases} phases)")
    running = kb.running
    out.print(
        f"running           {len(running.load.run_spike_tiers)} spike tiers, "
        f"{len(running.walk_run.levels)} walk-run levels"
    )
    out.print(f"outcomes          {', '.join(kb.outcomes.instruments)}")


def knowledge_show(condition_id: str) -> None:
    """Print one condition with its priors, evidence and sources."""
    kb = knowledge_base()
    if condition_id not in kb.conditions:
        raise fail(f"unknown condition '{condition_id}'; known: {', '.join(kb.conditions)}")
    from popliteal.screening.terminal import print_condition

    print_condition(kb, condition_id, Console())
