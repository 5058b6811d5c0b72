"""A visit booked without logging in is held until its e-mailed link is followed: the slot is
not offered to anyone else meanwhile, and is free again once the clinic's hold time has passed
(on the clock: availability, the next booking and `popliteal maintenance run` all agree)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts import audit_keys, links
from popliteal.accounts.models import AuditEvent, User
from popliteal.booking import notices as mail_notices
from popliteal.booking import service as booking_service
from popliteal.booking import slots as booking_slots
from popliteal.booking.errors import SlotTaken
from popliteal.booking.models import Appointment
from popliteal.booking.service import NewAccount
from popliteal.db import make_engine, make_sessionmaker
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from tests.booking import factories as f
from tests.conftest import RunCli

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)  # Monday 06:00 in Chicago
TUESDAY = date(2027, 1, 5)
TEN = f.local(TUESDAY, 10)


def hold(db: Session, email: str, **kwargs: Any) -> booking_service.Booked:
    args: dict[str, Any] = {
        "clinic": f.clinic(db),
        "actor": None,
        "type_ref": "free_screening",
        "mode": "in_clinic",
        "starts_at": TEN,
        "clinician_id": f.pt(db).id,
        "new_account": NewAccount(email=email, full_name="Held Person", phone="555"),
        "base_url": "http://clinic.test",
        "now": NOW,
    }
    args.update(kwargs)
    return booking_service.book(db, **args)


def offered(db: Session, *, now: datetime) -> bool:
    """Whether 10:00 on Tuesday with the PT is offered to the next person at `now`."""
    free = booking_slots.list_slots(
        db,
        clinic=f.clinic(db),
        type_ref="free_screening",
        mode="in_clinic",
        first_day=TUESDAY,
        last_day=TUESDAY,
        clinician_id=f.pt(db).id,
        now=now,
    )
    return any(s.starts_at == TEN for s in free)


def status(db: Session, appointment_id: int) -> str:
    db.expire_all()
    return db.get_one(Appointment, appointment_id).status


def held_id(db: Session) -> int:
    found = db.scalar(select(Appointment.id).where(Appointment.status == "held"))
    assert found is not None
    return found


@pytest.mark.postgres
def test_a_held_slot_is_not_offered_until_its_time_runs_out(db: Session) -> None:
    minutes = f.clinic(db).booking_hold_minutes
    assert minutes == 120  # the default clinic setting
    assert offered(db, now=NOW)
    first = hold(db, "first@example.com")
    assert first.appointment is None
    assert first.held is not None
    assert "within 2 hours" in first.held.message
    assert not offered(db, now=NOW)
    assert not offered(db, now=NOW + timedelta(minutes=minutes - 1))
    with pytest.raises(SlotTaken, match="just taken"):
        hold(db, "second@example.com", now=NOW + timedelta(minutes=minutes - 1))
    # The hold runs out: the slot is offered again, and the next person gets it.
    later = NOW + timedelta(minutes=minutes)
    assert offered(db, now=later)
    first_id = held_id(db)
    second = hold(db, "second@example.com", now=later)
    assert status(db, first_id) == "expired"
    assert second.held is not None
    # The first link no longer confirms anything, in plain words.
    with pytest.raises(AccountError, match="expired or was already used"):
        f.confirm_hold(db, first.held.link, now=later)
    done = f.confirm_hold(db, second.held.link, now=later + timedelta(minutes=5))
    assert done.view.status == "booked"
    assert done.new_account
    assert not offered(db, now=later)


def test_the_link_confirms_once_sets_the_password_and_sends_the_confirmation(db: Session) -> None:
    held = hold(db, "Once@Example.com")
    assert held.held is not None
    queued = f.outbox(db, to="once@example.com", kind="verify_address")
    assert len(queued) == 1
    assert "Free screening, Tuesday 5 January 2027 at 10:00" in queued[0].text_body
    assert held.held.link is not None
    assert held.held.link in queued[0].text_body
    person = db.scalar(select(User).where(User.email == "once@example.com"))
    assert person is not None
    assert person.email_verified_at is None
    assert f.outbox(db, to="once@example.com", kind="appointment_booked") == []
    with pytest.raises(AccountError, match="at least 10 characters"):
        f.confirm_hold(db, held.held.link, now=NOW, password="short")
    assert status(db, held_id(db)) == "held"  # a refused password leaves the link working
    done = f.confirm_hold(db, held.held.link, now=NOW + timedelta(minutes=3))
    assert status(db, done.view.id) == "booked"
    db.expire_all()
    person = db.get_one(User, person.id)
    assert person.email_verified_at == NOW + timedelta(minutes=3)
    booked_mail = f.outbox(db, to="once@example.com", kind="appointment_booked")
    assert len(booked_mail) == 1
    assert booked_mail[0].attachments[0]["filename"] == "visit.ics"
    with pytest.raises(AccountError, match="expired or was already used"):
        f.confirm_hold(db, held.held.link, now=NOW + timedelta(minutes=4))
    with pytest.raises(AccountError, match="expired or was already used"):
        f.confirm_hold(db, "http://clinic.test/book/verify?token=made-up", now=NOW)


def test_a_held_visit_is_on_no_list_and_gets_no_reminder(db: Session, kb: Knowledge) -> None:
    from popliteal.workspace import patient_list

    hold(db, "quiet@example.com")
    appointment_id = held_id(db)
    staff = f.actor_for(db, f.pt(db).email)
    assert appointment_id not in {a.id for a in booking_service.list_appointments(db, actor=staff)}
    with pytest.raises(NotAllowed):
        booking_service.get_appointment(db, actor=staff, appointment_id=appointment_id)
    day_before = TEN - timedelta(hours=23)
    assert mail_notices.enqueue_due_reminders(db, now=day_before) == 0
    assert f.outbox(db, to="quiet@example.com", kind="appointment_reminder") == []
    # Not a patient of the clinic until the link is followed: not on the patient list.
    unlisted = patient_list.list_page(db, kb=kb, actor=staff, now=NOW, q="quiet@")
    assert unlisted.total == 0
    f.confirm_hold(db, f.emailed_link(db, to="quiet@example.com", kind="verify_address"), now=NOW)
    listed = patient_list.list_page(db, kb=kb, actor=staff, now=NOW, q="quiet@")
    assert [p.full_name for p in listed.patients] == ["Held Person"]


def test_an_unverified_address_booking_again_gets_a_fresh_link_not_a_second_account(
    db: Session,
) -> None:
    hold(db, "twice@example.com")
    users = db.scalar(select(func.count()).select_from(User))
    again = hold(db, "twice@example.com", starts_at=f.local(TUESDAY, 11))
    assert db.scalar(select(func.count()).select_from(User)) == users
    assert len(f.outbox(db, to="twice@example.com", kind="verify_address")) == 2
    assert again.held is not None
    f.confirm_hold(db, again.held.link, now=NOW)
    holds_made = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "hold", AuditEvent.patient_id.is_not(None))
    ).all()
    opened = audit_keys.open_events(db, holds_made)
    assert [o.detail["account"] for o in opened] == ["verify", "verify"]


@pytest.mark.postgres
def test_maintenance_run_frees_the_slots_of_holds_past_their_time(
    database_url: str, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as db:
        held = hold(db, "late@example.com", now=NOW)
        assert held.held is not None
        appointment_id = held_id(db)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with time_machine.travel(NOW + timedelta(minutes=119), tick=False):
        early = run_cli("maintenance", "run")
    assert early.returncode == 0, early.stderr
    assert "unconfirmed visit holds released: 0" in early.stdout
    with time_machine.travel(NOW + timedelta(minutes=121), tick=False):
        late = run_cli("maintenance", "run")
    assert "unconfirmed visit holds released: 1" in late.stdout
    with make_sessionmaker(engine)() as db:
        assert status(db, appointment_id) == "expired"
        with pytest.raises(AccountError, match=links.LINK_USELESS):
            f.confirm_hold(db, held.held.link, now=NOW + timedelta(minutes=5))
    engine.dispose()
