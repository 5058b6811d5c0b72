"""`make bench`: does a big watch-file import slow anyone else down, and how much memory does
the largest upload the limits allow take? (issue 17)

A real server (uvicorn, one worker, SQLite) with the demo clinic and a second patient:
1. idle: the second person opens `GET /my/today` over and over; p50 and p99;
2. the demo patient imports one ~20 MB GPX file (a 14-hour ultra recorded every half second
   with heart rate and cadence, under the 200,000-point cap) while the second person keeps
   opening Today; p50 and p99 during the import, and the ratio to idle (goal: p99 <= 2x);
3. the largest upload the limits allow (10 files of just under the per-file limit, 25 MB by
   default): the server's peak resident memory (VmHWM), before and after.
Latencies are read one request at a time, so each sample is what a person waits.
"""

from __future__ import annotations

import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx

from popliteal.demo import PATIENT

ROOT = Path(__file__).resolve().parent
OTHER_EMAIL = "bench-other@demo.popliteal.test"
OTHER_PASSWORD = "bench-other-password-2026"  # noqa: S105 (a throwaway bench database)
IDLE_SAMPLES = 200
TARGET_MB = 20
FILES_PER_REQUEST = 10  # running.api.FILES_PER_LIMIT: the request cap is ten files' worth
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Latency:
    samples: int
    p50_ms: float
    p99_ms: float
    failures: int


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_big_gpx(path: Path, *, target_bytes: int, start: datetime) -> int:
    """A GPX of about `target_bytes`: a point every half second at 2.5 m/s on a 2 km loop,
    with Garmin's heart-rate and cadence extension, as a watch in its fastest mode writes."""
    radius_deg = 2000 / EARTH_RADIUS_M * 180 / math.pi
    epoch = start.timestamp()
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="popliteal bench" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
        "<trk><name>Ultra</name><type>running</type><trkseg>\n"
    )
    tail = "</trkseg></trk></gpx>\n"
    points = 0
    written = len(head) + len(tail)
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        while written < target_bytes:
            t = epoch + points * 0.5
            angle = points * 1.25 / 2000
            moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + (
                ".5Z" if points % 2 else ".0Z"
            )
            line = (
                f'<trkpt lat="{51.5 + radius_deg * math.cos(angle):.7f}" '
                f'lon="{-0.12 + radius_deg * math.sin(angle) / 0.6225:.7f}">'
                f"<ele>{30 + 8 * math.sin(points / 600):.1f}</ele><time>{moment}</time>"
                f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{140 + points % 20}"
                f"</gpxtpx:hr><gpxtpx:cad>{85 + points % 5}</gpxtpx:cad>"
                "</gpxtpx:TrackPointExtension></extensions></trkpt>\n"
            )
            out.write(line)
            written += len(line)
            points += 1
        out.write(tail)
    return points


