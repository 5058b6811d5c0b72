"""`popliteal validate`: the screening's safety and accuracy on the validation cases."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from popliteal.cli._exits import err, fail, knowledge_base

VALIDATION_DIR = Path("validation/cases")


def validate_command(
    folder: Annotated[
        Path,
        typer.Option("--dir", help="Folder of case files (searched recursively).", file_okay=False),
    ] = VALIDATION_DIR,
    check: Annotated[
        bool,
        typer.Option("--check", help="Only check the case files' ids and values; show no result."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    split: Annotated[
        bool,
        typer.Option("--split", help="Print each published case's half (validation/split.txt)."),
    ] = False,
) -> None:
    """Screen the validation cases and print safety and accuracy, each with a 95% interval."""
    from popliteal.validation.cases import half_of, load_cases
    from popliteal.validation.report import as_json as report_json
    from popliteal.validation.report import evaluate, print_tables

    if not folder.is_dir():
        raise fail(f"no case folder at {folder}")
    kb = knowledge_base()
    cases, problems = load_cases(kb, folder)
    for problem in problems:
        err.print(f"error: {problem}", highlight=False, markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(code=2)
    if split:
        for case in sorted((c for c in cases if c.published), key=lambda c: c.id):
            sys.stdout.write(f"{case.id} {half_of(case.id)}\n")
        return
    if check:
        published = sum(c.published for c in cases)
        Console().print(f"{len(cases)} cases read ({published} published), all valid")
        return
    results = evaluate(kb, cases)
    if as_json:
        sys.stdout.write(json.dumps(report_json(kb, results), indent=2) + "\n")
    else:
        print_tables(kb, results, Console(width=160))
