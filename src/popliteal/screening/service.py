"""Screenings as stored records: who may see one, and linking it to a patient at booking."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import NotAllowed
from popliteal.screening.models import Screening

# The anonymous visitor's random token (cookie); screenings keep only its hash, no personal data.
VISITOR_COOKIE = "popliteal_visitor"


def visitor_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_see(screening: Screening, *, visitor_token: str | None, actor: Actor | None) -> bool:
    """The browser that took it (until it is linked), the patient it belongs to, or their clinic."""
    if actor is not None and actor.is_staff:
        return actor.clinic_id == screening.clinic_id
    if screening.patient_id is not None:
        return actor is not None and actor.patient_id == screening.patient_id
    return (
        visitor_token is not None
        and screening.token_hash is not None
        and screening.token_hash == visitor_hash(visitor_token)
    )


def get_visible(
    session: Session,
    *,
    screening_id: str,
    visitor_token: str | None,
    actor: Actor | None,
    address: str = "",
) -> Screening:
    """The screening if this visitor or user may see it; NotAllowed otherwise (even if it exists).

    Reading a screening that belongs to a patient writes an audit event (the caller commits).
    """
    screening = session.get(Screening, screening_id)
    if screening is None or not may_see(screening, visitor_token=visitor_token, actor=actor):
        raise NotAllowed("no such screening")
    if screening.patient_id is not None:
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="screening",
            entity_id=screening.id,
            patient_id=screening.patient_id,
            clinic_id=screening.clinic_id,
            address=address,
        )
    return screening


def link_to_patient(session: Session, *, screening: Screening, patient_id: int) -> None:
    """Attach an anonymous screening to the patient who booked with it (caller commits)."""
    if screening.patient_id is not None and screening.patient_id != patient_id:
        raise NotAllowed("this screening belongs to someone else")
    screening.patient_id = patient_id
    screening.token_hash = None
    accounts_service.audit(
        session,
        actor=None,
        action="update",
        entity="screening",
        entity_id=screening.id,
        patient_id=patient_id,
        clinic_id=screening.clinic_id,
        detail={"linked": True},
    )
