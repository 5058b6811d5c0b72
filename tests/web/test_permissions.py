"""Every route of the app, tried by the wrong person: nobody reaches what is not theirs.

The routes are enumerated from the app itself, so a route added later is covered without
touching this file: unless its path is on the public allow-list below, it must refuse an
anonymous visitor, and any route that takes a record id must refuse a wrong user.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.accounts import audit_keys
from popliteal.accounts.models import AuditEvent, Clinic, Patient, User
from popliteal.accounts.rules import ACCOUNT_TOTAL_FACTOR
from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment
from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.models import Activity
from popliteal.screening.models import ExamFinding, Screening
from popliteal.sessions.models import PainLog, SessionLog, VisitNote
from popliteal.web.csrf import CSRF_COOKIE, token_for
from tests.accounts.factories import PASSWORD
from tests.conftest import csrf_from, login
from tests.outcomes.factories import add_outcome_records
from tests.running.factories import (
    Records,
    add_run_record,
    demo_records,
    neighbour_patient,
    other_clinic,
)
from tests.sessions.factories import add_plan_records

# Paths anyone may open. Everything else is protected. A prefix ending in "/" covers the
# paths below it.
PUBLIC_EXACT = {
    "/",
    "/healthz",
    "/readyz",
    "/login",
    "/login/code",  # the second step of a login: needs the password step's cookie
    "/logout",
    "/forgot-password",  # answers the same for every address; sends a link only to its owner
    "/reset-password",  # works only with a link's token
    "/welcome",  # a staff invitation: works only with the link's token
    "/book/verify",  # confirms a held visit: works only with the link's token
    "/account/deleted",  # the goodbye after a deletion: the same words for everyone
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/conditions",
    "/screening",
    "/book",
    "/api/auth/login",
    "/api/auth/logout",
    "/api/screenings",
    "/api/appointment-types",
    "/api/slots",
    "/api/exercises",
    # The screening as a FHIR Questionnaire, and a response to it screened like /api/screenings.
    "/api/fhir/Questionnaire/screening",
    "/api/fhir/QuestionnaireResponse",
}
# Public for one method only: booking without an account creates the patient's account.
PUBLIC_METHODS = {("POST", "/api/appointments")}
PUBLIC_PREFIXES = (
    "/static/",
    "/conditions/",
    "/screening/",
    "/book/",
    "/api/screenings/",
    "/api/exercises/",
    "/exercises/",
)
STAFF_PREFIXES = ("/staff", "/api/patients", "/api/alerts")
ADMIN_PREFIXES = ("/staff/admin",)
# Path parameters that name somebody's record: a wrong user gets 403 or 404 on these.
RECORD_PARAMS = {
    "patient_id",
    "screening_id",
    "appointment_id",
    "user_id",
    "clinician_id",
    "session_id",
    "note_id",
    "activity_id",
    "alert_id",
    "response_id",
}
LOGOUTS = {"/logout", "/api/auth/logout"}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# A refused write may also fail validation first; nothing may be written either way (checked
# against a snapshot of the target's rows).
REFUSED_WRITE = {400, 403, 404, 409, 422}
PARAM_RE = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?}")


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str

    @property
    def params(self) -> list[str]:
        return PARAM_RE.findall(self.path)

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/") or self.path == "/api"

    @property
    def is_public(self) -> bool:
        return (
            self.path in PUBLIC_EXACT
            or (self.method, self.path) in PUBLIC_METHODS
            or self.path.startswith(PUBLIC_PREFIXES)
        )

    @property
    def is_staff(self) -> bool:
        return self.path.startswith(STAFF_PREFIXES)

    @property
    def is_admin(self) -> bool:
        return self.path.startswith(ADMIN_PREFIXES)

    @property
    def names_a_record(self) -> bool:
        return bool(RECORD_PARAMS & set(self.params))

    def url(self, target: Records) -> str:
        def fill(match: re.Match[str]) -> str:
            return str(param_value(match.group(1), self.path, target))

        return PARAM_RE.sub(fill, self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def param_value(name: str, path: str, target: Records) -> object:
    """The target's id for a path parameter, guessed from its name (or the segment before)."""
    by_name: dict[str, object] = {
        "patient_id": target.patient_id,
        "screening_id": target.screening_id,
        "appointment_id": target.appointment_id,
        "user_id": target.staff_user_id,
        "clinician_id": target.staff_user_id,
        "type_id": target.type_id,
        "availability_id": target.availability_id,
        "condition_id": "pcl_injury",
        "session_id": target.session_id,
        "note_id": target.note_id,
        "activity_id": target.activity_id,
        "alert_id": target.alert_id,
        "response_id": target.response_id,
        "instrument": "nprs",
        "exercise_id": "glute_bridge",
    }
    if name in by_name:
        return by_name[name]
    before = path.split("{" + name)[0].rstrip("/").rsplit("/", 1)[-1]
    by_segment: dict[str, object] = {
        "patients": target.patient_id,
        "screenings": target.screening_id,
        "screening": target.screening_id,
        "appointments": target.appointment_id,
        "clinicians": target.staff_user_id,
        "appointment-types": target.type_id,
        "availability": target.availability_id,
        "sessions": target.session_id,
        "session": target.session_id,
        "visit-notes": target.note_id,
        "activities": target.activity_id,
        "runs": target.activity_id,
        "alerts": target.alert_id,
    }
    return by_segment.get(before, 1)


