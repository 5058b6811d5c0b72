"""Schemathesis sends generated requests to every API operation: none may answer 5xx.

Run both anonymously and as the demo clinic's admin, so the protected operations are exercised
past their permission checks too.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from popliteal.demo import ADMIN
from tests.conftest import login

# 12 generated requests per operation (20 before the API grew past 100 operations: the two
# fuzzers became the suite's slowest tests); every operation is still exercised.
FUZZ = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _fuzz_every_operation(app: Any, cookies: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    exercised = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(cookies=cookies)
            case.validate_response(response, checks=(not_a_server_error,))

        run()
        exercised.append(f"{operation.method.upper()} {operation.path}")
    return exercised


def test_no_api_operation_answers_5xx_to_a_visitor(app: Any) -> None:
    exercised = _fuzz_every_operation(app, {})
    assert "POST /api/screenings" in exercised
    assert "POST /api/appointments" in exercised


def test_no_api_operation_answers_5xx_to_a_clinician(app: Any, client: Any) -> None:
    login(client, ADMIN.email, ADMIN.password)
    exercised = _fuzz_every_operation(
        app, {"popliteal_session": client.cookies["popliteal_session"]}
    )
    assert "POST /api/patients/{patient_id}/exam" in exercised
