"""Build small GPX, TCX and FIT files of a route of known length, with the formats' own libraries.

Reusable by any test that needs a watch file: `sample_gpx(distance_km=5.0)` returns the bytes of
a 5 km run; `route(...)` gives the points (with their true cumulative distance) to write with
`gpx_bytes`, `tcx_bytes` or `fit_bytes`.

The route is a circle of 400 m radius (a park loop) walked in straight steps of `spacing_m`, so
its true length is exactly `(n_points - 1) * spacing_m`. Simulated GPS error is what consumer
receivers show: a slow drift (first-order autoregressive, correlation time 60 s, standard
deviation `noise_m` in each direction) plus, optionally, single-point spikes of 80-300 m.
"""

from __future__ import annotations

import json
import math
import random
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import gpxpy.gpx
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import Event, EventType, FileType, Manufacturer, Sport

from popliteal.running._track import EARTH_RADIUS_M

DEFAULT_START = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
# A "now" safely after DEFAULT_START, for parse_activity(..., now=NOW).
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
LOOP_RADIUS_M = 400.0
GPS_CORRELATION_S = 60.0


@dataclass(frozen=True)
class RoutePoint:
    """A recorded point and the true distance run to reach it (what a perfect watch writes)."""

    time: datetime
    lat: float
    lon: float
    ele: float
    distance_m: float


def route(
    n_points: int = 1001,
    spacing_m: float = 5.0,
    start: datetime = DEFAULT_START,
    pace_s_per_km: float = 330.0,
    *,
    noise_m: float = 0.0,
    seed: int = 0,
    hill_m: float = 0.0,
    spikes: int = 0,
    stop_s: int = 0,
    origin: tuple[float, float] = (51.5, -0.12),
) -> list[RoutePoint]:
    """Points along the loop; `stop_s` seconds standing still halfway, one point a second."""
    rng = random.Random(seed)
    step_s = spacing_m * pace_s_per_km / 1000
    lat, lon = origin
    true: list[tuple[float, float, float, float]] = []  # seconds from start, lat, lon, distance
    elapsed = 0.0
    for i in range(n_points):
        if i == n_points // 2:
            for second in range(1, stop_s + 1):
                true.append((elapsed + second, lat, lon, i * spacing_m))
            elapsed += stop_s
        true.append((elapsed, lat, lon, i * spacing_m))
        heading = i * spacing_m / LOOP_RADIUS_M
        lat += math.degrees(spacing_m * math.cos(heading) / EARTH_RADIUS_M)
        lon += math.degrees(
            spacing_m * math.sin(heading) / (EARTH_RADIUS_M * math.cos(math.radians(lat)))
        )
        elapsed += step_s

    spike_at = set(rng.sample(range(1, len(true) - 1), spikes)) if spikes else set()
    east = rng.gauss(0, noise_m)
    north = rng.gauss(0, noise_m)
    points: list[RoutePoint] = []
    previous_s = 0.0
    for index, (seconds, p_lat, p_lon, distance) in enumerate(true):
        phi = math.exp(-(seconds - previous_s) / GPS_CORRELATION_S)
        spread = noise_m * math.sqrt(1 - phi * phi)
        east = phi * east + rng.gauss(0, spread)
        north = phi * north + rng.gauss(0, spread)
        previous_s = seconds
        d_east, d_north = east, north
        if index in spike_at:
            angle = rng.uniform(0, 2 * math.pi)
            size = rng.uniform(80, 300)
            d_east += size * math.sin(angle)
            d_north += size * math.cos(angle)
        points.append(
            RoutePoint(
                time=start + timedelta(seconds=seconds),
                lat=p_lat + math.degrees(d_north / EARTH_RADIUS_M),
                lon=p_lon + math.degrees(d_east / (EARTH_RADIUS_M * math.cos(math.radians(p_lat)))),
                ele=100.0 + hill_m * math.sin(2 * math.pi * distance / 1000),
                distance_m=distance,
            )
        )
    return points


