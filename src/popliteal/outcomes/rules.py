"""Exact scoring of the outcome questionnaires (KOOS, LEFS, IKDC 2000, NPRS) and the reading
of a change against published minimal clinically important differences.

Pure: no database, no clock, no I/O. Item ranges, scales, missing-data rules and MCIDs come
from outcomes.yaml; this module only applies the published scoring methods:
- KOOS: subscale = 100 - 25 x mean of the answered items, scored only when at least half its
  items are answered (KOOS user's guide 2012); KOOS4 = mean of Pain, Symptoms, Sport/Rec, QOL.
- LEFS: sum of the 20 items (0-80); any missing item makes it invalid.
- IKDC 2000: sum of item scores / sum of the maxima of the answered items x 100, with at least
  16 of 18 items answered.
- NPRS: the 0-10 answer itself.
An invalid score is reported as such (None, key listed in `invalid`), never estimated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from popliteal.knowledge.schema import (
    Instrument,
    Mcid,
    OutcomeItem,
    OutcomeScale,
    OutcomesSettings,
)

INSTRUMENTS: tuple[str, ...] = ("koos", "lefs", "ikdc", "nprs")
Verdict = Literal["improved", "unchanged", "worse"]
# Scores are means and ratios of small integers: a difference within this of the MCID is on it.
_TOLERANCE = 1e-9


class AnswerError(ValueError):
    """Answers that cannot be scored; `problems` names each item id and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Score:
    instrument: str
    valid: bool
    scores: dict[str, float | None]
    invalid: list[str]
    missing_items: list[str]


@dataclass(frozen=True)
class Change:
    instrument: str
    scale: str
    before: float
    after: float
    difference: float
    mcid: float
    verdict: Verdict
    source: str


@dataclass(frozen=True)
class _Plan:
    """An instrument prepared for fast scoring (100,000-row CSVs): items by lower-case id,
    scales as positions, and each item's common answers looked up rather than parsed."""

    instrument: Instrument
    items: tuple[OutcomeItem, ...]
    index: dict[str, int]  # lower-case item id -> position in `items` (form order)
    scored: tuple[int, ...]  # positions of the scored items, in form order
    # key, item positions, min answered, the items' common span (None when they differ)
    scales: tuple[tuple[str, tuple[int, ...], int, int | None], ...]
    # Per position: answer (int, or its text as in a CSV) -> item score, reversal applied.
    lookup: tuple[dict[object, int], ...]
    # Per position: the most an item can score (denominators of the KOOS and IKDC formulas).
    span: tuple[int, ...]


_PLANS: dict[int, tuple[Instrument, _Plan]] = {}


def _plan(instrument_id: str, settings: OutcomesSettings) -> _Plan:
    instrument = settings.instruments.get(instrument_id)  # type: ignore[call-overload]
    if instrument is None:
        raise AnswerError(
            [f"unknown instrument '{instrument_id}': expected one of " + ", ".join(INSTRUMENTS)]
        )
    cached = _PLANS.get(id(instrument))
    if cached is not None and cached[0] is instrument:
        return cached[1]
    items = tuple(instrument.items)
    index = {item.id.lower(): i for i, item in enumerate(items)}
    lookup: list[dict[object, int]] = []
    for item in items:
        table: dict[object, int] = {}
        for answer in range(item.min, item.max + 1):
            table[answer] = _item_score(item, answer)
            table[str(answer)] = _item_score(item, answer)
        lookup.append(table)
    plan = _Plan(
        instrument=instrument,
        items=items,
        index=index,
        scored=tuple(i for i, item in enumerate(items) if item.scored),
        scales=tuple(_scale_plan(s, index, items) for s in instrument.scales),
        lookup=tuple(lookup),
        span=tuple(item.max - item.min for item in items),
    )
    _PLANS[id(instrument)] = (instrument, plan)
    return plan


def _scale_plan(
    scale: OutcomeScale, index: Mapping[str, int], items: Sequence[OutcomeItem]
) -> tuple[str, tuple[int, ...], int, int | None]:
    positions = tuple(index[i.lower()] for i in scale.items)
    spans = {items[p].max - items[p].min for p in positions}
    return scale.key, positions, scale.min_answered.value, spans.pop() if len(spans) == 1 else None


