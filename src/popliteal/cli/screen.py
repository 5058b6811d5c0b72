"""`popliteal screen`: the screening from an answers file, or an interview in the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from popliteal.cli._exits import fail, knowledge_base
from popliteal.screening.answers import InvalidAnswers, parse_request
from popliteal.screening.engine import screen, to_json


def screen_command(
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help='JSON file {"answers": {finding_id: value}}; null = don\'t know.',
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    clinician: Annotated[
        bool,
        typer.Option(
            "--clinician",
            help="Answers come from a clinician (allows clinician-only items such "
            "as the Wells alternative-diagnosis item).",
        ),
    ] = False,
) -> None:
    """Screen pain behind the knee: urgency, likely causes with evidence, next questions."""
    kb = knowledge_base()
    if answers is None:
        from popliteal.screening.terminal import run_interview

        run_interview(kb, role="clinician" if clinician else "patient", as_json=as_json)
        return
    try:
        payload = json.loads(answers.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise fail(f"{answers}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{answers}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise fail(f"{answers}: not valid JSON: {exc}") from None
    if clinician and isinstance(payload, dict):
        payload = {**payload, "role": "clinician"}
    try:
        parsed, role = parse_request(kb, payload)
    except InvalidAnswers as exc:
        lines = "\n  ".join(str(p) for p in exc.problems)
        raise fail(f"{answers}: invalid answers:\n  {lines}") from None
    result = screen(kb, parsed, role=role)
    if as_json:
        sys.stdout.write(json.dumps(to_json(kb, result), indent=2, ensure_ascii=False) + "\n")
        return
    from popliteal.screening.terminal import print_result

    print_result(kb, result, Console())
