"""The administrators' e-mail page: reminder lead time, video room links, unsent messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic, User
from popliteal.db import transaction
from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.mail.models import OutboxMessage
from popliteal.mail.outbox import enqueue
from tests.booking import factories as f
from tests.conftest import csrf_from, login

PAGE = "/staff/admin/email"


def test_the_admin_sets_the_reminder_time_and_a_video_link(client: Any, db: Session) -> None:
    login(client, ADMIN.email, ADMIN.password)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "messages are written as files in" in page.text
    chiro_id, clinic_id = f.chiro(db).id, f.clinic(db).id
    db.rollback()  # SQLite: a reader holds the write lock until its transaction ends
    token = csrf_from(client, PAGE)
    response = client.post(
        f"{PAGE}/video-rooms/{chiro_id}",
        data={"video_room_url": "https://video.example.org/room/chiro", "csrf_token": token},
    )
    assert response.status_code == 303
    response = client.post(
        f"{PAGE}/reminder", data={"reminder_lead_hours": "36", "csrf_token": token}
    )
    assert response.status_code == 303
    db.expire_all()
    assert db.get_one(User, chiro_id).video_room_url == "https://video.example.org/room/chiro"
    assert db.get_one(Clinic, clinic_id).reminder_lead_hours == 36
    db.rollback()
    page = client.get(PAGE)
    assert 'value="https://video.example.org/room/chiro"' in page.text
    bad = client.post(
        f"{PAGE}/video-rooms/{chiro_id}",
        data={"video_room_url": "video.example.org", "csrf_token": token},
    )
    assert bad.status_code == 400
    assert "enter the full https:// address" in bad.text
    bad = client.post(f"{PAGE}/reminder", data={"reminder_lead_hours": "0", "csrf_token": token})
    assert bad.status_code == 400
    assert "expected 1 to 168 hours" in bad.text


def test_the_admin_sets_how_long_a_booking_waits_for_its_link(client: Any, db: Session) -> None:
    """The hold time is the clinic's: the next booking without logging in is held that long."""
    from popliteal.booking import service as booking_service
    from popliteal.booking.service import NewAccount

    login(client, ADMIN.email, ADMIN.password)
    assert 'name="booking_hold_minutes"' in client.get(PAGE).text
    clinic_id = f.clinic(db).id
    db.rollback()
    token = csrf_from(client, PAGE)
    for bad in ("5", "2000", "soon"):
        refused = client.post(
            f"{PAGE}/hold", data={"booking_hold_minutes": bad, "csrf_token": token}
        )
        assert refused.status_code == 400
        assert "hold: expected 10 to 1440 minutes" in refused.text
    saved = client.post(f"{PAGE}/hold", data={"booking_hold_minutes": "30", "csrf_token": token})
    assert saved.status_code == 303
    assert "Hold time saved." in client.get(saved.headers["location"]).text
    db.expire_all()
    assert db.get_one(Clinic, clinic_id).booking_hold_minutes == 30
    db.rollback()  # SQLite: a reader holds the write lock until its transaction ends
    slot = client.get("/api/slots", params={"type": "free_screening", "mode": "virtual"}).json()[
        "slots"
    ][0]
    db.rollback()
    held = booking_service.book(
        db,
        clinic=f.clinic(db),
        actor=None,
        type_ref="free_screening",
        mode="virtual",
        starts_at=datetime.fromisoformat(slot["start"]),
        new_account=NewAccount(email="thirty@example.com", full_name="Thirty Minutes"),
    )
    assert held.held is not None
    assert "within 30 minutes" in held.held.message
    assert "for 30 minutes" in f.outbox(db, to="thirty@example.com")[0].text_body


def test_unsent_messages_are_listed_and_can_be_sent_again(client: Any, db: Session) -> None:
    clinic_id = f.clinic(db).id
    db.rollback()
    with transaction(db):
        enqueue(
            db,
            to="gone@example.com",
            subject="Hello",
            text="t",
            html="",
            kind="test",
            clinic_id=clinic_id,
        )
        message = db.query(OutboxMessage).one()
        message.status = "failed"
        message.attempts = 8
        message.last_error = "550 no such mailbox"
        message_id = message.id
    login(client, ADMIN.email, ADMIN.password)
    page = client.get(PAGE)
    assert "gone@example.com" in page.text
    assert "550 no such mailbox" in page.text
    token = csrf_from(client, PAGE)
    response = client.post(f"{PAGE}/failed/{message_id}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    db.expire_all()
    assert db.get_one(OutboxMessage, message_id).status == "pending"
    db.rollback()
    assert "gone@example.com" not in client.get(PAGE).text


def test_the_page_is_for_administrators_only(client: Any) -> None:
    for who in (CHIRO, PATIENT):
        client.cookies.clear()
        login(client, who.email, who.password)
        assert client.get(PAGE).status_code in (403, 404)
