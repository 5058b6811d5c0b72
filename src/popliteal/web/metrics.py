"""Prometheus metrics at /metrics (POPLITEAL_METRICS=true; off by default).

Requests are counted by route template, method and status, never by raw path, so the number
of series stays bounded whatever URLs are thrown at the site. Gauges that describe what is
stored (screenings by urgency, open alerts, and later the e-mail outbox's backlog) are
`DatabaseGauge`s: a query run at each scrape, registered by the app factory (server.py) from
the areas that own the tables, so this floor needs none of them.

With several worker processes (POPLITEAL_WORKERS > 1) set PROMETHEUS_MULTIPROC_DIR to an
empty folder: the request counters of all workers are then summed at each scrape.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from popliteal.db import reading
from popliteal.web.request_id import route_template

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; most pages answer in a few milliseconds, an import or a PDF in a second or more.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class DatabaseGauge:
    """A gauge read from the database at each scrape: `read(session)` returns
    (label values, value) pairs, one per series; `labels` names the label values in order."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    read: Callable[[Session], Iterable[tuple[tuple[str, ...], float]]]


class DatabaseGauges(Collector):
    """Runs every DatabaseGauge's query in one read-only session per scrape."""

    def __init__(self, sessions: sessionmaker[Session], gauges: Sequence[DatabaseGauge]) -> None:
        self.sessions = sessions
        self.gauges = tuple(gauges)

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session, reading(session):
            for gauge in self.gauges:
                family = GaugeMetricFamily(
                    gauge.name, gauge.documentation, labels=list(gauge.labels)
                )
                for label_values, value in gauge.read(session):
                    family.add_metric(list(label_values), value)
                yield family


class RequestMetrics:
    """The request counters and latency histogram of one app."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "popliteal_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.errors = Counter(
            "popliteal_http_server_errors",
            "HTTP requests that ended in a server error (5xx), by method and route template.",
            ["method", "route"],
            registry=registry,
        )
        self.latency = Histogram(
            "popliteal_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if status >= 500:
            self.errors.labels(method, route).inc()


class MetricsMiddleware:
    """Count each HTTP request and time it (pure ASGI: the response streams through)."""

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        entry_root_path = scope.get("root_path", "")
        status = 500  # an exception that escapes is answered 500 by the outermost layer

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            self.metrics.observe(
                scope.get("method", ""),
                route_template(scope, entry_root_path),
                status,
                time.perf_counter() - started,
            )


def _scrape_registry(registry: CollectorRegistry, gauges: DatabaseGauges) -> CollectorRegistry:
    """The registry a scrape reads: this process's, or every worker's when multiprocess."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return registry
    from prometheus_client import multiprocess

    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
    combined.register(gauges)
    return combined


def install(app: FastAPI, *, gauges: Sequence[DatabaseGauge]) -> None:
    """Serve /metrics and count every request (the app factory calls this when enabled)."""
    registry = CollectorRegistry()
    metrics = RequestMetrics(registry)
    database = DatabaseGauges(app.state.sessionmaker, gauges)
    registry.register(database)
    scraped = _scrape_registry(registry, database)

    async def read_metrics() -> Response:
        """The metrics in Prometheus's text format."""
        body: Any = await run_in_threadpool(generate_latest, scraped)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", read_metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
