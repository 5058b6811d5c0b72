"""Who may use the follow-up services, and how late a clinician may date what they enter."""

from __future__ import annotations

from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient
from popliteal.accounts.rules import Actor

# Paper forms may be entered up to a year late; older ones belong in the notes.
MAX_BACKDATE_DAYS = 365


def visible_patient(session: Session, actor: Actor, patient_id: int) -> Patient:
    """The person, when they are the actor or a patient of the staff member's clinic."""
    return accounts_service.get_patient(session, actor=actor, patient_id=patient_id)


require_staff = accounts_service.require_staff  # one check for every area
