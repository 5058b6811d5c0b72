"""Turn watch files (GPX, TCX, FIT) and daily-distance files into runs: pure, no clock.

Distance. A device's own distance is used when the file has one (TCX: the laps'
DistanceMeters, or the last trackpoint's running total when the laps say zero; FIT: the
sessions' total_distance, or the last record's distance): the watch filtered its GPS (and may
have used a foot pod), and it is the figure the runner saw. Otherwise (GPX, or files without a
distance) it is measured along the track with the haversine formula (mean Earth radius
6,371,008.8 m; within 0.3% of the ellipsoid, and the same bias for every run).

GPS noise. Consumer GPS error drifts slowly (it is correlated over tens of seconds), so
point-to-point sums are close to the truth except for three things, handled per segment:
- spikes: a point that would mean moving faster than 12.5 m/s from the previous plausible
  point (faster than the fastest human sprint, ~12.4 m/s) is dropped; after 5 such points in a
  row the earlier point was the bad one, and counting starts again from the new position;
- jitter: a point is counted only once it is at least 5 m from the last counted point, so a
  wobble of a metre or two adds nothing (at a point a second this counts every second point or
  so; the chord cut across a bend is far under 0.1%);
- drift while standing still: a 5 m move made slower than 0.5 m/s (slower than a slow walk) is
  the fix wandering while the runner waits at a crossing; it moves the reference point but adds
  no distance (at most 5 m of real distance is lost when the runner sets off again).
With 3 m of simulated drift (60 s correlation), spikes and a 5 minute stop, a 5 km loop measures
within 1% (tests/running/test_importers.py); summing every point overstates it by tens of per cent.
Segments are measured separately: no distance across a gap in the recording.

Moving time is the time between counted points (covered at 0.5 m/s or more), or, with the
device's cumulative distance, between records where it grew at that speed or more.

Elevation gain counts a rise only once it exceeds 3 m above the lowest point since the last
climb (hysteresis), then every metre of it: a barometric altimeter's ±1 m noise adds nothing,
while every hill of 3 m or more is counted in full. A FIT session's total_ascent is used when
present. Duration is the device's total elapsed time (FIT) or first to last point.

Safety. XML with a DTD, entity declarations or external entities is refused: TCX is parsed with
defusedxml (forbid_dtd), GPX is checked by expat with the same handlers before gpxpy parses it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePath
from typing import Any, BinaryIO, Literal

from popliteal.running._fit import read_fit
from popliteal.running._gpx import read_gpx
from popliteal.running._tcx import read_tcx
from popliteal.running._track import (
    MAX_OTHER_SPEED_M_S,
    MAX_RUNNING_SPEED_M_S,
    Recording,
    Unreadable,
    summarise,
)
from popliteal.running.plausibility import LONGEST_MINUTES, TOO_LONG, activity_problem
from popliteal.running.sports import SPORTS, Sport

FORMATS = ("gpx", "tcx", "fit")
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
# Two watch files whose starts are this close are one run exported twice (a GPX and a FIT);
# the web import and `popliteal load` both count it once.
SAME_RUN_WINDOW = timedelta(minutes=2)
# Watches and phones keep their own clocks; a day's grace keeps a fast clock from refusing a run.
CLOCK_SKEW = timedelta(days=1)
_CHUNK_BYTES = 1024 * 1024
_NOT_GPS = "is not a GPS file (GPX, TCX or FIT)"
_ROOT_ELEMENT = re.compile(r"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SUFFIXES: dict[str, Literal["gpx", "tcx", "fit", "json", "csv"]] = {
    ".gpx": "gpx",
    ".tcx": "tcx",
    ".fit": "fit",
    ".json": "json",
    ".csv": "csv",
}
_READERS: dict[str, Callable[[bytes], Recording]] = {
    "gpx": read_gpx,
    "tcx": read_tcx,
    "fit": read_fit,
}


class ImportProblem(ValueError):
    """A file that cannot be imported; str() is '<filename>: <problem>' in plain English."""

    def __init__(self, filename: str, problem: str) -> None:
        super().__init__(filename, problem)
        self.filename = filename
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.filename}: {self.problem}"


@dataclass(frozen=True)
class ParsedActivity:
    """One activity read from a watch file, ready to store; `part` numbers the sessions of a
    multisport file (0 for a file of one activity)."""

    filename: str
    file_format: Literal["gpx", "tcx", "fit"]
    content_hash: str
    start: datetime
    distance_m: float
    distance_source: Literal["device", "track"]
    duration_s: float
    moving_s: float | None
    elevation_gain_m: float | None
    points: int
    sport: Sport = "running"
    part: int = 0


@dataclass(frozen=True)
class DailyDistances:
    """Distances per day from a JSON or CSV file, oldest first; JSON days carry no date."""

    unit: Literal["km", "mi"]
    days: list[tuple[date | None, float]]


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    if limit >= 1024:
        return f"{limit / 1024:g} KB"
    return f"{limit} bytes"


def read_capped(stream: BinaryIO, *, filename: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read an upload in chunks, refusing it once it passes the limit, never holding more."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_CHUNK_BYTES, max_bytes - total + 1))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise ImportProblem(filename, f"is larger than the {_size(max_bytes)} limit")
        chunks.append(chunk)


def _xml_root(head: bytes) -> str | None:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return None
    match = _ROOT_ELEMENT.search(_COMMENT.sub("", text))
    return match.group(2) if match else ""


def sniff_format(filename: str, data: bytes) -> Literal["gpx", "tcx", "fit", "json", "csv"]:
    """Tell the file's kind by its content first and its name second."""
    if not data.strip():
        raise ImportProblem(filename, "is empty")
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit"
    root = _xml_root(data[:4096])
    if root == "gpx":
        return "gpx"
    if root == "TrainingCenterDatabase":
        return "tcx"
    if root:
        raise ImportProblem(filename, f"{_NOT_GPS}: it is XML of another kind (<{root}>)")
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if root is None and head[:1] == b"{":
        return "json"
    if root is None and head.lower().startswith(b"date,"):
        return "csv"
    kind = _SUFFIXES.get(PurePath(filename).suffix.lower())
    if kind is None:
        raise ImportProblem(filename, _NOT_GPS)
    return kind


