"""A run that cannot have happened is refused, typed in or read from a watch file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from popliteal.demo import PATIENT
from popliteal.running.importers import ImportProblem, parse_activity
from popliteal.running.plausibility import run_problem
from tests.conftest import login
from tests.running.fixtures import gpx_bytes, route


@pytest.mark.parametrize(
    ("km", "minutes", "year", "why"),
    [
        (5.0, 1e-300, 2026, "less than a minute"),
        (256.0, 64 * 60, 2026, "more than a day"),
        (42.0, 60.0, 2026, "faster than anyone"),
        (5.0, 30.0, 1, "dated before"),
    ],
)
def test_impossible_runs_are_named(km: float, minutes: float, year: int, why: str) -> None:
    assert why in (run_problem(km, minutes, year) or "")


def test_ordinary_runs_pass() -> None:
    assert run_problem(5.0, 30.0, 2026) is None  # 6 min/km
    assert run_problem(0.4, 0.9, 2026, typed=False) is None  # a short sprint the watch caught
    assert run_problem(42.2, 125.0, 2026) is None  # a world-class marathon


def test_a_typed_run_of_a_billionth_of_a_second_is_refused(client: Any) -> None:
    login(client, PATIENT.email, PATIENT.password)
    day = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    refused = client.post(
        "/api/me/activities",
        json={"local_date": day, "distance": 5, "duration_minutes": 1e-300},
    )
    assert refused.status_code == 422
    assert "less than a minute" in str(refused.json()["detail"])
    ancient = client.post("/api/me/activities", json={"local_date": "0001-01-01", "distance": 5})
    assert ancient.status_code == 422


def test_a_watch_file_of_256_km_over_days_is_refused() -> None:
    start = datetime.now(UTC) - timedelta(days=5)
    # 2,000 points 128 m apart at 15 minutes a km: 256 km over about 64 hours
    points = route(2001, 128.0, start=start, pace_s_per_km=900.0)
    with pytest.raises(ImportProblem, match="more than a day"):
        parse_activity("long.gpx", gpx_bytes(points), now=datetime.now(UTC))
