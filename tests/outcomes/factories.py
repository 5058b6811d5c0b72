"""A pain score, a knee measurement and an open alert, for tests of who may read outcome records."""

from __future__ import annotations

from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic, Patient
from popliteal.alerts.models import OutcomeAlert
from popliteal.clock import local_today
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes.models import QuestionnaireResponse, RangeOfMotion


def add_outcome_records(
    session: Session, *, clinic: Clinic, patient_id: int, staff_id: int, kb: Knowledge
) -> tuple[QuestionnaireResponse, RangeOfMotion, OutcomeAlert]:
    """An NPRS answer, a knee measurement and an open red-flag alert, for permission tests."""
    today = local_today(clinic.zone)
    patient = session.get(Patient, patient_id)
    assert patient is not None
    response = QuestionnaireResponse(
        clinic_id=clinic.id,
        patient_id=patient_id,
        instrument="nprs",
        answers={"pain": 4},
        scores={"instrument": "nprs", "valid": True, "scores": {"pain": 4.0}, "invalid": []},
        valid=True,
        knowledge_version=kb.version,
        occasion="baseline",
        local_date=today,
        entered_by=patient.user_id,
    )
    rom = RangeOfMotion(
        clinic_id=clinic.id,
        patient_id=patient_id,
        side="left",
        flexion_deg=120,
        extension_deg=-5,
        measured_on=today,
        clinician_id=staff_id,
    )
    alert = OutcomeAlert(
        clinic_id=clinic.id,
        patient_id=patient_id,
        kind="red_flag",
        urgency="emergency",
        rule_id="rf_unexplained_leg_swelling",
        reason="Swollen calf reported at a check-in.",
        patient_message="Get checked today.",
        source="check_in",
    )
    session.add_all([response, rom, alert])
    session.flush()
    return response, rom, alert