def _check_now(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def _recording(filename: str, data: bytes) -> tuple[Literal["gpx", "tcx", "fit"], Recording]:
    kind = sniff_format(filename, data)
    if kind == "json" or kind == "csv":
        raise ImportProblem(
            filename, "holds daily distances, not one run: import it as daily distances"
        )
    try:
        return kind, _READERS[kind](data)
    except Unreadable as problem:
        raise ImportProblem(filename, str(problem)) from None


def _check_sport(sport: str) -> Sport:
    if sport not in SPORTS:
        raise ValueError(f"unknown sport {sport!r}")
    return sport  # type: ignore[return-value]


def _parsed(
    filename: str,
    kind: Literal["gpx", "tcx", "fit"],
    content_hash: str,
    recording: Recording,
    *,
    sport: Sport,
    latest: datetime,
    part: int = 0,
) -> ParsedActivity:
    on_foot = sport in ("running", "walking")
    try:
        summary = summarise(
            recording,
            MAX_RUNNING_SPEED_M_S if on_foot else MAX_OTHER_SPEED_M_S,
            need_distance=on_foot,
        )
    except Unreadable as problem:
        raise ImportProblem(filename, str(problem)) from None
    if summary.end > latest or summary.start > latest:
        raise ImportProblem(
            filename,
            f"is dated in the future ({summary.end:%Y-%m-%d %H:%M} UTC); check the watch's clock",
        )
    # The pace from the moving time (pauses are not running); the day limit from the whole.
    moving = (summary.moving_s or summary.duration_s) / 60
    implausible = activity_problem(sport, summary.distance_m / 1000, moving, summary.start.year)
    if implausible is None and summary.duration_s > LONGEST_MINUTES * 60:
        implausible = TOO_LONG
    if implausible is not None:
        raise ImportProblem(filename, implausible)
    return ParsedActivity(
        filename=filename,
        file_format=kind,
        content_hash=content_hash,
        start=summary.start,
        distance_m=summary.distance_m,
        distance_source=summary.distance_source,
        duration_s=summary.duration_s,
        moving_s=summary.moving_s,
        elevation_gain_m=summary.elevation_gain_m,
        points=sum(len(segment) for segment in recording.segments),
        sport=sport,
        part=part,
    )


def parse_activity(
    filename: str, data: bytes, *, now: datetime, sport: str = "running"
) -> ParsedActivity:
    """Read one activity from a GPX, TCX or FIT file, or say plainly why it cannot be used.

    Its sport is the file's own when it names one, else `sport` (the person's choice)."""
    latest = _check_now(now) + CLOCK_SKEW
    chosen = _check_sport(sport)
    kind, recording = _recording(filename, data)
    return _parsed(
        filename,
        kind,
        hashlib.sha256(data).hexdigest(),
        recording,
        sport=_check_sport(recording.sport or chosen),
        latest=latest,
    )


def parse_activities(
    filename: str, data: bytes, *, now: datetime, sport: str = "running"
) -> list[ParsedActivity]:
    """The activities of one file: one, or one per session of a multisport file (its swim,
    ride and run apart, transitions left out), each with its own sport and totals.

    The first part carries the file's hash, so the file is known when sent again; the others
    a hash derived from it, so each part is a row of its own."""
    latest = _check_now(now) + CLOCK_SKEW
    chosen = _check_sport(sport)
    kind, recording = _recording(filename, data)
    digest = hashlib.sha256(data).hexdigest()
    if not recording.parts:
        return [
            _parsed(
                filename,
                kind,
                digest,
                recording,
                sport=_check_sport(recording.sport or chosen),
                latest=latest,
            )
        ]
    return [
        _parsed(
            filename,
            kind,
            digest if index == 0 else hashlib.sha256(f"{digest}:{index}".encode()).hexdigest(),
            part,
            sport=_check_sport(part.sport or chosen),
            latest=latest,
            part=index,
        )
        for index, part in enumerate(recording.parts)
    ]


def _distance(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Unreadable(f"{where}: {value!r} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise Unreadable(f"{where}: {str(value)[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise Unreadable(f"{where}: {str(value)[:40]!r} is not a finite number")
    if number < 0:
        raise Unreadable(f"{where}: {value} is negative")
    return number


def _daily_json(data: bytes) -> DailyDistances:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise Unreadable("is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise Unreadable(
            f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    if not isinstance(document, dict) or "daily" not in document:
        raise Unreadable('must be a JSON object like {"unit": "km", "daily": [5.0, 0, 8.2]}')
    unit = document.get("unit")
    if unit not in ("km", "mi"):
        raise Unreadable(f'unit must be "km" or "mi", not {unit!r}')
    daily = document["daily"]
    if not isinstance(daily, list):
        raise Unreadable('"daily" must be a list of distances, oldest first')
    if not daily:
        raise Unreadable('"daily" is empty: there are no days to import')
    return DailyDistances(
        unit=unit,
        days=[(None, _distance(value, f"daily[{index}]")) for index, value in enumerate(daily)],
    )


def _daily_csv(data: bytes, latest: date) -> DailyDistances:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("is not UTF-8 text") from None
    rows = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(rows, [])]
    distance_columns = [name for name in header if name in ("distance_km", "distance_mi")]
    if "date" not in header or len(distance_columns) != 1:
        raise Unreadable("must start with the header line: date,distance_km")
    unit: Literal["km", "mi"] = "km" if distance_columns[0] == "distance_km" else "mi"
    date_at = header.index("date")
    distance_at = header.index(distance_columns[0])
    totals: dict[date, float] = {}
    for row in rows:
        where = f"line {rows.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(date_at, distance_at):
            raise Unreadable(f"{where}: expected a date and a distance")
        raw_day = row[date_at].strip()
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise Unreadable(f"{where}: {raw_day[:40]!r} is not a date like 2025-03-31") from None
        if day > latest:
            raise Unreadable(f"{where}: {day.isoformat()} is in the future")
        distance = _distance(row[distance_at].strip(), where)
        totals[day] = totals.get(day, 0.0) + distance
    if not totals:
        raise Unreadable("has a header but no days")
    return DailyDistances(unit=unit, days=sorted(totals.items()))


def parse_daily(filename: str, data: bytes, *, now: datetime) -> DailyDistances:
    """Read daily distances from JSON ({"unit", "daily"}) or CSV (date,distance_km)."""
    latest = (_check_now(now) + CLOCK_SKEW).date()
    kind = sniff_format(filename, data)
    if kind in FORMATS:
        raise ImportProblem(filename, "is a GPS file of one run: import it as an activity")
    try:
        if kind == "json":
            return _daily_json(data)
        return _daily_csv(data, latest)
    except Unreadable as problem:
        raise ImportProblem(filename, str(problem)) from None
