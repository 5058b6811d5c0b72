"""Two people on one browser (issue 13, item 7).

Person A screens anonymously; person B books in the same browser. B's record gets A's
screening only when B chooses it on the booking page; an emergency or urgent screening of
this browser still refuses the booking, chosen or not; booking and logout clear the cookie.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.booking.models import Appointment
from popliteal.demo import DEMO_ANSWERS
from popliteal.screening.models import Screening
from popliteal.screening.service import VISITOR_COOKIE
from tests.booking import factories as f
from tests.booking.test_api import account, first_slot
from tests.booking.test_pages import confirm_links, form_fields, later_from
from tests.conftest import csrf_from

CALM = {"answers": DEMO_ANSWERS}
URGENT = {"answers": {"locked_cannot_straighten": True}}
BOX_RE = re.compile(r'<input type="checkbox" id="use-screening" name="screening" value="(\w+)"')


def screen(client: Any, payload: dict[str, Any], urgency: str | None = None) -> str:
    """Person A screens anonymously over the API; the browser gets its visitor cookie."""
    response = client.post("/api/screenings", json=payload)
    assert response.status_code == 201, response.text
    if urgency is not None:
        assert response.json()["urgency"] == urgency
    assert VISITOR_COOKIE in client.cookies
    return str(response.json()["id"])


def stored(db: Session, screening_id: str) -> Screening:
    db.expire_all()
    screening = db.get(Screening, screening_id)
    assert screening is not None
    return screening


def clears_visitor_cookie(response: Any) -> bool:
    return any(
        header.startswith(f"{VISITOR_COOKIE}=") and "max-age=0" in header.lower()
        for header in response.headers.get_list("set-cookie")
    )


def taken_at(db: Session, screening_id: str) -> str:
    return stored(db, screening_id).created_at.astimezone(f.TZ).strftime("%H:%M")


def patients_screenings(db: Session, patient_id: int) -> list[Screening]:
    return list(db.scalars(select(Screening).where(Screening.patient_id == patient_id)))


@dataclass
class BookedOverApi:
    """A booking held over the API (its answer's headers) and confirmed by the e-mailed link
    (the visit as the API then shows it)."""

    headers: Any
    body: dict[str, Any]
    status_code: int = 201

    def json(self) -> dict[str, Any]:
        return self.body


def book_over_api(client: Any, email: str, **extra: Any) -> Any:
    """Book without logging in, then follow the e-mailed link in this browser (a refusal
    comes back as is)."""
    slot = first_slot(client)
    held = client.post(
        "/api/appointments",
        json={
            "type": "free_screening",
            "mode": "virtual",
            "start": slot["start"],
            **extra,
            **account(email),
        },
    )
    if held.status_code != 202:
        return held
    db = client.app.state.sessionmaker()
    try:
        done = f.follow_booking_link(client, db, email)
    finally:
        db.close()
    body = client.get(f"/api/appointments/{f.booked_id(done)}").json()
    return BookedOverApi(headers=held.headers, body=body)


def test_b_booking_over_the_api_without_choosing_gets_no_screening(
    client: Any, db: Session
) -> None:
    a_screening = screen(client, CALM)
    a_hash = stored(db, a_screening).token_hash
    assert stored(db, a_screening).urgency not in ("emergency", "urgent")
    db.rollback()  # end the read: on SQLite it holds the write lock
    booked = book_over_api(client, "person.b@example.com")
    assert booked.status_code == 201, booked.text
    assert booked.json()["screening_id"] is None
    appointment = db.get(Appointment, booked.json()["id"])
    assert appointment is not None
    assert appointment.screening_id is None
    assert patients_screenings(db, booked.json()["patient_id"]) == []
    a = stored(db, a_screening)
    assert a.patient_id is None
    assert a.token_hash == a_hash  # still A's anonymous screening
    assert clears_visitor_cookie(booked)
    assert VISITOR_COOKIE not in client.cookies


def test_b_booking_on_the_pages_is_offered_the_screening_unticked_and_gets_none(
    client: Any, db: Session
) -> None:
    a_screening = screen(client, CALM)
    at = taken_at(db, a_screening)
    db.rollback()
    page = client.get("/book", params={"type": "free_screening", "mode": "virtual"})
    assert page.status_code == 200
    assert f"Use my screening from {at} today" in page.text
    assert BOX_RE.findall(page.text) == [a_screening]
    assert not re.search(rf'value="{a_screening}"\s+checked>', page.text)
    link = confirm_links(page.text)[0]
    assert "screening=" not in link
    confirm = client.get(link)
    assert f"Use my screening from {at} today" in confirm.text
    fields = form_fields(confirm.text)
    assert "screening" not in fields  # offered, not ticked: a browser does not send it
    done = client.post(
        "/book/confirm",
        data={
            **fields,
            "csrf_token": csrf_from(client, link),
            "full_name": "Person B",
            "email": "b.pages@example.com",
        },
    )
    assert "Check your e-mail" in done.text, done.text
    f.follow_booking_link(client, db, "b.pages@example.com")
    assert clears_visitor_cookie(done)
    patient = f.patient_by_email(db, "b.pages@example.com")
    assert patient is not None
    appointment = db.scalar(select(Appointment).where(Appointment.patient_id == patient.id))
    assert appointment is not None
    assert appointment.screening_id is None
    assert patients_screenings(db, patient.id) == []
    assert stored(db, a_screening).patient_id is None


def test_ticking_use_my_screening_attaches_it(client: Any, db: Session) -> None:
    mine = screen(client, CALM)
    at = taken_at(db, mine)
    db.rollback()
    page = client.get("/book", params={"type": "free_screening", "mode": "virtual"})
    link = confirm_links(page.text)[0]
    confirm = client.get(link)
    assert f"Use my screening from {at} today" in confirm.text
    done = client.post(
        "/book/confirm",
        data={
            **form_fields(confirm.text),
            "screening": mine,  # the box, ticked
            "csrf_token": csrf_from(client, link),
            "full_name": "Person B",
            "email": "b.ticks@example.com",
        },
    )
    assert "Check your e-mail" in done.text, done.text
    f.follow_booking_link(client, db, "b.ticks@example.com")
    patient = f.patient_by_email(db, "b.ticks@example.com")
    assert patient is not None
    appointment = db.scalar(select(Appointment).where(Appointment.patient_id == patient.id))
    assert appointment is not None
    assert appointment.screening_id == mine
    assert stored(db, mine).patient_id == patient.id
    assert clears_visitor_cookie(done)


def test_ticking_the_box_on_the_book_page_carries_the_choice_to_confirm(
    client: Any, db: Session
) -> None:
    mine = screen(client, CALM)
    db.rollback()
    page = client.get(
        "/book", params={"type": "free_screening", "mode": "virtual", "screening": mine}
    )
    assert re.search(rf'value="{mine}"\s+checked>', page.text)
    link = confirm_links(page.text)[0]
    assert f"screening={mine}" in link
    confirm = client.get(link)
    assert form_fields(confirm.text)["screening"] == mine


def test_use_recent_screening_over_the_api_attaches_it(client: Any, db: Session) -> None:
    mine = screen(client, CALM)
    db.rollback()
    booked = book_over_api(client, "b.api.ticks@example.com", use_recent_screening=True)
    assert booked.status_code == 201, booked.text
    assert booked.json()["screening_id"] == mine
    assert stored(db, mine).patient_id == booked.json()["patient_id"]


def test_an_urgent_screening_in_this_browser_refuses_b_even_when_not_chosen(
    client: Any, db: Session
) -> None:
    a_screening = screen(client, URGENT, urgency="urgent")
    reason = "see a doctor within the next few days"
    refused = book_over_api(client, "b.refused@example.com")
    assert refused.status_code == 422
    assert reason in refused.json()["detail"]
    assert f.patient_by_email(db, "b.refused@example.com") is None
    db.rollback()
    for path in (
        f"/book?type=free_screening&mode=virtual&from={later_from()}",
        "/book/confirm?type=free_screening&mode=virtual&start=2030-01-07T15:00Z",
    ):
        page = client.get(path)
        assert reason in html.unescape(page.text)
        assert "Book this visit" not in page.text
        assert "Use my screening" not in page.text
    posted = client.post(
        "/book/confirm",
        data={
            "csrf_token": csrf_from(client, "/login"),
            "type": "free_screening",
            "mode": "virtual",
            "start": "2030-01-07T15:00Z",
            "full_name": "Person B",
            "email": "b.refused@example.com",
        },
    )
    assert reason in html.unescape(posted.text)
    assert f.patient_by_email(db, "b.refused@example.com") is None
    assert stored(db, a_screening).patient_id is None


def test_after_booking_a_later_booking_in_this_browser_attaches_nothing(
    client: Any, db: Session
) -> None:
    a_screening = screen(client, CALM)
    db.rollback()
    first = book_over_api(client, "first@example.com")
    assert first.status_code == 201
    assert clears_visitor_cookie(first)
    logout = client.post("/api/auth/logout", json={})
    assert logout.status_code == 204
    page = client.get("/book", params={"type": "free_screening", "mode": "virtual"})
    assert "Use my screening" not in page.text
    later = book_over_api(client, "later@example.com", use_recent_screening=True)
    assert later.status_code == 201, later.text
    assert later.json()["screening_id"] is None
    assert patients_screenings(db, later.json()["patient_id"]) == []
    assert stored(db, a_screening).patient_id is None


def test_after_logout_a_later_booking_in_this_browser_attaches_nothing(
    client: Any, db: Session
) -> None:
    a_screening = screen(client, CALM)
    db.rollback()
    logout = client.post("/logout", data={"csrf_token": csrf_from(client, "/login")})
    assert logout.status_code == 303
    assert clears_visitor_cookie(logout)
    assert VISITOR_COOKIE not in client.cookies
    later = book_over_api(client, "after.logout@example.com", use_recent_screening=True)
    assert later.status_code == 201, later.text
    assert later.json()["screening_id"] is None
    assert stored(db, a_screening).patient_id is None