def endpoints(app: Any) -> list[Endpoint]:
    """Every (path, method) the app serves, including routes other areas add later."""
    found = set()
    for context in iter_route_contexts(app.routes):
        path = context.path
        methods = context.methods or set()
        if not path or not methods:
            continue  # mounts (static files) have no methods
        for method in methods - {"HEAD", "OPTIONS"}:
            found.add(Endpoint(path, method))
    return sorted(found, key=lambda e: (e.path, e.method))


def send(client: TestClient, endpoint: Endpoint, url: str, csrf: str | None) -> Any:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    if endpoint.method == "GET":
        return client.get(url, headers=headers)
    if endpoint.is_api:
        return client.request(endpoint.method, url, json={}, headers=headers)
    return client.request(endpoint.method, url, data={}, headers=headers)


def csrf_of(app: Any, client: TestClient) -> str:
    seed = client.cookies.get(CSRF_COOKIE)
    assert seed, "the client has no CSRF seed cookie yet"
    return token_for(app.state.settings.secret_key, seed)


@pytest.fixture
def other(db: Session, kb: Any) -> tuple[Records, str]:
    records, email = other_clinic(db, kb)
    return with_outcome_records(db, kb, records), email


def with_outcome_records(db: Session, kb: Any, target: Records) -> Records:
    """The target patient also has a questionnaire answer, a knee measurement and an alert."""
    clinic = db.get(Clinic, target.clinic_id)
    assert clinic is not None
    response, _, alert = add_outcome_records(
        db, clinic=clinic, patient_id=target.patient_id, staff_id=target.staff_user_id, kb=kb
    )
    db.commit()
    return replace(target, alert_id=alert.id, response_id=response.id)


@pytest.fixture
def browser(app: Any) -> Iterator[TestClient]:
    """A client that reports a server error as a 500, as a real browser would see it."""
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        client.get("/login")  # the CSRF seed cookie
        yield client


def logged_in(app: Any, email: str, password: str) -> TestClient:
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    login(client, email, password)
    return client


