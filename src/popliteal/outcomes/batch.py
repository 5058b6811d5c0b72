"""Batch scoring for `popliteal score`: one JSON response, or a CSV of many.

JSON: an object of item id -> answer (null or absent = missing). CSV: a header of item ids,
an optional `id` column carried through, one response per row, an empty cell = missing.
Every problem is collected before anything is printed, so a bad file prints nothing on
stdout; CSV problems name the row (and its id) and the item.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

from popliteal.knowledge.schema import OutcomesSettings
from popliteal.outcomes.rules import (
    INSTRUMENTS,
    AnswerError,
    Score,
    row_scorer,
    score,
    score_to_json,
)
from popliteal.spreadsheet import formula_safe

MAX_PROBLEMS_SHOWN = 20
ID_COLUMN = "id"
Format = Literal["json", "csv"]


class BatchError(ValueError):
    """The input cannot be scored; `problems` lists what is wrong, where."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems")
        super().__init__("\n".join(shown))
        self.problems = problems


@dataclass(frozen=True)
class Scored:
    """One scored response; `id` is the CSV row's id cell when the file has an id column."""

    result: Score
    id: str | None = None


@dataclass(frozen=True)
class Batch:
    format: Format
    instrument: str
    rows: list[Scored]
    has_id: bool


def check_instrument(instrument: str, settings: OutcomesSettings) -> str:
    """The instrument id, lower-cased; BatchError for an unknown one."""
    name = instrument.strip().lower()
    if name not in settings.instruments:
        raise BatchError(
            [f"unknown instrument '{instrument}': expected one of " + ", ".join(INSTRUMENTS)]
        )
    return name


def detect_format(path: Path, text: str) -> Format:
    """By extension (.json / .csv), else by content: a leading '{' or '[' is JSON."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix == ".csv":
        return "csv"
    return "json" if text.lstrip()[:1] in ("{", "[") else "csv"


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a byte-order mark is dropped); BatchError when unreadable."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise BatchError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise BatchError([f"{path}: is a folder, not a file"]) from None
    except UnicodeDecodeError:
        raise BatchError([f"{path}: not UTF-8 text"]) from None
    except OSError as exc:
        raise BatchError([f"{path}: cannot read: {exc.strerror or exc}"]) from None


def score_json(text: str, instrument: str, settings: OutcomesSettings, *, name: str) -> Scored:
    """Score one JSON response: an object of item id -> answer."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BatchError([f"{name}: not valid JSON: {exc}"]) from None
    if not isinstance(data, dict):
        raise BatchError([f"{name}: expected a JSON object of item id -> answer"])
    try:
        return Scored(result=score(instrument, data, settings))
    except AnswerError as exc:
        raise BatchError([f"{name}: {p}" for p in exc.problems]) from None


def score_csv_rows(
    rows: Iterable[list[str]], instrument: str, settings: OutcomesSettings, *, name: str
) -> tuple[list[Scored], bool]:
    """Score CSV rows (the first is the header); return the scored rows and whether an id
    column was present. All problems are collected, then raised together."""
    iterator = iter(rows)
    header = next(iterator, None)
    while header is not None and not any(cell.strip() for cell in header):
        header = next(iterator, None)
    if header is None:
        raise BatchError([f"{name}: empty CSV: expected a header row of item ids"])
    columns = [cell.strip() for cell in header]
    problems: list[str] = []
    id_at = next((i for i, c in enumerate(columns) if c.lower() == ID_COLUMN), None)
    item_columns = [i for i in range(len(columns)) if i != id_at]
    try:
        score_row = row_scorer(instrument, [columns[i] for i in item_columns], settings)
    except AnswerError as exc:
        problems += [f"{name}: header: {p}" for p in exc.problems]
    if problems:
        raise BatchError(problems)
    width = len(columns)
    pick = itemgetter(*item_columns) if len(item_columns) > 1 else None
    scored: list[Scored] = []
    for number, cells in enumerate(iterator, start=1):
        if len(cells) != width:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line
            problems.append(f"{name}: row {number}: {len(cells)} cells, the header has {width}")
            continue
        row_id = cells[id_at].strip() if id_at is not None else None
        answers = pick(cells) if pick is not None else [cells[i] for i in item_columns]
        try:
            scored.append(Scored(result=score_row(answers), id=row_id))
        except AnswerError as exc:
            where = f"row {number}" + (f" (id {row_id})" if row_id else "")
            problems += [f"{name}: {where}: {p}" for p in exc.problems]
            if len(problems) > MAX_PROBLEMS_SHOWN * 50:
                break  # enough to show; stop reading a wholly wrong file
    if problems:
        raise BatchError(problems)
    return scored, id_at is not None


def score_file(path: Path, instrument: str, settings: OutcomesSettings) -> Batch:
    """Read and score a JSON or CSV file; BatchError with every problem found."""
    name = check_instrument(instrument, settings)
    text = read_text(path)
    fmt = detect_format(path, text)
    if fmt == "json":
        return Batch("json", name, [score_json(text, name, settings, name=str(path))], False)
    try:
        rows, has_id = score_csv_rows(csv.reader(io.StringIO(text)), name, settings, name=str(path))
    except csv.Error as exc:
        raise BatchError([f"{path}: not a readable CSV: {exc}"]) from None
    return Batch("csv", name, rows, has_id)


def score_keys(instrument: str, settings: OutcomesSettings) -> list[str]:
    """The score keys of an instrument, in output order."""
    inst = settings.instruments[instrument]  # type: ignore[index]
    return [s.key for s in inst.scales] + [c.key for c in inst.composites]


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


def to_csv(batch: Batch, settings: OutcomesSettings) -> str:
    """A CSV of scores: id (when given), valid, each score at full precision, then the
    invalid scores and missing items as ';'-joined lists."""
    keys = score_keys(batch.instrument, settings)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ([ID_COLUMN] if batch.has_id else []) + ["valid", *keys, "invalid", "missing_items"]
    )
    for row in batch.rows:
        r = row.result
        writer.writerow(
            ([formula_safe(row.id or "")] if batch.has_id else [])
            + ["true" if r.valid else "false"]
            + [_number(r.scores[k]) for k in keys]
            + [";".join(r.invalid), ";".join(r.missing_items)]
        )
    return out.getvalue()


def to_json_rows(batch: Batch) -> list[dict[str, Any]]:
    """The score objects of a CSV batch, with "id" first when the file had an id column."""
    rows: list[dict[str, Any]] = []
    for row in batch.rows:
        obj = score_to_json(row.result)
        rows.append({ID_COLUMN: row.id, **obj} if batch.has_id else obj)
    return rows


def scale_names(instrument: str, settings: OutcomesSettings) -> Mapping[str, str]:
    """Display names of every score key."""
    inst = settings.instruments[instrument]  # type: ignore[index]
    names = {s.key: s.name for s in inst.scales}
    names.update({c.key: c.name for c in inst.composites})
    return names


def why_invalid(instrument: str, key: str, settings: OutcomesSettings) -> str:
    """A one-line reason a score was not computed."""
    inst = settings.instruments[instrument]  # type: ignore[index]
    for s in inst.scales:
        if s.key == key:
            return f"not scored: fewer than {s.min_answered.value} of {len(s.items)} items answered"
    for c in inst.composites:
        if c.key == key:
            return "not scored: needs " + ", ".join(c.mean_of)
    return "not scored"
