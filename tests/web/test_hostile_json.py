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
