"""The e-mail that tells a person a check-in questionnaire is due (queued by the sender's scan).

One e-mail per person and due date, whatever the number of forms due that day and however
often the scan runs (the outbox's unique key). It names no questionnaire and no condition.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic, Patient, User
from popliteal.clock import utcnow
from popliteal.db import transaction
from popliteal.knowledge.loader import Knowledge
from popliteal.mail import messages
from popliteal.outcomes.episode import due_now, load_episodes
from popliteal.outcomes.episode_rows import chunks


def enqueue_due_questionnaires(
    session: Session, *, kb: Knowledge, base_url: str, now: datetime | None = None
) -> int:
    """Queue a reminder for everyone with a questionnaire due today; how many were new."""
    now = now or utcnow()
    queued = 0
    with transaction(session):
        patient_ids = list(
            session.scalars(
                select(Patient.id)
                .join(User, User.id == Patient.user_id)
                .where(User.is_active.is_(True))
                .order_by(Patient.id)
            )
        )
        for chunk in chunks(patient_ids):
            people = list(session.scalars(select(Patient).where(Patient.id.in_(chunk))))
            episodes = load_episodes(session, kb, people, now)
            for patient in people:
                due = due_now(episodes[patient.id])
                if not due:
                    continue
                user = session.get_one(User, patient.user_id)
                clinic = session.get_one(Clinic, patient.clinic_id)
                first_due = min(d.due_on for d in due)
                if messages.questionnaire_due(
                    session,
                    to=user.email,
                    person_name=patient.full_name,
                    clinic_name=clinic.name,
                    clinic_phone=clinic.phone,
                    clinic_id=clinic.id,
                    # The Today page lists the forms: the link names none of them.
                    link=f"{base_url}/my/today",
                    dedupe_key=f"questionnaire:{patient.id}:{first_due.isoformat()}",
                ):
                    queued += 1
    return queued
