"""/readyz, /metrics and request ids, as a load balancer, Prometheus and a log reader see them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from popliteal import migrate
from popliteal.demo import DEMO_ANSWERS
from popliteal.server import create_app
from popliteal.web.logs import TEXT_FORMAT, JsonFormatter, RequestIdFilter

EMERGENCY = {"answers": {"breathless_or_chest_pain": True, "calf_swelling": True}}


def _client(settings: Any, kb: Any) -> TestClient:
    app = create_app(settings, kb=kb)

    @app.get("/boom/{n}", include_in_schema=False)
    def boom(n: int) -> None:
        raise RuntimeError(f"secret internals {n}")

    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def test_readyz_needs_the_database_and_the_newest_schema(
    settings: Any, kb: Any, database_url: str, tmp_path: Path
) -> None:
    with _client(settings, kb) as client:
        assert client.get("/readyz").json() == {"status": "ready"}
        assert client.get("/metrics").status_code == 404  # metrics are off unless asked for
        previous = migrate.current(database_url)
        assert previous == migrate.head()
        migrate.downgrade(database_url, "-1")
        behind = client.get("/readyz")
        assert behind.status_code == 503
        assert behind.json() == {"status": "not ready", "migrations": "not at head"}
        assert client.get("/healthz").status_code == 200  # alive, just not ready
    unreachable = replace(settings, database_url=f"sqlite:///{tmp_path / 'no' / 'such.db'}")
    with _client(unreachable, kb) as client:
        down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json() == {"status": "not ready", "database": "unavailable"}


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above, formatted as `popliteal serve` writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_every_log_line_of_a_request_carries_its_id(
    settings: Any, kb: Any, log_lines: io.StringIO
) -> None:
    with _client(settings, kb) as client:
        sent = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a.1"})
        assert sent.headers["x-request-id"] == "edge-7f3a.1"
        for odd in (b"two words", b"x" * 129, b"<script>", b"a\xe9", b"-lead"):
            made = client.get("/healthz", headers={"X-Request-ID": odd}).headers["x-request-id"]
            assert made.encode("latin-1") != odd
            assert len(made) == 32
        fresh = client.get("/healthz").headers["x-request-id"]
        assert len(fresh) == 32
        assert fresh != client.get("/healthz").headers["x-request-id"]
        log_lines.truncate(0)
        log_lines.seek(0)
        crash = client.get("/boom/7", headers={"X-Request-ID": "crash-1"})
    assert crash.status_code == 500
    assert crash.headers["x-request-id"] == "crash-1"
    assert "secret internals" not in crash.text
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines() if line]
    # The test client's own lines (httpx2) are not the server's.
    request_lines = [line for line in lines if line["logger"].startswith("popliteal")]
    assert len(request_lines) >= 2  # the error map's line and the access line
    assert {line["request_id"] for line in request_lines} == {"crash-1"}
    assert any("secret internals 7" in line.get("exception", "") for line in request_lines)
    access = next(line for line in request_lines if line["logger"] == "popliteal.access")
    assert access["route"] == "/boom/{n}"
    assert access["path"] == "/boom/7"
    assert access["status"] == 500
    assert access["duration_ms"] >= 0


def test_plain_text_logs_for_development_keep_the_request_id() -> None:
    record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "name": "popliteal"})
    RequestIdFilter().filter(record)
    assert "[None] hello" in logging.Formatter(TEXT_FORMAT).format(record)


def _samples(text: str) -> dict[str, list[Any]]:
    families: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(text):
        families[family.name] = family.samples
    return families


def test_metrics_count_requests_by_route_template(settings: Any, kb: Any) -> None:
    with _client(replace(settings, metrics=True), kb) as client:
        assert client.post("/api/screenings", json={"answers": DEMO_ANSWERS}).status_code == 201
        screening = client.post("/api/screenings", json=EMERGENCY).json()
        assert client.get(f"/api/screenings/{screening['id']}").status_code == 200
        assert client.get("/api/screenings/not-a-screening").status_code == 404
        for n in range(3):
            client.get(f"/no/such/page/{n}")
        client.get("/boom/1")
        assert client.get("/static/favicon.svg").status_code == 200
        client.get("/metrics")
        scrape = client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    families = _samples(scrape.text)

    requests = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for s in families["popliteal_http_requests"]
        if s.name == "popliteal_http_requests_total"
    }
    assert requests[("GET", "/api/screenings/{screening_id}", "200")] == 1
    assert requests[("GET", "/api/screenings/{screening_id}", "404")] == 1
    assert requests[("GET", "unmatched", "404")] == 3
    assert requests[("GET", "/boom/{n}", "500")] == 1
    assert requests[("GET", "/static/{path}", "200")] == 1
    assert requests[("GET", "/metrics", "200")] == 1  # the scrape before this one
    assert "/no/such" not in scrape.text  # raw paths never become labels
    assert "not-a-screening" not in scrape.text
    assert "favicon" not in scrape.text
    errors = {
        s.labels["route"]: s.value
        for s in families["popliteal_http_server_errors"]
        if s.name.endswith("_total")
    }
    assert errors == {"/boom/{n}": 1}
    latency = [
        s
        for s in families["popliteal_http_request_duration_seconds"]
        if s.name.endswith("_count") and s.labels["route"] == "/api/screenings"
    ]
    assert latency[0].value == 2

    urgencies = {s.labels["urgency"]: s.value for s in families["popliteal_screenings"]}
    assert urgencies["emergency"] >= 1
    assert sum(urgencies.values()) >= 2
    assert "popliteal_open_alerts" in families
    assert "popliteal_outbox_backlog" in families  # the e-mail sender's queue
