"""Read a Garmin Training Center (TCX) file with defusedxml, refusing any DTD."""

from __future__ import annotations

import math
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree  # type: ignore[import-untyped]
from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped]

from popliteal.running._gpx import UNSAFE_XML
from popliteal.running._track import (
    MAX_POINTS,
    TOO_MANY_POINTS,
    Recording,
    Sample,
    Unreadable,
    as_utc,
)
from popliteal.running.sports import text_sport


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _number(element: Element | None, what: str) -> float | None:
    if element is None or element.text is None or not element.text.strip():
        return None
    try:
        value = float(element.text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise Unreadable(f"has an unreadable {what}: {element.text.strip()[:40]!r}")
    return value


def _time(text: str | None) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return as_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise Unreadable(f"has an unreadable time: {text.strip()[:40]!r}") from None


def read_tcx(data: bytes) -> Recording:
    """Collect the laps' trackpoints, one segment per <Track>, and the laps' own distances."""
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise Unreadable(UNSAFE_XML) from None
    except ParseError as error:
        line = error.position[0]
        raise Unreadable(
            f"is truncated or corrupt: the XML breaks off or is malformed at line {line}"
        ) from None
    if _local(root.tag) != "TrainingCenterDatabase":
        raise Unreadable("is not a TCX file (its root element is not TrainingCenterDatabase)")
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""

    segments: list[list[Sample]] = []
    lap_total = 0.0
    farthest = 0.0
    untimed = 0
    points = 0
    sport = next(
        (s for a in root.iter(f"{ns}Activity") if (s := text_sport(a.get("Sport"))) is not None),
        None,
    )
    for lap in root.iter(f"{ns}Lap"):
        lap_total += _number(lap.find(f"{ns}DistanceMeters"), "lap distance") or 0.0
        for track in lap.iter(f"{ns}Track"):
            samples: list[Sample] = []
            for point in track.iter(f"{ns}Trackpoint"):
                points += 1
                if points > MAX_POINTS:
                    raise Unreadable(TOO_MANY_POINTS)
                moment = _time(point.findtext(f"{ns}Time"))
                if moment is None:
                    untimed += 1
                    continue
                position = point.find(f"{ns}Position")
                lat = lon = None
                if position is not None:
                    lat = _number(position.find(f"{ns}LatitudeDegrees"), "latitude")
                    lon = _number(position.find(f"{ns}LongitudeDegrees"), "longitude")
                dist = _number(point.find(f"{ns}DistanceMeters"), "distance")
                if dist is not None:
                    farthest = max(farthest, dist)
                samples.append(
                    Sample(
                        moment.timestamp(),
                        lat,
                        lon,
                        _number(point.find(f"{ns}AltitudeMeters"), "altitude"),
                        dist,
                    )
                )
            if samples:
                segments.append(samples)
    if not segments:
        if untimed:
            raise Unreadable("has trackpoints but no timestamps, so it cannot be dated")
        raise Unreadable("has no trackpoints")
    # The laps' sum is what the watch showed; some exporters leave it at zero, and then the
    # last trackpoint's running total is the device's figure.
    device = lap_total if lap_total > 0 else farthest if farthest > 0 else None
    return Recording(segments=segments, device_distance_m=device, sport=sport)
