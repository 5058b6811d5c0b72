"""HTTP figures for `make bench`: POST /api/screenings next to a bare Starlette endpoint.

Both run in uvicorn (one worker, same options) on this machine and are loaded by wrk with 32
connections for the same time with the same request body, so the ratio between them is what to
read; the absolute numbers depend on the machine (2 cores, shared with wrk).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from popliteal.demo import DEMO_ANSWERS

CONNECTIONS = 32
SECONDS = 8
ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, deadline_s: float = 30) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def _wrk(url: str, body: str, workdir: Path) -> Load:
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body)}\n"
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Load(rps, p50, p99, int(bad.group(1)) if bad else 0)


def _serve(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *args,
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


def measure() -> dict[str, Load]:
    """Run both servers in turn and load each; returns {name: Load}."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (make bench installs it)")
    body = json.dumps({"answers": DEMO_ANSWERS})
    results: dict[str, Load] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
            "POPLITEAL_VAR_DIR": str(work),
            "POPLITEAL_SECRET_KEY": "bench-only-secret",
        }
        for cmd in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run(
                [sys.executable, "-m", "popliteal", *cmd], env=env, check=True, capture_output=True
            )
        for name, args, health in (
            ("bare Starlette endpoint", ["bare_app:app"], None),
            (
                "POST /api/screenings",
                ["--factory", "popliteal.server:create_app"],
                "/healthz",
            ),
        ):
            port = _free_port()
            proc = _serve(args, env, port)
            try:
                base = f"http://127.0.0.1:{port}"
                if health:
                    _wait(base + health)
                else:
                    time.sleep(1.5)
                # warm up once (caches, first connection)
                _wrk_warm(base + "/api/screenings", body)
                results[name] = _wrk(base + "/api/screenings", body, work)
            finally:
                proc.terminate()
                proc.wait(timeout=15)
    return results


def _wrk_warm(url: str, body: str) -> None:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    for _ in range(3):
        try:
            with urllib.request.urlopen(request, timeout=10):
                return
        except Exception:
            time.sleep(0.5)


def report() -> None:
    results = measure()
    bare = results["bare Starlette endpoint"]
    print(f"\nHTTP: wrk, {CONNECTIONS} connections, {SECONDS} s each, uvicorn 1 worker, SQLite")
    print(
        f"{'endpoint':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x bare req/s':>14}{'errors':>8}"
    )
    for name, load in results.items():
        print(
            f"{name:<26}{load.requests_per_s:>9.0f}{load.p50_ms:>9.1f}{load.p99_ms:>9.1f}"
            f"{load.requests_per_s / bare.requests_per_s:>14.2f}{load.non_2xx:>8}"
        )


if __name__ == "__main__":
    report()
