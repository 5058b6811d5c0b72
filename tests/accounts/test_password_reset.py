"""Forgot your password: the same reply for every address, a single-use link that expires,
stored hashed, and a new password that logs out every other session."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.accounts.models import PasswordResetToken
from popliteal.demo import PATIENT
from popliteal.mail.models import OutboxMessage
from tests.conftest import csrf_from, login

LINK = re.compile(r"http://127\.0\.0\.1:8000/reset-password\?token=([A-Za-z0-9_-]+)")
NEW = "a brand new knee password"


def ask(client: Any, email: str) -> Any:
    token = csrf_from(client, "/forgot-password")
    return client.post("/forgot-password", data={"email": email, "csrf_token": token})


def reset_mails(db: Session) -> list[tuple[str, str]]:
    """(to, text) of the reset e-mails queued; the read ends at once (SQLite's write lock)."""
    db.rollback()
    found = db.execute(
        select(OutboxMessage.to_address, OutboxMessage.text_body)
        .where(OutboxMessage.kind == "password_reset")
        .order_by(OutboxMessage.id)
    ).all()
    db.rollback()
    return [(to, text) for to, text in found]


def test_the_login_page_links_to_the_reset(client: Any) -> None:
    assert 'href="/forgot-password"' in client.get("/login").text


def test_the_reply_is_the_same_whether_or_not_the_account_exists(client: Any, db: Session) -> None:
    known = ask(client, PATIENT.email.upper())
    unknown = ask(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert "If an account exists for that address, we have sent a link" in known.text
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    [(to, text)] = reset_mails(db)
    assert to == PATIENT.email
    assert "works once and for 1 hour" in text
    assert ask(client, "not an address").status_code == 400


def test_the_link_sets_a_new_password_once_and_logs_out_everywhere(
    app: Any, client: Any, db: Session
) -> None:
    with TestClient(app, follow_redirects=False) as other_browser:
        login(other_browser, PATIENT.email, PATIENT.password)
        assert other_browser.get("/my/appointments").status_code == 200
        ask(client, PATIENT.email)
        [(_, text)] = reset_mails(db)
        found = LINK.search(text)
        assert found
        token = found.group(1)
        stored = db.scalars(select(PasswordResetToken.token_hash)).all()
        db.rollback()
        assert token not in stored  # only its hash is kept
        page = client.get(f"/reset-password?token={token}")
        assert page.status_code == 200
        form = {"token": token, "csrf_token": csrf_from(client, f"/reset-password?token={token}")}
        weak = client.post(
            "/reset-password", data={**form, "new_password": "short", "repeat_password": "short"}
        )
        assert weak.status_code == 400
        done = client.post(
            "/reset-password", data={**form, "new_password": NEW, "repeat_password": NEW}
        )
        assert done.status_code == 200
        assert "Your new password is set" in done.text
        assert other_browser.get("/my/appointments").status_code in (302, 303, 401)
    again = client.post(
        "/reset-password", data={**form, "new_password": NEW + "!", "repeat_password": NEW + "!"}
    )
    assert again.status_code == 400
    assert "expired or was already used" in again.text
    login(client, PATIENT.email, NEW)


def test_the_link_expires_after_an_hour(
    client: Any, db: Session, pinned_clock: time_machine.Traveller
) -> None:
    ask(client, PATIENT.email)
    [(_, text)] = reset_mails(db)
    found = LINK.search(text)
    assert found
    pinned_clock.shift(timedelta(minutes=61))
    page = client.get(f"/reset-password?token={found.group(1)}")
    assert page.status_code == 400
    assert "expired or was already used" in page.text
    assert client.get("/reset-password?token=made-up").status_code == 400


def test_at_most_three_links_an_hour_per_account(
    client: Any, db: Session, pinned_clock: time_machine.Traveller
) -> None:
    for _ in range(5):
        assert ask(client, PATIENT.email).status_code == 200
    assert len(reset_mails(db)) == 3
    pinned_clock.shift(timedelta(minutes=61))
    ask(client, PATIENT.email)
    assert len(reset_mails(db)) == 4
