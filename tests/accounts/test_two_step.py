"""Two-step sign-in for staff: set-up with a code, recovery codes shown once and good once, a
code never taken twice, wrong codes counted and audited, the API's second step, switching it
off, and the clinic's "require it" switch that sends staff to set it up before anything else."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, NamedTuple

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal import clock
from popliteal.accounts.models import AuditEvent, Clinic, RecoveryCode, User
from popliteal.demo import ADMIN, CHIRO
from tests.conftest import CSRF_RE, csrf_from, login

SECRET_RE = re.compile(r"data-totp-secret>([A-Z2-7]+)<")
CODES_RE = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")


def code_at(secret: str, seconds_from_now: int = 0) -> str:
    """The app's code at this moment (the pinned clock) shifted by whole steps."""
    return pyotp.TOTP(secret).at(clock.utcnow() + timedelta(seconds=seconds_from_now))


class Enrolled(NamedTuple):
    secret: str
    codes: list[str]  # the recovery codes
    used: str  # the code that confirmed the set-up


def enrol(client: Any) -> Enrolled:
    """Turn two-step sign-in on for the logged-in staff member, as a person does."""
    page = client.get("/account/two-step")
    assert page.status_code == 200
    found, token = SECRET_RE.search(page.text), CSRF_RE.search(page.text)
    assert found, page.text
    assert token
    assert "<svg" in page.text  # the QR code, inline
    secret, used = found.group(1), code_at(found.group(1))
    done = client.post("/account/two-step", data={"code": used, "csrf_token": token.group(1)})
    assert done.status_code == 200, done.text
    codes = CODES_RE.findall(done.text)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert "shown only now" in done.text
    return Enrolled(secret, codes, used)


def password_step(client: Any, email: str, password: str) -> Any:
    token = csrf_from(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def code_step(client: Any, code: str) -> Any:
    token = csrf_from(client, "/login")
    return client.post("/login/code", data={"code": code, "csrf_token": token, "next": ""})


def test_set_up_then_log_in_with_a_code_only_once(app: Any, client: Any, db: Session) -> None:
    login(client, CHIRO.email, CHIRO.password)
    secret, _codes, used = enrol(client)
    stored = db.scalar(select(User).where(User.email == CHIRO.email))
    assert stored is not None
    assert stored.totp_secret
    assert secret not in stored.totp_secret
    db.rollback()  # on SQLite a reader holds the write lock
    assert "data-totp-secret" not in client.get("/account/two-step").text  # not shown again

    with TestClient(app, follow_redirects=False) as other:
        first = password_step(other, CHIRO.email, CHIRO.password)
        assert first.status_code == 303
        assert first.headers["location"].startswith("/login/code")
        assert other.get("/api/auth/me").status_code == 401  # not signed in yet
        replay = code_step(other, used)  # the code that confirmed the set-up
        assert replay.status_code == 400
        assert "not right" in replay.text
        assert other.get("/api/auth/me").status_code == 401
        fresh = code_at(secret, 30)  # next step: within the accepted window
        assert code_step(other, fresh).status_code == 303
        assert other.get("/api/auth/me").json()["email"] == CHIRO.email

    with TestClient(app, follow_redirects=False) as third:  # the same code again: refused
        password_step(third, CHIRO.email, CHIRO.password)
        assert code_step(third, fresh).status_code == 400
        assert third.get("/api/auth/me").status_code == 401
    db.expire_all()
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "user")).all()
    assert "mfa_enrol" in actions
    assert actions.count("mfa_failed") == 2


def test_a_recovery_code_works_once(app: Any, client: Any, db: Session) -> None:
    login(client, CHIRO.email, CHIRO.password)
    codes = enrol(client).codes
    stored = db.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert not set(stored) & {c.replace("-", "") for c in codes}
    db.rollback()  # on SQLite a reader holds the write lock
    with TestClient(app, follow_redirects=False) as phone_lost:
        password_step(phone_lost, CHIRO.email, CHIRO.password)
        assert code_step(phone_lost, codes[3].upper()).status_code == 303
        assert phone_lost.get("/api/auth/me").status_code == 200
    with TestClient(app, follow_redirects=False) as again:
        password_step(again, CHIRO.email, CHIRO.password)
        assert code_step(again, codes[3]).status_code == 400
    assert "Recovery codes left: 9" in client.get("/account/two-step").text
    db.expire_all()
    used = db.scalar(select(AuditEvent).where(AuditEvent.action == "mfa_recovery"))
    assert used is not None
    assert used.detail == {"codes_left": 9}


