"""Patients registered as the clinic does it, with a known password: the floor of all factories."""

from __future__ import annotations

from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient

PASSWORD = "factory-password-2026"


def add_patient(
    session: Session, *, clinic_id: int, name: str, email: str, password: str = PASSWORD
) -> Patient:
    patient = accounts_service.register_patient(
        session, clinic_id=clinic_id, email=email, password=password, full_name=name
    )
    session.flush()
    return patient