def _item_score(item: OutcomeItem, answer: int) -> int:
    return item.max - answer if item.reversed else answer - item.min


def _whole(item: OutcomeItem, value: object) -> int | str:
    """The answer as a whole number, or why it is not one."""
    if isinstance(value, bool):
        if item.yes_no:
            return 0 if value else 1  # true means "yes", scored 0
        return "expected a whole number, not true/false"
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            return f"expected a whole number, not {value!r}"
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if item.yes_no and text.lower() in ("yes", "no"):
            return 0 if text.lower() == "yes" else 1
        try:
            parsed = float(text)
        except ValueError:
            return f"expected a whole number, not {value!r}"
        if not math.isfinite(parsed) or not parsed.is_integer():
            return f"expected a whole number, not {value!r}"
        number = int(parsed)
    else:
        return f"expected a whole number, not {type(value).__name__}"
    if not item.min <= number <= item.max:
        return f"{number} is out of range {item.min}-{item.max}"
    return number


def _points(plan: _Plan, pos: int, value: object) -> int | str:
    """The item score of one answer (reversal applied), or why the answer is not valid."""
    kind = type(value)
    if kind is str or kind is int:  # never bool: True == 1 would hit the table
        found = plan.lookup[pos].get(value)
        if found is not None:
            return found
    item = plan.items[pos]
    number = _whole(item, value)
    return number if isinstance(number, str) else _item_score(item, number)


def _parse(plan: _Plan, answers: Mapping[str, object]) -> list[int | None]:
    """Item scores by form position, validated; raise AnswerError naming every bad item."""
    values: list[int | None] = [None] * len(plan.items)
    problems: list[str] = []
    for key, value in answers.items():
        pos = plan.index.get(str(key).lower())
        if pos is None:
            problems.append(f"unknown item '{key}'")
            continue
        if value is None:
            continue
        if values[pos] is not None:
            problems.append(f"{plan.items[pos].id}: answered twice")
            continue
        points = _points(plan, pos, value)
        if isinstance(points, str):
            problems.append(f"{plan.items[pos].id}: {points}")
        else:
            values[pos] = points
    if problems:
        raise AnswerError(problems)
    return values


def _score_values(plan: _Plan, instrument: str, values: Sequence[int | None]) -> Score:
    method = plan.instrument.method
    scores: dict[str, float | None] = {}
    for key, positions, min_answered, common_span in plan.scales:
        answered = [values[p] for p in positions]
        if None in answered:
            answered = [v for v in answered if v is not None]
        if len(answered) < min_answered:
            scores[key] = None
            continue
        total = sum(answered)  # type: ignore[arg-type]  # the Nones are gone
        if method == "sum" or method == "single_item":
            scores[key] = float(total)
            continue
        if common_span is not None:
            most = common_span * len(answered)
        else:
            most = sum(plan.span[p] for p in positions if values[p] is not None)
        if method == "koos_transform":
            # 100 - 25 x mean = 100 x (4n - sum) / 4n: integers, then one rounding only.
            scores[key] = 100 * (most - total) / most
        else:  # "percent_of_answered_max"
            scores[key] = 100 * total / most
    for comp in plan.instrument.composites:
        parts = [scores[k] for k in comp.mean_of]
        scores[comp.key] = (
            None if None in parts else sum(p for p in parts if p is not None) / len(parts)
        )
    invalid = [k for k, v in scores.items() if v is None]
    return Score(
        instrument=instrument,
        valid=not invalid,
        scores=scores,
        invalid=invalid,
        missing_items=[plan.items[p].id for p in plan.scored if values[p] is None],
    )


def score(instrument: str, answers: Mapping[str, object], settings: OutcomesSettings) -> Score:
    """Score one response; unanswered items are None or absent.

    Raise AnswerError for unknown item ids and ill-typed or out-of-range answers.
    """
    plan = _plan(instrument, settings)
    return _score_values(plan, instrument, _parse(plan, answers))


