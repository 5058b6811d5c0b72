"""Turn the files given to `popliteal load` into runs for `rules.load_report`: pure, no clock.

Files are watch files (GPX, TCX, FIT: one run each) or daily distances (JSON `{"unit",
"daily"}` oldest first without dates, or CSV `date,distance_km`). Merging follows the service's
import rules, so the CLI and the web app count the same runs: a file whose content was seen
before counts once, and a watch file starting within two minutes of another one is the same run
exported twice (a GPX and a FIT of one run) and counts once, the first given.

Dates. A watch file's run falls on its start's local date. The JSON form has no dates: its last
entry is `today`, which is `--today` when given, else the last day with data in the dated files
(CSV days, watch-file runs), else the caller's current date. The series starts on the first
day of any input (leading zero days of a daily file count: they are days without running).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from popliteal.clock import local_date
from popliteal.knowledge.schema import SURFACES
from popliteal.running import importers, rules
from popliteal.running.sports import SPORT_NAMES

SAME_RUN_WINDOW = importers.SAME_RUN_WINDOW


class LoadInputError(ValueError):
    """Input `popliteal load` cannot use; the message names the file or option and the problem."""


@dataclass(frozen=True)
class LoadInput:
    """What to report on: the runs, the series' first day and today, and the unit to show."""

    runs: list[rules.Run]
    start: date
    today: date
    daily_unit: rules.Unit | None  # the first daily file's unit, None without a daily file
    skipped: list[str]  # one line per file counted once, for the person to read


@dataclass(frozen=True)
class _Daily:
    name: str
    distances: importers.DailyDistances


def parse_unit(value: str | None) -> rules.Unit | None:
    """The --unit option: km or mi (None when left out)."""
    if value is None:
        return None
    unit = value.strip().lower()
    if unit == "km":
        return "km"
    if unit in ("mi", "miles", "mile"):
        return "mi"
    raise LoadInputError(f"--unit must be km or mi, not {value!r}")


def parse_surface(value: str | None) -> str | None:
    """The --surface option: one of the surface ids (None when left out)."""
    if value is None or value in SURFACES:
        return value
    raise LoadInputError(f"--surface must be one of {', '.join(SURFACES)}, not {value!r}")


def parse_today(value: str | None) -> date | None:
    """The --today option: a date like 2025-03-31 (None when left out)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise LoadInputError(f"--today must be a date like 2025-03-31, not {value!r}") from None


def _km(distance: float, unit: rules.Unit) -> float:
    return distance * rules.KM_PER_MILE if unit == "mi" else distance


def _day_run(
    name: str,
    where: str,
    day: date,
    km: float,
    surface: str | None,
    *,
    duration_s: float | None = None,
) -> rules.Run:
    if km > rules.MAX_RUN_KM:
        raise importers.ImportProblem(
            name, f"{where}: {km:g} km in a day is not believable (at most {rules.MAX_RUN_KM:g})"
        )
    return rules.Run(day=day, distance_km=km, surface=surface, duration_s=duration_s)


def merge_inputs(
    files: Sequence[tuple[str, bytes]],
    *,
    now: datetime,
    zone: tzinfo,
    today: date | None = None,
    surface: str | None = None,
) -> LoadInput:
    """Read every file and merge its runs, or raise ImportProblem naming the first bad file.

    `now` (timezone-aware) refuses files dated in the future; `zone` gives a watch run its local
    date and, without `today` or any dated file, the current date for the JSON form.
    `surface` is recorded for every run given (the files do not say).
    """
    if not files:
        raise LoadInputError("give at least one file")
    if surface is not None and surface not in SURFACES:
        raise LoadInputError(f"--surface must be one of {', '.join(SURFACES)}, not {surface!r}")
    seen: dict[str, str] = {}
    skipped: list[str] = []
    activities: list[importers.ParsedActivity] = []
    dailies: list[_Daily] = []
    for name, data in files:
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            earlier = seen[digest]
            twice = "given twice" if earlier == name else f"the same file as {earlier}"
            skipped.append(f"{name}: {twice}; counted once")
            continue
        seen[digest] = name
        kind = importers.sniff_format(name, data)
        if kind in importers.FORMATS:
            for parsed in importers.parse_activities(name, data, now=now):
                if parsed.sport not in ("running", "walking"):
                    skipped.append(
                        f"{name}: {SPORT_NAMES[parsed.sport].lower()} of "
                        f"{parsed.distance_m / 1000:.1f} km, not running; not counted"
                    )
                    continue
                twin = next(
                    (a for a in activities if abs(a.start - parsed.start) <= SAME_RUN_WINDOW),
                    None,
                )
                if twin is not None:
                    skipped.append(
                        f"{name}: the same run as {twin.filename} (started "
                        f"{parsed.start:%Y-%m-%d %H:%M} UTC); counted once"
                    )
                    continue
                activities.append(parsed)
        else:
            dailies.append(_Daily(name, importers.parse_daily(name, data, now=now)))

    runs = [
        _day_run(
            a.filename,
            f"{a.start:%Y-%m-%d %H:%M} UTC",
            local_date(a.start, zone),
            a.distance_m / 1000,
            surface,
            duration_s=a.duration_s,
        )
        for a in activities
    ]
    # Days a file speaks of, running or not: a CSV's zero rows are days without running.
    dated_days = [r.day for r in runs]
    firsts: list[date] = []
    for daily in dailies:
        dated = [(day, km) for day, km in daily.distances.days if day is not None]
        dated_days += [day for day, _ in dated]
        firsts += [day for day, _ in dated[:1]]
        runs += [
            _day_run(daily.name, day.isoformat(), day, _km(km, daily.distances.unit), surface)
            for day, km in dated
            if km > 0
        ]
    anchor = today or max(dated_days, default=None) or local_date(now, zone)
    for daily in dailies:
        undated = [km for day, km in daily.distances.days if day is None]
        if not undated:
            continue
        first = anchor - timedelta(days=len(undated) - 1)
        firsts.append(first)
        runs += [
            _day_run(
                daily.name,
                f"daily[{i}]",
                first + timedelta(days=i),
                _km(km, daily.distances.unit),
                surface,
            )
            for i, km in enumerate(undated)
            if km > 0
        ]
    start = min([*firsts, *(r.day for r in runs)], default=anchor)
    if start > anchor:
        raise LoadInputError(
            f"--today {anchor.isoformat()} is before the first day with data "
            f"({start.isoformat()}): nothing to report"
        )
    return LoadInput(
        runs=runs,
        start=start,
        today=anchor,
        daily_unit=dailies[0].distances.unit if dailies else None,
        skipped=skipped,
    )
