"""The printable home-programme handout: what the PDF says, and who may download it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import AuditEvent, Clinic, Patient, User
from popliteal.demo import ADMIN, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.plans import service as plans_service
from popliteal.plans.handout import RefusedURL, _local_only_fetcher
from popliteal.plans.rules import DraftRequest
from popliteal.plans.schemas import LimitIn, PlanVersionRead
from tests.accounts.factories import PASSWORD
from tests.conftest import login
from tests.running.factories import demo_records, neighbour_patient, other_clinic

NOTE = "Keep the slides short this week."


def save_demo_plan(db: Session, kb: Knowledge) -> PlanVersionRead:
    """The demo patient's hamstring-strain plan, drafted and saved by the demo PT."""
    patient_id = demo_records(db).patient_id
    staff = db.scalar(select(User).where(User.email == ADMIN.email))
    assert staff is not None
    actor = accounts_service.actor_for(db, staff)
    view = plans_service.draft_for_patient(
        db,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        request=DraftRequest(condition="hamstring_strain", pain=4),
    )
    assert view.draft is not None
    spec = plans_service.spec_from_draft(view.draft, pain=4)
    spec.exercises[0].note = NOTE
    spec.activity_limits.append(LimitIn(text="No football for now."))
    saved = plans_service.save_plan(db, kb=kb, actor=actor, patient_id=patient_id, spec=spec)
    db.rollback()  # end the read after the commit: on SQLite it would hold the write lock
    return saved


def pdf_text(body: bytes, tmp_path: Path) -> str:
    """The PDF's text as pdftotext reads it, with line breaks and runs of spaces folded."""
    path = tmp_path / "handout.pdf"
    path.write_bytes(body)
    done = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    )
    return " ".join(done.stdout.split())


def pdf_pages(body: bytes, tmp_path: Path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(body)
    done = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True, timeout=60
    )
    found = re.search(r"^Pages:\s+(\d+)", done.stdout, re.MULTILINE)
    assert found, done.stdout
    return int(found.group(1))


def is_pdf_download(response: Any) -> bool:
    return (
        response.status_code == 200
        and response.headers["content-type"] == "application/pdf"
        and response.content.startswith(b"%PDF-")
    )


def test_the_person_downloads_a_handout_of_their_whole_plan(
    client: Any, db: Session, kb: Knowledge, tmp_path: Path
) -> None:
    plan = save_demo_plan(db, kb)
    login(client, PATIENT.email, PATIENT.password)

    response = client.get("/my/plan/handout.pdf")

    assert is_pdf_download(response), response.text[:500]
    assert response.headers["content-disposition"] == ('attachment; filename="home-programme.pdf"')
    text = pdf_text(response.content, tmp_path)
    patient = db.get(Patient, demo_records(db).patient_id)
    clinic = db.scalar(select(Clinic).order_by(Clinic.id))
    assert patient is not None
    assert clinic is not None
    assert patient.full_name in text
    assert clinic.name in text
    db.rollback()
    assert clinic.phone
    assert f"Phone: {clinic.phone}" in text
    assert plan.condition_name in text
    assert plan.phase_name in text
    for rx in plan.exercises:
        assert rx.name in text, rx.name
        assert rx.dose in text, (rx.name, rx.dose)
        for step in kb.exercises[rx.id].steps:
            assert " ".join(step.split()) in text, step
    assert NOTE in text
    for limit in plan.activity_limits:
        assert limit["text"] in text
    assert "No football for now." in text
    assert (
        "Some discomfort is OK if it stays at 5 out of 10 or less and is back to normal by "
        "the next morning." in text
    )
    for ref in plan.refer_when:
        assert ref["text"] in text
    assert "New swelling, redness or warmth in your calf." in text
    assert "A fever with a hot, swollen knee." in text
    assert "Numbness or weakness that spreads" in text
    assert "This handout supports your clinician's advice. It is not a diagnosis." in text
    pages = pdf_pages(response.content, tmp_path)
    assert 1 <= pages <= len(plan.exercises), pages

    db.expire_all()
    reads = db.scalars(
        select(AuditEvent).where(AuditEvent.entity == "care_plan", AuditEvent.action == "read")
    ).all()
    assert reads, "downloading the handout reads the plan, so it is audited"
    db.rollback()


def test_the_person_sees_their_own_name_and_the_clinician_gets_the_same_handout(
    client: Any, db: Session, kb: Knowledge, tmp_path: Path
) -> None:
    plan = save_demo_plan(db, kb)
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)

    response = client.get(f"/staff/patients/{patient_id}/plan/handout.pdf")

    assert is_pdf_download(response), response.text[:500]
    assert 'filename="home-programme.pdf"' in response.headers["content-disposition"]
    text = pdf_text(response.content, tmp_path)
    patient = db.get(Patient, patient_id)
    assert patient is not None
    assert patient.full_name in text
    db.rollback()
    assert all(rx.name in text for rx in plan.exercises)


def test_without_a_plan_the_handout_is_a_404_that_says_why(client: Any, db: Session) -> None:
    patient_id = demo_records(db).patient_id
    login(client, PATIENT.email, PATIENT.password)

    mine = client.get("/my/plan/handout.pdf")

    assert mine.status_code == 404
    assert "text/html" in mine.headers["content-type"]
    assert "has not set up your home exercise plan yet" in mine.text
    client.cookies.clear()
    login(client, ADMIN.email, ADMIN.password)
    staff = client.get(f"/staff/patients/{patient_id}/plan/handout.pdf")
    assert staff.status_code == 404
    assert "no care plan for this person yet" in staff.text


def test_nobody_gets_someone_elses_handout(client: Any, db: Session, kb: Knowledge) -> None:
    save_demo_plan(db, kb)
    demo_patient = demo_records(db).patient_id
    neighbour = neighbour_patient(db, kb)
    _, other_admin = other_clinic(db, kb)

    # Anonymous: sent to log in.
    for url in ("/my/plan/handout.pdf", f"/staff/patients/{demo_patient}/plan/handout.pdf"):
        anonymous = client.get(url)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login")

    # Another person of the same clinic: their own (empty) record, never the demo patient's.
    login(client, neighbour.patient_email, PASSWORD)
    own = client.get("/my/plan/handout.pdf")
    assert own.status_code == 404
    assert not own.content.startswith(b"%PDF")
    by_id = client.get(f"/staff/patients/{demo_patient}/plan/handout.pdf")
    assert by_id.status_code in (403, 404)
    assert not by_id.content.startswith(b"%PDF")

    # A clinician of another clinic: as if the patient did not exist.
    client.cookies.clear()
    login(client, other_admin, PASSWORD)
    foreign = client.get(f"/staff/patients/{demo_patient}/plan/handout.pdf")
    assert foreign.status_code == 404
    assert not foreign.content.startswith(b"%PDF")
    missing = client.get("/staff/patients/999999/plan/handout.pdf")
    assert missing.status_code == 404


def test_rendering_fetches_only_the_plans_own_illustrations(kb: Knowledge, tmp_path: Path) -> None:
    picture = kb.illustration_path(kb.exercises["glute_bridge"])
    fetch = _local_only_fetcher([picture])

    served = fetch(picture.resolve().as_uri())
    assert served.read().lstrip().startswith(b"<svg")
    served.close()
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the handout")
    for url in (
        "http://127.0.0.1:9/tracker.png",
        "https://example.org/font.woff2",
        "ftp://127.0.0.1/x.svg",
        "data:image/svg+xml,<svg/>",
        secret.as_uri(),
        "file://remote-host" + picture.resolve().as_posix(),
    ):
        with pytest.raises(RefusedURL):
            fetch(url)
