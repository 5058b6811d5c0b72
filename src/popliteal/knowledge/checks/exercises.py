"""exercises.yaml: every dose and contraindication cited; variants, contraindicated conditions
and illustration files exist."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from popliteal.knowledge.checks._refs import Cite, unknown
from popliteal.knowledge.files import ILLUSTRATIONS
from popliteal.knowledge.schema import Condition, Exercise


def check_exercises(
    directory: Path,
    exercises: Mapping[str, Exercise],
    conditions: Mapping[str, Condition],
    cite: Cite,
) -> list[str]:
    """Variant links, contraindicated conditions and illustration files must all exist."""
    problems: list[str] = []
    for ex in exercises.values():
        where = f"exercises.yaml: {ex.id}"
        cite(f"{where}, field dose", ex.dose)
        problems += unknown(f"{where}, field easier", "exercise", ex.easier, exercises)
        problems += unknown(f"{where}, field harder", "exercise", ex.harder, exercises)
        if ex.id in ex.easier or ex.id in ex.harder:
            problems.append(f"{where}: an exercise cannot be its own variant")
        for i, ci in enumerate(ex.contraindications):
            cite(f"{where}, field contraindications[{i}]", ci)
            if ci.condition not in conditions:
                problems.append(f"{where}: contraindication names unknown '{ci.condition}'")
        if not (directory / ILLUSTRATIONS / ex.illustration).is_file():
            problems.append(f"{where}: illustration '{ILLUSTRATIONS}/{ex.illustration}' is missing")
    return problems