def row_scorer(
    instrument: str, columns: Sequence[str], settings: OutcomesSettings
) -> Callable[[Sequence[object]], Score]:
    """A scorer for many responses laid out in the same columns (a CSV): the item ids are
    resolved once. In a row, None or a blank string is an unanswered item. Unknown or
    repeated column ids raise AnswerError at once; bad answers raise it for their row."""
    plan = _plan(instrument, settings)
    positions: list[int] = []
    problems: list[str] = []
    for column in columns:
        pos = plan.index.get(column.strip().lower())
        if pos is None:
            problems.append(f"unknown item '{column}'")
        elif pos in positions:
            problems.append(f"{plan.items[pos].id}: given twice")
        else:
            positions.append(pos)
    if problems:
        raise AnswerError(problems)
    size = len(plan.items)
    # Text keys only: a CSV cell is text, and True must never be read as the answer 1.
    lookups: list[dict[object, int | None]] = [
        {k: v for k, v in plan.lookup[pos].items() if type(k) is str} | {"": None}
        for pos in positions
    ]
    in_form_order = positions == list(range(size))

    def score_row(cells: Sequence[object]) -> Score:
        try:
            got = [table.get(cell, _BAD) for table, cell in zip(lookups, cells, strict=True)]
        except TypeError:  # an unhashable cell (a list): parse each cell the slow way
            got = [_BAD] * len(lookups)
        if _BAD in got:
            got = _slow_cells(plan, positions, cells, got)
        if in_form_order:
            values: list[int | None] = got
        else:
            values = [None] * size
            for pos, value in zip(positions, got, strict=True):
                values[pos] = value
        return _score_values(plan, instrument, values)

    return score_row


_BAD: Any = object()  # a cell the lookup table does not know: parse it, or report it


def _slow_cells(
    plan: _Plan, positions: Sequence[int], cells: Sequence[object], got: list[Any]
) -> list[int | None]:
    """Parse the cells the lookup missed (spaces, 3.0, yes/no); AnswerError for bad ones."""
    bad: list[str] = []
    for i, value in enumerate(got):
        if value is not _BAD:
            continue
        cell = cells[i]
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            got[i] = None
            continue
        points = _points(plan, positions[i], cell)
        if isinstance(points, str):
            bad.append(f"{plan.items[positions[i]].id}: {points}")
        else:
            got[i] = points
    if bad:
        raise AnswerError(bad)
    return got


def score_to_json(result: Score) -> dict[str, Any]:
    """The stable JSON shape of a score (full precision; null for an invalid score)."""
    return {
        "instrument": result.instrument,
        "valid": result.valid,
        "scores": dict(result.scores),
        "invalid": list(result.invalid),
        "missing_items": list(result.missing_items),
    }


def mcid_for(instrument: str, scale: str, settings: OutcomesSettings) -> Mcid:
    """The published MCID for one scale of an instrument."""
    inst = settings.instruments.get(instrument)  # type: ignore[call-overload]
    if inst is None:
        raise ValueError(f"unknown instrument '{instrument}'")
    for m in inst.mcid:
        if m.scale == scale:
            return m  # type: ignore[no-any-return]
    raise ValueError(f"no MCID for scale '{scale}' of {instrument}")


def interpret_change(
    instrument: str, scale: str, before: float, after: float, settings: OutcomesSettings
) -> Change:
    """Read a change as improved, unchanged or worse against the scale's MCID.

    A change of exactly the MCID counts. Higher is better for KOOS, LEFS and IKDC; lower is
    better for NPRS, where a fall of 2 points or of 30% of the starting pain is an improvement
    (Farrar 2001) and a rise counts as worse from 2 points (the 30% criterion was derived for
    reductions only).
    """
    inst = settings.instruments.get(instrument)  # type: ignore[call-overload]
    if inst is None:
        raise ValueError(f"unknown instrument '{instrument}'")
    m = mcid_for(instrument, scale, settings)
    difference = after - before
    gain = difference if inst.higher_is_better else -difference
    threshold = m.points
    if gain > 0 and m.percent is not None and before > 0:
        threshold = min(threshold, before * m.percent / 100)
    if gain >= threshold - _TOLERANCE:
        verdict: Verdict = "improved"
    elif -gain >= m.points - _TOLERANCE:
        verdict = "worse"
    else:
        verdict = "unchanged"
    return Change(
        instrument=instrument,
        scale=scale,
        before=before,
        after=after,
        difference=difference,
        mcid=threshold,
        verdict=verdict,
        source=m.source or "expert_judgement",
    )
