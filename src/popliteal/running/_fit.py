"""Read a Garmin FIT activity file with fitdecode, checking its CRC."""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import fitdecode  # type: ignore[import-untyped]

from popliteal.running._track import (
    MAX_POINTS,
    TOO_MANY_POINTS,
    Recording,
    Sample,
    Unreadable,
    as_utc,
)
from popliteal.running.sports import FIT_TRANSITION, fit_sport

# FIT stores latitude and longitude as "semicircles": 2**31 of them make 180 degrees.
DEGREES_PER_SEMICIRCLE = 180 / 2**31


def _degrees(semicircles: Any) -> float | None:
    if not isinstance(semicircles, int | float):
        return None
    return float(semicircles) * DEGREES_PER_SEMICIRCLE


def _finite(value: Any) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


@dataclass(frozen=True)
class _Session:
    sport: object
    sub_sport: object
    start: datetime | None
    elapsed_s: float | None
    distance_m: float | None
    ascent_m: float | None


def _parts(samples: list[Sample], sessions: list[_Session]) -> tuple[Recording, ...]:
    """One recording per session of a multisport file (transitions left out), its records
    being those timed within the session."""
    parts = []
    for s in sessions:
        if str(s.sport).lower() == FIT_TRANSITION or s.start is None or s.elapsed_s is None:
            continue
        first = s.start.timestamp()
        last = first + s.elapsed_s
        inside = [p for p in samples if first <= p.t <= last]
        if not inside:
            continue
        parts.append(
            Recording(
                segments=[inside],
                device_distance_m=s.distance_m or None,
                device_elapsed_s=s.elapsed_s,
                device_start=s.start,
                device_ascent_m=s.ascent_m,
                sport=fit_sport(s.sport, s.sub_sport),
            )
        )
    return tuple(parts)


def read_fit(data: bytes) -> Recording:
    """Collect the record messages and sum the session messages' totals.

    A file with several sessions (a triathlon: swim, ride, run) is split by session, so only
    its running part counts as running."""
    samples: list[Sample] = []
    sessions: list[_Session] = []
    declared: list[tuple[object, object]] = []  # `sport` messages, for files whose session
    # does not name one
    untimed = 0
    file_type: Any = None
    session_distance = session_elapsed = session_ascent = 0.0
    has_distance = has_elapsed = has_ascent = False
    session_start: datetime | None = None
    farthest = 0.0
    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,
            error_handling=fitdecode.ErrorHandling.RAISE,
        ) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "file_id":
                    file_type = frame.get_value("type", fallback=None)
                elif frame.name == "sport":
                    declared.append(
                        (
                            frame.get_value("sport", fallback=None),
                            frame.get_value("sub_sport", fallback=None),
                        )
                    )
                elif frame.name == "record":
                    if len(samples) + untimed >= MAX_POINTS:
                        raise Unreadable(TOO_MANY_POINTS)
                    fields = {field.name: field.value for field in frame.fields}
                    moment = fields.get("timestamp")
                    if not isinstance(moment, datetime):
                        untimed += 1
                        continue
                    altitude = _finite(fields.get("enhanced_altitude"))
                    if altitude is None:
                        altitude = _finite(fields.get("altitude"))
                    dist = _finite(fields.get("distance"))
                    if dist is not None:
                        farthest = max(farthest, dist)
                    samples.append(
                        Sample(
                            as_utc(moment).timestamp(),
                            _degrees(fields.get("position_lat")),
                            _degrees(fields.get("position_long")),
                            altitude,
                            dist,
                        )
                    )
                elif frame.name == "session":
                    fields = {field.name: field.value for field in frame.fields}
                    distance = _finite(fields.get("total_distance"))
                    elapsed = _finite(fields.get("total_elapsed_time"))
                    ascent = _finite(fields.get("total_ascent"))
                    if distance is not None:
                        session_distance += distance
                        has_distance = True
                    if elapsed is not None:
                        session_elapsed += elapsed
                        has_elapsed = True
                    if ascent is not None:
                        session_ascent += ascent
                        has_ascent = True
                    start = fields.get("start_time")
                    start = as_utc(start) if isinstance(start, datetime) else None
                    if start is not None:
                        session_start = (
                            start if session_start is None else min(session_start, start)
                        )
                    sessions.append(
                        _Session(
                            fields.get("sport"),
                            fields.get("sub_sport"),
                            start,
                            elapsed,
                            distance,
                            ascent,
                        )
                    )
    except Unreadable:
        raise
    except fitdecode.FitHeaderError:
        raise Unreadable("is not a valid FIT file (its header is damaged)") from None
    except fitdecode.FitCRCError:
        raise Unreadable("is corrupt: its FIT checksum does not match") from None
    except fitdecode.FitEOFError:
        raise Unreadable("is truncated: the FIT data ends early") from None
    except (fitdecode.FitError, struct.error, ValueError, KeyError, IndexError, TypeError):
        raise Unreadable("is corrupt: its FIT data cannot be decoded") from None

    if file_type is not None and file_type != "activity":
        raise Unreadable(f"is a FIT {file_type} file, not a recorded activity")
    if not samples:
        if untimed:
            raise Unreadable("has records but no timestamps, so it cannot be dated")
        raise Unreadable("has no records (no track points)")
    device = session_distance if has_distance and session_distance > 0 else None
    if device is None and farthest > 0:
        device = farthest
    named = [fit_sport(s.sport, s.sub_sport) for s in sessions] + [
        fit_sport(sport, sub_sport) for sport, sub_sport in declared
    ]
    sport = next((s for s in named if s is not None), None)
    return Recording(
        segments=[samples],
        device_distance_m=device,
        device_elapsed_s=session_elapsed if has_elapsed else None,
        device_start=session_start,
        device_ascent_m=session_ascent if has_ascent else None,
        sport=sport,
        parts=_parts(samples, sessions) if len(sessions) > 1 else (),
    )
