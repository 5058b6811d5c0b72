"""Booking pages through the app, as a browser without JavaScript would use them."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.booking.models import Appointment, AppointmentType, Availability
from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.screening.service import VISITOR_COOKIE
from tests.booking import factories as f
from tests.conftest import csrf_from, login

CONFIRM_RE = re.compile(r'href="(/book/confirm\?[^"]+)"')


def confirm_links(page: str) -> list[str]:
    return [html.unescape(link) for link in CONFIRM_RE.findall(page)]


def later_from() -> str:
    return (datetime.now(f.TZ).date() + timedelta(days=3)).isoformat()


def account_form(client: Any, path: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_from(client, path),
        "full_name": "Robin Page",
        "email": "robin@example.com",
        "phone": "555-0123",
        **extra,
    }


def hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


def form_fields(page: str) -> dict[str, str]:
    """What a browser posts without typing: the hidden fields and the ticked boxes."""
    ticked = re.findall(
        r'<input type="checkbox"[^>]*name="([^"]+)" value="([^"]*)"\s+checked>', page
    )
    return {**hidden_fields(page), **dict(ticked)}


def test_book_page_offers_choices_with_labels(client: Any) -> None:
    page = client.get("/book")
    assert page.status_code == 200
    assert "<legend>What kind of visit?</legend>" in page.text
    assert '<label class="choice" for="type-free_screening">' in page.text
    assert '<label for="clinician">With whom?</label>' in page.text
    assert "Any clinician" in page.text
    assert CHIRO.name in page.text
    assert "/book/confirm" not in page.text  # no times until a type and mode are chosen


def test_slot_list_grouped_by_day_in_the_clinic_zone_and_as_htmx_fragment(client: Any) -> None:
    params = {"type": "free_screening", "mode": "virtual", "from": later_from()}
    page = client.get("/book", params=params)
    assert page.status_code == 200
    assert "Times are in the clinic's time zone: America/Chicago" in page.text
    assert re.search(r"<h3>\w+day \d\d \w+ \d{4}</h3>", page.text)
    links = confirm_links(page.text)
    assert links
    assert all("clinician=any" in link for link in links)
    assert re.search(r">\d\d:\d\d C[SD]T</a>", page.text)
    fragment = client.get("/book", params=params, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="slots"')
    assert "<html" not in fragment.text
    assert confirm_links(fragment.text) == links


def test_not_offered_combination_is_explained(client: Any) -> None:
    page = client.get("/book", params={"type": "free_screening", "mode": "at_home"})
    assert page.status_code == 200
    assert "not offered as at your home" in page.text
    assert client.get("/book", params={"type": "massage"}).status_code == 422


@pytest.mark.postgres
def test_new_visitor_books_is_logged_in_and_sees_the_confirmation(client: Any, db: Session) -> None:
    page = client.get(
        "/book", params={"type": "free_screening", "mode": "virtual", "from": later_from()}
    )
    link = confirm_links(page.text)[0]
    confirm = client.get(link)
    assert confirm.status_code == 200
    assert "Confirm your visit" in confirm.text
    assert "The first free clinician" in confirm.text
    assert '<label for="email">Email</label>' in confirm.text
    assert "Log in and come back here" in confirm.text
    form = {**hidden_fields(confirm.text), **account_form(client, link)}
    held = client.post("/book/confirm", data=form)
    assert held.status_code == 200, held.text
    assert "Check your e-mail. We sent a link to robin@example.com." in held.text
    assert "popliteal_session=" not in held.headers.get("set-cookie", "")
    done = f.follow_booking_link(client, db, "robin@example.com")
    assert "popliteal_session=" in done.headers["set-cookie"]
    target = done.headers["location"]
    assert re.fullmatch(r"/my/appointments/\d+\?booked=1", target)
    shown = client.get(target)
    assert "Your visit is booked" in shown.text
    assert "Video call" in shown.text
    assert re.search(r"C[SD]T", shown.text)
    assert "America/Chicago" in shown.text
    appointment_id = int(target.split("/")[-1].split("?")[0])
    assert f'href="/my/appointments/{appointment_id}.ics"' in shown.text
    ics = client.get(f"/my/appointments/{appointment_id}.ics")
    assert ics.status_code == 200
    assert "TZID:America/Chicago" in ics.text
    mine = client.get("/my/appointments")
    assert "Cancel this visit" in mine.text
    assert "Change the time" in mine.text
    stored = db.get(Appointment, appointment_id)
    assert stored is not None
    assert stored.mode == "virtual"
    db.rollback()
    # Cancelling asks first: the list only links to a page that asks.
    assert f'action="/my/appointments/{appointment_id}/cancel"' not in mine.text
    ask = client.get(f"/my/appointments/{appointment_id}/cancel")
    assert "Yes, cancel this visit" in ask.text
    assert db.get(Appointment, appointment_id).status == "booked"  # type: ignore[union-attr]
    db.rollback()
    token = csrf_from(client, f"/my/appointments/{appointment_id}/cancel")
    done_cancel = client.post(
        f"/my/appointments/{appointment_id}/cancel", data={"csrf_token": token}
    )
    assert done_cancel.status_code == 303
    db.expire_all()
    assert db.get(Appointment, appointment_id).status == "cancelled"  # type: ignore[union-attr]


def test_a_taken_time_shows_a_clear_message_and_keeps_the_form(client: Any) -> None:
    page = client.get(
        "/book", params={"type": "free_screening", "mode": "in_clinic", "from": later_from()}
    )
    link = confirm_links(page.text)[0]
    confirm = client.get(link)
    fields = hidden_fields(confirm.text)
    first = client.post("/book/confirm", data={**fields, **account_form(client, link)})
    assert "Check your e-mail" in first.text
    client.cookies.clear()
    # A second person with both clinicians taken at that time, or "any" picking the other one:
    # book the same time twice more; the last one finds it taken.
    second = client.post(
        "/book/confirm",
        data={**fields, **account_form(client, link, email="second@example.com")},
    )
    client.cookies.clear()
    third = client.post(
        "/book/confirm",
        data={**fields, **account_form(client, link, email="third@example.com")},
    )
    last = third if second.status_code == 200 else second
    assert last.status_code == 409
    assert "That time was just taken" in last.text
    assert "Pick another time" in last.text
    assert 'value="third@example.com"' in last.text or 'value="second@example.com"' in last.text


def test_at_home_asks_for_the_address(client: Any, db: Session) -> None:
    page = client.get(
        "/book", params={"type": "initial_evaluation", "mode": "at_home", "from": later_from()}
    )
    link = confirm_links(page.text)[0]
    confirm = client.get(link)
    assert '<label for="address">Address for the home visit</label>' in confirm.text
    form = {**hidden_fields(confirm.text), **account_form(client, link)}
    refused = client.post("/book/confirm", data=form)
    assert refused.status_code == 422
    assert "enter the address" in refused.text
    held = client.post("/book/confirm", data={**form, "address": "7 Birch Road"})
    assert "Check your e-mail" in held.text
    done = f.follow_booking_link(client, db, "robin@example.com")
    assert "7 Birch Road" in client.get(done.headers["location"]).text


def test_emergency_screening_shows_the_reason_and_no_booking_form(
    client: Any, db: Session, kb: Knowledge
) -> None:
    rule = next(r for r in kb.rules if r.urgency == "emergency")
    screening = f.make_screening(
        db,
        kb,
        urgency="emergency",
        visitor_token="visitor-x",
        red_flags=[{"id": rule.id, "urgency": "emergency", "because": []}],
    )
    client.cookies.set(VISITOR_COOKIE, "visitor-x")
    for path in (
        f"/book?screening={screening.id}",
        f"/book/confirm?type=free_screening&mode=virtual&start=2030-01-07T15:00Z"
        f"&screening={screening.id}",
        # Leaving the screening out changes nothing: it is this browser's newest.
        "/book?type=free_screening&mode=virtual",
        "/book/confirm?type=free_screening&mode=virtual&start=2030-01-07T15:00Z",
    ):
        page = client.get(path)
        assert page.status_code == 200
        assert "Seek emergency care now" in page.text
        assert rule.patient_message.split(".")[0] in html.unescape(page.text)
        assert '<form method="get" action="/book"' not in page.text
        assert "/book/confirm" not in page.text
        assert "Book this visit" not in page.text


def test_a_form_post_without_the_screening_shows_the_refusal_not_the_form(
    client: Any, db: Session, kb: Knowledge
) -> None:
    f.make_screening(db, kb, urgency="emergency", visitor_token="visitor-z")
    client.cookies.set(VISITOR_COOKIE, "visitor-z")
    form = {
        "csrf_token": csrf_from(client, "/login"),
        "type": "free_screening",
        "mode": "virtual",
        "start": "2030-01-07T15:00Z",
        "full_name": "Sam Gate",
        "email": "sam.gate@example.com",
        "password": "a-long-password",
    }
    refused = client.post("/book/confirm", data=form)
    assert "Seek emergency care now" in refused.text
    assert "Book this visit" not in refused.text
    assert f.patient_by_email(db, "sam.gate@example.com") is None


def test_conservative_screening_preselects_the_free_screening_and_links(
    client: Any, db: Session, kb: Knowledge
) -> None:
    screening = f.make_screening(db, kb, urgency="conservative", visitor_token="visitor-y")
    client.cookies.set(VISITOR_COOKIE, "visitor-y")
    page = client.get("/book", params={"screening": screening.id, "mode": "virtual"})
    assert (
        'id="type-free_screening" name="type" value="free_screening" required\n          checked'
        in page.text
        or ("Free times for free screening" in page.text)
    )
    link = confirm_links(page.text)[0]
    assert f"screening={screening.id}" in link
    confirm = client.get(link)
    # The result page's link is the person's choice: the box comes ticked.
    assert form_fields(confirm.text)["screening"] == screening.id
    held = client.post(
        "/book/confirm", data={**form_fields(confirm.text), **account_form(client, link)}
    )
    assert "Check your e-mail" in held.text
    done = f.follow_booking_link(client, db, "robin@example.com")
    shown = client.get(done.headers["location"])
    assert f'href="/screening/{screening.id}/result"' in shown.text
    db.expire_all()
    db.refresh(screening)
    assert screening.patient_id is not None
    db.rollback()
    other_browser = client.get("/book", params={"screening": "0" * 32})
    assert other_browser.status_code == 404


def test_an_address_with_an_account_gets_the_same_page_as_a_new_one(
    client: Any, db: Session
) -> None:
    """No one learns from the booking page who has an account here."""
    page = client.get(
        "/book", params={"type": "free_screening", "mode": "virtual", "from": later_from()}
    )
    links = confirm_links(page.text)
    answers = []
    for link, email in ((links[0], "brand.new@example.com"), (links[2], PATIENT.email)):
        confirm = client.get(link)
        form = {**hidden_fields(confirm.text), **account_form(client, link, email=email)}
        answer = client.post("/book/confirm", data=form)
        assert answer.status_code == 200
        # Word for word, but for the address and this browser's CSRF token.
        answers.append(re.sub(r"[0-9a-f]{64}", "TOKEN", answer.text.replace(email, "ADDRESS")))
        client.cookies.clear()
    assert answers[0] == answers[1]
    assert "already exists" not in answers[1]
    # The account's owner is told, and confirms after logging in.
    login(client, PATIENT.email, PATIENT.password)
    done = f.follow_booking_link(client, db, PATIENT.email, kind="booking_attempt")
    assert "Your visit is booked" in client.get(done.headers["location"]).text


def test_a_bad_used_or_expired_link_gets_plain_words_not_an_error(
    client: Any, db: Session, pinned_clock: Any
) -> None:
    for token in ("", "made-up", "x" * 500):
        page = client.get("/book/verify", params={"token": token})
        assert page.status_code == 400
        assert "This link has expired or was already used." in page.text
        assert "Your visit is not booked" in page.text
    page = client.get(
        "/book", params={"type": "free_screening", "mode": "virtual", "from": later_from()}
    )
    link = confirm_links(page.text)[0]
    confirm = client.get(link)
    client.post("/book/confirm", data={**hidden_fields(confirm.text), **account_form(client, link)})
    db.rollback()
    emailed = f.emailed_link(db, to="robin@example.com", kind="verify_address")
    db.rollback()
    path = "/book/verify?token=" + f.link_token(emailed)
    ask = client.get(path)
    assert "Choose a password for robin@example.com" in ask.text
    mismatch = client.post(
        "/book/verify",
        data={
            "csrf_token": csrf_from(client, path),
            "token": f.link_token(emailed),
            "new_password": "a-long-password",
            "repeat_password": "another-long-one",
        },
    )
    assert mismatch.status_code == 400
    assert "the two passwords are not the same" in mismatch.text
    pinned_clock.shift(timedelta(hours=2, minutes=1))  # past the clinic's 2-hour hold
    late = client.get(path)
    assert late.status_code == 400
    assert "This link has expired or was already used." in late.text
    posted_late = client.post(
        "/book/verify",
        data={
            "csrf_token": csrf_from(client, "/login"),
            "token": f.link_token(emailed),
            "new_password": "a-long-password",
            "repeat_password": "a-long-password",
        },
    )
    assert posted_late.status_code == 400
    assert "Your visit is not booked" in posted_late.text


def test_csrf_is_required_to_confirm(client: Any) -> None:
    client.get("/book")
    response = client.post(
        "/book/confirm",
        data={"type": "free_screening", "mode": "virtual", "start": "2030-01-07T15:00Z"},
    )
    assert response.status_code == 403


def test_patient_cancels_and_reschedules_from_my_appointments(client: Any, db: Session) -> None:
    login(client, PATIENT.email, PATIENT.password)
    page = client.get(
        "/book", params={"type": "follow_up", "mode": "virtual", "from": later_from()}
    )
    link = confirm_links(page.text)[0]
    confirm = client.get(link)
    assert "Your details" not in confirm.text  # logged in: no account fields
    done = client.post(
        "/book/confirm",
        data={**hidden_fields(confirm.text), "csrf_token": csrf_from(client, link)},
    )
    assert done.status_code == 303
    appointment_id = int(done.headers["location"].split("/")[-1].split("?")[0])
    choose = client.get(f"/my/appointments/{appointment_id}/reschedule")
    assert choose.status_code == 200
    options = re.findall(r'name="slot" value="([^"]+)"', choose.text)
    assert options
    before = db.get(Appointment, appointment_id)
    assert before is not None
    old_start = before.starts_at
    db.rollback()
    moved = client.post(
        f"/my/appointments/{appointment_id}/reschedule",
        data={"slot": options[-1], "csrf_token": csrf_from(client, "/my/appointments")},
    )
    assert moved.status_code == 303
    assert "Your visit was moved" in client.get(moved.headers["location"]).text
    db.expire_all()
    after = db.get(Appointment, appointment_id)
    assert after is not None
    assert after.starts_at != old_start
    assert after.sequence == 1
    db.rollback()
    cancelled = client.post(
        f"/my/appointments/{appointment_id}/cancel",
        data={"csrf_token": csrf_from(client, "/my/appointments")},
    )
    assert cancelled.status_code == 303
    mine = client.get("/my/appointments?done=cancelled")
    assert "Your visit was cancelled" in mine.text
    assert "(cancelled)" in mine.text


def test_too_late_to_change_shows_the_reason(client: Any, db: Session) -> None:
    from popliteal.clock import utcnow

    demo = db.scalar(select(Appointment).order_by(Appointment.id).limit(1))
    assert demo is not None
    demo.starts_at = utcnow() + timedelta(hours=3)
    demo.ends_at = demo.starts_at + timedelta(minutes=20)
    db.commit()
    login(client, PATIENT.email, PATIENT.password)
    mine = client.get("/my/appointments")
    assert "can be changed online up to 24 hours" in mine.text
    assert f"/my/appointments/{demo.id}/cancel" not in mine.text
    refused = client.post(
        f"/my/appointments/{demo.id}/cancel",
        data={"csrf_token": csrf_from(client, "/my/appointments")},
    )
    assert refused.status_code == 403
    assert "555-0199" in refused.text


def test_my_appointments_needs_a_patient_login(client: Any) -> None:
    response = client.get("/my/appointments")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    login(client, CHIRO.email, CHIRO.password)
    assert client.get("/my/appointments").status_code == 403


# -------------------------------------------------------------------- staff pages


def test_staff_schedule_shows_the_week_with_patient_links(client: Any, db: Session) -> None:
    demo = db.scalar(select(Appointment).order_by(Appointment.id).limit(1))
    assert demo is not None
    day = demo.starts_at.astimezone(f.TZ).date()
    patient_id = demo.patient_id
    db.rollback()
    login(client, CHIRO.email, CHIRO.password)
    own = client.get("/staff/schedule", params={"view": "week", "date": day.isoformat()})
    assert own.status_code == 200
    assert "Jordan Demo" not in own.text  # the chiropractor's own week: the visit is the PT's
    everyone = client.get(
        "/staff/schedule", params={"view": "week", "date": day.isoformat(), "clinician": "all"}
    )
    assert f'<a href="/staff/patients/{patient_id}">Jordan Demo</a>' in everyone.text
    assert "10:00\N{EN DASH}10:20 C" in everyone.text
    assert "America/Chicago" in everyone.text
    day_view = client.get(
        "/staff/schedule", params={"view": "day", "date": day.isoformat(), "clinician": "all"}
    )
    assert day_view.text.count("<h2>") == 1
    assert client.get("/staff/schedule", params={"clinician": "x"}).status_code == 422


def test_schedule_and_admin_pages_are_for_staff_and_admins(client: Any) -> None:
    assert client.get("/staff/schedule").status_code == 303
    login(client, PATIENT.email, PATIENT.password)
    assert client.get("/staff/schedule").status_code == 403
    client.cookies.clear()
    login(client, CHIRO.email, CHIRO.password)
    assert client.get("/staff/admin/appointment-types").status_code == 403
    assert client.get("/staff/admin/availability").status_code == 403


def test_admin_edits_a_type(client: Any, db: Session) -> None:
    kind = db.scalar(select(AppointmentType).where(AppointmentType.code == "follow_up"))
    assert kind is not None
    type_id = kind.id
    db.rollback()
    login(client, ADMIN.email, ADMIN.password)
    page = client.get("/staff/admin/appointment-types")
    assert f'<label for="minutes-{type_id}">Length in minutes</label>' in page.text
    token = csrf_from(client, "/staff/admin/appointment-types")
    saved = client.post(
        f"/staff/admin/appointment-types/{type_id}",
        data={"csrf_token": token, "name": "Check-in", "minutes": "40", "modes": ["virtual"]},
    )
    assert saved.status_code == 303
    db.expire_all()
    kind = db.get(AppointmentType, type_id)
    assert kind is not None
    assert (kind.name, kind.minutes, kind.modes, kind.active) == (
        "Check-in",
        40,
        ["virtual"],
        False,
    )
    db.rollback()
    bad = client.post(
        f"/staff/admin/appointment-types/{type_id}",
        data={"csrf_token": token, "name": "Check-in", "minutes": "40", "active": "true"},
    )
    assert bad.status_code == 422
    assert "at least one way" in bad.text


def test_admin_adds_and_removes_availability(client: Any, db: Session) -> None:
    chiro_id = f.chiro(db).id
    db.rollback()
    login(client, ADMIN.email, ADMIN.password)
    token = csrf_from(client, "/staff/admin/availability")
    added = client.post(
        "/staff/admin/availability",
        data={
            "csrf_token": token,
            "clinician_id": str(chiro_id),
            "weekday": "5",
            "start": "09:00",
            "end": "11:30",
            "modes": ["virtual", "in_clinic"],
        },
    )
    assert added.status_code == 303
    block = db.scalar(
        select(Availability).where(Availability.clinician_id == chiro_id, Availability.weekday == 5)
    )
    assert block is not None
    assert block.modes == ["in_clinic", "virtual"]
    block_id = block.id
    db.rollback()
    page = client.get("/staff/admin/availability")
    assert "Saturday" in page.text
    assert "11:30" in page.text
    backwards = client.post(
        "/staff/admin/availability",
        data={
            "csrf_token": token,
            "clinician_id": str(chiro_id),
            "weekday": "5",
            "start": "12:00",
            "end": "11:00",
            "modes": ["virtual"],
        },
    )
    assert backwards.status_code == 422
    assert "end after it starts" in backwards.text
    removed = client.post(
        f"/staff/admin/availability/{block_id}/delete", data={"csrf_token": token}
    )
    assert removed.status_code == 303
    db.expire_all()
    assert db.get(Availability, block_id) is None


def test_paging_links_keep_the_choice_and_carry_no_empty_fields(client: Any) -> None:
    page = client.get("/book?type=free_screening&mode=virtual")
    later = re.search(r'href="(/book\?[^"]*from=[^"]+)"', page.text)
    assert later is not None
    link = html.unescape(later.group(1))
    assert "type=free_screening" in link
    assert "mode=virtual" in link
    assert "screening=&" not in link
    assert client.get(link).status_code == 200
