"""What the request-id middleware, its JSON access line and the metrics middleware cost per
request, measured in-process around an app that answers at once (no server, no network).

    PYTHONPATH=src .venv/bin/python bench/request_overhead.py

uvicorn's own access line (what `popliteal serve` logged before) is timed for comparison.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from prometheus_client import CollectorRegistry
from uvicorn.logging import AccessFormatter

from popliteal.web.logs import JsonFormatter, RequestIdFilter
from popliteal.web.metrics import MetricsMiddleware, RequestMetrics
from popliteal.web.request_id import RequestIdMiddleware

SCOPE = {
    "type": "http",
    "method": "GET",
    "path": "/docs",
    "root_path": "",
    "headers": [(b"host", b"example.org")],
    "client": ("127.0.0.1", 50000),
}
N = 20_000


async def bare(_scope: Any, _receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _send(_message: Any) -> None:
    return None


async def _receive() -> Any:
    return {"type": "http.request", "body": b""}


async def per_request_us(app: Any) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(N):
            await app(dict(SCOPE), _receive, _send)
        best = min(best, (time.perf_counter() - started) / N * 1e6)
    return best


def uvicorn_access_line_us() -> float:
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(
        AccessFormatter('%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s')
    )
    log = logging.getLogger("bench.uvicorn.access")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    started = time.perf_counter()
    for _ in range(N):
        log.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET", "/docs", "1.1", 200)
    return (time.perf_counter() - started) / N * 1e6


async def main() -> None:
    base = await per_request_us(bare)
    with_id = await per_request_us(RequestIdMiddleware(bare))
    metrics = MetricsMiddleware(bare, metrics=RequestMetrics(CollectorRegistry()))
    with_metrics = await per_request_us(metrics)
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    with_log = await per_request_us(RequestIdMiddleware(bare))
    root.removeHandler(handler)
    print(f"bare app: {base:.1f} us a request")
    print(f"+ request id (access log off): +{with_id - base:.1f} us")
    print(f"+ request id and its JSON access line: +{with_log - base:.1f} us")
    print(f"+ metrics middleware: +{with_metrics - base:.1f} us")
    print(f"uvicorn's access line, for comparison: {uvicorn_access_line_us():.1f} us")


if __name__ == "__main__":
    asyncio.run(main())
