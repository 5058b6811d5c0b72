"""Hostile JSON bodies get a clear 4xx, never a 500: very deep nesting, a huge integer."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000 + "]" * 1000,
        '{"answers": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}",
        '{"answers": {"age_years": ' + "9" * 5000 + "}}",
        '{"answers": {"pain_now": 1e999}}',
    ],
    ids=["deep-list", "deep-object", "5000-digit-integer", "infinite-float"],
)
def test_a_hostile_screening_body_is_refused_not_crashed(client: Any, body: str) -> None:
    response = client.post(
        "/api/screenings", content=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text[:300]
    assert len(response.content) < 5000  # the bad value is not echoed back whole


def test_a_body_over_the_limit_is_refused_with_413_even_without_a_length(client: Any) -> None:
    """A 2 MB JSON body is refused (413) whether it declares its length or streams in chunks;
    the screening's own small body still works."""
    big = '{"answers": {"x": "' + "a" * (2 * 1024 * 1024) + '"}}'
    declared = client.post(
        "/api/screenings", content=big, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413, (declared.headers, declared.text[:200])
    assert declared.json() == {
        "detail": "the request is too large: send fewer or smaller files at once"
    }
    assert declared.headers["cache-control"] == "no-store"

    def chunks() -> Any:
        for i in range(0, len(big), 64 * 1024):
            yield big[i : i + 64 * 1024].encode()

    streamed = client.post(
        "/api/screenings", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    ok = client.post("/api/screenings", json={"answers": {"age_years": 40}})
    assert ok.status_code == 201


def test_a_form_over_the_limit_gets_the_plain_words_413(client: Any) -> None:
    """A page's form has the same limit as the API, and a person reads a sentence, not the
    framework's "Content Too Large"."""
    big = b"email=a&password=" + b"x" * (2 * 1024 * 1024)
    response = client.post(
        "/login", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert response.text == "The request is too large: send fewer or smaller files at once."
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_route_but_the_watch_file_imports_carries_the_body_limit(app: Any) -> None:
    """The limit sits on each area's router (web/body_limit.py): a router made without it
    would take bodies of any size. The imports carry the larger upload cap instead."""
    from fastapi.routing import APIRoute

    from popliteal.server import IMPORT_ROUTERS
    from popliteal.web.body_limit import MAX_BODY_BYTES

    imports = {(r.path, frozenset(r.methods)) for router in IMPORT_ROUTERS for r in router.routes}
    routes = [r for r in app.router.routes if isinstance(r, APIRoute)]
    assert len(routes) > 150
    unlimited = [
        (r.path, sorted(r.methods))
        for r in routes
        if r.max_body_size != MAX_BODY_BYTES
        and (r.path, frozenset(r.methods)) not in imports
        and r.path not in ("/healthz", "/docs", "/metrics")
    ]
    assert unlimited == []


def test_a_nul_character_in_a_body_is_refused_on_every_database(client: Any) -> None:
    """SQLite would store it and PostgreSQL refuses it: refused before either sees it."""
    response = client.post(
        "/api/screenings",
        content='{"answers": {"age_years": 40}, "note": "a\\u0000b"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    form = client.post(
        "/login",
        content=b"email=a%00b&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 400
    fine = client.post("/api/screenings", json={"answers": {"age_years": 40}})
    assert fine.status_code == 201


BIG_KEY = "Q" * 100_000


@pytest.mark.parametrize(
    "answers",
    [
        {BIG_KEY: True},
        {"onset": "y" * 100_000},
        {f"unknown_{i:05d}_" + "z" * 30: True for i in range(5000)},
    ],
    ids=["100kb-finding-id", "100kb-choice-value", "5000-unknown-ids"],
)
def test_a_bad_screening_answer_is_not_echoed_back_whole(client: Any, answers: Any) -> None:
    response = client.post("/api/screenings", json={"answers": answers})
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert problems  # still names what is wrong, shortened
    assert len(response.content) < 5000, len(response.content)


@pytest.mark.parametrize(
    "body",
    [{BIG_KEY: 1}, {f"extra_{i:05d}_" + "z" * 30: 1 for i in range(5000)}],
    ids=["100kb-key", "5000-keys"],
)
def test_a_422_does_not_echo_the_keys_sent_whole(client: Any, body: Any) -> None:
    """FastAPI names each unknown field by its key: a 100 KB key came back whole."""
    response = client.post("/api/appointments", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert len(response.content) < 5000, len(response.content)
