"""Clinic admin: settings (name, time zone, booking policy) and clinicians."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic, LoginSession, User
from popliteal.demo import ADMIN, CHIRO, CLINIC_NAME
from tests.conftest import csrf_from, login

SETTINGS = {
    "name": "Riverside Knee Clinic",
    "timezone": "America/Denver",
    "cancel_notice_hours": "48",
    "min_booking_notice_hours": "4",
    "booking_horizon_days": "90",
}


def text_of(page: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


def admin_client(client: Any) -> tuple[Any, str]:
    login(client, ADMIN.email, ADMIN.password)
    return client, csrf_from(client, "/staff/admin")


def clinic(db: Session) -> Clinic:
    db.expire_all()
    found = db.scalars(select(Clinic).order_by(Clinic.id)).first()
    assert found is not None
    return found


def test_admin_saves_clinic_settings_and_the_new_name_shows(client: Any, db: Session) -> None:
    client, token = admin_client(client)
    assert CLINIC_NAME.replace("&", "&amp;") in client.get("/staff/admin").text
    saved = client.post("/staff/admin", data={"csrf_token": token, **SETTINGS})
    assert saved.status_code == 303
    found = clinic(db)
    assert (found.name, found.timezone) == ("Riverside Knee Clinic", "America/Denver")
    assert found.cancel_notice_hours == 48
    assert found.min_booking_notice_hours == 4
    assert found.booking_horizon_days == 90
    db.rollback()
    page = client.get(saved.headers["location"])
    assert "Settings saved" in page.text
    assert "<title>Clinic settings · Riverside Knee Clinic</title>" in page.text  # cache cleared
    assert "/staff/admin/appointment-types" in page.text
    assert "/staff/admin/availability" in page.text


def test_bad_time_zone_and_numbers_are_refused_with_messages(client: Any, db: Session) -> None:
    client, token = admin_client(client)
    bad = client.post(
        "/staff/admin",
        data={
            "csrf_token": token,
            **SETTINGS,
            "timezone": "Mars/Olympus_Mons",
            "cancel_notice_hours": "soon",
            "booking_horizon_days": "0",
        },
    )
    assert bad.status_code == 400
    text = text_of(bad)
    assert "timezone: unknown time zone 'Mars/Olympus_Mons'" in text
    assert "cancel_notice_hours: enter a whole number (got 'soon')" in text
    assert "booking_horizon_days: expected 1 to 730 days" in text
    assert 'value="Mars/Olympus_Mons"' in bad.text  # what was typed is kept
    found = clinic(db)
    assert (found.name, found.timezone) == (CLINIC_NAME, "America/Chicago")
    db.rollback()
    empty_name = client.post("/staff/admin", data={"csrf_token": token, **SETTINGS, "name": " "})
    assert empty_name.status_code == 400
    assert "enter the clinic's name" in text_of(empty_name)


def test_clinician_who_is_not_admin_gets_403(client: Any) -> None:
    login(client, CHIRO.email, CHIRO.password)
    token = csrf_from(client, "/staff/patients")
    assert client.get("/staff/admin").status_code == 403
    response = client.post("/staff/admin", data={"csrf_token": token, **SETTINGS})
    assert response.status_code == 403
    assert client.get("/staff/admin/clinicians").status_code == 403


@pytest.mark.postgres
def test_admin_adds_a_clinician_who_can_then_log_in(client: Any, db: Session, app: Any) -> None:
    from starlette.testclient import TestClient

    client, token = admin_client(client)
    added = client.post(
        "/staff/admin/clinicians",
        data={
            "csrf_token": token,
            "display_name": "Pat Lee, PT",
            "email": "Pat@Demo.popliteal.test",
            "profession": "physical_therapist",
            "role": "clinician",
            "password": "temporary-pass-1",
        },
    )
    assert added.status_code == 303
    listing = text_of(client.get(added.headers["location"]))
    assert "Clinician added" in listing
    assert "Pat Lee, PT" in listing
    user = db.scalar(select(User).where(User.email == "pat@demo.popliteal.test"))
    assert user is not None
    assert (user.role, user.profession, user.is_active) == ("clinician", "physical_therapist", True)
    db.rollback()
    with TestClient(app, follow_redirects=False) as other:
        login(other, "pat@demo.popliteal.test", "temporary-pass-1")
        assert other.get("/staff/patients").status_code == 200


def test_adding_a_clinician_with_bad_fields_shows_every_problem(client: Any, db: Session) -> None:
    client, token = admin_client(client)
    before = db.scalar(select(func.count()).select_from(User))
    db.rollback()
    bad = client.post(
        "/staff/admin/clinicians",
        data={
            "csrf_token": token,
            "display_name": "",
            "email": "x@demo.popliteal.test",
            "profession": "surgeon",
            "role": "owner",
            "password": "temporary-pass-1",
        },
    )
    assert bad.status_code == 400
    text = text_of(bad)
    assert "name: enter the clinician's name" in text
    assert "profession: choose physical_therapist, chiropractor, other" in text
    assert "role: choose clinician or admin" in text
    taken = client.post(
        "/staff/admin/clinicians",
        data={
            "csrf_token": token,
            "display_name": "Copy",
            "email": CHIRO.email,
            "profession": "chiropractor",
            "role": "clinician",
            "password": "temporary-pass-1",
        },
    )
    assert taken.status_code == 400
    assert "already exists" in text_of(taken)
    assert db.scalar(select(func.count()).select_from(User)) == before


def test_deactivated_clinician_is_logged_out_and_can_not_log_in(
    client: Any, db: Session, app: Any
) -> None:
    from starlette.testclient import TestClient

    chiro_client = TestClient(app, follow_redirects=False)
    login(chiro_client, CHIRO.email, CHIRO.password)
    assert chiro_client.get("/staff/patients").status_code == 200
    chiro_id = db.scalar(select(User.id).where(User.email == CHIRO.email))
    db.rollback()

    client, token = admin_client(client)
    off = client.post(f"/staff/admin/clinicians/{chiro_id}/deactivate", data={"csrf_token": token})
    assert off.status_code == 303
    assert "Deactivated" in text_of(client.get("/staff/admin/clinicians"))
    sessions = db.scalar(
        select(func.count()).select_from(LoginSession).where(LoginSession.user_id == chiro_id)
    )
    assert sessions == 0
    db.rollback()
    assert chiro_client.get("/staff/patients").status_code == 303  # back to the login page
    token2 = csrf_from(chiro_client, "/login")
    again = chiro_client.post(
        "/login", data={"email": CHIRO.email, "password": CHIRO.password, "csrf_token": token2}
    )
    assert again.status_code == 400

    on = client.post(f"/staff/admin/clinicians/{chiro_id}/activate", data={"csrf_token": token})
    assert on.status_code == 303
    login(chiro_client, CHIRO.email, CHIRO.password)
    chiro_client.close()


def test_admin_can_not_deactivate_themself(client: Any, db: Session) -> None:
    admin_id = db.scalar(select(User.id).where(User.email == ADMIN.email))
    db.rollback()
    client, token = admin_client(client)
    response = client.post(
        f"/staff/admin/clinicians/{admin_id}/deactivate", data={"csrf_token": token}
    )
    assert response.status_code == 400
    assert "can not deactivate your own account" in text_of(response)
    db.expire_all()
    assert db.scalar(select(User.is_active).where(User.id == admin_id)) is True
