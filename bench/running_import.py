"""A year of runs for `make bench`: 365 GPX files, our import next to a plain gpxpy parse.

Both read the same files in the same run (alternating file by file, reading excluded), so the
ratio is what to read. Time is measured without tracemalloc (it slows allocation-heavy code
several-fold); peak memory is measured separately with tracemalloc over the first files, since
each file is parsed and dropped in turn.
"""

from __future__ import annotations

import math
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gpxpy

from popliteal.running.importers import parse_activity

DAYS = 365
POINTS_PER_RUN = 4_100  # about 68 minutes at a point a second: 1.5 million points in the year
MEMORY_SAMPLE_FILES = 20
EARTH_RADIUS_M = 6_371_008.8


def write_year_of_gpx(
    folder: Path, *, days: int = DAYS, points: int = POINTS_PER_RUN
) -> list[Path]:
    """Write one GPX run a day, from string templates (gpxpy's writer is far slower)."""
    folder.mkdir(parents=True, exist_ok=True)
    first_day = datetime(2024, 1, 1, 6, 30, tzinfo=UTC)
    paths = []
    for day in range(days):
        start = first_day + timedelta(days=day)
        epoch = start.timestamp()
        # A loop of about 1.4 km radius run at 3 m/s, one point a second, gently rolling.
        radius_deg = 1400 / EARTH_RADIUS_M * 180 / math.pi
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<gpx version="1.1" creator="popliteal bench" xmlns="http://www.topografix.com/GPX/1/1">',
            f"<trk><name>Run {day + 1}</name><trkseg>",
        ]
        for i in range(points):
            angle = i * 3.0 / 1400 + day
            moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch + i))
            lines.append(
                f'<trkpt lat="{51.5 + radius_deg * math.cos(angle):.7f}" '
                f'lon="{-0.12 + radius_deg * math.sin(angle) / 0.6225:.7f}">'
                f"<ele>{30 + 8 * math.sin(i / 300):.1f}</ele><time>{moment}</time></trkpt>"
            )
        lines.append("</trkseg></trk></gpx>")
        path = folder / f"run-{day + 1:03d}.gpx"
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def _seconds(
    paths: list[Path],
    first: Callable[[Path, bytes], object],
    second: Callable[[Path, bytes], object],
) -> tuple[float, float]:
    """Time both parsers file by file, alternating, so a busy moment hits both alike."""
    totals = [0.0, 0.0]
    for path in paths:
        data = path.read_bytes()
        for index, parse in enumerate((first, second)):
            start = time.perf_counter()
            parse(path, data)
            totals[index] += time.perf_counter() - start
    return totals[0], totals[1]


def _peak_mb(paths: list[Path], parse: Callable[[Path, bytes], object]) -> float:
    tracemalloc.start()
    try:
        for path in paths:
            parse(path, path.read_bytes())
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def bench_running_import(tmpdir: Path) -> dict[str, Any]:
    """Time and measure a year of GPX imports against plain gpxpy on the same files."""
    now = datetime(2025, 6, 1, tzinfo=UTC)
    started = time.perf_counter()
    paths = write_year_of_gpx(tmpdir / "year-of-runs")
    written_s = time.perf_counter() - started
    total_points = len(paths) * POINTS_PER_RUN
    megabytes = sum(p.stat().st_size for p in paths) / 1e6

    def plain(path: Path, data: bytes) -> object:
        return gpxpy.parse(data)

    def ours(path: Path, data: bytes) -> object:
        return parse_activity(path.name, data, now=now)

    km = sum(parse_activity(p.name, p.read_bytes(), now=now).distance_m for p in paths[:3]) / 3e3
    gpxpy_s, ours_s = _seconds(paths, plain, ours)
    sample = paths[:MEMORY_SAMPLE_FILES]
    gpxpy_mb = _peak_mb(sample, plain)
    ours_mb = _peak_mb(sample, ours)

    print(
        f"\nRunning import: {len(paths)} GPX files, {total_points:,} points, {megabytes:.0f} MB "
        f"(written in {written_s:.1f} s; {km:.1f} km a run)"
    )
    print(f"{'step':<34}{'s/year':>10}{'ms/file':>10}{'peak MB':>10}{'x gpxpy':>10}")
    for name, seconds, peak in (
        ("plain gpxpy.parse", gpxpy_s, gpxpy_mb),
        ("parse_activity (ours)", ours_s, ours_mb),
    ):
        print(
            f"{name:<34}{seconds:>10.2f}{seconds / len(paths) * 1e3:>10.1f}"
            f"{peak:>10.1f}{seconds / gpxpy_s:>10.2f}"
        )
    print(
        f"  goal: ours <= 1.5 x gpxpy in time (peak memory over {len(sample)} files, tracemalloc)"
    )
    return {
        "files": len(paths),
        "points": total_points,
        "megabytes": megabytes,
        "gpxpy_seconds": gpxpy_s,
        "ours_seconds": ours_s,
        "time_ratio": ours_s / gpxpy_s,
        "gpxpy_peak_mb": gpxpy_mb,
        "ours_peak_mb": ours_mb,
        "memory_ratio": ours_mb / gpxpy_mb,
    }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        bench_running_import(Path(folder))
