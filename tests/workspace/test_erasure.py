"""Deleting my account: everything goes except the visit notes the clinic must keep; the audit
trail stays whole; the address can sign up again; clinicians see "Deleted account" only while
notes are kept."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
import textstat
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts import audit_log
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import (
    AuditEvent,
    LoginAttempt,
    LoginSession,
    Patient,
    RetainedIdentity,
    User,
)
from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment
from popliteal.demo import ADMIN, CHIRO
from popliteal.knowledge.loader import Knowledge
from popliteal.mail.models import OutboxMessage
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.plans.models import CarePlan
from popliteal.running.models import Activity
from popliteal.screening.models import ExamFinding, Screening
from popliteal.sessions.models import PainLog, SessionLog, VisitNote
from popliteal.workspace import erasure
from tests.accounts.factories import PASSWORD
from tests.conftest import csrf_from, login
from tests.workspace.rights_factories import person_with_history, the_patient

GONE = (
    Screening,
    ExamFinding,
    Appointment,
    CarePlan,
    SessionLog,
    PainLog,
    Activity,
    QuestionnaireResponse,
    Discharge,
    OutcomeAlert,
)


def count(db: Session, model: Any, *where: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def delete_me(client: Any, password: str = PASSWORD) -> Any:
    token = csrf_from(client, "/my/account/delete")
    return client.post("/my/account/delete", data={"password": password, "csrf_token": token})


def visible(page: str) -> str:
    body = page.split('<main id="main"', 1)[-1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.postgres
def test_deleting_removes_everything_but_the_notes_the_clinic_must_keep(
    client: Any, db: Session, kb: Knowledge, run_cli: Any
) -> None:
    episode = person_with_history(db, kb)
    pid = episode.patient_id
    assert all(count(db, m, m.patient_id == pid) for m in GONE if m is not ExamFinding)
    db.rollback()
    login(client, episode.email, PASSWORD)
    page = client.get("/my/account/delete")
    assert "your 2 visit notes" in visible(page.text)

    response = delete_me(client)

    assert response.status_code == 303
    assert response.headers["location"] == "/account/deleted"
    # Everything but the kept notes is gone.
    for model in GONE:
        assert count(db, model, model.patient_id == pid) == 0, model.__name__
    assert count(db, VisitNote, VisitNote.patient_id == pid) == 2
    linked = VisitNote.appointment_id.is_not(None)
    assert count(db, VisitNote, VisitNote.patient_id == pid, linked) == 0
    measures = select(RangeOfMotion.id).where(RangeOfMotion.patient_id == pid)
    kept_measures = list(db.scalars(measures))
    assert kept_measures == [episode.kept_measure_id]
    assert count(db, OutboxMessage, OutboxMessage.to_address == episode.email) == 0
    assert count(db, LoginSession, LoginSession.user_id == episode.user_id) == 0
    assert count(db, LoginAttempt, LoginAttempt.email == episode.email) == 0
    # The tombstones: no name, contact or date of birth; the identity kept apart.
    patient = the_patient(db, pid)
    assert (patient.full_name, patient.date_of_birth, patient.phone, patient.address) == (
        "Deleted account",
        None,
        "",
        "",
    )
    user = db.get(User, episode.user_id)
    assert user is not None
    assert user.email == f"deleted-{user.id}@deleted.invalid"
    assert not user.is_active
    kept = db.get(RetainedIdentity, pid)
    assert kept is not None
    assert (kept.full_name, kept.date_of_birth) == ("Pat Knee", date(1980, 5, 17))
    assert kept.keep_until == episode.last_visit.replace(year=episode.last_visit.year + 7)
    # The audit trail is whole and says only that a deletion happened.
    verdict = audit_log.verify(db)
    assert verdict.broken is None
    last = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert (last.action, last.patient_id) == ("delete", pid)
    assert last.detail == {"account": "deleted by the person", "visit_notes_kept": 2}
    assert "Pat Knee" not in str(last.detail)
    db.rollback()

    # The old session is over, the old login fails, the address can sign up again.
    assert client.get("/my/today").status_code in (303, 401)
    client.cookies.clear()
    token = csrf_from(client, "/login")
    refused = client.post(
        "/login", data={"email": episode.email, "password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 400
    again = accounts_service.register_patient(
        db, clinic_id=patient.clinic_id, email=episode.email, password=PASSWORD, full_name="Pat"
    )
    db.commit()
    assert again.id != pid
    login(client, episode.email, PASSWORD)
    assert client.get("/my/account").status_code == 200


def test_a_wrong_password_deletes_nothing(client: Any, db: Session, kb: Knowledge) -> None:
    episode = person_with_history(db, kb, notes=0)
    db.rollback()
    login(client, episode.email, PASSWORD)

    response = delete_me(client, "not-my-password-at-all")

    assert response.status_code == 400
    assert "That password is not right" in response.text
    assert the_patient(db, episode.patient_id).full_name == "Pat Knee"
    assert count(db, Screening, Screening.patient_id == episode.patient_id) > 0
    db.rollback()
    assert client.get("/my/account").status_code == 200


@pytest.mark.postgres
def test_clinicians_see_a_deleted_account_only_while_its_notes_are_kept(
    client: Any, db: Session, kb: Knowledge
) -> None:
    kept = person_with_history(db, kb, email="kept@example.org", name="Kim Kept")
    bare = person_with_history(db, kb, email="bare@example.org", name="Bo Bare", notes=0, seed=8)
    db.rollback()
    for who in (kept, bare):
        client.cookies.clear()
        login(client, who.email, PASSWORD)
        assert delete_me(client).status_code == 303
    assert db.get(RetainedIdentity, bare.patient_id) is None
    db.rollback()
    client.cookies.clear()
    login(client, ADMIN.email, ADMIN.password)

    listing = client.get("/staff/patients").text
    assert listing.count("Deleted account") == 1
    assert f'href="/staff/patients/{kept.patient_id}"' in listing
    assert f'href="/staff/patients/{bare.patient_id}"' not in listing
    assert "Kim Kept" not in listing
    assert "kept@example.org" not in listing
    record = client.get(f"/staff/patients/{kept.patient_id}")
    assert record.status_code == 200
    words = visible(record.text)
    assert "Deleted account" in words
    assert "Kim Kept" in words  # the identity the record duty needs, on the record only
    assert "Visit 1: pain behind the knee" in words
    assert client.get(f"/staff/patients/{bare.patient_id}").status_code == 404
    # Nothing can be added to a deleted account.
    assert client.get(f"/staff/patients/{kept.patient_id}/plan").status_code == 404
    token = csrf_from(client, f"/staff/patients/{kept.patient_id}/notes")
    added = client.post(
        f"/staff/patients/{kept.patient_id}/notes/new",
        data={"csrf_token": token, "subjective": "More.", "mode": "in_clinic"},
    )
    assert added.status_code == 404
    assert count(db, VisitNote, VisitNote.patient_id == kept.patient_id) == 2
    db.rollback()

    # Once the keep-until day has passed, the daily maintenance deletes the notes too.
    until = db.get(RetainedIdentity, kept.patient_id)
    assert until is not None
    day = until.keep_until
    db.rollback()
    assert erasure.expire_kept_records(db, today=day) == 0
    assert erasure.expire_kept_records(db, today=day + timedelta(days=1)) == 2
    assert count(db, VisitNote, VisitNote.patient_id == kept.patient_id) == 0
    assert count(db, RangeOfMotion, RangeOfMotion.patient_id == kept.patient_id) == 0
    db.rollback()
    assert "Deleted account" not in client.get("/staff/patients").text
    assert client.get(f"/staff/patients/{kept.patient_id}").status_code == 404
    assert db.get(Patient, kept.patient_id) is not None  # the tombstone the audit points at


def test_keep_until_is_seven_years_after_the_last_visit_or_a_minor_s_19th_birthday() -> None:
    assert erasure.keep_until(last_visit=date(2026, 3, 1), born=None, years=7) == date(2033, 3, 1)
    assert erasure.keep_until(last_visit=date(2026, 3, 1), born=date(2014, 6, 2), years=7) == date(
        2033, 6, 2
    )
    assert erasure.keep_until(last_visit=date(2028, 2, 29), born=None, years=7) == date(2035, 2, 28)


def test_the_account_pages_speak_plainly(client: Any, db: Session, kb: Knowledge) -> None:
    episode = person_with_history(db, kb, notes=1)
    db.rollback()
    login(client, episode.email, PASSWORD)
    pages = {path: visible(client.get(path).text) for path in ("/my/account", "/my/account/delete")}
    delete_me(client)
    pages["/account/deleted"] = visible(client.get("/account/deleted").text)
    for path, words in pages.items():
        assert textstat.flesch_kincaid_grade(words) <= 8, (path, words)
        assert not re.search(r"\.json|\bid\b|§", words), path


def test_staff_have_no_account_deletion(client: Any) -> None:
    login(client, CHIRO.email, CHIRO.password)
    assert client.get("/my/account/delete").status_code == 403


def test_the_clinician_of_a_visit_still_to_come_is_told_the_time_is_free(
    client: Any, db: Session, kb: Knowledge
) -> None:
    """A booked visit goes with the account: its clinician gets an e-mail that the time is
    free (without the person's name); a visit already cancelled sends nothing."""
    from popliteal.accounts.models import Clinic
    from popliteal.booking.models import AppointmentType
    from tests.booking.factories import add_appointment

    episode = person_with_history(db, kb, notes=0)
    clinic = db.scalars(select(Clinic).order_by(Clinic.id)).one()
    visit_type = db.scalars(
        select(AppointmentType).where(AppointmentType.clinic_id == clinic.id)
    ).first()
    assert visit_type is not None
    coming = add_appointment(
        db,
        clinic=clinic,
        clinician_id=episode.clinician_id,
        patient_id=episode.patient_id,
        type_id=visit_type.id,
        days_ahead=3,
        hour=16,
    )
    gone = add_appointment(
        db,
        clinic=clinic,
        clinician_id=episode.clinician_id,
        patient_id=episode.patient_id,
        type_id=visit_type.id,
        days_ahead=4,
        hour=16,
    )
    gone.status = "cancelled"
    clinician = db.get(User, episode.clinician_id)
    assert clinician is not None
    clinician_email = clinician.email
    db.commit()
    coming_id = coming.id
    db.expunge_all()
    login(client, episode.email, PASSWORD)

    assert delete_me(client).status_code == 303

    sent = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "visit_freed")).all()
    assert [m.to_address for m in sent] == [clinician_email]
    assert sent[0].subject.startswith("Cancelled: a visit on ")
    assert visit_type.name.lower() in sent[0].text_body
    assert "Pat Knee" not in sent[0].text_body + sent[0].subject
    assert count(db, Appointment, Appointment.id == coming_id) == 0
