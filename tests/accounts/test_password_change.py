"""A signed-in person changes their password: the old one stops working, other browsers are
logged out, this one stays in; a wrong current password or an easy new one is refused."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from popliteal.demo import PATIENT
from tests.conftest import csrf_from, login

NEW = "rivers and mountains 77"


def test_changing_the_password_logs_out_other_browsers(app: Any, client: Any) -> None:
    login(client, PATIENT.email, PATIENT.password)
    with TestClient(app, follow_redirects=False) as phone:
        login(phone, PATIENT.email, PATIENT.password)
        assert phone.get("/api/auth/me").status_code == 200
        token = csrf_from(client, "/account/password")
        page = client.post(
            "/account/password",
            data={
                "current_password": PATIENT.password,
                "new_password": NEW,
                "repeat_password": NEW,
                "csrf_token": token,
            },
        )
        assert page.status_code == 200
        assert "Your password is changed" in page.text
        assert client.get("/api/auth/me").status_code == 200  # this browser stays in
        assert phone.get("/api/auth/me").status_code == 401  # the other one is out
    with TestClient(app, follow_redirects=False) as again:
        old = again.post(
            "/api/auth/login", json={"email": PATIENT.email, "password": PATIENT.password}
        )
        assert old.status_code == 401
        assert (
            again.post(
                "/api/auth/login", json={"email": PATIENT.email, "password": NEW}
            ).status_code
            == 200
        )


def test_a_wrong_current_password_or_an_easy_new_one_is_refused(client: Any) -> None:
    login(client, PATIENT.email, PATIENT.password)
    wrong = client.post(
        "/api/auth/password", json={"current_password": "not-it-at-all", "new_password": NEW}
    )
    assert wrong.status_code == 422
    assert "current password" in wrong.json()["detail"]
    easy = client.post(
        "/api/auth/password",
        json={"current_password": PATIENT.password, "new_password": "1234567890"},
    )
    assert easy.status_code == 422
    assert "most common" in easy.json()["detail"]
    assert client.get("/api/auth/me").status_code == 200
