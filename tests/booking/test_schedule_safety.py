"""The clinician's schedule flags a visit whose patient left safety questions at "not sure",
as the patient list does (issue 13), so they are asked at that visit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic
from popliteal.booking.models import Appointment
from popliteal.clock import local_today
from popliteal.demo import CHIRO, DEMO_ANSWERS
from popliteal.knowledge.loader import Knowledge
from tests.accounts.factories import add_patient
from tests.booking.factories import add_appointment
from tests.conftest import login
from tests.running.factories import demo_records
from tests.screening.factories import add_screening

# Every other question answered, as in a finished interview; two warning signs "not sure".
NOT_SURE = {**DEMO_ANSWERS, "calf_swelling": None, "breathless_or_chest_pain": None}


def _rows(page: str) -> list[str]:
    return page.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")


def test_the_schedule_flags_only_the_visit_whose_patient_left_safety_questions_unsure(
    client: Any, db: Session, kb: Knowledge
) -> None:
    demo = demo_records(db)
    clinic = db.get(Clinic, demo.clinic_id)
    visit = db.get(Appointment, demo.appointment_id)
    assert clinic is not None
    assert visit is not None
    day = visit.starts_at.astimezone(clinic.zone).date()
    patient = add_patient(
        db, clinic_id=clinic.id, name="Casey Unsure", email="casey@demo.popliteal.test"
    )
    screening = add_screening(db, kb, clinic_id=clinic.id, patient_id=patient.id, answers=NOT_SURE)
    add_appointment(
        db,
        clinic=clinic,
        clinician_id=demo.staff_user_id,
        patient_id=patient.id,
        type_id=demo.type_id,
        days_ahead=(day - local_today(clinic.zone)).days,
        hour=15,
        screening_id=screening.id,
    )
    casey_id = patient.id
    db.commit()

    login(client, CHIRO.email, CHIRO.password)
    params = {"view": "day", "date": day.isoformat(), "clinician": "all"}
    rows = _rows(client.get("/staff/schedule", params=params).text)
    casey = next(r for r in rows if f'href="/staff/patients/{casey_id}"' in r)
    jordan = next(r for r in rows if f'href="/staff/patients/{demo.patient_id}"' in r)
    assert 'data-safety-not-completed="2"' in casey
    assert "Safety questions not completed (2)" in casey
    assert "data-safety-not-completed" not in jordan
    assert "Safety questions not completed" not in jordan
    # once a clinician has examined the person, the list and the schedule no longer ask
    exam = client.post(f"/api/patients/{casey_id}/exam", json={"answers": {"abi": 1.1}})
    assert exam.status_code == 201, exam.text
    after = client.get("/staff/schedule", params=params).text
    assert "data-safety-not-completed" not in after
    listed = {p["id"]: p for p in client.get("/api/patients").json()}
    assert listed[casey_id]["safety_not_ruled_out"] == []
