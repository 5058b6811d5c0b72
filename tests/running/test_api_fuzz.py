"""Schemathesis on the running operations as the demo patient: none may answer 5xx.

tests/web/test_api_fuzz.py fuzzes every operation as a visitor and as an admin; the person's
own `/api/me/...` running operations (manual runs, multipart imports, the unit) are only
reached past their permission checks by a patient.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.orm import Session

from popliteal.demo import PATIENT
from tests.conftest import login
from tests.running import factories as f

FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_no_running_operation_answers_5xx_to_a_patient(app: Any, client: Any, db: Session) -> None:
    # a run with id 1 (hypothesis tries the smallest id early), so PATCH and DELETE go deep
    patient = f.demo_patient(db)
    f.add_run(db, patient_id=patient.id, day=f.clinic_today(db, patient.clinic_id), km=5)
    login(client, PATIENT.email, PATIENT.password)
    cookies = {
        "popliteal_session": client.cookies["popliteal_session"],
        "popliteal_csrf": client.cookies["popliteal_csrf"],
    }
    token = {"x-csrf-token": client.get("/api/auth/csrf").json()["csrf_token"]}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    exercised = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if "running" not in operation.tags and not any(
            part in operation.path for part in ("activities", "distance-unit")
        ):
            continue

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(cookies=cookies, headers=token)
            case.validate_response(response, checks=(not_a_server_error,))

        run()
        exercised.append(f"{operation.method.upper()} {operation.path}")
    assert "POST /api/me/activities/import" in exercised
    assert "PATCH /api/activities/{activity_id}" in exercised
