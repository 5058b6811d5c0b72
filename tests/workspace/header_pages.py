"""A person with everything the patient header shows (age, side, complaint, an open alert, a
booked visit) and a record on every staff page about them: a plan, a visit note, a clinician
exam, a questionnaire; and the list of those pages, read from the app's own routes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, User
from popliteal.alerts import service as alerts_service
from popliteal.demo import ADMIN
from popliteal.knowledge.loader import Knowledge
from popliteal.screening import staff_service
from popliteal.server import ROUTERS
from tests.outcomes.factories import add_outcome_records
from tests.running.factories import demo_records
from tests.screening.factories import add_screening
from tests.sessions.factories import add_plan_records

# The values a URL's other parameters take for the person set up below.
FILL = {"number": "1", "instrument": "lefs"}


@dataclass(frozen=True)
class HeaderCase:
    patient_id: int
    name: str
    exam_id: str
    note_id: int


def person_with_a_header(db: Session, kb: Knowledge) -> HeaderCase:
    """The demo patient with a left-knee screening, an exam, an open red flag, a plan and a
    visit note (the demo visit tomorrow is the next visit)."""
    demo = demo_records(db)
    clinic = db.get(Clinic, demo.clinic_id)
    assert clinic is not None
    add_screening(
        db,
        kb,
        clinic_id=clinic.id,
        patient_id=demo.patient_id,
        answers={"age_years": 34, "sex": "female", "knee_side": "left", "runner": True},
    )
    _, _, _ = add_outcome_records(
        db, clinic=clinic, patient_id=demo.patient_id, staff_id=demo.staff_user_id, kb=kb
    )
    _, note = add_plan_records(
        db, clinic=clinic, patient_id=demo.patient_id, staff_id=demo.staff_user_id, kb=kb
    )
    db.commit()
    admin = db.scalar(select(User).where(User.email == ADMIN.email))
    assert admin is not None
    actor = accounts_service.actor_for(db, admin)
    exam = staff_service.record_exam(
        db,
        kb=kb,
        actor=actor,
        patient_id=demo.patient_id,
        raw_answers={"ottawa_fibular_head_tenderness": False},
        escalate=alerts_service.escalate_exam,
    )
    name = accounts_service.get_patient(db, actor=actor, patient_id=demo.patient_id).full_name
    case = HeaderCase(demo.patient_id, name, exam.id, note.id)
    db.rollback()  # end the read: on SQLite a transaction holds the write lock
    return case


def staff_patient_pages(case: HeaderCase) -> list[str]:
    """Every staff HTML page about one person, from the app's routers (a new page is in the
    list the day it is added): GET, under /staff, naming the patient or one of their notes."""
    paths = []
    for route in (r for router in ROUTERS for r in router.routes):
        path = getattr(route, "path", "")
        if "GET" not in getattr(route, "methods", ()) or not path.startswith("/staff/"):
            continue
        if path.endswith(".pdf") or not ("{patient_id}" in path or "{note_id}" in path):
            continue
        filled = path.replace("{patient_id}", str(case.patient_id))
        filled = filled.replace("{screening_id}", case.exam_id)
        filled = filled.replace("{note_id}", str(case.note_id))
        for key, value in FILL.items():
            filled = filled.replace("{" + key + "}", value)
        assert "{" not in filled, f"no value for a parameter of {path}: add it to FILL"
        paths.append(filled)
    return sorted(paths)
