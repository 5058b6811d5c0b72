"""The service's base: health, the home page, login, sessions, CSRF and error pages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from popliteal.accounts.models import LoginAttempt
from popliteal.demo import ADMIN, PATIENT
from tests.conftest import csrf_from, login


def test_healthz_reports_database_and_knowledge(client: Any, kb: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["knowledge_version"] == kb.version


def test_home_says_what_the_service_does_and_does_not(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "Demo Sports &amp; Orthopedic Rehab" in page.text
    assert "does not give a diagnosis" in page.text
    assert page.headers["x-frame-options"] == "DENY"


def test_login_sets_an_httponly_lax_cookie_and_logout_ends_it(client: Any) -> None:
    token = csrf_from(client)
    response = client.post(
        "/login",
        data={"email": PATIENT.email, "password": PATIENT.password, "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/my/today"  # a person lands on Today
    cookie = response.headers["set-cookie"]
    assert "popliteal_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert client.get("/api/auth/me").json()["email"] == PATIENT.email
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    assert client.get("/api/auth/me").status_code == 401


def test_form_post_without_csrf_token_is_refused(client: Any) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": PATIENT.email, "password": PATIENT.password})
    assert response.status_code == 403
    assert "expired" in response.text
    assert "popliteal_session" not in response.headers.get("set-cookie", "")


@pytest.mark.postgres
def test_wrong_password_then_throttled_per_account(client: Any, db: Any) -> None:
    token = csrf_from(client)
    for _ in range(5):
        bad = client.post(
            "/login", data={"email": ADMIN.email, "password": "wrong-password", "csrf_token": token}
        )
        assert bad.status_code == 400
        assert "wrong email or password" in bad.text
    blocked = client.post(
        "/login", data={"email": ADMIN.email, "password": ADMIN.password, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert "too many failed logins" in blocked.text
    failures = db.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == ADMIN.email)
    )
    assert failures == 5


def test_login_redirects_only_within_the_site(client: Any) -> None:
    token = csrf_from(client)
    response = client.post(
        "/login",
        data={
            "email": ADMIN.email,
            "password": ADMIN.password,
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/staff/schedule"


def test_unknown_page_is_a_friendly_404(client: Any) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "Page not found" in page.text
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404
    assert api.json()["detail"]


def test_login_helper_works_for_staff(client: Any) -> None:
    login(client, ADMIN.email, ADMIN.password)
    assert client.get("/api/auth/me").json()["role"] == "admin"


def test_health_data_is_never_cached_but_static_files_may_be(client: Any) -> None:
    """Pages and APIs say no-store (a shared computer or a proxy keeps no copy of a record);
    the stylesheet may be cached. No camera, microphone or location for any page."""
    login(client, PATIENT.email, PATIENT.password)
    for path in ("/", "/my/today", "/api/auth/me"):
        response = client.get(path)
        assert response.headers["cache-control"] == "no-store", path
        assert "camera=()" in response.headers["permissions-policy"]
    assert "no-store" not in client.get("/static/site.css").headers.get("cache-control", "")


def test_hsts_only_when_served_over_https(settings: Any, kb: Any) -> None:
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from popliteal.server import create_app

    with TestClient(create_app(settings, kb=kb)) as plain:
        assert "strict-transport-security" not in plain.get("/healthz").headers
    secure = replace(settings, secure_cookies=True)
    with TestClient(create_app(secure, kb=kb), base_url="https://testserver") as https:
        assert "max-age=" in https.get("/healthz").headers["strict-transport-security"]


def test_a_failed_health_check_names_no_database_detail(settings: Any, kb: Any) -> None:
    """/healthz answers 503 when the database does not answer, without its error text (which
    can name hosts, users and paths) for anyone who asks."""
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from popliteal.server import create_app

    broken = replace(settings, database_url="sqlite:////nonexistent-dir/popliteal.db")
    with TestClient(create_app(broken, kb=kb)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}


def test_the_csrf_seed_is_new_after_login(client: Any) -> None:
    """A token learnt before the login (a shared computer) is worth nothing after it."""
    before = csrf_from(client)
    seed_before = client.cookies.get("popliteal_csrf")
    login(client, PATIENT.email, PATIENT.password)
    assert client.cookies.get("popliteal_csrf") not in (None, seed_before)
    stale = client.post("/logout", data={"csrf_token": before})
    assert stale.status_code == 403
    fresh = client.post("/logout", data={"csrf_token": csrf_from(client, "/my/appointments")})
    assert fresh.status_code == 303
