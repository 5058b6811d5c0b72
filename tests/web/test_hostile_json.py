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
