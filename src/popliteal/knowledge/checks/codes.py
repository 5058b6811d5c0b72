"""codes.yaml: every code cited, every condition known, and a measure entry for each
observation the FHIR export writes (pain, range of motion, running, each outcome score)."""

from __future__ import annotations

from collections.abc import Mapping

from popliteal.knowledge.checks._refs import Cite
from popliteal.knowledge.schema import CodesFile, Condition, OutcomesFile

# The measures the export writes besides the outcome scores (`{instrument}_{scale}`).
FIXED_MEASURES = ("pain_nprs", "knee_flexion", "knee_extension", "weekly_running_distance")


def check_codes(
    codes: CodesFile,
    *,
    conditions: Mapping[str, Condition],
    outcomes: OutcomesFile,
    cite: Cite,
) -> list[str]:
    """Problems of codes.yaml, one line each."""
    problems: list[str] = []
    seen: set[str] = set()
    for entry in codes.conditions:
        where = f"codes.yaml: condition {entry.condition}"
        if entry.condition not in conditions:
            problems.append(f"{where}: unknown condition '{entry.condition}'")
        if entry.condition in seen:
            problems.append(f"{where}: listed twice")
        seen.add(entry.condition)
        for system, code in (("snomed", entry.snomed), ("icd10cm", entry.icd10cm)):
            if code is not None:
                cite(f"{where} {system}", code)
    measures = {m.id for m in codes.measures}
    if len(measures) != len(codes.measures):
        problems.append("codes.yaml: a measure id is listed twice")
    for m in codes.measures:
        if m.loinc is not None:
            cite(f"codes.yaml: measure {m.id} loinc", m.loinc)
    needed = list(FIXED_MEASURES)
    for iid, instrument in outcomes.instruments.items():
        needed.append(iid)
        needed += [f"{iid}_{s.key}" for s in instrument.scales]
        needed += [f"{iid}_{c.key}" for c in instrument.composites]
    problems += [f"codes.yaml: measure '{m}' is missing" for m in needed if m not in measures]
    return problems
