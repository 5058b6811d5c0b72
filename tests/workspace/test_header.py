"""The patient header on a patient's record: name, age, side, main complaint, urgency, open
alerts and next visit, read from the record (issue 18)."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from popliteal.demo import ADMIN
from popliteal.knowledge.loader import default_knowledge
from popliteal.screening.staff_service import URGENCY_LABELS
from popliteal.workspace.header import age_on
from tests.accounts.factories import add_patient
from tests.conftest import login
from tests.running.factories import demo_records
from tests.screening.factories import add_screening


@pytest.fixture
def staff(client: Any) -> Any:
    login(client, ADMIN.email, ADMIN.password)
    return client


def _header_text(page: Any) -> str:
    """The header card's visible text, tags removed and spaces collapsed."""
    found = re.search(r'<section class="card patient-header".*?</section>', page.text, re.S)
    assert found is not None
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(0)))).strip()


def test_header_shows_age_side_complaint_and_urgency(staff: Any, db: Session) -> None:
    kb = default_knowledge()
    demo = demo_records(db)
    patient = add_patient(
        db, clinic_id=demo.clinic_id, name="Kit Header", email="kit@demo.popliteal.test"
    )
    screening = add_screening(
        db,
        kb,
        clinic_id=demo.clinic_id,
        patient_id=patient.id,
        answers={"age_years": 47, "sex": "female", "knee_side": "left"},
    )
    top = screening.result["conditions"][0]["patient_name"]
    urgency = screening.urgency
    db.commit()
    header = _header_text(staff.get(f"/staff/patients/{patient.id}"))
    assert "Kit Header" in header
    assert "Age 47" in header
    assert "Side Left knee" in header
    assert f"Main complaint {top}" in header
    assert URGENCY_LABELS[urgency] in header
    assert "Open alerts None" in header
    assert "Next visit None booked" in header


def test_header_of_a_patient_without_screening(staff: Any, db: Session) -> None:
    demo = demo_records(db)
    patient = add_patient(
        db, clinic_id=demo.clinic_id, name="Lee Blank", email="lee@demo.popliteal.test"
    )
    db.commit()
    header = _header_text(staff.get(f"/staff/patients/{patient.id}"))
    assert "Age Not recorded" in header
    assert "Side Not recorded" in header
    assert "Main complaint No screening yet" in header


@pytest.mark.parametrize(
    ("today", "expected"),
    [(date(2026, 3, 9), 39), (date(2026, 3, 10), 40), (date(2027, 1, 1), 40)],
)
def test_age_turns_on_the_birthday(today: date, expected: int) -> None:
    assert age_on(date(1986, 3, 10), today) == expected


def test_age_falls_back_to_the_stated_age() -> None:
    assert age_on(None, date(2026, 1, 1), 52) == 52
    assert age_on(None, date(2026, 1, 1), True) is None
    assert age_on(None, date(2026, 1, 1), None) is None
