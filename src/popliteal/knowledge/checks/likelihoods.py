"""likelihoods.yaml: every background and entry reads a known finding with a valid answer,
names a known condition or predicate, is given once, and number bands do not overlap."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from popliteal.knowledge.checks._refs import Cite
from popliteal.knowledge.expressions import value_problem
from popliteal.knowledge.schema import Background, Condition, Finding, LikelihoodsFile, Predicate


def check_backgrounds(
    likelihoods_file: LikelihoodsFile,
    findings: Mapping[str, Finding],
    cite: Cite,
    problems: list[str],
) -> dict[tuple[str, str], Background]:
    """The background rates keyed by (finding, repr(value)), each checked and cited."""
    backgrounds: dict[tuple[str, str], Background] = {}
    for bg in likelihoods_file.backgrounds:
        where = f"likelihoods.yaml: background {bg.finding}={bg.value!r}"
        cite(where, bg)
        f = findings.get(bg.finding)
        if f is None:
            problems.append(f"{where}: unknown finding '{bg.finding}'")
            continue
        if why := value_problem(f, bg.value):
            problems.append(f"{where}: {why}")
        if (bg.finding, repr(bg.value)) in backgrounds:
            problems.append(f"{where}: given twice")
        backgrounds[(bg.finding, repr(bg.value))] = bg
    return backgrounds


def check_likelihoods(
    likelihoods_file: LikelihoodsFile,
    *,
    findings: Mapping[str, Finding],
    conditions: Mapping[str, Condition],
    predicates: Mapping[str, Predicate],
    backgrounds: Mapping[tuple[str, str], Background],
    cite: Cite,
    problems: list[str],
) -> None:
    """Each entry: known ids, a value or band that fits its finding, a background for a
    frequency, a label for a predicate, no repeats and no overlapping bands."""
    seen: dict[tuple[str, str, str], int] = {}
    for i, entry in enumerate(likelihoods_file.likelihoods, start=1):
        where = f"likelihoods.yaml: entry {i} ({entry.key}->{entry.condition})"
        cite(where, entry)
        if entry.predicate is not None:
            if entry.predicate not in predicates:
                problems.append(f"{where}: unknown predicate '{entry.predicate}'")
            elif predicates[entry.predicate].label is None:
                problems.append(
                    f"{where}: predicate '{entry.predicate}' needs a 'label': a result page "
                    "shows it as a reason"
                )
            if entry.condition not in conditions:
                problems.append(f"{where}: unknown condition '{entry.condition}'")
            continue
        f = findings.get(entry.finding or "")
        if f is None:
            problems.append(f"{where}: unknown finding '{entry.finding}'")
            continue
        if entry.condition not in conditions:
            problems.append(f"{where}: unknown condition '{entry.condition}'")
        if entry.frequency is not None and (entry.finding, repr(entry.value)) not in backgrounds:
            problems.append(
                f"{where}: a frequency needs a background for {entry.finding}={entry.value!r}"
            )
        if entry.value is not None:
            why = value_problem(f, entry.value)
            if why:
                problems.append(f"{where}: field value: {why}")
            if f.type in ("number", "scale"):
                problems.append(f"{where}: {f.type} findings take a 'min'/'max' band")
            key = (entry.key, entry.condition, repr(entry.value))
        else:
            if f.type not in ("number", "scale"):
                problems.append(f"{where}: a band is only for number/scale findings")
            key = (entry.key, entry.condition, f"{entry.min}-{entry.max}")
        if key in seen:
            problems.append(f"{where}: repeats entry {seen[key]}")
        seen[key] = i
    bands: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for entry in likelihoods_file.likelihoods:
        if entry.value is None and entry.finding is not None:
            lo = entry.min if entry.min is not None else float("-inf")
            hi = entry.max if entry.max is not None else float("inf")
            bands.setdefault((entry.finding, entry.condition), []).append((lo, hi))
    for (fid, cid), spans in bands.items():
        spans.sort()
        for (_, hi), (lo2, _) in itertools.pairwise(spans):
            if lo2 < hi:
                problems.append(f"likelihoods.yaml: bands for {fid}->{cid} overlap")