def snapshot(db: Session, target: Records) -> dict[str, list[tuple[Any, ...]]]:
    """The target's rows that a refused request must leave exactly as they were."""
    db.expire_all()

    def rows(model: Any, *where: Any) -> list[tuple[Any, ...]]:
        columns = [c for c in model.__table__.c]
        found = db.execute(select(*columns).where(*where).order_by(*model.__table__.primary_key))
        return [tuple(r) for r in found]

    snap = {
        "clinic": rows(Clinic, Clinic.id == target.clinic_id),
        "users": rows(User, User.clinic_id == target.clinic_id),
        "patient": rows(Patient, Patient.id == target.patient_id),
        "screenings": rows(
            Screening,
            or_(Screening.patient_id == target.patient_id, Screening.id == target.screening_id),
        ),
        "appointments": rows(Appointment, Appointment.patient_id == target.patient_id),
        "exam_findings": rows(ExamFinding, ExamFinding.patient_id == target.patient_id),
        "care_plans": rows(CarePlan, CarePlan.patient_id == target.patient_id),
        "plan_versions": rows(
            CarePlanVersion,
            CarePlanVersion.plan_id.in_(
                select(CarePlan.id).where(CarePlan.patient_id == target.patient_id)
            ),
        ),
        "session_logs": rows(SessionLog, SessionLog.patient_id == target.patient_id),
        "pain_logs": rows(PainLog, PainLog.patient_id == target.patient_id),
        "visit_notes": rows(VisitNote, VisitNote.patient_id == target.patient_id),
        "activities": rows(Activity, Activity.patient_id == target.patient_id),
        "questionnaire_responses": rows(
            QuestionnaireResponse, QuestionnaireResponse.patient_id == target.patient_id
        ),
        "range_of_motion": rows(RangeOfMotion, RangeOfMotion.patient_id == target.patient_id),
        "outcome_alerts": rows(OutcomeAlert, OutcomeAlert.patient_id == target.patient_id),
        "discharges": rows(Discharge, Discharge.patient_id == target.patient_id),
    }
    db.rollback()
    return snap


def sweep(
    client: TestClient,
    app: Any,
    target: Records,
    *,
    expect: Any,
    skip_logout: bool,
) -> list[str]:
    """Send every endpoint once; return a line per response that breaks `expect`."""
    csrf = csrf_of(app, client)
    problems = []
    for endpoint in endpoints(app):
        if skip_logout and endpoint.path in LOGOUTS:
            continue
        url = endpoint.url(target)
        response = send(client, endpoint, url, csrf)
        if response.status_code >= 500:
            problems.append(f"{endpoint} ({url}) -> {response.status_code}: server error")
            continue
        why = expect(endpoint, response)
        if why:
            problems.append(f"{endpoint} ({url}) -> {response.status_code}: {why}")
    return problems


def refused(endpoint: Endpoint, response: Any) -> str | None:
    """403/404 (a refused write may also fail validation); None when refused."""
    allowed = REFUSED_WRITE if endpoint.method in WRITE_METHODS else {403, 404}
    if response.status_code in allowed:
        return None
    return f"expected one of {sorted(allowed)}"


def login_wall(endpoint: Endpoint, response: Any) -> str | None:
    if endpoint.is_api:
        return None if response.status_code == 401 else "expected 401"
    location = response.headers.get("location", "")
    if response.status_code in (302, 303, 307) and location.startswith("/login"):
        return None
    return "expected a redirect to /login"


def test_enumeration_sees_every_area(app: Any) -> None:
    """The enumeration itself works: it finds routes of every router module."""
    paths = {e.path for e in endpoints(app)}
    for expected in ("/healthz", "/login", "/staff/patients/{patient_id}", "/api/patients"):
        assert expected in paths
    assert len(paths) > 20


def test_anonymous_visitor_meets_the_login_wall_everywhere_but_public_pages(
    app: Any, browser: TestClient, db: Session, kb: Any
) -> None:
    target = with_plan_records(db, kb, demo_records(db))
    before = snapshot(db, target)

    def expect(endpoint: Endpoint, response: Any) -> str | None:
        if not endpoint.is_public:
            return login_wall(endpoint, response)
        if endpoint.names_a_record:
            # a public page about a record that belongs to a patient: theirs only
            if response.status_code in (401, 403, 404):
                return None
            return login_wall(endpoint, response)
        return None

    problems = sweep(browser, app, target, expect=expect, skip_logout=False)
    assert not problems, "\n".join(problems)
    assert snapshot(db, target) == before


