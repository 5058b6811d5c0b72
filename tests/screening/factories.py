"""Complete screenings computed by the real engine, for any test that needs a screened patient."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from popliteal.clock import utcnow
from popliteal.knowledge.loader import Knowledge
from popliteal.screening.answers import parse_answers
from popliteal.screening.engine import screen, to_json
from popliteal.screening.models import Screening

EMERGENCY_ANSWERS: dict[str, Any] = {"age_years": 61, "sex": "male", "cold_pale_numb_foot": True}


def add_screening(
    session: Session,
    kb: Knowledge,
    *,
    clinic_id: int,
    patient_id: int | None,
    answers: dict[str, Any],
    created_at: datetime | None = None,
) -> Screening:
    """A complete patient screening computed by the real engine."""
    parsed = parse_answers(kb, answers)
    result = to_json(kb, screen(kb, parsed))
    when = created_at or utcnow()
    screening = Screening(
        id=secrets.token_hex(16),
        clinic_id=clinic_id,
        patient_id=patient_id,
        role="patient",
        status="complete",
        answers=dict(parsed),
        history=[[k] for k in parsed],
        result=result,
        urgency=result["urgency"],
        knowledge_version=kb.version,
        created_at=when,
        updated_at=when,
    )
    session.add(screening)
    session.flush()
    return screening