@pytest.mark.postgres  # the code check locks the account's row (SELECT ... FOR UPDATE)
def test_the_api_asks_for_the_code_and_takes_it(app: Any, client: Any) -> None:
    login(client, CHIRO.email, CHIRO.password)
    secret = enrol(client).secret
    with TestClient(app, follow_redirects=False) as program:
        body = {"email": CHIRO.email, "password": CHIRO.password}
        asked = program.post("/api/auth/login", json=body)
        assert asked.status_code == 401
        assert asked.json()["code_required"] is True
        assert program.get("/api/auth/me").status_code == 401
        wrong = program.post("/api/auth/login", json={**body, "code": "000000"})
        assert wrong.status_code == 401
        assert "not right" in wrong.json()["detail"]
        done = program.post("/api/auth/login", json={**body, "code": code_at(secret, 30)})
        assert done.status_code == 200
        assert done.json()["email"] == CHIRO.email
        assert program.get("/api/auth/me").status_code == 200


def test_wrong_codes_are_throttled_like_wrong_passwords(app: Any, client: Any) -> None:
    login(client, CHIRO.email, CHIRO.password)
    secret = enrol(client).secret
    with TestClient(app, follow_redirects=False) as guesser:
        password_step(guesser, CHIRO.email, CHIRO.password)
        statuses = [code_step(guesser, f"{n:06d}").status_code for n in range(6)]
        assert statuses == [400] * 5 + [429]
        # even the right code waits now
        assert code_step(guesser, code_at(secret, 30)).status_code == 429


def test_switching_off_needs_the_password_and_a_code(app: Any, client: Any, db: Session) -> None:
    login(client, CHIRO.email, CHIRO.password)
    secret = enrol(client).secret
    token = csrf_from(client, "/account/two-step")
    no_code = client.post(
        "/account/two-step/off",
        data={"password": CHIRO.password, "code": "123456", "csrf_token": token},
    )
    assert no_code.status_code == 400
    wrong_password = client.post(
        "/account/two-step/off",
        data={"password": "not the password", "code": code_at(secret, 30), "csrf_token": token},
    )
    assert wrong_password.status_code == 400
    off = client.post(
        "/account/two-step/off",
        data={"password": CHIRO.password, "code": code_at(secret, 30), "csrf_token": token},
    )
    assert off.status_code == 303
    assert "Two-step sign-in is off" in client.get(off.headers["location"]).text
    db.expire_all()
    assert db.scalars(select(RecoveryCode)).all() == []
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "mfa_disable")) is not None
    db.rollback()
    with TestClient(app, follow_redirects=False) as again:  # the password alone is enough now
        login(again, CHIRO.email, CHIRO.password)
        assert again.get("/api/auth/me").status_code == 200


def test_a_clinic_that_requires_it_sends_staff_to_set_it_up_first(
    app: Any, client: Any, db: Session
) -> None:
    login(client, ADMIN.email, ADMIN.password)
    token = csrf_from(client, "/staff/admin/two-step")
    refused = client.post("/staff/admin/two-step", data={"required": "true", "csrf_token": token})
    assert refused.status_code == 400
    assert "your own account first" in refused.text
    enrol(client)
    saved = client.post("/staff/admin/two-step", data={"required": "true", "csrf_token": token})
    assert saved.status_code == 200
    assert "Saved." in saved.text
    db.expire_all()
    assert db.scalar(select(Clinic.require_staff_mfa)) is True
    db.rollback()  # on SQLite a reader holds the write lock

    with TestClient(app, follow_redirects=False) as chiro:
        login(chiro, CHIRO.email, CHIRO.password)
        page = chiro.get("/staff/schedule")
        assert page.status_code == 303
        assert page.headers["location"] == "/account/two-step"
        api = chiro.get("/api/patients")
        assert api.status_code == 403
        assert "two-step" in api.json()["detail"]
        setup = chiro.get("/account/two-step")
        assert "asks all staff to use two-step sign-in" in setup.text
        enrol(chiro)
        assert chiro.get("/staff/schedule").status_code == 200
    # the clinician loses the phone and the codes: the admin switches it off for them
    chiro_id = db.scalar(select(User.id).where(User.email == CHIRO.email))
    db.rollback()
    reset = client.post(f"/staff/admin/two-step/{chiro_id}/reset", data={"csrf_token": token})
    assert reset.status_code == 200
    with TestClient(app, follow_redirects=False) as chiro:  # asked to set it up again
        login(chiro, CHIRO.email, CHIRO.password)
        assert chiro.get("/staff/schedule").headers["location"] == "/account/two-step"
