"""Booking use cases on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import AuditEvent, User
from popliteal.booking import admin as booking_admin
from popliteal.booking import service as booking_service
from popliteal.booking import slots as booking_slots
from popliteal.booking.errors import BookingError, PolicyRefused, SlotTaken
from popliteal.booking.models import Appointment
from popliteal.booking.service import NewAccount
from popliteal.booking.views import AppointmentView
from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.errors import NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.screening.models import Screening
from tests.booking import factories as f

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)  # Monday 06:00 in Chicago
TUESDAY = date(2027, 1, 5)
WEDNESDAY = date(2027, 1, 6)


def new(email: str = "new.person@example.com") -> NewAccount:
    return NewAccount(email=email, full_name="New Person", phone="555")


@dataclass(frozen=True)
class Done:
    appointment: AppointmentView
    new_user: User | None


def hold(db: Session, **kwargs: Any) -> booking_service.Booked:
    """Book without logging in: the visit is held (booking_service.book as is)."""
    args: dict[str, Any] = {
        "clinic": f.clinic(db),
        "actor": None,
        "type_ref": "free_screening",
        "mode": "in_clinic",
        "starts_at": f.local(TUESDAY, 10),
        "now": NOW,
        "new_account": new(),
        "base_url": "http://clinic.test",
    }
    args.update(kwargs)
    return booking_service.book(db, **args)


def book(db: Session, **kwargs: Any) -> Done:
    """Book; without an actor, hold and then follow the e-mailed link as the new person."""
    args: dict[str, Any] = {
        "clinic": f.clinic(db),
        "actor": None,
        "type_ref": "free_screening",
        "mode": "in_clinic",
        "starts_at": f.local(TUESDAY, 10),
        "now": NOW,
    }
    args.update(kwargs)
    if args["actor"] is None:
        args.setdefault("new_account", new())
        args["base_url"] = "http://clinic.test"
    booked = booking_service.book(db, **args)
    if booked.appointment is not None:
        return Done(booked.appointment, None)
    assert booked.held is not None
    confirmed = f.confirm_hold(db, booked.held.link, now=args["now"])
    return Done(confirmed.view, confirmed.user if confirmed.new_account else None)


def booked_count(db: Session) -> int:
    return int(
        db.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == "booked")
        )
        or 0
    )


def test_book_with_a_new_account_stores_patient_appointment_and_audit(db: Session) -> None:
    booked = book(db, clinician_id=f.pt(db).id)
    a = booked.appointment
    assert booked.new_user is not None
    assert booked.new_user.role == "patient"
    assert a.starts_at == f.local(TUESDAY, 10)
    assert a.ends_at - a.starts_at == timedelta(minutes=20)
    assert a.clinician_name == ADMIN.name
    assert a.patient_name == "New Person"
    assert a.location.startswith("Demo Sports")
    patient = f.patient_by_email(db, "new.person@example.com")
    assert patient is not None
    assert a.patient_id == patient.id
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.patient_id == patient.id, AuditEvent.action == "create")
    ).all()
    assert [e.entity for e in events] == ["appointment"]


def test_logged_in_patient_books_for_themselves(db: Session) -> None:
    actor = f.demo_patient_actor(db)
    booked = book(db, actor=actor, mode="virtual")
    assert booked.new_user is None
    assert booked.appointment.patient_id == actor.patient_id
    assert booked.appointment.location.startswith("Video call: the clinic sends you the link")


def test_any_clinician_picks_a_free_one_then_the_time_is_taken(db: Session) -> None:
    # Wednesday 09:00 both the PT and the chiropractor are free.
    start = f.local(WEDNESDAY, 9)
    first = book(db, starts_at=start, new_account=new("one@example.com")).appointment
    second = book(db, starts_at=start, new_account=new("two@example.com")).appointment
    assert {first.clinician_name, second.clinician_name} == {ADMIN.name, CHIRO.name}
    users_before = f.user_count(db)
    with pytest.raises(SlotTaken, match="just taken"):
        book(db, starts_at=start, new_account=new("three@example.com"))
    assert f.user_count(db) == users_before


def test_a_time_outside_availability_is_refused(db: Session) -> None:
    with pytest.raises(BookingError, match="not open for booking") as info:
        book(db, starts_at=f.local(TUESDAY, 7))
    assert not isinstance(info.value, SlotTaken)
    with pytest.raises(BookingError, match="not open"):
        book(db, starts_at=f.local(TUESDAY, 10, 5))  # not on the 15-minute grid


def test_at_home_needs_an_address_and_a_type_that_offers_it(db: Session) -> None:
    before = f.user_count(db)
    with pytest.raises(BookingError, match="address"):
        book(db, type_ref="initial_evaluation", mode="at_home", starts_at=f.local(TUESDAY, 9))
    with pytest.raises(BookingError, match="not offered as at your home"):
        book(db, mode="at_home", address="1 Oak St", starts_at=f.local(TUESDAY, 9))
    assert f.user_count(db) == before
    ok = book(
        db,
        type_ref="initial_evaluation",
        mode="at_home",
        address=" 1 Oak St, Springfield ",
        starts_at=f.local(TUESDAY, 9),
    ).appointment
    assert ok.location == "1 Oak St, Springfield"


def test_emergency_and_urgent_screenings_cannot_book_and_nothing_is_written(
    db: Session, kb: Knowledge
) -> None:
    before = f.user_count(db)
    for urgency, words in (("emergency", "emergency care now"), ("urgent", "see a doctor")):
        screening = f.make_screening(db, kb, urgency=urgency, visitor_token="tok")
        with pytest.raises(BookingError, match=words):
            book(db, screening_id=screening.id, visitor_token="tok")
        db.refresh(screening)
        assert screening.patient_id is None
    assert f.user_count(db) == before
    assert booked_count(db) == 1  # only the demo appointment


def test_a_conservative_screening_is_linked_to_the_new_patient(db: Session, kb: Knowledge) -> None:
    screening = f.make_screening(db, kb, urgency="conservative", visitor_token="tok")
    booked = book(db, screening_id=screening.id, visitor_token="tok")
    db.expire_all()
    stored = db.get(Screening, screening.id)
    assert stored is not None
    assert stored.patient_id == booked.appointment.patient_id
    assert stored.token_hash is None
    assert booked.appointment.screening_id == screening.id


def test_someone_elses_screening_is_not_found(db: Session, kb: Knowledge) -> None:
    screening = f.make_screening(db, kb, urgency="conservative", visitor_token="tok")
    with pytest.raises(NotAllowed):
        book(db, screening_id=screening.id, visitor_token="another-browser")


def test_an_address_with_an_account_gets_the_same_answer_and_an_email_not_an_error(
    db: Session,
) -> None:
    """No one learns who has an account: the answer is the new person's, word for word; the
    account's owner is told by e-mail and confirms only after logging in."""
    fresh = hold(db, new_account=new("nobody.yet@example.com"), starts_at=f.local(TUESDAY, 9))
    before = f.user_count(db)
    known = hold(db, new_account=new(PATIENT.email.upper()))
    assert known.appointment is None
    assert fresh.appointment is None
    assert known.held is not None
    assert fresh.held is not None
    assert known.held.message == fresh.held.message.replace("nobody.yet@example.com", PATIENT.email)
    assert f.user_count(db) == before  # no second account
    assert booked_count(db) == 1  # nothing booked yet
    told = f.outbox(db, to=PATIENT.email, kind="booking_attempt")
    assert len(told) == 1
    assert "log in to confirm" in told[0].text_body
    assert "New Person" not in told[0].text_body  # the account's own name, never the typed one
    assert "/book/verify?token=" in told[0].text_body
    # Following the link without logging in (or as someone else) confirms nothing.
    with pytest.raises(NotAllowed):
        f.confirm_hold(db, known.held.link, now=NOW)
    with pytest.raises(NotAllowed):
        f.confirm_hold(db, known.held.link, now=NOW, actor=f.actor_for(db, CHIRO.email))
    owner = f.demo_patient_actor(db)
    done = f.confirm_hold(db, known.held.link, now=NOW, actor=owner, password="")
    assert done.view.patient_id == owner.patient_id
    assert done.new_account is False
    assert booked_count(db) == 2


