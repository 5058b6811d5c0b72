"""Read a GPX file with gpxpy, after a defusedxml-style check that it declares no DTD."""

from __future__ import annotations

import re
import xml.parsers.expat

import gpxpy
import gpxpy.gpx
from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden  # type: ignore[import-untyped]

from popliteal.running._track import (
    MAX_POINTS,
    TOO_MANY_POINTS,
    Recording,
    Sample,
    Unreadable,
    as_utc,
)
from popliteal.running.sports import text_sport

_TRACK_POINT = re.compile(r"<(?:[\w.\-]+:)?trkpt[\s>/]")

UNSAFE_XML = (
    "contains a document type declaration (DTD) or entities, which are refused "
    "because they can be used to attack the server"
)


def _refuse_dtd(*_args: object) -> None:
    raise DTDForbidden("gpx", None, None)


def _refuse_entity(*_args: object) -> None:
    raise EntitiesForbidden("gpx", None, None, None, None, None)


def _refuse_external(*_args: object) -> int:
    raise ExternalReferenceForbidden(None, None, None, None)


def check_safe_xml(text: str) -> None:
    """Refuse a DTD, entities and external references, and malformed XML, before gpxpy parses.

    gpxpy parses with the standard library, which would expand entities. This pass is expat
    alone with defusedxml's forbid_dtd, forbid_entities and forbid_external handlers and no
    element handlers, so it costs a few per cent of gpxpy's own time. It reads the same decoded
    text gpxpy is given (expat is told the text is UTF-8), so a declared encoding cannot make
    the two passes see different documents.
    """
    parser = xml.parsers.expat.ParserCreate(encoding="utf-8")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    try:
        parser.Parse(text, True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise Unreadable(UNSAFE_XML) from None
    except xml.parsers.expat.ExpatError as error:
        raise Unreadable(
            f"is truncated or corrupt: the XML breaks off or is malformed at line {error.lineno}"
        ) from None


def read_gpx(data: bytes) -> Recording:
    """Collect every track segment's timed points; waypoints and planned routes are not runs."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("is not UTF-8 text, as a GPX file from a watch or app is") from None
    # Counted before gpxpy builds an object per point: a crafted file is refused in a blink.
    if sum(1 for _ in _TRACK_POINT.finditer(text)) > MAX_POINTS:
        raise Unreadable(TOO_MANY_POINTS)
    check_safe_xml(text)
    try:
        gpx = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, ValueError) as error:
        raise Unreadable(f"is not a valid GPX file ({error})") from None

    segments: list[list[Sample]] = []
    untimed = 0
    sport = next((s for t in gpx.tracks if (s := text_sport(t.type)) is not None), None)
    for track in gpx.tracks:
        for segment in track.segments:
            samples: list[Sample] = []
            for point in segment.points:
                if point.time is None:
                    untimed += 1
                    continue
                moment = point.time
                samples.append(
                    Sample(
                        (moment if moment.tzinfo else as_utc(moment)).timestamp(),
                        point.latitude,
                        point.longitude,
                        point.elevation,
                        None,
                    )
                )
            if samples:
                segments.append(samples)
    if not segments:
        if untimed:
            raise Unreadable("has track points but no timestamps, so it cannot be dated")
        raise Unreadable("has no track points (an empty track, or only waypoints or a route)")
    return Recording(segments=segments, sport=sport)
