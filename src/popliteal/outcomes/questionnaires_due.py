"""Which questionnaires are due: for one person (the Today page), and for the clinician's
patient list, from the episodes of episode.py read for all the patients at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic, Patient
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import visible_patient
from popliteal.clock import utcnow
from popliteal.db import reading
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import schedule
from popliteal.outcomes._access import require_staff
from popliteal.outcomes.episode import due_now, load_episode, load_episodes
from popliteal.outcomes.episode_rows import DUE_ONLY, chunks
from popliteal.outcomes.schemas import DueRead


def due_read(d: schedule.Due) -> DueRead:
    """A due questionnaire as the services return it."""
    return DueRead(
        instrument=d.instrument, occasion=d.occasion, due_on=d.due_on, days_overdue=d.days_overdue
    )


def due_for_patient(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int, now: datetime | None = None
) -> list[DueRead]:
    """The questionnaires due for one person today (for the Today page)."""
    with reading(session):
        patient = visible_patient(session, actor, patient_id)
        return [
            due_read(d)
            for d in due_now(load_episode(session, kb, patient, now or utcnow(), tables=DUE_ONLY))
        ]


def clinic_due(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_ids: Sequence[int],
    now: datetime | None = None,
) -> dict[int, list[DueRead]]:
    """Questionnaires due for each of these patients of the clinic who has any (the patient
    list), with the same answer as due_for_patient for each: the same episodes, read by
    load_episodes in a fixed number of queries."""
    require_staff(actor)
    now = now or utcnow()
    with reading(session):
        # Each patient comes with the clinic: load_episodes then finds it loaded (one query less).
        rows = [
            row
            for chunk in chunks(list(dict.fromkeys(patient_ids)))
            for row in session.execute(
                select(Patient, Clinic)
                .join(Clinic, Clinic.id == Patient.clinic_id)
                .where(Patient.clinic_id == actor.clinic_id, Patient.id.in_(chunk))
            ).all()
        ]
        patients = [patient for patient, _ in rows]
        episodes = load_episodes(session, kb, patients, now, tables=DUE_ONLY) if patients else {}
        out: dict[int, list[DueRead]] = {}
        for patient in patients:
            found = due_now(episodes[patient.id])
            if found:
                out[patient.id] = [due_read(d) for d in found]
        return out  # built before the read ends: ending it expires the loaded rows
