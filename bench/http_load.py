"""HTTP figures for `make bench`: POST /api/screenings next to a bare Starlette endpoint.

Both run in uvicorn (one worker, same options) on this machine and are loaded by wrk with 32
connections for the same time with the same stream of request bodies, so the ratio between them is
what to read; the absolute numbers depend on the machine (2 cores, shared with wrk).

Every request body differs: the demo's answers (34; 29 before the knee swelling and skin
redness questions joined them) with sex, onset and pain location taken from 48 combinations and
age, weekly miles and weeks of symptoms counted through their ranges, so no cache keyed on a body
(or on its answers) could serve a repeat (one wrk thread sends the even-numbered combinations,
the other the odd ones; about ten million before any repeats).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
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
    requests: int = 0
    server_cpu_ms: float | None = None  # the server process's CPU time per request


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, deadline_s: float = 120) -> None:
    """Until the server answers at all (any status: the bare app has no GET route)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


# Placeholders for the numbers the Lua script counts through (unlikely to occur otherwise).
_AGE, _MILES, _WEEKS = 7770001, 7770002, 7770003
AGES = range(16, 86)
MILES = range(61)
WEEKS = range(1, 53)


def body_templates() -> list[str]:
    """The demo answers with each combination of sex, onset and pain location, as JSON with
    `%d` where the script puts age, weekly miles and weeks of symptoms."""
    out = []
    for sex, onset, location in itertools.product(
        ("female", "male"),
        ("gradual", "sudden_no_injury", "injury_sudden"),
        (
            "posterolateral",
            "posteromedial",
            "center_back",
            "back_of_thigh",
            "upper_calf",
            "calf",
            "knee_front_or_side",
            "diffuse_leg",
        ),
    ):
        answers = {
            **DEMO_ANSWERS,
            "sex": sex,
            "onset": onset,
            "pain_location": location,
            "age_years": _AGE,
            "weekly_running_miles": _MILES,
            "symptom_duration_weeks": _WEEKS,
        }
        text = json.dumps({"answers": answers})
        for marker in (_AGE, _MILES, _WEEKS):
            text = text.replace(str(marker), "%d")
        out.append(text)
    return out


def body(templates: list[str], k: int) -> str:
    """The k-th body of the stream (the Lua script below computes the same)."""
    t, k = k % len(templates), k // len(templates)
    age, k = AGES[k % len(AGES)], k // len(AGES)
    miles, k = MILES[k % len(MILES)], k // len(MILES)
    return templates[t] % (age, miles, WEEKS[k % len(WEEKS)])


def _lua(templates: list[str]) -> str:
    """A wrk script that sends body(templates, k) for k = thread, thread + 2, thread + 4, ..."""
    quoted = ",\n".join(json.dumps(t) for t in templates)
    return f"""
local templates = {{
{quoted}
}}
local k = 0
local threads = 0
function setup(thread)
  thread:set("first", threads)
  threads = threads + 1
end
function init(args)
  k = first
end
function request()
  local n = k
  k = k + 2
  local t = n % {len(templates)}; n = (n - t) / {len(templates)}
  local age = n % {len(AGES)}; n = (n - age) / {len(AGES)}
  local miles = n % {len(MILES)}; n = (n - miles) / {len(MILES)}
  local weeks = n % {len(WEEKS)}
  local body = string.format(templates[t + 1], {AGES.start} + age, {MILES.start} + miles,
    {WEEKS.start} + weeks)
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json"}}, body)
end
"""


def _wrk(url: str, templates: list[str], workdir: Path) -> Load:
    script = workdir / "post.lua"
    script.write_text(_lua(templates))
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
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return Load(rps, p50, p99, int(bad.group(1)) if bad else 0, done)


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
    templates = body_templates()
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
            ("bare Starlette endpoint", ["bare_app:app"], "/api/screenings"),
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
                _wait(base + health)
                # warm up once (caches, first connection)
                _wrk_warm(base + "/api/screenings", body(templates, 0))
                cpu_before = _cpu_seconds(proc.pid)
                load = _wrk(base + "/api/screenings", templates, work)
                cpu_after = _cpu_seconds(proc.pid)
                if cpu_before is not None and cpu_after is not None and load.requests:
                    cpu_ms = (cpu_after - cpu_before) / load.requests * 1e3
                    load = replace(load, server_cpu_ms=cpu_ms)
                results[name] = load
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


def engine_ms(templates: list[str], samples: int = 200) -> float:
    """Median time of the engine alone, as the service calls it, on bodies of the same stream."""
    from popliteal.knowledge.loader import default_knowledge
    from popliteal.screening.engine import screen

    kb = default_knowledge()
    step = 10_007  # a prime: spread the samples over templates and numbers alike
    answer_sets = [json.loads(body(templates, i * step))["answers"] for i in range(samples)]
    for answers in answer_sets[:5]:
        screen(kb, answers, role="patient", asked_once=set(answers))
    times = []
    for answers in answer_sets:
        start = time.perf_counter()
        screen(kb, answers, role="patient", asked_once=set(answers))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


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
    # One worker kept busy by 32 connections spends 1/rps of a second of CPU per request; take
    # the engine's own time away and what is left is the request path around it.
    engine = engine_ms(body_templates())
    screenings = results["POST /api/screenings"]
    per_request = 1e3 / screenings.requests_per_s
    print(
        f"per request {per_request:.2f} ms of the worker = engine (screen(), median over the same "
        f"bodies) {engine:.2f} ms + request path {per_request - engine:.2f} ms"
    )
    # On a machine shared with other work the worker is not always running, so the wall-clock
    # figure above grows with the load; the CPU time the server process used does much less.
    if screenings.server_cpu_ms is not None:
        print(
            f"server CPU per request {screenings.server_cpu_ms:.2f} ms (user + system time of the "
            f"uvicorn process over the run / requests; bare endpoint "
            f"{results['bare Starlette endpoint'].server_cpu_ms or 0:.2f} ms)"
        )


if __name__ == "__main__":
    report()
