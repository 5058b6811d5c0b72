"""`popliteal score` and `popliteal outcomes check-wording`: questionnaire scores and a clinic's
licensed wording.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from popliteal.cli._exits import fail, knowledge_base
from popliteal.knowledge.loader import Knowledge

if TYPE_CHECKING:
    from popliteal.outcomes.rules import Score as OutcomeScore


def score_command(
    instrument: Annotated[str, typer.Argument(help="koos, lefs, ikdc or nprs.")],
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="JSON object of item id -> answer (null = missing), or a CSV with one "
            "response per row (optional id column; empty cell = missing).",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score questionnaire answers exactly: one JSON response, or a CSV of many."""
    from popliteal.outcomes import batch, rules

    kb = knowledge_base()
    try:
        scored = batch.score_file(file, instrument, kb.outcomes)
    except batch.BatchError as exc:
        raise fail(str(exc)) from None
    if scored.format == "csv":
        text = (
            json.dumps(batch.to_json_rows(scored), indent=2) + "\n"
            if as_json
            else batch.to_csv(scored, kb.outcomes)
        )
        sys.stdout.write(text)
        return
    result = scored.rows[0].result
    if as_json:
        sys.stdout.write(json.dumps(rules.score_to_json(result), indent=2) + "\n")
        return
    _print_score(kb, result, Console())


def _print_score(kb: Knowledge, result: OutcomeScore, out: Console) -> None:
    """A readable table of one response's scores (one decimal), invalid ones marked."""
    from rich.table import Table

    from popliteal.outcomes import batch

    inst = kb.outcomes.instruments[result.instrument]  # type: ignore[index]
    names = batch.scale_names(result.instrument, kb.outcomes)
    table = Table(title=inst.name, title_justify="left")
    table.add_column("scale")
    table.add_column("score", justify="right")
    for key, value in result.scores.items():
        shown = (
            f"{value:.1f}"
            if value is not None
            else batch.why_invalid(result.instrument, key, kb.outcomes)
        )
        table.add_row(names[key], shown)
    out.print(table)
    if result.missing_items:
        out.print("missing items: " + ", ".join(result.missing_items), highlight=False)
    out.print(f"\n[italic]{kb.advice.disclaimer.strip()}[/]", highlight=False)


def outcomes_check_wording(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A clinic's wording YAML file.")],
) -> None:
    """Validate a licensed clinic's questionnaire wording file."""
    from popliteal.outcomes import wording

    kb = knowledge_base()
    try:
        loaded = wording.load_wording_file(file, kb.outcomes)
    except wording.WordingError as exc:
        raise fail(str(exc)) from None
    Console().print(
        f"ok: {loaded.instrument} wording for {len(loaded.items)} items "
        f"(licence holder: {loaded.licence_holder}; reference: {loaded.reference})",
        highlight=False,
        markup=False,
    )
