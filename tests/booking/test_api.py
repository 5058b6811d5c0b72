"""The booking JSON API through the app."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import User
from popliteal.booking.models import Appointment
from popliteal.demo import CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.screening.service import VISITOR_COOKIE
from tests.booking import factories as f
from tests.conftest import login


def first_slot(
    client: Any, type_: str = "free_screening", mode: str = "virtual", **extra: Any
) -> dict[str, Any]:
    today = datetime.now(f.TZ).date()
    response = client.get(
        "/api/slots",
        params={
            "type": type_,
            "mode": mode,
            "from": today.isoformat(),
            "to": (today + timedelta(days=13)).isoformat(),
            **extra,
        },
    )
    assert response.status_code == 200, response.text
    slots = response.json()["slots"]
    assert slots
    return slots[0]


def account(email: str) -> dict[str, str]:
    return {"email": email, "full_name": "Casey Doe", "phone": "555-1"}


def book_new(client: Any, db: Session, payload: dict[str, Any]) -> dict[str, Any]:
    """Book without logging in (held: 202), then follow the e-mailed link in this browser;
    the booked visit as the API shows it to its now logged-in person."""
    held = client.post("/api/appointments", json=payload)
    assert held.status_code == 202, held.text
    assert held.json()["status"] == "held"
    done = f.follow_booking_link(client, db, payload["email"])
    body: dict[str, Any] = client.get(f"/api/appointments/{f.booked_id(done)}").json()
    return body


def test_appointment_types_lists_active_types(client: Any) -> None:
    types = client.get("/api/appointment-types").json()
    assert [t["code"] for t in types] == ["free_screening", "follow_up", "initial_evaluation"]
    assert types[0]["minutes"] == 20
    assert types[0]["is_free"] is True


def test_slots_give_clinic_offset_and_utc(client: Any) -> None:
    slot = first_slot(client)
    start = datetime.fromisoformat(slot["start"])
    start_utc = datetime.fromisoformat(slot["start_utc"])
    assert start == start_utc
    assert start.utcoffset() in (timedelta(hours=-6), timedelta(hours=-5))
    assert start_utc.utcoffset() == timedelta(0)
    assert datetime.fromisoformat(slot["end"]) - start == timedelta(minutes=20)
    body = client.get("/api/slots", params={"type": "free_screening", "mode": "virtual"}).json()
    assert body["timezone"] == "America/Chicago"


def test_slots_bad_input_is_a_clear_4xx(client: Any) -> None:
    bad_type = client.get("/api/slots", params={"type": "massage", "mode": "virtual"})
    assert bad_type.status_code == 422
    assert "unknown appointment type 'massage'" in bad_type.json()["detail"]
    bad_mode = client.get("/api/slots", params={"type": "free_screening", "mode": "at_home"})
    assert bad_mode.status_code == 422
    assert "not offered as at your home" in bad_mode.json()["detail"]
    bad_date = client.get(
        "/api/slots", params={"type": "free_screening", "mode": "virtual", "from": "2027-13-01"}
    )
    assert bad_date.status_code == 422
    assert (
        client.get("/api/slots", params={"type": "free_screening", "mode": "boat"}).status_code
        == 422
    )


def test_book_with_a_new_account_logs_in_and_lists(client: Any, db: Session) -> None:
    slot = first_slot(client)
    payload = {
        "type": "free_screening",
        "mode": "virtual",
        "start": slot["start"],
        "clinician_id": None,
        **account("casey@example.com"),
    }
    held = client.post("/api/appointments", json=payload)
    assert held.status_code == 202, held.text
    assert held.json()["message"].startswith("Check your e-mail. We sent a link to casey@")
    assert "popliteal_session=" not in held.headers.get("set-cookie", "")
    assert client.get("/api/appointments").status_code == 401  # not logged in yet
    done = f.follow_booking_link(client, db, "casey@example.com")
    assert "popliteal_session=" in done.headers["set-cookie"]
    body = client.get(f"/api/appointments/{f.booked_id(done)}").json()
    assert body["start"] == slot["start"]
    assert body["status"] == "booked"
    assert body["ics_url"] == f"/api/appointments/{body['id']}.ics"
    mine = client.get("/api/appointments").json()
    assert [a["id"] for a in mine] == [body["id"]]
    assert client.get(f"/api/appointments/{body['id']}").json()["patient_name"] == "Casey Doe"
    ics = client.get(f"/api/appointments/{body['id']}.ics")
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert f"UID:appointment-{body['id']}-" in ics.text


def test_same_slot_twice_is_409_and_leaves_no_account(client: Any, db: Session) -> None:
    pt_id = f.pt(db).id
    db.rollback()  # end the test's read: on SQLite an open transaction holds the write lock
    slot = first_slot(client, clinician=pt_id)
    payload = {
        "type": "free_screening",
        "mode": "virtual",
        "start": slot["start"],
        "clinician_id": slot["clinician_id"],
    }
    assert (
        client.post("/api/appointments", json={**payload, **account("a1@example.com")}).status_code
        == 202
    )
    client.cookies.clear()
    again = client.post("/api/appointments", json={**payload, **account("a2@example.com")})
    assert again.status_code == 409
    assert again.json()["detail"] == "That time was just taken. Please pick another time."
    assert db.scalar(select(User).where(User.email == "a2@example.com")) is None


def test_booking_errors_are_clear(client: Any) -> None:
    slot = first_slot(client)
    base = {"type": "free_screening", "mode": "virtual", "start": slot["start"]}
    missing = client.post("/api/appointments", json=base)
    assert missing.status_code == 422
    assert "email, full_name" in missing.json()["detail"]
    naive = client.post(
        "/api/appointments", json={**base, "start": slot["start"][:19], **account("n@example.com")}
    )
    assert naive.status_code == 422
    bad_email = client.post("/api/appointments", json={**base, **account("not-an-address")})
    assert bad_email.status_code == 422
    nameless = client.post(
        "/api/appointments", json={**base, **account("w@example.com"), "full_name": " "}
    )
    assert nameless.status_code == 422
    home = client.post(
        "/api/appointments",
        json={**base, "type": "initial_evaluation", "mode": "at_home", **account("h@example.com")},
    )
    assert home.status_code == 422
    assert "address" in home.json()["detail"]
    extra = client.post(
        "/api/appointments", json={**base, "surprise": 1, **account("e@example.com")}
    )
    assert extra.status_code == 422


def test_emergency_screening_cannot_book_over_the_api(
    client: Any, db: Session, kb: Knowledge
) -> None:
    screening = f.make_screening(db, kb, urgency="emergency", visitor_token="browser-1")
    slot = first_slot(client)
    client.cookies.set(VISITOR_COOKIE, "browser-1")
    response = client.post(
        "/api/appointments",
        json={
            "type": "free_screening",
            "mode": "virtual",
            "start": slot["start"],
            "screening_id": screening.id,
            **account("em@example.com"),
        },
    )
    assert response.status_code == 422
    assert "Seek emergency care now" in response.json()["detail"]
    assert db.scalar(select(User).where(User.email == "em@example.com")) is None


def test_conservative_screening_is_linked(client: Any, db: Session, kb: Knowledge) -> None:
    screening = f.make_screening(db, kb, urgency="conservative", visitor_token="browser-2")
    slot = first_slot(client)
    payload = {
        "type": "free_screening",
        "mode": "virtual",
        "start": slot["start"],
        "screening_id": screening.id,
        **account("lk@example.com"),
    }
    assert client.post("/api/appointments", json=payload).status_code == 404  # not this browser's
    client.cookies.set(VISITOR_COOKIE, "browser-2")
    booked = book_new(client, db, payload)
    db.expire_all()
    db.refresh(screening)
    assert screening.patient_id == booked["patient_id"]
    assert booked["screening_id"] == screening.id


def test_cancel_and_reschedule_over_the_api(client: Any) -> None:
    login(client, PATIENT.email, PATIENT.password)
    slots = client.get(
        "/api/slots",
        params={
            "type": "follow_up",
            "mode": "virtual",
            "from": (datetime.now(f.TZ).date() + timedelta(days=3)).isoformat(),
        },
    ).json()["slots"]
    made = client.post(
        "/api/appointments",
        json={"type": "follow_up", "mode": "virtual", "start": slots[0]["start"]},
    )
    assert made.status_code == 201, made.text
    aid = made.json()["id"]
    later = next(s for s in slots if s["start"] >= slots[0]["end"])
    moved = client.post(f"/api/appointments/{aid}/reschedule", json={"start": later["start"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["id"] == aid
    assert moved.json()["sequence"] == 1
    assert moved.json()["start"] == later["start"]
    cancelled = client.post(f"/api/appointments/{aid}/cancel", json={})
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/appointments/{aid}/cancel", json={}).status_code == 409


def test_patient_too_late_to_cancel_gets_403_with_reason(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    demo = db.scalar(select(Appointment).order_by(Appointment.id).limit(1))
    assert demo is not None
    # Move the demo visit to start in 2 hours: within the 24-hour notice.
    from popliteal.clock import utcnow

    demo.starts_at = utcnow() + timedelta(hours=2)
    demo.ends_at = demo.starts_at + timedelta(minutes=20)
    db.commit()
    response = client.post(f"/api/appointments/{demo.id}/cancel", json={})
    assert response.status_code == 403
    assert "24 hours" in response.json()["detail"]
    assert "555-0199" in response.json()["detail"]


def test_permissions_on_appointments(client: Any, db: Session) -> None:
    demo_id = db.scalar(select(func.min(Appointment.id)))
    db.rollback()  # end the test's read: on SQLite an open transaction holds the write lock
    assert client.get("/api/appointments").status_code == 401
    assert client.get(f"/api/appointments/{demo_id}").status_code == 401
    assert client.post(f"/api/appointments/{demo_id}/cancel", json={}).status_code == 401
    slot = first_slot(client)
    book_new(
        client,
        db,
        {"type": "free_screening", "mode": "virtual", "start": slot["start"]}
        | account("o@example.com"),
    )
    for path in (f"/api/appointments/{demo_id}", f"/api/appointments/{demo_id}.ics"):
        assert client.get(path).status_code == 404
    assert client.post(f"/api/appointments/{demo_id}/cancel", json={}).status_code == 404
    assert client.get("/api/appointments/999999").status_code == 404
    client.cookies.clear()
    login(client, CHIRO.email, CHIRO.password)
    clinic_wide = client.get("/api/appointments").json()
    assert len(clinic_wide) == 2
    staff_book = client.post(
        "/api/appointments",
        json={"type": "free_screening", "mode": "virtual", "start": slot["start"]},
    )
    assert staff_book.status_code == 403


def test_leaving_out_the_screening_does_not_get_past_the_triage_gate(
    client: Any, db: Session, kb: Knowledge
) -> None:
    """Review finding: an emergency result, then a booking without its id, was accepted."""
    f.make_screening(db, kb, urgency="emergency", visitor_token="browser-3")
    slot = first_slot(client)
    client.cookies.set(VISITOR_COOKIE, "browser-3")
    payload = {
        "type": "initial_evaluation",
        "mode": "in_clinic",
        "start": first_slot(client, "initial_evaluation", "in_clinic")["start"],
        **account("gate@example.com"),
    }
    response = client.post("/api/appointments", json=payload)
    assert response.status_code == 422
    assert "Seek emergency care now" in response.json()["detail"]
    assert db.scalar(select(User).where(User.email == "gate@example.com")) is None
    db.rollback()  # end the read: on SQLite it holds the write lock
    page = client.get("/book?type=free_screening&mode=virtual")
    assert "Seek emergency care now" in page.text
    assert "/book/confirm" not in page.text
    # A browser with no screening at all may still book (a referral, a phone call).
    client.cookies.set(VISITOR_COOKIE, "another-browser")
    free = {"type": "free_screening", "mode": "virtual", "start": slot["start"]}
    assert (
        client.post("/api/appointments", json={**free, **account("ok@example.com")}).status_code
        == 202
    )


def test_the_browsers_recent_calm_screening_is_attached_only_when_chosen(
    client: Any, db: Session, kb: Knowledge
) -> None:
    """Issue 13, item 7: leaving the screening out used to attach this browser's newest one."""
    screening = f.make_screening(db, kb, urgency="conservative", visitor_token="browser-4")
    client.cookies.set(VISITOR_COOKIE, "browser-4")
    slot = first_slot(client)
    booked = book_new(
        client,
        db,
        {
            "type": "free_screening",
            "mode": "virtual",
            "start": slot["start"],
            "use_recent_screening": True,
            **account("calm@example.com"),
        },
    )
    assert booked["screening_id"] == screening.id
    db.expire_all()
    db.refresh(screening)
    assert screening.patient_id == booked["patient_id"]


