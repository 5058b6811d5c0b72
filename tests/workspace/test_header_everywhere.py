"""The patient header on every staff page about one person, not only the record (issue 18):
the base layout shows it for any /staff page naming the patient, from one builder."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy.orm import Session

from popliteal.demo import ADMIN, PATIENT
from popliteal.knowledge.loader import Knowledge
from tests.conftest import login
from tests.workspace.header_pages import person_with_a_header, staff_patient_pages


def _headers(page: str) -> list[str]:
    """The text of each patient header card on the page."""
    cards = re.findall(r'<section class="card patient-header".*?</section>', page, re.S)
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", c))).strip() for c in cards]


def test_every_staff_page_of_a_person_starts_with_their_header(
    client: Any, db: Session, kb: Knowledge
) -> None:
    case = person_with_a_header(db, kb)
    paths = staff_patient_pages(case)
    # the pages the clinician works in: exam, exam result, plan, plan builder, plan version,
    # visit notes, a visit note, running, outcomes, a paper questionnaire, discharge
    assert len(paths) >= 12, paths
    login(client, ADMIN.email, ADMIN.password)
    for path in paths:
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        headers = _headers(page.text)
        assert len(headers) == 1, (path, len(headers))
        text = headers[0]
        assert case.name in text, path
        assert "Age 34" in text, (path, text)
        assert "Side Left knee" in text, (path, text)
        assert "Main complaint No screening yet" not in text, (path, text)
        assert "Urgency Emergency" in text, (path, text)  # the open red flag outranks
        assert re.search(r"Open alerts [1-9]", text), (path, text)
        assert "Next visit None booked" not in text, (path, text)


def test_no_header_for_the_person_or_another_clinics_patient(
    client: Any, db: Session, kb: Knowledge
) -> None:
    case = person_with_a_header(db, kb)
    login(client, ADMIN.email, ADMIN.password)
    missing = client.get("/staff/patients/999999/plan")
    assert missing.status_code == 404
    assert _headers(missing.text) == []
    client.post("/logout", data={"csrf_token": ""})
    client.cookies.clear()
    login(client, PATIENT.email, PATIENT.password)
    for path in ("/my/today", "/my/plan", "/my/running", "/my/progress"):
        assert _headers(client.get(path).text) == [], path
    assert client.get(f"/staff/patients/{case.patient_id}/plan").status_code in (403, 404)
