"""Staff invitations: the admin adds a clinician without a password and they get an e-mail
with a one-time link to choose their own (72 hours); a used, mistyped or old link gets plain
words, never an error page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.accounts.test_admin import admin_client, text_of
from tests.booking import factories as f
from tests.conftest import csrf_from, login

EMAIL = "pat@demo.popliteal.test"
NEW_PASSWORD = "knee-clinic-river-stone"


def add_by_invitation(client: Any, token: str) -> Any:
    return client.post(
        "/staff/admin/clinicians",
        data={
            "csrf_token": token,
            "display_name": "Pat Lee, PT",
            "email": "Pat@Demo.popliteal.test",
            "profession": "physical_therapist",
            "role": "clinician",
            "password": "",
        },
    )


def choose(client: Any, path: str, token: str, password: str, again: str | None = None) -> Any:
    return client.post(
        "/welcome",
        data={
            "csrf_token": csrf_from(client, "/login"),
            "token": token,
            "new_password": password,
            "repeat_password": password if again is None else again,
        },
    )


@pytest.mark.postgres
def test_an_invited_clinician_chooses_a_password_once_and_logs_in(
    client: Any, db: Session, app: Any
) -> None:
    from starlette.testclient import TestClient

    from popliteal.accounts.models import User

    client, token = admin_client(client)
    added = add_by_invitation(client, token)
    assert added.status_code == 303, added.text
    assert "We e-mailed them a link to choose their password" in text_of(
        client.get(added.headers["location"])
    )
    db.rollback()
    user = db.scalar(select(User).where(User.email == EMAIL))
    assert user is not None
    assert user.email_verified_at is None
    [mail] = f.outbox(db, to=EMAIL, kind="invitation")
    assert mail.subject.startswith("Your account at ")
    assert "Jordan" not in mail.text_body  # no patient's name, only the inviter's
    link = f.emailed_link(db, to=EMAIL, kind="invitation")
    db.rollback()
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    with TestClient(app, follow_redirects=False) as pat:
        ask = pat.get(path)
        assert ask.status_code == 200
        assert "Welcome, Pat Lee, PT." in ask.text
        weak = choose(pat, path, f.link_token(link), "short-one")
        assert weak.status_code == 400
        assert "at least 12 characters" in text_of(weak)
        mismatch = choose(pat, path, f.link_token(link), NEW_PASSWORD, "something-else-long")
        assert "the two passwords are not the same" in text_of(mismatch)
        done = choose(pat, path, f.link_token(link), NEW_PASSWORD)
        assert done.status_code == 200
        assert "Your password is set" in done.text
        login(pat, EMAIL, NEW_PASSWORD)
        assert pat.get("/staff/patients").status_code == 200
    with TestClient(app, follow_redirects=False) as again:
        used = again.get(path)
        assert used.status_code == 400
        assert "This link has expired or was already used." in text_of(used)
        reused = choose(again, path, f.link_token(link), "another-long-password")
        assert reused.status_code == 400
    db.expire_all()
    user = db.scalar(select(User).where(User.email == EMAIL))
    assert user is not None
    assert user.email_verified_at is not None


def test_an_invitation_expires_after_72_hours_and_bad_links_get_plain_words(
    client: Any, db: Session, app: Any, pinned_clock: Any
) -> None:
    client, token = admin_client(client)
    assert add_by_invitation(client, token).status_code == 303
    db.rollback()
    link = f.emailed_link(db, to=EMAIL, kind="invitation")
    db.rollback()
    client.cookies.clear()
    for bad in ("", "nope", "z" * 400):
        page = client.get("/welcome", params={"token": bad})
        assert page.status_code == 400
        assert "This link has expired or was already used." in text_of(page)
    pinned_clock.shift(timedelta(hours=71, minutes=59))
    assert client.get("/welcome", params={"token": f.link_token(link)}).status_code == 200
    pinned_clock.shift(timedelta(minutes=2))
    late = client.get("/welcome", params={"token": f.link_token(link)})
    assert late.status_code == 400
    assert "Forgot your password?" in late.text
    assert choose(client, "/welcome", f.link_token(link), NEW_PASSWORD).status_code == 400
