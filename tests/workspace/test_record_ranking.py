"""The ranking on a patient's record shows each cause's own chance: a cause a warning sign
lists first is marked so, not given the share that placed it first."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy.orm import Session

from popliteal.demo import ADMIN
from popliteal.knowledge.loader import default_knowledge
from tests.accounts.factories import add_patient
from tests.conftest import login
from tests.running.factories import demo_records
from tests.screening.factories import add_screening


def test_a_cause_listed_first_by_a_warning_sign_shows_its_own_chance(
    client: Any, db: Session
) -> None:
    kb = default_knowledge()
    demo = demo_records(db)
    patient = add_patient(db, clinic_id=demo.clinic_id, name="Ola Rank", email="ola@demo.test")
    answers = {
        "age_years": 73,
        "pain_trend": "worsening",
        "symptom_duration_weeks": 30,
        "pain_location": "knee_front_or_side",
    }
    add_screening(db, kb, clinic_id=demo.clinic_id, patient_id=patient.id, answers=answers)
    db.commit()
    login(client, ADMIN.email, ADMIN.password)
    page = client.get(f"/staff/patients/{patient.id}").text
    table = page.split("Top conditions")[1].split("</table>")[0]
    rows = [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
        for row in table.split("<tr>")[2:]
    ]
    assert rows[0].startswith(f"{kb.conditions['tumor'].name} 0%")
    assert "Placed near the top by a warning sign" in rows[0]
    ratios = [float(x) for x in re.findall(r"LR ([0-9.e+-]+)", rows[0])]
    assert ratios
    assert max(ratios) < 10  # the placing is not shown as a likelihood ratio
    assert rows[1].startswith(f"{kb.conditions['knee_osteoarthritis'].name} 50%")
