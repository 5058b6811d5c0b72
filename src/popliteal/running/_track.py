"""What the three watch formats have in common, and the track arithmetic (see importers.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, NamedTuple

# Mean Earth radius (IUGG), the usual haversine radius; within 0.3% of the ellipsoid anywhere.
EARTH_RADIUS_M = 6_371_008.8
# Faster than anyone runs (Bolt's fastest 10 m split was about 12.4 m/s): a point that implies
# more is a GPS spike, not the runner.
MAX_RUNNING_SPEED_M_S = 12.5
# A bike, a car-assisted "ride" aside, goes faster downhill (about 25 m/s on a fast descent).
MAX_OTHER_SPEED_M_S = 35.0
# After this many impossible points in a row the earlier point, not the new ones, was wrong
# (a bad first fix, or the watch resumed after a long walk with the timer off): start again there.
REANCHOR_AFTER_POINTS = 5
# Standing still, consumer GPS wanders a few metres; moves shorter than this from the last
# counted point are not counted until the runner is really this far away.
STATIONARY_JITTER_M = 5.0
# Slower than a slow walk (about 1 m/s): time spent below it is not moving time.
MIN_MOVING_SPEED_M_S = 0.5
# An altitude change counts as climbing only once it exceeds this (barometric altimeters are
# within about a metre; GPS altitude is noisier and is still slightly over-counted).
ELEVATION_HYSTERESIS_M = 3.0


# A day of running (the longest a file may last) at one point a second is 86,400 points; a file
# with far more is not one activity from a watch, and parsing it would take the server's time.
MAX_POINTS = 200_000
TOO_MANY_POINTS = (
    f"has more than {MAX_POINTS:,} track points, more than a watch records in a day: "
    "export one activity at a time"
)


class Unreadable(ValueError):
    """A file a reader cannot use; the text is the problem in plain English, without a filename."""


class Sample(NamedTuple):
    """One timed point of a recording; position, altitude and device distance may be missing."""

    t: float  # POSIX seconds, UTC
    lat: float | None
    lon: float | None
    alt: float | None
    dist: float | None  # the device's cumulative distance in metres


@dataclass(frozen=True)
class Recording:
    """A file's timed points by segment, and any totals the device wrote itself.

    `sport` is what the file says was recorded (None when it does not say). A multisport FIT
    file also carries one `parts` entry per session (swim, ride, run), each with its points."""

    segments: list[list[Sample]]
    device_distance_m: float | None = None
    device_elapsed_s: float | None = None
    device_start: datetime | None = None
    device_ascent_m: float | None = None
    sport: str | None = None
    parts: tuple[Recording, ...] = ()


@dataclass(frozen=True)
class Summary:
    """The figures a run is judged by."""

    start: datetime
    end: datetime
    distance_m: float
    distance_source: Literal["device", "track"]
    duration_s: float
    moving_s: float | None
    elevation_gain_m: float | None


def as_utc(moment: datetime) -> datetime:
    """Treat a time without a zone as UTC, as GPX, TCX and FIT all specify."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on the mean-radius sphere."""
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def track_distance(
    segment: Sequence[Sample], max_speed: float = MAX_RUNNING_SPEED_M_S
) -> tuple[float, float]:
    """Distance and moving time of one segment from its positions, spikes and jitter removed."""
    distance = 0.0
    moving = 0.0
    counted: tuple[float, float, float] | None = None  # last point counted: t, lat, lon
    plausible: tuple[float, float, float] | None = None  # last point not dropped as a spike
    rejected = 0
    for t, lat, lon, _alt, _dist in segment:
        if lat is None or lon is None:
            continue
        if counted is None or plausible is None:
            counted = plausible = (t, lat, lon)
            continue
        # Speed is judged from the previous plausible point, not the last counted one: after a
        # long stop the last counted point is minutes old and would excuse any jump.
        jump = haversine_m(plausible[1], plausible[2], lat, lon)
        if jump > max_speed * max(t - plausible[0], 0.0):
            rejected += 1
            if rejected < REANCHOR_AFTER_POINTS:
                continue
            counted = (t, lat, lon)  # start again here, without counting the jump
        rejected = 0
        step = jump if counted is plausible else haversine_m(counted[1], counted[2], lat, lon)
        plausible = (t, lat, lon)
        if step < STATIONARY_JITTER_M:
            continue
        elapsed = t - counted[0]
        # Slower than a walk: the fix drifted while the runner stood still; move on, count nothing.
        if step >= MIN_MOVING_SPEED_M_S * elapsed:
            distance += step
            moving += elapsed
        counted = plausible
    return distance, moving