def test_patient_reaches_no_staff_route_and_no_other_patients_records(
    app: Any, db: Session, kb: Any, other: tuple[Records, str]
) -> None:
    """The demo patient tries another clinic's patient and a neighbour in their own clinic."""
    targets = [other[0], with_plan_records(db, kb, neighbour_patient(db, kb))]

    def expect(endpoint: Endpoint, response: Any) -> str | None:
        if endpoint.is_staff:
            return None if response.status_code in (403, 404) else "expected 403 or 404"
        if endpoint.names_a_record:
            return refused(endpoint, response)
        return None

    with logged_in(app, PATIENT.email, PATIENT.password) as client:
        for target in targets:
            before = snapshot(db, target)
            problems = sweep(client, app, target, expect=expect, skip_logout=True)
            assert not problems, "\n".join(problems)
            assert snapshot(db, target) == before
        assert client.get("/api/auth/me").json()["email"] == PATIENT.email


def with_plan_records(db: Session, kb: Any, target: Records) -> Records:
    """The target patient also has a plan, a finished session, a visit note, a run and
    outcome records (a questionnaire answer, a knee measurement, an open alert)."""
    clinic = db.get(Clinic, target.clinic_id)
    assert clinic is not None
    log, note = add_plan_records(
        db, clinic=clinic, patient_id=target.patient_id, staff_id=target.staff_user_id, kb=kb
    )
    activity_id = target.activity_id
    if not activity_id:
        patient = db.get(Patient, target.patient_id)
        assert patient is not None
        activity_id = add_run_record(db, clinic=clinic, patient=patient).id
    db.commit()
    return with_outcome_records(
        db, kb, replace(target, session_id=log.id, note_id=note.id, activity_id=activity_id)
    )


def test_other_clinics_clinician_reaches_none_of_this_clinics_records(
    app: Any, db: Session, kb: Any, other: tuple[Records, str]
) -> None:
    """An administrator of clinic 2 tries clinic 1's patient, screening, appointment, staff,
    plan, sessions, visit notes and runs."""
    target = with_plan_records(db, kb, demo_records(db))
    before = snapshot(db, target)

    def expect(endpoint: Endpoint, response: Any) -> str | None:
        if endpoint.names_a_record:
            return refused(endpoint, response)
        return None

    with logged_in(app, other[1], PASSWORD) as client:
        problems = sweep(client, app, target, expect=expect, skip_logout=True)
        assert not problems, "\n".join(problems)
        # and clinic 1's patient is not in clinic 2's list
        listed = client.get("/api/patients").json()
        assert [p["email"] for p in listed] == [other[0].patient_email]
        page = client.get("/staff/patients")
        assert PATIENT.email not in page.text
    assert snapshot(db, target) == before


def test_clinician_who_is_not_admin_can_not_open_clinic_admin(app: Any, db: Session) -> None:
    """(The clinician may change their own clinic's records, so no snapshot check here.)"""
    target = demo_records(db)

    def expect(endpoint: Endpoint, response: Any) -> str | None:
        if endpoint.is_admin:
            return None if response.status_code in (403, 404) else "expected 403 or 404"
        return None

    with logged_in(app, CHIRO.email, CHIRO.password) as client:
        problems = sweep(client, app, target, expect=expect, skip_logout=True)
        assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_form_post_without_csrf_token_is_refused(app: Any, db: Session, who: str) -> None:
    target = demo_records(db)
    before = snapshot(db, target)
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    if who == "admin":
        login(client, ADMIN.email, ADMIN.password)
    else:
        client.get("/login")
    posts = [e for e in endpoints(app) if not e.is_api and e.method in WRITE_METHODS]
    assert any(e.path == "/staff/patients/{patient_id}/exam" for e in posts)
    problems = []
    for endpoint in posts:
        url = endpoint.url(target)
        response = client.request(endpoint.method, url, data={"note": "x"})
        if response.status_code != 403 or "did not come from this site" not in response.text:
            problems.append(f"{endpoint} -> {response.status_code}")
        wrong = client.request(endpoint.method, url, data={"csrf_token": "forged"})
        if wrong.status_code != 403:
            problems.append(f"{endpoint} with a forged token -> {wrong.status_code}")
    assert not problems, "\n".join(problems)
    assert snapshot(db, target) == before
    if who == "admin":  # the refused logout did not log out
        assert client.get("/api/auth/me").status_code == 200
    client.close()


