"""Whether a run could have happened: one rule for a run typed in and a run read from a watch
file, so neither stores a 1e-300-minute run or a "run" of 256 km over three days (a watch left
recording, a file of several runs, a unit mix-up). Pure: no database, no clock."""

from __future__ import annotations

# Faster than anyone runs for a kilometre or more (the marathon record is about 2:50 a km).
FASTEST_MIN_PER_KM = 2.5
# A single run lasts less than a day; longer is a watch left recording or several runs.
LONGEST_MINUTES = 24 * 60
# Shorter than a minute is not a run worth logging (and 1e-300 is a typo or a probe).
SHORTEST_MINUTES = 1.0
# Below this distance a fast pace may be a sprint, so the pace rule does not apply.
PACE_FROM_KM = 1.0
EARLIEST_YEAR = 1990
TOO_LONG = "lasts more than a day: it may be several runs, or a watch left recording"


def run_problem(
    distance_km: float, minutes: float | None, year: int, *, typed: bool = True
) -> str | None:
    """Why this run cannot be right, in plain words, or None when it is plausible. A watch may
    record a few seconds by accident (`typed=False`): only a typed time under a minute is
    refused."""
    if year < EARLIEST_YEAR:
        return f"is dated before {EARLIEST_YEAR}: check the date"
    if minutes is None:
        return None
    if typed and minutes < SHORTEST_MINUTES:
        return "lasts less than a minute: check the time"
    if minutes > LONGEST_MINUTES:
        return TOO_LONG
    if distance_km >= PACE_FROM_KM and minutes / distance_km < FASTEST_MIN_PER_KM:
        return "is faster than anyone can run: check the distance, its unit and the time"
    return None


# Faster on average than a bike is ridden for a kilometre or more (100 km/h): a car, a train,
# or a unit mix-up. Rides, swims and rows are held to this, not to the running pace.
FASTEST_OTHER_MIN_PER_KM = 0.6


def activity_problem(sport: str, distance_km: float, minutes: float, year: int) -> str | None:
    """Why an activity read from a watch file cannot be right, or None: running and walking
    by the running rule, other sports by the day limit and a bike's top speed."""
    if sport in ("running", "walking"):
        return run_problem(distance_km, minutes, year, typed=False)
    if year < EARLIEST_YEAR:
        return f"is dated before {EARLIEST_YEAR}: check the date"
    if minutes > LONGEST_MINUTES:
        return TOO_LONG
    if distance_km >= PACE_FROM_KM and minutes / distance_km < FASTEST_OTHER_MIN_PER_KM:
        return "is faster than 100 km an hour: it may have been recorded in a car or a train"
    return None
