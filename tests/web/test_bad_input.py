"""Bad input found in review: every one of these answered 500. Now each is a clear 4xx and
nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import User
from popliteal.booking.models import Appointment, Availability
from popliteal.demo import ADMIN, PATIENT
from popliteal.knowledge.loader import Knowledge
from tests.conftest import CSRF_RE, csrf_from, login
from tests.plans.test_staff_pages import plan_form
from tests.running.factories import demo_records
from tests.sessions.factories import save_demo_plan

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


# "²" and Arabic-Indic digits pass str.isdigit(); int("²") raises and hmac.compare_digest
# refuses non-ASCII text: each of these answered 500 before the checks asked for ASCII digits.
SUPERSCRIPT_TWO = "\u00b2"
ARABIC_DIGITS = "\u0661\u0662\u0663\u0664\u0665\u0666"


def test_non_ascii_digits_in_staff_queries_are_not_a_500(client: Any, db: Session) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    for path, status in (
        (f"/staff/patients/running-load?ids={SUPERSCRIPT_TWO}", 200),
        (f"/staff/patients/running-load?ids=1,{SUPERSCRIPT_TWO}", 200),
        (f"/staff/patients/{patient_id}/notes?saved={SUPERSCRIPT_TWO}", 200),
        (f"/staff/admin/audit?page={SUPERSCRIPT_TWO}", 200),
        (f"/staff/admin/audit?person={SUPERSCRIPT_TWO}", 422),
        (f"/staff/admin/audit?staff={SUPERSCRIPT_TWO}", 422),
    ):
        assert client.get(path).status_code == status, path


def test_non_ascii_digits_in_staff_forms_are_refused_plainly(
    client: Any, db: Session, kb: Knowledge
) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    url = f"/staff/patients/{patient_id}/notes/new"
    token = csrf_from(client, url)
    note = {"csrf_token": token, "subjective": "Sore.", "visit_date": "2026-01-05"}
    bad_pain = client.post(url, data={**note, "pain": SUPERSCRIPT_TWO})
    assert bad_pain.status_code == 400
    assert "Pain: choose a number from 0 to 10." in bad_pain.text
    bad_visit = client.post(url, data={**note, "appointment_id": SUPERSCRIPT_TWO})
    assert bad_visit.status_code < 500
    build = f"/staff/patients/{patient_id}/plan/build"
    form = plan_form(client.get(build).text)
    for extra in (
        {"action": f"remove:{SUPERSCRIPT_TWO}"},
        {"action": "refresh", "base_version": SUPERSCRIPT_TWO},
    ):
        assert client.post(build, data={**form, **extra}).status_code < 500, extra


def test_a_non_ascii_set_number_in_a_session_step_is_ignored(
    client: Any, db: Session, kb: Knowledge
) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id)
    login(client, PATIENT.email, PATIENT.password)
    csrf = csrf_from(client, "/my/today")
    started = client.post("/my/session", data={"csrf_token": csrf, "pain_before": "3"})
    assert started.status_code == 303, started.text
    session_id = int(started.headers["location"].split("/")[-1].split("?")[0])
    step = client.post(
        f"/my/session/{session_id}/step",
        data={"csrf_token": csrf, "exercise": "hamstring_isometric", "set": SUPERSCRIPT_TWO},
    )
    assert step.status_code < 500, step.text


def test_a_non_ascii_csrf_token_is_a_403(client: Any) -> None:
    csrf_from(client, "/login")  # the seed cookie
    form = {"email": "a@b.cc", "password": "whatever-password"}
    posted = client.post("/login", data={**form, "csrf_token": "\u00e9"})
    assert posted.status_code == 403
    header = client.post("/login", data=form, headers={"x-csrf-token": "\u00e9".encode("latin-1")})
    assert header.status_code == 403


def test_a_two_step_code_in_non_ascii_digits_is_refused(client: Any) -> None:
    login(client, ADMIN.email, ADMIN.password)
    page = client.get("/account/two-step")
    token = CSRF_RE.search(page.text)
    assert token
    answer = client.post(
        "/account/two-step", data={"code": ARABIC_DIGITS, "csrf_token": token.group(1)}
    )
    assert 400 <= answer.status_code < 500, answer.text
