"""Watch-file and daily-distance import: what a runner uploading files would notice."""

from __future__ import annotations

import hashlib
import io
import itertools
import math
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from fit_tool.profile.profile_type import FileType
from hypothesis import given
from hypothesis import strategies as st

from popliteal.running._track import (
    EARTH_RADIUS_M,
    Sample,
    elevation_gain,
    haversine_m,
    track_distance,
)
from popliteal.running.importers import (
    DEFAULT_MAX_BYTES,
    DailyDistances,
    ImportProblem,
    parse_activity,
    parse_daily,
    read_capped,
    sniff_format,
)
from tests.running.fixtures import (
    DEFAULT_START,
    NOW,
    daily_csv,
    daily_json,
    fit_bytes,
    gpx_bytes,
    route,
    sample_fit,
    sample_gpx,
    sample_tcx,
    tcx_bytes,
)

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<{root}><trk><name>&lol4;</name></trk></{root}>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE {root} [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<{root}><trk><name>&secret;</name></trk></{root}>
"""


def within_one_percent(measured: float, expected: float) -> bool:
    return abs(measured - expected) <= 0.01 * expected


def problem(excinfo: pytest.ExceptionInfo[ImportProblem]) -> str:
    return str(excinfo.value)


# --- distances, durations and climbs ------------------------------------------------------


def test_gpx_distance_is_measured_along_the_track() -> None:
    # 1001 points 5 m apart: 5,000 m; 5 m at 330 s/km is 1.65 s a point, 1,650 s in all.
    activity = parse_activity("loop.gpx", gpx_bytes(route(1001, 5.0)), now=NOW)
    assert activity.file_format == "gpx"
    assert activity.distance_source == "track"
    assert activity.distance_m == pytest.approx(5000, abs=1)
    assert activity.duration_s == pytest.approx(1650)
    assert activity.moving_s == pytest.approx(1650)
    assert activity.start == DEFAULT_START
    assert activity.points == 1001


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noisy_gpx_is_within_one_percent_of_the_true_route(seed: int) -> None:
    # 3 m of drifting GPS error, 5 spikes of 80-300 m and a 5 minute stop halfway.
    points = route(1001, 5.0, noise_m=3.0, spikes=5, stop_s=300, seed=seed)
    activity = parse_activity("noisy.gpx", gpx_bytes(points), now=NOW)
    assert within_one_percent(activity.distance_m, 5000)
    every_point = sum(
        haversine_m(p.lat, p.lon, q.lat, q.lon) for p, q in itertools.pairwise(points)
    )
    assert every_point > 5500  # what the filter saves the runner from
    # The stop is elapsed time but not moving time.
    assert activity.duration_s == pytest.approx(1650 + 300)
    assert activity.moving_s is not None
    assert activity.moving_s < 1650 + 30


def test_tcx_uses_the_laps_distance_over_a_noisy_track() -> None:
    points = route(1001, 5.0, noise_m=3.0, spikes=20, seed=4)
    activity = parse_activity("run.tcx", tcx_bytes(points, laps=3), now=NOW)
    assert activity.file_format == "tcx"
    assert activity.distance_source == "device"
    assert activity.distance_m == pytest.approx(5000, abs=0.05)  # the laps' sum, to the cm
    assert activity.duration_s == pytest.approx(1650)
    assert activity.points == 1001


def test_tcx_with_zero_laps_uses_the_last_trackpoint_running_total() -> None:
    activity = parse_activity("run.tcx", tcx_bytes(route(301, 10.0), lap_distance=False), now=NOW)
    assert activity.distance_source == "device"
    assert activity.distance_m == pytest.approx(3000)


def test_tcx_without_distances_is_measured_along_the_track() -> None:
    points = route(601, 5.0, noise_m=3.0, seed=5)
    data = tcx_bytes(points, lap_distance=False, trackpoint_distance=False)
    activity = parse_activity("run.tcx", data, now=NOW)
    assert activity.distance_source == "track"
    assert within_one_percent(activity.distance_m, 3000)


def test_treadmill_tcx_without_positions_keeps_the_device_distance() -> None:
    data = tcx_bytes(route(201, 10.0), positions=False)
    activity = parse_activity("treadmill.tcx", data, now=NOW)
    assert activity.distance_m == pytest.approx(2000)
    # 10 m every 3.3 s is 3 m/s, moving all the time.
    assert activity.moving_s == pytest.approx(660)


def test_fit_uses_the_session_distance() -> None:
    points = route(201, 10.0, noise_m=3.0, spikes=3, seed=6)
    activity = parse_activity("run.fit", fit_bytes(points), now=NOW)
    assert activity.file_format == "fit"
    assert activity.distance_source == "device"
    assert activity.distance_m == pytest.approx(2000)
    assert activity.duration_s == pytest.approx(660)  # 200 steps of 3.3 s
    assert activity.start == DEFAULT_START
    assert activity.points == 201


def test_fit_without_a_session_uses_the_last_record_distance() -> None:
    activity = parse_activity("run.fit", fit_bytes(route(201, 10.0), session=False), now=NOW)
    assert activity.distance_source == "device"
    assert activity.distance_m == pytest.approx(2000)


def test_fit_without_distances_reads_semicircles_as_degrees() -> None:
    # Measured from positions: wrong units would be off by orders of magnitude.
    data = fit_bytes(route(201, 10.0), session=False, record_distance=False)
    activity = parse_activity("run.fit", data, now=NOW)
    assert activity.distance_source == "track"
    assert within_one_percent(activity.distance_m, 2000)


def test_fit_session_ascent_is_the_device_figure() -> None:
    points = route(201, 10.0, hill_m=10.0)
    assert (
        parse_activity("a.fit", fit_bytes(points, total_ascent=37), now=NOW).elevation_gain_m == 37
    )
    # Without it: the profile rises 20 m (from -10 to +10) twice in 2 km: 40 m.
    from_records = parse_activity("b.fit", fit_bytes(points), now=NOW).elevation_gain_m
    assert from_records == pytest.approx(40, abs=0.5)


def test_elevation_gain_ignores_wobbles_under_three_metres() -> None:
    altitudes = [100, 101, 99, 100, 104, 106, 105, 107, 103, 102, 108]
    # Climb from the low of 99 to 107 (8 m; the dip 106 -> 105 is under 3 m so the climb goes on),
    # then down to 102 and up to 108 (6 m): 14 m. Adding every rise would give 16 m.
    points = [
        replace(p, ele=a) for p, a in zip(route(len(altitudes), 10.0), altitudes, strict=True)
    ]
    assert parse_activity("hills.gpx", gpx_bytes(points), now=NOW).elevation_gain_m == 14
    flat = gpx_bytes(route(11, 10.0), with_elevation=False)
    assert parse_activity("flat.gpx", flat, now=NOW).elevation_gain_m is None


def test_segments_and_tracks_add_up_without_the_gaps_between_them() -> None:
    # Three pieces of 1 km (101 points 10 m apart), each starting 2 km further on the map and
    # 10 minutes later: 3 km run, the 2 km jumps are not counted.
    pieces = [
        route(101, 10.0, DEFAULT_START + timedelta(minutes=10 * i), origin=(51.5 + 0.02 * i, 0.0))
        for i in range(3)
    ]
    data = gpx_bytes(tracks=[[pieces[0], pieces[1]], [pieces[2]]])
    activity = parse_activity("pieces.gpx", data, now=NOW)
    assert activity.distance_m == pytest.approx(3000, abs=1)
    assert activity.duration_s == pytest.approx(20 * 60 + 330)  # 20 min to the last piece + 330 s
    assert activity.points == 303


def test_gpx_times_without_a_zone_are_utc() -> None:
    data = gpx_bytes(route(11, 10.0)).replace(b"Z</time>", b"</time>")
    assert parse_activity("local.gpx", data, now=NOW).start == DEFAULT_START


def test_the_same_bytes_give_the_same_hash() -> None:
    first = parse_activity("a.gpx", sample_gpx(), now=NOW)
    again = parse_activity("renamed.gpx", sample_gpx(), now=NOW)
    other = parse_activity("b.gpx", sample_gpx(start=DEFAULT_START + timedelta(days=1)), now=NOW)
    assert first.content_hash == again.content_hash == hashlib.sha256(sample_gpx()).hexdigest()
    assert other.content_hash != first.content_hash


@pytest.mark.parametrize(("name", "data"), [("s.gpx", sample_gpx), ("s.tcx", sample_tcx)])
def test_samples_have_the_distance_asked_for(name: str, data: object) -> None:
    assert callable(data)
    activity = parse_activity(name, data(distance_km=3.0), now=NOW)
    assert activity.distance_m == pytest.approx(3000, abs=1)


def test_sample_fit_has_the_distance_asked_for() -> None:
    assert parse_activity("s.fit", sample_fit(distance_km=1.0), now=NOW).distance_m == 1000


# --- files refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "template", "root"),
    [
        ("laughs.gpx", BILLION_LAUGHS, "gpx"),
        ("laughs.tcx", BILLION_LAUGHS, "TrainingCenterDatabase"),
        ("secret.gpx", EXTERNAL_ENTITY, "gpx"),
        ("secret.tcx", EXTERNAL_ENTITY, "TrainingCenterDatabase"),
    ],
)
def test_xml_with_entities_is_refused(name: str, template: str, root: str) -> None:
    data = template.replace("{root}", root).encode()
    with pytest.raises(ImportProblem) as excinfo:
        parse_activity(name, data, now=NOW)
    assert problem(excinfo).startswith(f"{name}: contains a document type declaration")


def test_a_dtd_hidden_behind_a_declared_encoding_is_refused() -> None:
    # gpxpy reads the text as UTF-8 whatever the declaration says; so does the safety check.
    data = BILLION_LAUGHS.replace("{root}", "gpx").replace(
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="cp500"?>'
    )
    with pytest.raises(ImportProblem, match="document type declaration"):
        parse_activity("ebcdic.gpx", data.encode(), now=NOW)


@pytest.mark.parametrize(
    ("name", "data"), [("cut.gpx", sample_gpx()[:-200]), ("cut.tcx", sample_tcx()[:-200])]
)
def test_truncated_xml_is_refused(name: str, data: bytes) -> None:
    with pytest.raises(ImportProblem) as excinfo:
        parse_activity(name, data, now=NOW)
    assert problem(excinfo).startswith(f"{name}: is truncated or corrupt")


def test_truncated_fit_is_refused() -> None:
    with pytest.raises(ImportProblem) as excinfo:
        parse_activity("cut.fit", sample_fit(distance_km=0.5)[:-100], now=NOW)
    assert problem(excinfo) == "cut.fit: is truncated: the FIT data ends early"


def test_fit_with_a_bad_checksum_is_refused() -> None:
    data = bytearray(sample_fit(distance_km=0.5))
    data[-40] ^= 0xFF
    with pytest.raises(ImportProblem) as excinfo:
        parse_activity("flipped.fit", bytes(data), now=NOW)
    assert problem(excinfo).startswith("flipped.fit: is corrupt")


def test_a_fit_course_is_not_a_run() -> None:
    data = fit_bytes(route(11, 10.0), file_type=FileType.COURSE)
    with pytest.raises(ImportProblem, match=r"^course\.fit: is a FIT course file"):
        parse_activity("course.fit", data, now=NOW)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.gpx", gpx_bytes([]), "has no track points"),
        ("untimed.gpx", gpx_bytes(route(11, 10.0), with_times=False), "no timestamps"),
        (
            "empty.tcx",
            re.sub(rb"<Track>.*</Track>", b"<Track/>", sample_tcx(1.0)),
            "no trackpoints",
        ),
        ("empty.fit", b"", "is empty"),
    ],
)
def test_files_without_usable_points_are_refused(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ImportProblem) as excinfo:
        parse_activity(name, data, now=NOW)
    assert problem(excinfo).startswith(f"{name}: ")
    assert message in problem(excinfo)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(100)),
        ("notes.txt", b"ran 5 km today"),
        ("map.kml", b'<?xml version="1.0"?><kml><Document/></kml>'),
        ("map.gpx", b'<?xml version="1.0"?><kml><Document/></kml>'),
    ],
)
def test_other_files_are_not_gps_files(name: str, data: bytes) -> None:
    with pytest.raises(ImportProblem) as excinfo:
        parse_activity(name, data, now=NOW)
    assert problem(excinfo).startswith(f"{name}: is not a GPS file (GPX, TCX or FIT)")


def test_dates_in_the_future_are_refused_beyond_a_day_of_clock_skew() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    tomorrow = sample_gpx(distance_km=1.0, start=now + timedelta(hours=20))
    assert parse_activity("fast-clock.gpx", tomorrow, now=now).start == now + timedelta(hours=20)
    for name, data in (
        ("future.gpx", sample_gpx(distance_km=1.0, start=now + timedelta(days=2))),
        ("future.tcx", sample_tcx(distance_km=1.0, start=now + timedelta(days=2))),
        ("future.fit", sample_fit(distance_km=1.0, start=now + timedelta(days=2))),
    ):
        with pytest.raises(ImportProblem) as excinfo:
            parse_activity(name, data, now=now)
        assert problem(excinfo).startswith(f"{name}: is dated in the future (2025-03-03")


def test_daily_files_are_not_activities_and_gps_files_not_daily() -> None:
    with pytest.raises(ImportProblem, match=r"^week\.json: holds daily distances"):
        parse_activity("week.json", daily_json([5, 0, 3]), now=NOW)
    with pytest.raises(ImportProblem, match=r"^run\.gpx: is a GPS file of one run"):
        parse_daily("run.gpx", sample_gpx(distance_km=1.0), now=NOW)


class CountingStream(io.RawIOBase):
    """An endless upload that counts what was read from it."""

    def __init__(self) -> None:
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = len(buffer)
        buffer[:size] = b"x" * size
        self.bytes_read += size
        return size


def test_an_oversized_upload_is_refused_without_reading_it_all() -> None:
    stream = CountingStream()
    with pytest.raises(ImportProblem) as excinfo:
        read_capped(stream, filename="huge.gpx")  # type: ignore[arg-type]
    assert problem(excinfo) == "huge.gpx: is larger than the 25 MB limit"
    assert stream.bytes_read <= DEFAULT_MAX_BYTES + 1


def test_uploads_up_to_the_limit_are_read_whole() -> None:
    data = sample_gpx(distance_km=1.0)
    assert read_capped(io.BytesIO(data), filename="a.gpx", max_bytes=len(data)) == data
    with pytest.raises(ImportProblem, match=r"^a\.gpx: is larger than the 2 KB limit$"):
        read_capped(io.BytesIO(data), filename="a.gpx", max_bytes=2048)


def test_sniffing_trusts_content_before_the_name() -> None:
    assert sniff_format("export", sample_gpx(distance_km=1.0)) == "gpx"
    assert sniff_format("run.gpx", sample_tcx(distance_km=1.0)) == "tcx"
    assert sniff_format("run.bin", sample_fit(distance_km=0.5)) == "fit"
    assert sniff_format("load.txt", daily_json([1])) == "json"
    assert sniff_format("load.txt", daily_csv([("2025-03-01", "5")])) == "csv"
    assert sniff_format("cut.GPX", b"<?xml version='1.0'?>\n<!-- a long") == "gpx"


def test_import_problem_names_the_file() -> None:
    error = ImportProblem("run.gpx", "is empty")
    assert (str(error), error.filename, error.problem) == (
        "run.gpx: is empty",
        "run.gpx",
        "is empty",
    )
    assert isinstance(error, ValueError)


# --- daily distances -------------------------------------------------------------------------


def test_daily_json_keeps_order_and_unit() -> None:
    parsed = parse_daily("week.json", daily_json([5, 0, 8.2], unit="mi"), now=NOW)
    assert parsed == DailyDistances(unit="mi", days=[(None, 5.0), (None, 0.0), (None, 8.2)])


def test_daily_csv_sorts_and_sums_repeated_dates() -> None:
    data = daily_csv([("2025-03-03", "5"), ("2025-03-01", "3.5"), ("2025-03-03", "2.5")])
    parsed = parse_daily("log.csv", data, now=NOW)
    assert parsed.unit == "km"
    assert parsed.days == [(date(2025, 3, 1), 3.5), (date(2025, 3, 3), 7.5)]


def test_daily_csv_in_miles_and_with_a_spreadsheet_bom() -> None:
    data = "\ufeffDate,Distance_mi\r\n2025-03-01,3.1\r\n\r\n".encode()
    assert parse_daily("log.csv", data, now=NOW) == DailyDistances(
        unit="mi", days=[(date(2025, 3, 1), 3.1)]
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (daily_json([5, -1]), "daily[1]: -1 is negative"),
        (b'{"unit": "km", "daily": [5, NaN]}', "daily[1]: 'nan' is not a finite number"),
        (daily_json([5, "far"]), "daily[1]: 'far' is not a number"),
        (b'{"unit": "km", "daily": [true]}', "daily[0]: True is not a number"),
        (daily_json([5], unit="miles"), 'unit must be "km" or "mi", not \'miles\''),
        (b'{"daily": [5]}', 'unit must be "km" or "mi", not None'),
        (daily_json([]), '"daily" is empty'),
        (b'{"unit": "km", "daily": [5,', "is not valid JSON (line 1, column 28"),
        (b"[5, 3]", "must be a JSON object"),
    ],
)
def test_daily_json_errors_name_the_place(data: bytes, message: str) -> None:
    with pytest.raises(ImportProblem) as excinfo:
        parse_daily("load.json", data, now=NOW)
    assert problem(excinfo).startswith("load.json: ")
    assert message in problem(excinfo)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (daily_csv([("2025-03-01", "5"), ("2025-03-02", "-2")]), "line 3: -2 is negative"),
        (daily_csv([("2025-03-01", "five")]), "line 2: 'five' is not a number"),
        (daily_csv([("2025-03-01", "nan")]), "line 2: 'nan' is not a finite number"),
        (daily_csv([("01/03/2025", "5")]), "line 2: '01/03/2025' is not a date like 2025-03-31"),
        (daily_csv([("2025-06-03", "5")]), "line 2: 2025-06-03 is in the future"),
        (b"day,km\n2025-03-01,5\n", "must start with the header line: date,distance_km"),
        (b"date,distance_km\n", "has a header but no days"),
    ],
)
def test_daily_csv_errors_name_the_line(data: bytes, message: str) -> None:
    with pytest.raises(ImportProblem) as excinfo:
        parse_daily("load.csv", data, now=NOW)
    assert problem(excinfo) == f"load.csv: {message}"


def test_tomorrow_is_not_the_future_in_a_daily_file() -> None:
    # NOW is 2025-06-01 12:00 UTC; a day of skew allows 2025-06-02 (the person may be in Asia).
    data = daily_csv([("2025-06-02", "5")])
    assert parse_daily("load.csv", data, now=NOW).days == [(date(2025, 6, 2), 5.0)]


# --- invariants of the track arithmetic ------------------------------------------------------

positions = st.lists(
    st.tuples(
        st.floats(min_value=0.1, max_value=30),  # seconds since the previous point
        st.floats(min_value=-0.001, max_value=0.001),  # about +-110 m of latitude
        st.floats(min_value=-0.001, max_value=0.001),
    ),
    max_size=40,
)


@given(positions)
def test_filtered_distance_never_exceeds_the_sum_of_every_step(
    steps: list[tuple[float, float, float]],
) -> None:
    t = 0.0
    samples = []
    for gap, d_lat, d_lon in steps:
        t += gap
        samples.append(Sample(t, 51.5 + d_lat, d_lon, None, None))
    distance, moving = track_distance(samples)
    every_step = sum(
        haversine_m(a.lat, a.lon, b.lat, b.lon)  # type: ignore[arg-type]
        for a, b in itertools.pairwise(samples)
    )
    assert 0 <= distance <= every_step + 1e-6
    assert 0 <= moving <= t


@given(st.lists(st.floats(min_value=-400, max_value=9000), max_size=60))
def test_elevation_gain_is_at_most_the_sum_of_every_rise(altitudes: list[float]) -> None:
    every_rise = sum(max(0.0, b - a) for a, b in itertools.pairwise(altitudes))
    assert 0 <= elevation_gain(altitudes) <= every_rise + 1e-6


def _north(metres: float) -> float:
    """Latitude of a point `metres` north of 51.5 degrees on the haversine sphere."""
    return 51.5 + math.degrees(metres / EARTH_RADIUS_M)


def test_a_spike_while_standing_still_adds_nothing() -> None:
    # Two minutes at a crossing, one point a second, and one fix 200 m off at 60 s: a spike
    # judged against the point a second before (200 m/s), not the arrival two minutes ago.
    samples = [Sample(float(t), _north(200 if t == 60 else 0), 0.0, None, None) for t in range(121)]
    assert track_distance(samples) == (0.0, 0.0)


def test_a_bad_first_fix_is_abandoned_after_five_impossible_points() -> None:
    # A first fix 1 km away, then 100 points 10 m apart every 3 s (0 to 990 m north). Points 1-4
    # would need 1 km in 3-12 s and are dropped; at the 5th (40 m) counting restarts: 990 - 40.
    samples = [Sample(0.0, 51.5, 0.0145, None, None)] + [
        Sample(3.0 * k, _north(10 * (k - 1)), 0.0, None, None) for k in range(1, 101)
    ]
    distance, moving = track_distance(samples)
    assert distance == pytest.approx(950, abs=0.01)
    assert moving == pytest.approx(3 * 95)  # from the 5th point (15 s) to the 100th (300 s)
