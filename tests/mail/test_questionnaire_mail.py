"""The questionnaire reminder: once per person and due date, however often the sender runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic
from popliteal.demo import CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.mail.models import OutboxMessage
from popliteal.outcomes.notices import enqueue_due_questionnaires
from tests.plans.factories import add_care_plan
from tests.running import factories as f


def test_a_due_questionnaire_is_announced_once(app: Any, db: Session, kb: Knowledge) -> None:
    patient = f.demo_patient(db)
    clinic = db.get_one(Clinic, patient.clinic_id)
    add_care_plan(
        db,
        clinic=clinic,
        patient_id=patient.id,
        staff_id=f.user(db, CHIRO.email).id,
        kb=kb,
        starts_on=f.clinic_today(db, clinic.id) - timedelta(days=3),
    )
    db.commit()
    base = "https://clinic.example.org"
    assert enqueue_due_questionnaires(db, kb=kb, base_url=base) == 1
    assert enqueue_due_questionnaires(db, kb=kb, base_url=base) == 0
    [(to, subject, text)] = db.execute(
        select(OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.text_body).where(
            OutboxMessage.kind == "questionnaire_due"
        )
    ).all()
    assert (to, subject) == (PATIENT.email, "Your check-in form is ready")
    assert f"{base}/my/today" in text
    assert "koos" not in text.lower()
