"""Bad input found in review: every one of these answered 500. Now each is a clear 4xx and
nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import User
from popliteal.booking.models import Appointment, Availability
from popliteal.demo import ADMIN
from tests.conftest import csrf_from, login

NEW = {"email": "x@example.com", "password": "a-long-password", "full_name": "X Person"}
SLOT = {"type": "free_screening", "mode": "virtual"}

ANONYMOUS_GETS = [
    "/book?type=free_screening&mode=virtual&from=9999-12-31",
    "/api/slots?type=free_screening&mode=virtual&from=9999-12-25&to=9999-12-31",
    "/api/slots?type=free_screening&mode=virtual&from=0001-01-01&to=0001-01-02",
    "/api/slots?type=%C2%B2&mode=virtual",
    "/book?type=free_screening&mode=virtual&clinician=%C2%B2",
    "/book/confirm?type=%C2%B2&mode=virtual&start=2030-01-07T15:00Z",
    "/book/confirm?type=free_screening&mode=virtual&start=9999-12-31T23:59Z",
    "/api/slots?type=99999999999999999999999&mode=virtual",
    "/api/screenings/a%00",
    "/screening/a%00/result",
    "/book?screening=a%00",
    "/api/slots?type=a%00&mode=virtual",
]

ANONYMOUS_POSTS = [
    ("/api/auth/login", {"email": "a\u0000@b.cc", "password": "whatever-password"}),
    ("/api/appointments", {**SLOT, "start": "9999-12-31T23:00:00+00:00", **NEW}),
    ("/api/appointments", {**SLOT, "start": "0001-01-01T00:00:00+00:00", **NEW}),
    ("/api/appointments", {**SLOT, "start": "2030-01-07T15:00:00Z", **NEW, "full_name": "N\0L"}),
    ("/api/appointments", {**SLOT, "start": "2030-01-07T15:00:00Z", **NEW, "screening_id": "a\0"}),
    (
        "/api/appointments",
        {**SLOT, "type": "99999999999999999999999", "start": "2030-01-07T15:00Z"},
    ),
]

STAFF_GETS = [
    "/staff/schedule?date=9999-12-31",
    "/staff/schedule?date=9999-12-31&view=week",
    "/staff/schedule?date=0001-01-01&view=week",
    "/staff/schedule?clinician=%C2%B2",
]


def _counts(db: Session) -> tuple[int, int, int]:
    counts = tuple(
        int(db.scalar(select(func.count()).select_from(t)) or 0)
        for t in (User, Appointment, Availability)
    )
    db.rollback()
    return counts  # type: ignore[return-value]


@pytest.mark.parametrize("path", ANONYMOUS_GETS)
def test_bad_query_is_a_4xx(client: Any, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize(("path", "body"), ANONYMOUS_POSTS)
def test_bad_json_is_a_4xx_and_writes_nothing(
    client: Any, db: Session, path: str, body: dict[str, Any]
) -> None:
    before = _counts(db)
    response = client.post(path, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]
    assert _counts(db) == before


def test_bad_staff_input_is_a_4xx_and_writes_nothing(client: Any, db: Session) -> None:
    login(client, ADMIN.email, ADMIN.password)
    for path in STAFF_GETS:
        response = client.get(path)
        assert 400 <= response.status_code < 500, (path, response.text)
    before = _counts(db)
    token = csrf_from(client, "/staff/admin/availability")
    for path, form in (
        (
            "/staff/admin/appointment-types/99999999999999999999999",
            {"name": "X", "minutes": "20", "modes": "virtual"},
        ),
        (
            "/staff/admin/availability",
            {"clinician_id": "1", "weekday": "0", "start": "10:00+05:00", "end": "11:00"},
        ),
        (
            "/staff/admin/availability",
            {
                "clinician_id": "99999999999999999999",
                "weekday": "0",
                "start": "10:00",
                "end": "11:00",
            },
        ),
    ):
        response = client.post(path, data={**form, "csrf_token": token})
        assert 400 <= response.status_code < 500, (path, response.text)
    assert _counts(db) == before


def test_a_nul_in_the_address_is_refused_before_any_route(client: Any) -> None:
    response = client.get("/conditions/dvt%00")
    assert response.status_code == 400
    assert "NUL" in response.text