def device_moving_time(segment: Sequence[Sample]) -> float:
    """Moving time from the device's cumulative distance, which needs no noise filter."""
    moving = 0.0
    previous: tuple[float, float] | None = None
    for t, _lat, _lon, _alt, dist in segment:
        if dist is None:
            continue
        if previous is not None:
            elapsed = t - previous[0]
            if elapsed > 0 and dist - previous[1] >= MIN_MOVING_SPEED_M_S * elapsed:
                moving += elapsed
        previous = (t, dist)
    return moving


def elevation_gain(altitudes: Sequence[float]) -> float:
    """Total climb, counting a rise only once it exceeds the hysteresis threshold."""
    if not altitudes:
        return 0.0
    gain = 0.0
    low = high = altitudes[0]
    climbing = False
    for altitude in altitudes:
        if climbing:
            if altitude > high:
                gain += altitude - high
                high = altitude
            elif altitude < high - ELEVATION_HYSTERESIS_M:
                climbing = False
                low = altitude
        elif altitude < low:
            low = altitude
        elif altitude > low + ELEVATION_HYSTERESIS_M:
            gain += altitude - low
            climbing = True
            high = altitude
    return gain


def summarise(
    recording: Recording, max_speed: float = MAX_RUNNING_SPEED_M_S, *, need_distance: bool = True
) -> Summary:
    """Work out start, distance, duration, moving time and climb, preferring the device's own.

    `max_speed` is the fastest plausible speed for the sport (faster points are GPS spikes).
    Without `need_distance` a file with no distance (an indoor row, a pool swim) gives 0 m:
    its time is still worth keeping as cross-training."""
    samples = [s for segment in recording.segments for s in segment]
    if not samples:
        raise Unreadable("has no track points")
    first_t = min(s.t for s in samples)
    last_t = max(s.t for s in samples)
    start = recording.device_start or datetime.fromtimestamp(first_t, UTC)
    end = datetime.fromtimestamp(last_t, UTC)
    duration = recording.device_elapsed_s
    if duration is None:
        duration = last_t - first_t

    has_positions = any(s.lat is not None and s.lon is not None for s in samples)
    has_device_track = any(s.dist is not None for s in samples)
    moving: float | None = None
    if has_device_track:
        moving = sum(device_moving_time(segment) for segment in recording.segments)
    track_m = 0.0
    if has_positions and (moving is None or not recording.device_distance_m):
        measured = [track_distance(segment, max_speed) for segment in recording.segments]
        track_m = sum(m[0] for m in measured)
        if moving is None:
            moving = sum(m[1] for m in measured)

    source: Literal["device", "track"]
    if recording.device_distance_m:
        distance, source = recording.device_distance_m, "device"
    elif has_positions:
        distance, source = track_m, "track"
    elif not need_distance:
        distance, source = 0.0, "device"
    else:
        raise Unreadable(
            "has neither positions nor a recorded distance, so its distance is unknown"
        )

    gain = recording.device_ascent_m
    if gain is None:
        altitude_runs = [
            [s.alt for s in segment if s.alt is not None] for segment in recording.segments
        ]
        if any(altitude_runs):
            gain = sum(elevation_gain(run) for run in altitude_runs)
    return Summary(
        start=start,
        end=max(end, start),
        distance_m=distance,
        distance_source=source,
        duration_s=max(0.0, duration),
        moving_s=moving,
        elevation_gain_m=gain,
    )
