"""POST/GET /api/screenings: the CLI's contract over HTTP, and who may read a screening."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from popliteal.accounts.models import AuditEvent
from popliteal.demo import CHIRO, DEMO_ANSWERS, PATIENT
from popliteal.screening.answers import parse_answers
from popliteal.screening.models import Screening
from popliteal.screening.service import VISITOR_COOKIE
from tests.conftest import login, result_json

RUNNER = {"answers": DEMO_ANSWERS}
EMERGENCY = {"answers": {"breathless_or_chest_pain": True, "calf_swelling": True}}
BAD = {"answers": {"age_years": 300, "no_such_finding": True, "onset": "yesterday"}}


def _without(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in keys}


def test_create_returns_the_cli_json_plus_id(
    client: Any,
    kb: Any,
    run_cli: Callable[..., Any],
    answers_file: Callable[[Any], Path],
) -> None:
    response = client.post("/api/screenings", json=RUNNER)
    assert response.status_code == 201
    body = response.json()
    assert len(body["id"]) == 32
    assert response.headers["location"] == f"/api/screenings/{body['id']}"
    expected = result_json(kb, parse_answers(kb, DEMO_ANSWERS))
    assert _without(body, "id") == expected
    cli = run_cli("screen", "--answers", str(answers_file(RUNNER)), "--json")
    assert cli.returncode == 0, cli.stderr
    assert _without(body, "id") == json.loads(cli.stdout)


def test_emergency_answers_give_the_emergency_result(client: Any, kb: Any) -> None:
    body = client.post("/api/screenings", json=EMERGENCY).json()
    assert body["urgency"] == "emergency"
    assert _without(body, "id") == result_json(kb, EMERGENCY["answers"])


def test_bad_answers_give_422_with_the_cli_messages(
    client: Any, db: Any, run_cli: Callable[..., Any], answers_file: Callable[[Any], Path]
) -> None:
    before = db.scalar(select(func.count()).select_from(Screening))
    db.rollback()  # SQLite: every transaction takes the write lock (BEGIN IMMEDIATE)
    response = client.post("/api/screenings", json=BAD)
    assert response.status_code == 422
    cli = run_cli("screen", "--answers", str(answers_file(BAD)), "--json")
    assert cli.returncode == 2
    assert cli.stdout == ""
    cli_problems = [line.strip() for line in cli.stderr.splitlines()[1:] if line.strip()]
    assert response.json()["problems"] == cli_problems
    assert len(cli_problems) == 3
    assert db.scalar(select(func.count()).select_from(Screening)) == before


def test_malformed_requests_are_422_never_500(client: Any) -> None:
    not_json = client.post(
        "/api/screenings", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert "not valid JSON" in not_json.json()["detail"]
    for payload, problem in [
        ([1, 2], 'answers: expected a JSON object {"answers": {finding_id: value}}'),
        ({"answers": [1]}, "answers: expected an object of finding_id: value"),
        ({"answers": {}, "role": "doctor"}, "role: expected 'patient' or 'clinician'"),
        ({"answers": {"pain_now": {"x": 1}}}, "pain_now: expected a scale value, got dict"),
    ]:
        response = client.post("/api/screenings", json=payload)
        assert response.status_code == 422, payload
        assert response.json()["problems"] == [problem]


def test_clinician_role_needs_a_clinician_login(client: Any) -> None:
    payload = {"answers": {"wells_alternative_dx_as_likely": True}, "role": "clinician"}
    refused = client.post("/api/screenings", json=payload)
    assert refused.status_code == 403
    assert "clinician" in refused.json()["detail"]
    login(client, CHIRO.email, CHIRO.password)
    accepted = client.post("/api/screenings", json=payload)
    assert accepted.status_code == 201
    assert accepted.json()["role"] == "clinician"


def test_the_same_browser_reads_it_back_another_gets_404(client: Any, app: Any) -> None:
    created = client.post("/api/screenings", json=RUNNER)
    assert VISITOR_COOKIE in created.headers["set-cookie"]
    sid = created.json()["id"]
    mine = client.get(f"/api/screenings/{sid}")
    assert mine.status_code == 200
    assert mine.json()["id"] == sid
    assert mine.json()["status"] == "complete"
    assert _without(mine.json(), "status") == created.json()
    with TestClient(app, follow_redirects=False) as other:
        assert other.get(f"/api/screenings/{sid}").status_code == 404
        assert other.get("/api/screenings/" + "0" * 32).status_code == 404
        login(other, CHIRO.email, CHIRO.password)  # the clinic's clinician may read it
        assert other.get(f"/api/screenings/{sid}").status_code == 200


def test_a_logged_in_patients_screening_is_theirs_and_audited(client: Any, db: Any) -> None:
    login(client, PATIENT.email, PATIENT.password)
    created = client.post("/api/screenings", json=RUNNER)
    assert created.status_code == 201
    sid = created.json()["id"]
    stored = db.get(Screening, sid)
    assert stored.patient_id is not None
    assert stored.token_hash is None
    db.rollback()
    assert client.get(f"/api/screenings/{sid}").status_code == 200
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == sid).order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "read"]


def test_an_anonymous_screening_stores_no_personal_data(client: Any, db: Any) -> None:
    sid = client.post("/api/screenings", json=RUNNER).json()["id"]
    stored = db.get(Screening, sid)
    assert stored.patient_id is None
    assert stored.created_by_user_id is None
    assert stored.token_hash is not None
    assert len(stored.token_hash) == 64
    assert stored.status == "complete"
    assert stored.urgency == "conservative"


def test_the_api_is_in_openapi(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/screenings"]["post"]
    assert "201" in post["responses"]
    assert "422" in post["responses"]
    assert "answers" in json.dumps(post["requestBody"])
    assert "/api/screenings/{screening_id}" in spec["paths"]


def test_an_empty_or_unsure_form_does_not_read_as_all_clear(client: TestClient) -> None:
    """The API has no result page banner: a routine result with a warning sign never asked
    or answered "not sure" says first that it is not ruled out, and an empty form gets no
    cause's self-care (arthritis advice came back, from the ranking's prior alone)."""
    from popliteal.screening.engine import NOT_RULED_OUT_ADVICE

    empty = client.post("/api/screenings", json={"answers": {}}).json()
    assert empty["safety_not_asked"]
    assert empty["advice"][0] == NOT_RULED_OUT_ADVICE
    assert not any("arthritis" in text for text in empty["advice"])
    unsure = client.post(
        "/api/screenings", json={"answers": {"breathless_or_chest_pain": None}}
    ).json()
    assert unsure["safety_not_ruled_out"] == ["breathless_or_chest_pain"]
    assert unsure["advice"][0] == NOT_RULED_OUT_ADVICE
    fired = client.post(
        "/api/screenings", json={"answers": {"breathless_or_chest_pain": True}}
    ).json()
    assert fired["urgency"] == "emergency"
    assert fired["red_flags"][0]["suspects"] == ["dvt"]
    assert NOT_RULED_OUT_ADVICE not in fired["advice"]
