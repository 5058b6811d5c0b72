"""What the clinician's outcome pages share: another clinic's patient is a 404, the notices
after a save, the clinic's time zone, and messages for form fields."""

from __future__ import annotations

from fastapi import HTTPException
from pydantic import ValidationError
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic, Patient
from popliteal.clock import EARLIEST_RECORD, LATEST_RECORD
from popliteal.outcomes.pages import sentence
from popliteal.web.forms import parse_iso_date

NOT_FOUND = "no such patient"
NOTICES = {
    "questionnaire": "The questionnaire is saved.",
    "rom": "The range of motion is saved.",
    "resolved": "The alert is resolved.",
}


def patient_or_404(session: Session, patient_id: int) -> Patient:
    """The patient row, read after a service call has checked the actor may see it."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise HTTPException(404, NOT_FOUND)
    return patient


def clinic_timezone(session: Session, clinic_id: int) -> str:
    """The clinic's time zone name, for the dates and times a page shows."""
    clinic = session.get(Clinic, clinic_id)
    return clinic.timezone if clinic else "UTC"


def validation_messages(exc: ValidationError, names: dict[str, str]) -> list[str]:
    """One sentence per invalid field, named as the form labels it."""
    out = []
    for e in exc.errors():
        where = str(e["loc"][0]) if e.get("loc") else ""
        message = str(e["msg"]).removeprefix("Value error, ")
        out.append(sentence(f"{names.get(where, where or 'Form')}: {message}"))
    return out


def date_field(raw: str, label: str, problems: list[str]) -> str | None:
    """A posted date as ISO text (None when empty); a message in `problems` when unreadable."""
    text = raw.strip()
    if not text:
        return None
    day = parse_iso_date(text)
    if day is None:
        problems.append(f"{label}: enter a date as YYYY-MM-DD.")
        return None
    if not EARLIEST_RECORD <= day <= LATEST_RECORD:  # the paper form's model refused it: a 500
        problems.append(f"{label}: enter a date from {EARLIEST_RECORD} to {LATEST_RECORD}.")
        return None
    return day.isoformat()