def test_a_staff_address_gets_the_same_answer_no_hold_and_an_email(db: Session) -> None:
    fresh = hold(db, new_account=new("nobody.yet@example.com"), starts_at=f.local(TUESDAY, 9))
    staff = hold(db, new_account=new(CHIRO.email))
    assert staff.held is not None
    assert fresh.held is not None
    assert staff.held.message == fresh.held.message.replace("nobody.yet@example.com", CHIRO.email)
    told = f.outbox(db, to=CHIRO.email, kind="booking_attempt")
    assert len(told) == 1
    assert "Staff accounts cannot book" in told[0].text_body
    assert f"Hello {CHIRO.name}," in told[0].text_body  # never the name typed on the form
    assert (
        db.scalar(select(func.count()).select_from(Appointment).where(Appointment.status == "held"))
        == 1
    )  # the new person's only


@pytest.mark.postgres
def test_the_database_guard_rolls_back_the_new_account(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a concurrent booking slips past the slot check, the overlap guard refuses it."""
    first = book(db, clinician_id=f.pt(db).id, new_account=new("first@example.com"))
    # Simulate the race: this call's slot check sees no bookings, as a concurrent writer would.
    monkeypatch.setattr(booking_slots, "_busy", lambda *a, **k: [])
    before = f.user_count(db)
    with pytest.raises(SlotTaken, match="just taken"):
        book(db, clinician_id=f.pt(db).id, new_account=new("second@example.com"))
    assert f.user_count(db) == before
    assert f.patient_by_email(db, "second@example.com") is None
    assert booked_count(db) == 2
    assert first.appointment.id is not None


def test_staff_cannot_book_as_a_patient(db: Session) -> None:
    with pytest.raises(PolicyRefused):
        book(db, actor=f.actor_for(db, CHIRO.email))


# -------------------------------------------------------------------- cancel and reschedule


def test_patient_cancels_own_visit_before_the_notice_period(db: Session) -> None:
    actor = f.demo_patient_actor(db)
    a = book(db, actor=actor).appointment
    view = booking_service.cancel(db, actor=actor, appointment_id=a.id, now=NOW)
    assert view.status == "cancelled"
    assert view.sequence == 1
    with pytest.raises(SlotTaken, match="already cancelled"):
        booking_service.cancel(db, actor=actor, appointment_id=a.id, now=NOW)
    # the time is free again
    again = book(db, actor=actor).appointment
    assert again.starts_at == a.starts_at


def test_patient_cannot_change_within_the_notice_period_but_staff_can(db: Session) -> None:
    actor = f.demo_patient_actor(db)
    a = book(db, actor=actor).appointment
    late = a.starts_at - timedelta(hours=23)
    with pytest.raises(PolicyRefused, match="24 hours"):
        booking_service.cancel(db, actor=actor, appointment_id=a.id, now=late)
    with pytest.raises(PolicyRefused):
        booking_service.reschedule(
            db, actor=actor, appointment_id=a.id, starts_at=f.local(TUESDAY, 11), now=late
        )
    view = booking_service.get_appointment(db, actor=actor, appointment_id=a.id, now=late)
    assert not view.may_change
    assert "24 hours" in (view.change_refusal or "")
    staff = f.actor_for(db, ADMIN.email)
    assert booking_service.cancel(db, actor=staff, appointment_id=a.id, now=late).status == (
        "cancelled"
    )


def test_patients_cannot_touch_other_patients_appointments(db: Session) -> None:
    mine = book(db, new_account=new("mine@example.com")).appointment
    other = f.demo_patient_actor(db)
    with pytest.raises(NotAllowed):
        booking_service.get_appointment(db, actor=other, appointment_id=mine.id, now=NOW)
    with pytest.raises(NotAllowed):
        booking_service.cancel(db, actor=other, appointment_id=mine.id, now=NOW)
    with pytest.raises(NotAllowed):
        booking_service.reschedule(
            db, actor=other, appointment_id=mine.id, starts_at=f.local(TUESDAY, 11), now=NOW
        )
    assert mine.id not in [
        v.id for v in booking_service.list_appointments(db, actor=other, now=NOW)
    ]


def test_reschedule_keeps_the_id_and_raises_the_sequence(db: Session) -> None:
    actor = f.demo_patient_actor(db)
    a = book(db, actor=actor, clinician_id=f.pt(db).id).appointment
    moved = booking_service.reschedule(
        db, actor=actor, appointment_id=a.id, starts_at=f.local(TUESDAY, 10, 15), now=NOW
    )
    assert moved.id == a.id
    assert moved.sequence == a.sequence + 1
    assert moved.starts_at == f.local(TUESDAY, 10, 15)  # overlapping its old time is fine
    assert moved.clinician_id == a.clinician_id  # the same clinician when free
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == str(a.id), AuditEvent.action == "update")
    ).all()
    assert len(events) == 1


def test_reschedule_onto_a_taken_time_is_refused_and_nothing_changes(db: Session) -> None:
    actor = f.demo_patient_actor(db)
    pt_id = f.pt(db).id
    a = book(db, actor=actor, clinician_id=pt_id).appointment
    book(db, starts_at=f.local(TUESDAY, 11), clinician_id=pt_id, new_account=new("x@example.com"))
    with pytest.raises(SlotTaken):
        booking_service.reschedule(
            db,
            actor=actor,
            appointment_id=a.id,
            starts_at=f.local(TUESDAY, 11),
            clinician_id=pt_id,
            now=NOW,
        )
    db.expire_all()
    stored = db.get(Appointment, a.id)
    assert stored is not None
    assert stored.starts_at == a.starts_at
    assert stored.sequence == 0


def test_reading_appointments_writes_audit_events(db: Session) -> None:
    staff = f.actor_for(db, CHIRO.email)

    def reads() -> int:
        return int(
            db.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "read", AuditEvent.entity == "appointment")
            )
            or 0
        )

    before = reads()
    views = booking_service.list_appointments(db, actor=staff, now=NOW)
    assert len(views) == 1
    assert reads() == before + 1


# -------------------------------------------------------------------- slots and admin


def test_list_slots_validates_and_lists(db: Session) -> None:
    clinic = f.clinic(db)
    found = booking_slots.list_slots(
        db,
        clinic=clinic,
        type_ref="follow_up",
        mode="at_home",
        first_day=TUESDAY,
        last_day=TUESDAY,
        now=NOW,
    )
    # Tuesday at home: the PT 08:00-12:00 and the chiropractor 14:00-18:00.
    assert {s.clinician_name for s in found} == {ADMIN.name, CHIRO.name}
    with pytest.raises(BookingError, match="unknown appointment type 'nope'"):
        booking_slots.list_slots(
            db, clinic=clinic, type_ref="nope", mode="virtual", first_day=TUESDAY, last_day=TUESDAY
        )
    with pytest.raises(BookingError, match="before the start"):
        booking_slots.list_slots(
            db,
            clinic=clinic,
            type_ref="follow_up",
            mode="virtual",
            first_day=TUESDAY,
            last_day=TUESDAY - timedelta(1),
        )


def test_admin_changes_types_and_availability(db: Session) -> None:
    admin = f.actor_for(db, ADMIN.email)
    clinic = f.clinic(db)
    kind = booking_slots.get_type(db, clinic_id=clinic.id, ref="follow_up")
    booking_admin.update_type(
        db,
        actor=admin,
        type_id=kind.id,
        name="Follow-up",
        minutes=45,
        modes=["virtual"],
        active=True,
    )
    slots = booking_slots.list_slots(
        db,
        clinic=clinic,
        type_ref="follow_up",
        mode="virtual",
        first_day=TUESDAY,
        last_day=TUESDAY,
        now=NOW,
    )
    assert all(s.ends_at - s.starts_at == timedelta(minutes=45) for s in slots)
    with pytest.raises(BookingError, match="not offered"):
        booking_slots.list_slots(
            db,
            clinic=clinic,
            type_ref="follow_up",
            mode="in_clinic",
            first_day=TUESDAY,
            last_day=TUESDAY,
        )
    with pytest.raises(NotAllowed):
        booking_admin.update_type(
            db,
            actor=f.actor_for(db, CHIRO.email),
            type_id=kind.id,
            name="x",
            minutes=30,
            modes=["virtual"],
            active=True,
        )
    # Saturdays have no hours in the demo; add some for the chiropractor.
    saturday = date(2027, 1, 9)
    from datetime import time

    block = booking_admin.add_availability(
        db,
        actor=admin,
        clinician_id=f.chiro(db).id,
        weekday=5,
        start=time(9),
        end=time(10),
        modes=["in_clinic"],
    )
    sat = booking_slots.list_slots(
        db,
        clinic=clinic,
        type_ref="free_screening",
        mode="in_clinic",
        first_day=saturday,
        last_day=saturday,
        now=NOW,
    )
    assert [s.starts_at for s in sat][:1] == [f.local(saturday, 9)]
    booking_admin.remove_availability(db, actor=admin, availability_id=block.id)
    assert (
        booking_slots.list_slots(
            db,
            clinic=clinic,
            type_ref="free_screening",
            mode="in_clinic",
            first_day=saturday,
            last_day=saturday,
            now=NOW,
        )
        == []
    )
    with pytest.raises(BookingError, match="end after"):
        booking_admin.add_availability(
            db,
            actor=admin,
            clinician_id=f.chiro(db).id,
            weekday=5,
            start=time(10),
            end=time(9),
            modes=["virtual"],
        )
