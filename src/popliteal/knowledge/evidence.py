"""How much of the knowledge base rests on published figures (`popliteal knowledge check`).

A likelihood entry is *published* when it carries a number (a ratio or a frequency) and the
source it comes from; it is `found` when its `figure` says so or, if unmarked, its source is
not marked `recalled` in sources.yaml. Everything else (direction-only weights, or a number
resting on expert judgement) counts as an expert weight. A *discriminating* finding moves a
condition's odds at least two-fold either way.
"""

from __future__ import annotations

from typing import Any

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Cited, Likelihood

DISCRIMINATING = 2.0


def figure_of(kb: Knowledge, entry: Likelihood) -> str | None:
    """ "found", "recalled", or None for an expert weight."""
    if not kb.published(entry):
        return None
    if entry.figure is not None:
        return entry.figure
    source = kb.sources.get(entry.source or "")
    return "recalled" if source is not None and source.kind == "recalled" else "found"


def _priors(kb: Knowledge) -> list[Cited]:
    items: list[Cited] = []
    for c in kb.conditions.values():
        p = c.prior
        items += [p.base, *p.age, *p.sex.values()]
        items += [f for f in (p.runner, p.non_runner) if f is not None]
    return items


def evidence_counts(kb: Knowledge) -> dict[str, Any]:
    figures = [figure_of(kb, e) for e in kb.likelihoods]
    discriminating: dict[str, set[str]] = {cid: set() for cid in kb.conditions}
    for e in kb.likelihoods:
        if kb.published(e):
            lr = kb.lr_of(e)
            if lr >= DISCRIMINATING or lr <= 1 / DISCRIMINATING:
                discriminating[e.condition].add(e.key)
    priors = _priors(kb)
    total = len(kb.likelihoods)
    published = sum(f is not None for f in figures)
    return {
        "likelihoods": {
            "total": total,
            "published_found": figures.count("found"),
            "published_recalled": figures.count("recalled"),
            "expert_weight": total - published,
            "published_share": round(published / total, 4) if total else 0.0,
        },
        "priors": {
            "total": len(priors),
            "sourced": sum(p.source is not None for p in priors),
            "justified": sum(p.expert_judgement is not None for p in priors),
        },
        "conditions": {
            cid: {"sourced_discriminating_findings": len(found)}
            for cid, found in discriminating.items()
        },
    }