def test_one_person_is_not_booked_twice_at_the_same_time(client: Any, db: Session) -> None:
    """Review finding: "any clinician" twice gave the same person two visits at once."""
    login(client, PATIENT.email, PATIENT.password)
    chiro_id = f.chiro(db).id
    db.rollback()  # end the read: on SQLite it holds the write lock
    slot = first_slot(client, "free_screening", "in_clinic", clinician=chiro_id)
    body = {"type": "free_screening", "mode": "in_clinic", "start": slot["start"]}
    first = client.post("/api/appointments", json=body)
    assert first.status_code == 201, first.text
    second = client.post("/api/appointments", json=body)  # "any": another clinician is free
    assert second.status_code == 409
    assert "already have a visit at this time" in second.json()["detail"]
    mine = client.get("/api/appointments").json()
    at_that_time = [a for a in mine if a["start_utc"] == first.json()["start_utc"]]
    assert len(at_that_time) == 1


def test_cancel_is_refused_unless_sent_as_json(client: Any, db: Session) -> None:
    """A cross-site form post cannot cancel someone's visit with their cookie."""
    login(client, PATIENT.email, PATIENT.password)
    demo_id = client.get("/api/appointments").json()[0]["id"]
    forged = client.post(f"/api/appointments/{demo_id}/cancel", data={"x": "1"})
    assert forged.status_code == 415
    assert client.get(f"/api/appointments/{demo_id}").json()["status"] == "booked"


