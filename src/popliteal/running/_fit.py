"""Read a Garmin FIT activity file with fitdecode, checking its CRC."""

from __future__ import annotations

import io
import math
import struct
from datetime import datetime
from typing import Any

import fitdecode  # type: ignore[import-untyped]

from popliteal.running._track import Recording, Sample, Unreadable, as_utc

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


def read_fit(data: bytes) -> Recording:
    """Collect the record messages and sum the session messages' totals."""
    samples: list[Sample] = []
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
                elif frame.name == "record":
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
                    if (value := _finite(fields.get("total_distance"))) is not None:
                        session_distance += value
                        has_distance = True
                    if (value := _finite(fields.get("total_elapsed_time"))) is not None:
                        session_elapsed += value
                        has_elapsed = True
                    if (value := _finite(fields.get("total_ascent"))) is not None:
                        session_ascent += value
                        has_ascent = True
                    start = fields.get("start_time")
                    if isinstance(start, datetime):
                        start = as_utc(start)
                        session_start = (
                            start if session_start is None else min(session_start, start)
                        )
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
    return Recording(
        segments=[samples],
        device_distance_m=device,
        device_elapsed_s=session_elapsed if has_elapsed else None,
        device_start=session_start,
        device_ascent_m=session_ascent if has_ascent else None,
    )
