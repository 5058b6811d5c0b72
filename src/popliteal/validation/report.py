"""`popliteal validate`: the measures for each half and urgency class, as a table or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import URGENCY_ORDER
from popliteal.validation.cases import Case, half_of, sparse_variant
from popliteal.validation.measures import MEASURES, Outcome, run_case, summarise

TITLES = {
    "urgency_acceptable": "urgency right",
    "safe": "safe",
    "under_triage": "under-triage",
    "emergency_to_routine": "emergency to routine",
    "top1": "top 1",
    "top3": "top 3",
}


def groups(cases: Sequence[Case]) -> dict[str, list[Case]]:
    """Published cases by frozen half; textbook cases and their sparse variants apart."""
    published = [c for c in cases if c.published]
    textbook = [c for c in cases if not c.published]
    return {
        "published, tuning half": [c for c in published if half_of(c.id) == "tuning"],
        "published, test half": [c for c in published if half_of(c.id) == "test"],
        "published, all": published,
        "textbook": textbook,
        "textbook, sparse (30% of answers)": [sparse_variant(c) for c in textbook],
    }


def evaluate(kb: Knowledge, cases: Sequence[Case]) -> dict[str, list[Outcome]]:
    return {name: [run_case(kb, c) for c in members] for name, members in groups(cases).items()}


def _by_class(outcomes: list[Outcome]) -> list[tuple[str, list[Outcome]]]:
    rows = [(level, [o for o in outcomes if o.reference == level]) for level in URGENCY_ORDER]
    return [("all", outcomes), *[(level, items) for level, items in rows if items]]


def as_json(kb: Knowledge, results: dict[str, list[Outcome]]) -> dict[str, Any]:
    return {
        "knowledge_version": kb.version,
        "groups": {
            name: {
                level: {m: r.json() for m, r in summarise(items).items()}
                for level, items in _by_class(outcomes)
            }
            for name, outcomes in results.items()
        },
        "misses": {
            name: [
                {
                    "case": o.case_id,
                    "reference": o.reference,
                    "urgency": o.urgency,
                    "diagnosis": o.diagnosis,
                    "rank": o.rank,
                }
                for o in outcomes
                if not o.safe or not o.top3
            ]
            for name, outcomes in results.items()
            if name.startswith("published, tuning") or name == "textbook"
        },
    }


def print_tables(kb: Knowledge, results: dict[str, list[Outcome]], out: Console) -> None:
    out.print(f"knowledge_version {kb.version}")
    for name, outcomes in results.items():
        table = Table(title=f"{name} ({len(outcomes)} cases)", title_justify="left")
        table.add_column("reference urgency")
        for measure in MEASURES:
            table.add_column(TITLES[measure])
        for level, items in _by_class(outcomes):
            rates = summarise(items)
            table.add_row(level, *(rates[m].text() for m in MEASURES))
        out.print(table)
    out.print(
        "Hits/cases, share, Wilson 95% interval. Safe: the reference urgency, more urgent, or "
        "one level less (Gilbert 2020). Misses of the test half are not listed: tune on the "
        "tuning half only."
    )