def test_throwaway_accounts_can_not_empty_the_calendar(app: Any) -> None:
    """Five visits booked without logging in from one address in an hour, then a 429 for that
    address; another address books as usual."""
    from starlette.testclient import TestClient

    from popliteal.booking.service import NEW_ACCOUNT_BOOKINGS_PER_HOUR

    def book(address: str, n: int, start: str) -> int:
        with TestClient(app, client=(address, 40000)) as visitor:
            return visitor.post(
                "/api/appointments",
                json={
                    "type": "free_screening",
                    "mode": "virtual",
                    "start": start,
                    "clinician_id": None,
                    **account(f"throwaway{n}-{address}@example.com"),
                },
            ).status_code

    with TestClient(app) as look:
        today = datetime.now(f.TZ).date()
        slots = look.get(
            "/api/slots",
            params={
                "type": "free_screening",
                "mode": "virtual",
                "from": today.isoformat(),
                "to": (today + timedelta(days=13)).isoformat(),
            },
        ).json()["slots"]
    # every other start: slots come every 15 minutes and a free screening lasts 20
    starts = list(dict.fromkeys(s["start"] for s in slots))[::2][
        : NEW_ACCOUNT_BOOKINGS_PER_HOUR + 2
    ]
    for n in range(NEW_ACCOUNT_BOOKINGS_PER_HOUR):
        assert book("203.0.113.9", n, starts[n]) == 202
    assert book("203.0.113.9", 99, starts[-2]) == 429
    assert book("198.51.100.4", 0, starts[-1]) == 202