def _rss_kb(pid: int, field: str) -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:  # a worker that just ended
        return 0
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class TreeMemory:
    """The server's and its parse worker's resident memory, sampled ten times a second: the
    worker's own peak (VmHWM) is lost when it is recycled, so the sum is sampled too."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_total_kb = 0
        self.peak_worker_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            workers = [_rss_kb(c, "VmHWM") for c in _children(self.pid)]
            self.peak_worker_kb = max([self.peak_worker_kb, *workers])
            total = _rss_kb(self.pid, "VmRSS") + sum(
                _rss_kb(c, "VmRSS") for c in _children(self.pid)
            )
            self.peak_total_kb = max(self.peak_total_kb, total)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _login(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=600, follow_redirects=False)
    token = CSRF_RE.search(client.get("/login").text)
    assert token, "no csrf token on /login"
    done = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
    )
    assert done.status_code == 303, done.text[:200]
    client.headers["x-csrf-token"] = client.get("/api/auth/csrf").json()["csrf_token"]
    return client


def _latency(samples_ms: list[float], failures: int) -> Latency:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
    return Latency(len(ordered), statistics.median(ordered), p99, failures)


def _today_once(client: httpx.Client) -> tuple[float, bool]:
    started = time.perf_counter()
    answer = client.get("/my/today")
    return (time.perf_counter() - started) * 1e3, answer.status_code == 200


def _prepare(env: dict[str, str]) -> None:
    for cmd in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(
            [sys.executable, "-m", "popliteal", *cmd], env=env, check=True, capture_output=True
        )
    from popliteal.accounts import service as accounts_service
    from popliteal.accounts.models import Clinic
    from popliteal.db import make_engine, make_sessionmaker, session_scope

    engine = make_engine(env["DATABASE_URL"])
    with session_scope(make_sessionmaker(engine)) as session:
        from sqlalchemy import select

        clinic_id = session.scalar(select(Clinic.id).order_by(Clinic.id).limit(1))
        assert clinic_id is not None
        accounts_service.register_patient(
            session,
            clinic_id=clinic_id,
            email=OTHER_EMAIL,
            password=OTHER_PASSWORD,
            full_name="Bench Other",
        )
    engine.dispose()


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "popliteal.server:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )


def _wait(base: str) -> None:
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


def bench_import_lock(tmpdir: Path, *, max_upload_mb: int = 25) -> dict[str, Any]:
    """Run the three steps above; print and return the figures."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmpdir / 'bench.db'}",
        "POPLITEAL_VAR_DIR": str(tmpdir),
        "POPLITEAL_SECRET_KEY": "bench-only-secret",
        "POPLITEAL_MAX_UPLOAD_MB": str(max_upload_mb),
    }
    _prepare(env)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    big = tmpdir / "ultra.gpx"
    points = write_big_gpx(big, target_bytes=TARGET_MB * 10**6, start=start)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(env, port)
    try:
        _wait(base)
        other = _login(base, OTHER_EMAIL, OTHER_PASSWORD)
        importer = _login(base, PATIENT.email, PATIENT.password)
        for _ in range(10):  # warm up: templates, caches, connections
            _today_once(other)
        idle = [_today_once(other) for _ in range(IDLE_SAMPLES)]
        idle_latency = _latency([ms for ms, _ in idle], sum(not ok for _, ok in idle))

        result: dict[str, Any] = {}

        def upload() -> None:
            began = time.perf_counter()
            with big.open("rb") as stream:
                answer = importer.post(
                    "/api/me/activities/import",
                    files=[("files", ("ultra.gpx", stream, "application/gpx+xml"))],
                )
            result["seconds"] = time.perf_counter() - began
            result["status"] = answer.status_code
            result["body"] = answer.json()

        thread = threading.Thread(target=upload)
        thread.start()
        busy: list[tuple[float, bool]] = []
        while thread.is_alive():
            busy.append(_today_once(other))
        thread.join()
        busy_latency = _latency([ms for ms, _ in busy], sum(not ok for _, ok in busy))
        imported = result["body"].get("imported", [])

        # The largest upload the limits allow: ten files just under the per-file limit, each
        # a valid GPX of runs (one a day) padded with whitespace-free comment-less points.
        per_file = max_upload_mb * 1024 * 1024 - 4096
        files = []
        for day in range(FILES_PER_REQUEST):
            path = tmpdir / f"max-{day}.gpx"
            write_big_gpx(path, target_bytes=per_file, start=start - timedelta(days=3 + day))
            files.append(path)
        pid = server.pid
        rss_before = _rss_kb(pid, "VmRSS")
        began = time.perf_counter()
        streams = [p.open("rb") for p in files]
        memory = TreeMemory(pid)
        try:
            with memory:
                answer = importer.post(
                    "/api/me/activities/import",
                    files=[
                        ("files", (p.name, s, "application/gpx+xml"))
                        for p, s in zip(files, streams, strict=True)
                    ],
                )
        finally:
            for s in streams:
                s.close()
        max_seconds = time.perf_counter() - began
        peak_kb = _rss_kb(pid, "VmHWM")
        body = answer.json()
    finally:
        server.terminate()
        server.wait(timeout=30)

    size_mb = big.stat().st_size / 1e6
    ratio = busy_latency.p99_ms / idle_latency.p99_ms
    print(
        f"\nImport off the write lock (SQLite, uvicorn 1 worker): one {size_mb:.1f} MB GPX, "
        f"{points:,} points, imported in {result['seconds']:.1f} s "
        f"(status {result['status']}, {len(imported)} run stored)"
    )
    print(
        f"{'GET /my/today, another person':<34}{'samples':>9}{'p50 ms':>9}{'p99 ms':>9}{'fail':>6}"
    )
    for name, lat in (("idle", idle_latency), ("during the import", busy_latency)):
        print(f"{name:<34}{lat.samples:>9}{lat.p50_ms:>9.1f}{lat.p99_ms:>9.1f}{lat.failures:>6}")
    print(f"  p99 during / idle: {ratio:.2f} (goal <= 2)")
    total_mb = sum(p.stat().st_size for p in files) / 2**20
    print(
        f"Largest upload the limits allow: {len(files)} files, {total_mb:.0f} MiB "
        f"({max_upload_mb} MB per file), answered {answer.status_code} in {max_seconds:.1f} s "
        f"({len(body.get('imported', []))} imported, {len(body.get('rejected', []))} refused)"
    )
    print(
        f"  resident memory: server {rss_before / 1024:.0f} MiB before, "
        f"peak {peak_kb / 1024:.0f} MiB (VmHWM); parse worker peak "
        f"{memory.peak_worker_kb / 1024:.0f} MiB; server + worker peak "
        f"{memory.peak_total_kb / 1024:.0f} MiB (sampled 10/s)"
    )
    return {
        "big_file_mb": size_mb,
        "points": points,
        "import_seconds": result["seconds"],
        "idle_p50_ms": idle_latency.p50_ms,
        "idle_p99_ms": idle_latency.p99_ms,
        "busy_p50_ms": busy_latency.p50_ms,
        "busy_p99_ms": busy_latency.p99_ms,
        "p99_ratio": ratio,
        "max_upload_mib": total_mb,
        "rss_before_mib": rss_before / 1024,
        "peak_rss_mib": peak_kb / 1024,
        "peak_worker_mib": memory.peak_worker_kb / 1024,
        "peak_total_mib": memory.peak_total_kb / 1024,
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        bench_import_lock(Path(folder))