def gpx_bytes(
    points: Sequence[RoutePoint] = (),
    *,
    tracks: Sequence[Sequence[Sequence[RoutePoint]]] | None = None,
    with_times: bool = True,
    with_elevation: bool = True,
) -> bytes:
    """A GPX 1.1 file written by gpxpy: one track of `points`, or `tracks` of segments."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "popliteal tests"
    for segments in tracks if tracks is not None else [[points]]:
        track = gpxpy.gpx.GPXTrack(name="Morning run")
        gpx.tracks.append(track)
        for segment_points in segments:
            segment = gpxpy.gpx.GPXTrackSegment()
            track.segments.append(segment)
            for p in segment_points:
                segment.points.append(
                    gpxpy.gpx.GPXTrackPoint(
                        latitude=p.lat,
                        longitude=p.lon,
                        elevation=p.ele if with_elevation else None,
                        time=p.time if with_times else None,
                    )
                )
    return gpx.to_xml(version="1.1").encode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def tcx_bytes(
    points: Sequence[RoutePoint],
    *,
    laps: int = 1,
    lap_distance: bool = True,
    trackpoint_distance: bool = True,
    positions: bool = True,
) -> bytes:
    """A TCX file as Garmin writes it: laps of one track each, distances in metres."""
    root = ET.Element("TrainingCenterDatabase", xmlns=TCX_NS)
    activity = ET.SubElement(ET.SubElement(root, "Activities"), "Activity", Sport="Running")
    ET.SubElement(activity, "Id").text = _iso(points[0].time)
    size = math.ceil(len(points) / laps)
    for lap_index in range(laps):
        chunk = points[lap_index * size : (lap_index + 1) * size]
        lap = ET.SubElement(activity, "Lap", StartTime=_iso(chunk[0].time))
        seconds = (chunk[-1].time - chunk[0].time).total_seconds()
        ET.SubElement(lap, "TotalTimeSeconds").text = f"{seconds:.1f}"
        # The lap runs from its own first point to the next lap's first point.
        following = points[(lap_index + 1) * size] if lap_index + 1 < laps else chunk[-1]
        covered = following.distance_m - chunk[0].distance_m if lap_distance else 0.0
        ET.SubElement(lap, "DistanceMeters").text = f"{covered:.2f}"
        track = ET.SubElement(lap, "Track")
        for p in chunk:
            point = ET.SubElement(track, "Trackpoint")
            ET.SubElement(point, "Time").text = _iso(p.time)
            if positions:
                position = ET.SubElement(point, "Position")
                ET.SubElement(position, "LatitudeDegrees").text = f"{p.lat:.7f}"
                ET.SubElement(position, "LongitudeDegrees").text = f"{p.lon:.7f}"
            ET.SubElement(point, "AltitudeMeters").text = f"{p.ele:.1f}"
            if trackpoint_distance:
                ET.SubElement(point, "DistanceMeters").text = f"{p.distance_m:.2f}"
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def _fit_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def fit_bytes(
    points: Sequence[RoutePoint],
    *,
    session: bool = True,
    record_distance: bool = True,
    positions: bool = True,
    total_ascent: int | None = None,
    file_type: FileType = FileType.ACTIVITY,
) -> bytes:
    """A FIT activity written by fit_tool: file_id, timer events, records and a session."""
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    file_id = FileIdMessage()
    file_id.type = file_type
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.serial_number = 0x12345678
    file_id.time_created = _fit_ms(points[0].time)
    builder.add(file_id)
    start = EventMessage()
    start.event = Event.TIMER
    start.event_type = EventType.START
    start.timestamp = _fit_ms(points[0].time)
    builder.add(start)
    for p in points:
        record = RecordMessage()
        record.timestamp = _fit_ms(p.time)
        if positions:
            record.position_lat = p.lat
            record.position_long = p.lon
        record.altitude = p.ele
        if record_distance:
            record.distance = p.distance_m
        builder.add(record)
    stop = EventMessage()
    stop.event = Event.TIMER
    stop.event_type = EventType.STOP_ALL
    stop.timestamp = _fit_ms(points[-1].time)
    builder.add(stop)
    if session:
        summary = SessionMessage()
        summary.timestamp = _fit_ms(points[-1].time)
        summary.start_time = _fit_ms(points[0].time)
        elapsed = (points[-1].time - points[0].time).total_seconds()
        summary.total_elapsed_time = elapsed
        summary.total_timer_time = elapsed
        summary.total_distance = points[-1].distance_m
        summary.sport = Sport.RUNNING
        if total_ascent is not None:
            summary.total_ascent = total_ascent
        builder.add(summary)
    data: bytes = builder.build().to_bytes()
    return data


def _sample_route(distance_km: float, start: datetime, pace_s_per_km: float) -> list[RoutePoint]:
    spacing_m = 10.0
    return route(round(distance_km * 1000 / spacing_m) + 1, spacing_m, start, pace_s_per_km)


def sample_gpx(
    distance_km: float = 5.0, start: datetime = DEFAULT_START, pace_s_per_km: float = 330.0
) -> bytes:
    """A GPX run of `distance_km` (a point every 10 m) starting at `start`."""
    return gpx_bytes(_sample_route(distance_km, start, pace_s_per_km))


def sample_tcx(
    distance_km: float = 5.0, start: datetime = DEFAULT_START, pace_s_per_km: float = 330.0
) -> bytes:
    """A TCX run of `distance_km` whose laps record that distance."""
    return tcx_bytes(_sample_route(distance_km, start, pace_s_per_km))


def sample_fit(
    distance_km: float = 5.0, start: datetime = DEFAULT_START, pace_s_per_km: float = 330.0
) -> bytes:
    """A FIT run of `distance_km` whose session records that distance."""
    return fit_bytes(_sample_route(distance_km, start, pace_s_per_km))


def daily_json(daily: Sequence[float], unit: str = "km") -> bytes:
    """The JSON form of `popliteal load`: distances per day, oldest first."""
    return json.dumps({"unit": unit, "daily": list(daily)}).encode()


def daily_csv(rows: Sequence[tuple[str, str]]) -> bytes:
    """The CSV form of `popliteal load`: a header, then date,distance_km rows."""
    return ("date,distance_km\n" + "".join(f"{d},{km}\n" for d, km in rows)).encode()
