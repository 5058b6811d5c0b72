"""Visit note pages: a SOAP note per visit, the mobilization grade, amending by the author."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.accounts.models import Clinic
from popliteal.demo import ADMIN, CHIRO
from popliteal.knowledge.loader import Knowledge
from popliteal.sessions.models import VisitNote
from tests.accounts.factories import PASSWORD
from tests.booking.factories import add_appointment
from tests.conftest import csrf_from, login
from tests.running.factories import demo_records, other_clinic


def past_visit(db: Session) -> tuple[int, int]:
    """A video visit of the demo patient that started yesterday: (patient id, appointment id)."""
    records = demo_records(db)
    clinic = db.get(Clinic, records.clinic_id)
    assert clinic is not None
    appointment = add_appointment(
        db,
        clinic=clinic,
        clinician_id=records.staff_user_id,
        patient_id=records.patient_id,
        type_id=records.type_id,
        days_ahead=-1,
        hour=10,
    )
    db.commit()
    return records.patient_id, appointment.id


def notes(db: Session, patient_id: int) -> list[VisitNote]:
    """The visit notes of a patient, oldest first."""
    db.expire_all()
    query = select(VisitNote).where(VisitNote.patient_id == patient_id).order_by(VisitNote.id)
    found = list(db.scalars(query))
    db.expunge_all()  # keep their values: reading an expired row would hold SQLite's lock
    db.rollback()
    return found


def note_form(token: str, **extra: Any) -> dict[str, Any]:
    return {
        "csrf_token": token,
        "subjective": "Pain 4/10 after runs.",
        "objective": "Knee bends to 120 degrees.",
        "assessment": "Settling.",
        "plan": "Keep the home programme.",
        "pain": "4",
        **extra,
    }


@pytest.mark.postgres
def test_visit_without_a_note_is_offered_first_and_the_note_needs_a_mobilization_grade(
    client: Any, db: Session
) -> None:
    patient_id, appointment_id = past_visit(db)
    login(client, ADMIN.email, ADMIN.password)
    listing = client.get(f"/staff/patients/{patient_id}/notes")
    assert listing.status_code == 200
    assert "Visits without a note" in listing.text
    new_url = f"/staff/patients/{patient_id}/notes/new?appointment_id={appointment_id}"
    assert f'href="{new_url}"' in listing.text

    form = client.get(new_url)
    assert form.status_code == 200
    assert "video call" in form.text  # the mode comes from the visit
    assert f'href="/staff/patients/{patient_id}/plan/build">Change the plan' in form.text
    assert 'name="grade-joint_mobilization"' in form.text
    token = csrf_from(client, new_url)

    no_grade = client.post(new_url, data=note_form(token, treatment=["joint_mobilization", "ice"]))
    assert no_grade.status_code == 400
    assert "Joint mobilization needs its grade (I to V)" in no_grade.text
    assert "Pain 4/10 after runs." in no_grade.text  # what was typed comes back
    assert notes(db, patient_id) == []

    saved = client.post(
        new_url,
        data=note_form(
            token,
            treatment=["joint_mobilization", "ice"],
            **{"grade-joint_mobilization": "III", "detail-joint_mobilization": "AP glides"},
        ),
    )
    assert saved.status_code == 303, saved.text
    [note] = notes(db, patient_id)
    assert note.appointment_id == appointment_id
    assert note.mode == "virtual"
    assert note.pain == 4
    assert {t["id"]: t.get("grade") for t in note.treatments} == {
        "joint_mobilization": "III",
        "ice": None,
    }
    shown = client.get(saved.headers["location"])
    assert "Visit note saved." in shown.text
    assert "grade III: AP glides" in shown.text
    assert "Visits without a note" not in shown.text

    second = client.post(new_url, data=note_form(token))
    assert second.status_code == 400
    assert "This visit already has a note" in second.text
    assert len(notes(db, patient_id)) == 1


def test_an_empty_note_and_a_wrong_visit_are_refused(
    client: Any, db: Session, kb: Knowledge
) -> None:
    patient_id, _ = past_visit(db)
    other_patient_visit = other_clinic(db, kb)[0].appointment_id
    login(client, ADMIN.email, ADMIN.password)
    url = f"/staff/patients/{patient_id}/notes/new"
    token = csrf_from(client, url)
    empty = client.post(url, data={"csrf_token": token, "visit_date": "2026-01-05"})
    assert empty.status_code == 400
    assert "The note is empty" in empty.text
    wrong = client.get(f"{url}?appointment_id={other_patient_visit}")
    assert wrong.status_code == 404
    bad_date = client.post(url, data=note_form(token, visit_date="yesterday"))
    assert bad_date.status_code == 400
    assert "Visit date: enter a date" in bad_date.text
    assert notes(db, patient_id) == []


def test_only_the_author_amends_a_note(app: Any, client: Any, db: Session) -> None:
    patient_id, appointment_id = past_visit(db)
    login(client, ADMIN.email, ADMIN.password)
    new_url = f"/staff/patients/{patient_id}/notes/new?appointment_id={appointment_id}"
    token = csrf_from(client, new_url)
    assert client.post(new_url, data=note_form(token)).status_code == 303
    [note] = notes(db, patient_id)
    edit_url = f"/staff/visit-notes/{note.id}/edit"

    page = client.get(edit_url)
    assert page.status_code == 200
    assert "Amend the visit note" in page.text
    assert "Settling." in page.text
    amended = client.post(edit_url, data=note_form(token, assessment="Better: flexion full."))
    assert amended.status_code == 303
    [note] = notes(db, patient_id)
    assert note.assessment == "Better: flexion full."
    assert note.appointment_id == appointment_id

    with TestClient(app, follow_redirects=False) as colleague:
        login(colleague, CHIRO.email, CHIRO.password)
        seen = colleague.get(edit_url)
        assert seen.status_code == 200
        assert f"Only {ADMIN.name}, who wrote this note, can amend it." in seen.text
        assert "Better: flexion full." in seen.text
        assert 'name="subjective"' not in seen.text  # read-only: no form
        their_token = csrf_from(colleague, "/staff/patients")
        refused = colleague.post(edit_url, data=note_form(their_token, assessment="Changed."))
        assert refused.status_code == 403
        assert "can amend it" in refused.text
    [note] = notes(db, patient_id)
    assert note.assessment == "Better: flexion full."


def test_another_clinics_clinician_gets_404(
    app: Any, client: Any, db: Session, kb: Knowledge
) -> None:
    patient_id, appointment_id = past_visit(db)
    login(client, ADMIN.email, ADMIN.password)
    new_url = f"/staff/patients/{patient_id}/notes/new?appointment_id={appointment_id}"
    assert client.post(new_url, data=note_form(csrf_from(client, new_url))).status_code == 303
    [note] = notes(db, patient_id)
    _, other_email = other_clinic(db, kb)
    with TestClient(app, follow_redirects=False) as stranger:
        login(stranger, other_email, PASSWORD)
        token = csrf_from(stranger, "/staff/patients")
        listing = f"/staff/patients/{patient_id}/notes"
        edit_url = f"/staff/visit-notes/{note.id}/edit"
        for path in (listing, new_url, edit_url):
            assert stranger.get(path).status_code == 404, path
        for path in (new_url, edit_url):
            assert stranger.post(path, data=note_form(token)).status_code == 404, path
    assert [n.id for n in notes(db, patient_id)] == [note.id]


def test_notes_list_newest_first_with_amend_links_for_the_author(client: Any, db: Session) -> None:
    patient_id, _ = past_visit(db)
    login(client, ADMIN.email, ADMIN.password)
    url = f"/staff/patients/{patient_id}/notes/new"
    token = csrf_from(client, url)
    for day, text in (("2026-01-05", "Older visit."), ("2026-02-05", "Newer visit.")):
        posted = client.post(url, data={"csrf_token": token, "visit_date": day, "subjective": text})
        assert posted.status_code == 303
    listing = client.get(f"/staff/patients/{patient_id}/notes").text
    assert listing.index("Newer visit.") < listing.index("Older visit.")
    assert len(re.findall(r">Amend this note<", listing)) == 2
