"""A person with a whole episode of care in every table, for the export and deletion tests."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic, Patient, User
from popliteal.alerts.models import OutcomeAlert
from popliteal.clock import local_today
from popliteal.demo import CHIRO
from popliteal.demo.bulk import Calendar, Person, write_histories
from popliteal.demo.history import build_templates, generate
from popliteal.knowledge.loader import Knowledge
from popliteal.mail.models import OutboxMessage
from popliteal.outcomes.models import RangeOfMotion
from popliteal.screening.models import ExamFinding, Screening
from popliteal.sessions.models import VisitNote
from tests.accounts.factories import add_patient


@dataclass(frozen=True)
class Episode:
    patient_id: int
    user_id: int
    email: str
    clinician_id: int
    last_visit: date
    kept_measure_id: int


def person_with_history(
    db: Session,
    kb: Knowledge,
    *,
    email: str = "pat.knee@example.org",
    name: str = "Pat Knee",
    born: date | None = date(1980, 5, 17),
    notes: int = 2,
    seed: int = 7,
) -> Episode:
    """A patient discharged after six weeks of care (screenings, visits, plan versions, home
    sessions, pain scores, runs, questionnaires, measures, an alert, a discharge), with an exam
    finding, `notes` visit notes (one with a measure taken at it) and an e-mail waiting."""
    clinic = db.scalars(select(Clinic).order_by(Clinic.id)).first()
    assert clinic is not None
    clinician = db.scalar(select(User).where(User.email == CHIRO.email))
    assert clinician is not None
    patient = add_patient(db, clinic_id=clinic.id, name=name, email=email)
    patient.date_of_birth = born
    patient.phone = "555-0142"
    patient.address = "12 Elm Street"
    history = generate(
        kb,
        build_templates(kb),
        random.Random(seed),
        today=local_today(clinic.zone),
        zone=clinic.zone,
        profile="discharged",
        runner=True,
        weeks=6,
        condition="popliteus_tendinopathy",
    )
    calendar = Calendar(clinic.zone, [clinician.id])
    calendar.load_existing(db)
    write_histories(
        db,
        clinic_id=clinic.id,
        people=[Person(patient.id, patient.user_id, history)],
        calendar=calendar,
        staff_of=[clinician.id],
    )
    screening = db.scalars(select(Screening).where(Screening.patient_id == patient.id)).first()
    assert screening is not None
    db.add(
        ExamFinding(
            patient_id=patient.id,
            screening_id=screening.id,
            finding_id="age_years",
            value=46,
            recorded_by=clinician.id,
        )
    )
    today = local_today(clinic.zone)
    last_visit = today - timedelta(days=20)
    kept_measure_id = 0
    for i in range(notes):
        note = VisitNote(
            clinic_id=clinic.id,
            patient_id=patient.id,
            clinician_id=clinician.id,
            mode="in_clinic",
            visit_date=last_visit - timedelta(days=7 * i),
            subjective=f"Visit {i + 1}: pain behind the knee after hills.",
            objective="Knee bends to 125 degrees.",
            assessment="Settling.",
            plan="Keep the home programme.",
            pain=3,
        )
        db.add(note)
        db.flush()
        if i == 0:
            measure = RangeOfMotion(
                clinic_id=clinic.id,
                patient_id=patient.id,
                side="left",
                flexion_deg=125,
                measured_on=note.visit_date,
                clinician_id=clinician.id,
                visit_note_id=note.id,
            )
            db.add(measure)
            db.flush()
            kept_measure_id = measure.id
    db.add(
        OutcomeAlert(
            clinic_id=clinic.id,
            patient_id=patient.id,
            kind="review",
            rule_id="pain_worse_two_weeks",
            reason="Pain scores rose over two weeks.",
            source="review",
        )
    )
    db.add(
        OutboxMessage(
            clinic_id=clinic.id,
            kind="appointment",
            to_address=email,
            subject="Your visit",
            text_body="See you soon.",
        )
    )
    db.commit()
    return Episode(
        patient_id=patient.id,
        user_id=patient.user_id,
        email=email,
        clinician_id=clinician.id,
        last_visit=last_visit,
        kept_measure_id=kept_measure_id,
    )


def the_patient(db: Session, patient_id: int) -> Patient:
    db.expire_all()
    found = db.get(Patient, patient_id)
    assert found is not None
    return found
