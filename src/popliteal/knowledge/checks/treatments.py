"""treatments.yaml and seeds.yaml: every treatment cited, every surgery indication tied to
known conditions and red flags, every seed claim covered by ids that exist."""

from __future__ import annotations

from collections.abc import Mapping

from popliteal.knowledge.checks._refs import Cite, unknown
from popliteal.knowledge.schema import (
    AdviceFile,
    Condition,
    Finding,
    RedFlagRule,
    Seed,
    SeedsFile,
    SurgeryIndication,
    Treatment,
)


def check_treatments(
    treatments: Mapping[str, Treatment],
    surgery: Mapping[str, SurgeryIndication],
    *,
    conditions: Mapping[str, Condition],
    rules: Mapping[str, RedFlagRule],
    cite: Cite,
    problems: list[str],
) -> None:
    """Treatments and surgery indications cited; an indication's conditions and rules known."""
    for t in treatments.values():
        cite(f"treatments.yaml: {t.id}", t)
    for s in surgery.values():
        cite(f"treatments.yaml: surgery indication {s.id}", s)
        problems += unknown(f"treatments.yaml: {s.id}", "condition", s.conditions, conditions)
        problems += unknown(f"treatments.yaml: {s.id}", "red flag", s.red_flags, rules)


def check_seeds(
    seeds_file: SeedsFile,
    seeds: Mapping[str, Seed],
    *,
    conditions: Mapping[str, Condition],
    findings: Mapping[str, Finding],
    treatments: Mapping[str, Treatment],
    surgery: Mapping[str, SurgeryIndication],
    rules: Mapping[str, RedFlagRule],
    advice: AdviceFile,
    problems: list[str],
) -> None:
    """Each seed claim names a known seed page, and every id that covers it exists."""
    advice_ids = {a.id for snippets in advice.by_urgency.values() for a in snippets}
    known: dict[str, Mapping[str, object]] = {
        "condition": conditions,
        "finding": findings,
        "treatment": treatments,
        "surgery_indication": surgery,
        "red_flag": rules,
        "advice": dict.fromkeys(advice_ids),
    }
    for i, item in enumerate(seeds_file.items, start=1):
        if item.seed not in seeds:
            problems.append(f"seeds.yaml: item {i}: unknown seed '{item.seed}'")
        for kind, ids in item.covers.items():
            problems += unknown(f"seeds.yaml: item {i} ({item.quote!r})", kind, ids, known[kind])