def test_wrong_clinic_exam_and_diagnosis_writes_nothing(
    app: Any, db: Session, other: tuple[Records, str]
) -> None:
    """Well-formed writes (past validation) from another clinic's clinician: 404, no rows."""
    target = demo_records(db)
    before = snapshot(db, target)
    with logged_in(app, other[1], PASSWORD) as client:
        token = csrf_of(app, client)
        url = f"/staff/patients/{target.patient_id}"
        assert (
            client.post(
                f"{url}/exam", data={"csrf_token": token, "posterior_sag": "yes"}
            ).status_code
            == 404
        )
        assert (
            client.post(
                f"{url}/diagnosis", data={"csrf_token": token, "condition": "pcl_injury"}
            ).status_code
            == 404
        )
        api = f"/api/patients/{target.patient_id}"
        assert (
            client.post(f"{api}/exam", json={"answers": {"posterior_sag": True}}).status_code == 404
        )
        assert client.put(f"{api}/diagnosis", json={"condition": "pcl_injury"}).status_code == 404
        deactivate = client.post(
            f"/staff/admin/clinicians/{target.staff_user_id}/deactivate", data={"csrf_token": token}
        )
        assert deactivate.status_code == 404
    assert snapshot(db, target) == before


def test_viewing_a_patient_and_saving_an_exam_are_audited(app: Any, db: Session) -> None:
    target = demo_records(db)
    admin_id = db.scalar(select(User.id).where(User.email == ADMIN.email))
    db.rollback()
    with logged_in(app, ADMIN.email, ADMIN.password) as client:
        assert client.get(f"/staff/patients/{target.patient_id}").status_code == 200
        read = db.scalars(
            select(AuditEvent).where(
                AuditEvent.patient_id == target.patient_id,
                AuditEvent.entity == "patient",
                AuditEvent.action == "read",
            )
        ).all()
        assert [(e.actor_user_id, e.entity_id) for e in read] == [
            (admin_id, str(target.patient_id))
        ]
        assert audit_keys.open_events(db, read)[0].address == "testclient"
        db.rollback()
        token = csrf_of(app, client)
        saved = client.post(
            f"/staff/patients/{target.patient_id}/exam",
            data={"csrf_token": token, "posterior_drawer": "grade_2"},
        )
        assert saved.status_code == 303
        new_id = saved.headers["location"].rsplit("/", 1)[-1]
    created = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "create", AuditEvent.entity == "screening")
    ).all()
    assert [(e.entity_id, e.patient_id, e.actor_user_id) for e in created] == [
        (new_id, target.patient_id, admin_id)
    ]


def test_refused_record_reads_leave_no_audit_trail_of_a_read(
    app: Any, db: Session, other: tuple[Records, str]
) -> None:
    """A refused read is not recorded as a read of the record (nothing was shown)."""
    target = demo_records(db)
    with logged_in(app, other[1], PASSWORD) as client:
        assert client.get(f"/staff/patients/{target.patient_id}").status_code == 404
    count = db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.patient_id == target.patient_id, AuditEvent.action == "read")
    )
    assert count == 0


# ---------------------------------------------------------------------------------------------
# Login rate limits per address: many accounts tried from one address.


def _try(client: TestClient, email: str, password: str) -> int:
    token = csrf_from(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return int(response.status_code)


@pytest.mark.postgres
def test_many_accounts_from_one_address_are_throttled_but_other_addresses_are_not(
    app: Any, settings: Any
) -> None:
    attacker = TestClient(app, follow_redirects=False, client=("203.0.113.7", 40000))
    limit = settings.login_max_failures_address
    per_account = settings.login_max_failures_account - 1  # stay under the account limit
    emails = [f"guess{i}@example.com" for i in range(limit)]
    tries = 0
    for email in emails:
        for _ in range(per_account):
            if tries == limit:
                break
            assert _try(attacker, email, "wrong-password-1") == 400
            tries += 1
    # the right password for a real account, from the same address: refused
    assert _try(attacker, PATIENT.email, PATIENT.password) == 429
    api = attacker.post("/api/auth/login", json={"email": ADMIN.email, "password": ADMIN.password})
    assert api.status_code == 429
    assert "too many failed logins" in api.json()["detail"]
    # someone else, from another address, logs in as usual
    neighbour = TestClient(app, follow_redirects=False, client=("198.51.100.9", 40000))
    assert _try(neighbour, PATIENT.email, PATIENT.password) == 303
    attacker.close()
    neighbour.close()


@pytest.mark.postgres
def test_one_address_can_not_lock_the_owner_out(app: Any, settings: Any) -> None:
    """Guesses from one address throttle that address for the account; the owner, from their
    own address, still logs in (before, 5 guesses locked the account for everyone)."""
    attacker = TestClient(app, follow_redirects=False, client=("203.0.113.50", 40000))
    for _ in range(settings.login_max_failures_account):
        assert _try(attacker, CHIRO.email, "wrong-password-1") == 400
    assert _try(attacker, CHIRO.email, CHIRO.password) == 429
    owner = TestClient(app, follow_redirects=False, client=("198.51.100.20", 40000))
    assert _try(owner, CHIRO.email, CHIRO.password) == 303
    attacker.close()
    owner.close()


@pytest.mark.postgres
def test_one_account_tried_from_many_addresses_is_throttled(app: Any, settings: Any) -> None:
    """Guessing spread over many addresses is still bounded per account."""
    total = settings.login_max_failures_account * ACCOUNT_TOTAL_FACTOR
    for i in range(total):
        client = TestClient(app, follow_redirects=False, client=(f"192.0.2.{i + 1}", 40000))
        assert _try(client, CHIRO.email, "wrong-password-1") == 400
        client.close()
    fresh = TestClient(app, follow_redirects=False, client=("192.0.2.250", 40000))
    assert _try(fresh, CHIRO.email, CHIRO.password) == 429
    fresh.close()


# "0" stands for every id below 1 ("-1" took the same path, RowId's lower bound).
@pytest.mark.parametrize("junk", ["99999999999999999999", "0", "x'; DROP TABLE users; --"])
def test_absurd_ids_are_answered_with_4xx_never_500(app: Any, junk: str) -> None:
    """Every route, with every path parameter replaced by junk, as admin and as a patient."""
    _every_route_answers_4xx(app, junk)


@pytest.mark.postgres
def test_an_id_beyond_the_integer_range_is_a_4xx_on_every_route(app: Any) -> None:
    """PostgreSQL refuses a 20-digit integer where SQLite compares it: both must answer 4xx."""
    _every_route_answers_4xx(app, "99999999999999999999")


def _every_route_answers_4xx(app: Any, junk: str) -> None:
    for email, password in ((ADMIN.email, ADMIN.password), (PATIENT.email, PATIENT.password)):
        with logged_in(app, email, password) as client:
            csrf = csrf_of(app, client)
            problems = []
            for endpoint in endpoints(app):
                if not endpoint.params or endpoint.path in LOGOUTS:
                    continue
                url = PARAM_RE.sub(junk.replace("\\", ""), endpoint.path)
                response = send(client, endpoint, url, csrf)
                if not 400 <= response.status_code < 500:
                    problems.append(f"{endpoint} ({url}) -> {response.status_code}")
            assert not problems, f"as {email}:\n" + "\n".join(problems)


def test_a_second_clinics_admin_sees_only_their_own_clinic(
    app: Any, other: tuple[Records, str]
) -> None:
    """Clinic admin and schedule pages show the admin's own clinic, not the server's first."""
    _, email = other
    client = logged_in(app, email, PASSWORD)
    availability = client.get("/staff/admin/availability")
    assert availability.status_code == 200
    assert "Other Admin, PT" in availability.text
    assert ADMIN.name not in availability.text
    assert CHIRO.name not in availability.text
    schedule = client.get("/staff/schedule")
    assert schedule.status_code == 200
    assert "Other Admin, PT" in schedule.text
    assert ADMIN.name not in schedule.text
    assert CHIRO.name not in schedule.text
