"""SOAP visit notes: what was found and done at each visit, tied to the appointment.

Only the clinic's staff write and read notes; only the author may amend one, and every change
is audited with the fields that changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient, User
from popliteal.accounts.rules import Actor
from popliteal.booking.models import Appointment
from popliteal.clock import local_date, utcnow
from popliteal.db import reading, transaction
from popliteal.errors import NotAllowed, ProblemsError
from popliteal.knowledge.loader import Knowledge
from popliteal.sessions.models import VisitNote
from popliteal.sessions.schemas import VisitNoteCreate, VisitNoteRead
from popliteal.sessions.service import SessionError

# Treatments a visit may record, beyond the knowledge base's treatment list.
NEEDS_GRADE = "joint_mobilization"


class VisitNoteProblems(ProblemsError, SessionError):
    """The visit note's problems, all of them."""


def _problems(kb: Knowledge, body: VisitNoteCreate) -> list[str]:
    problems: list[str] = []
    for t in body.treatments:
        if t.id not in kb.treatments:
            problems.append(f"unknown treatment '{t.id}'")
        elif t.id == NEEDS_GRADE and t.grade is None:
            problems.append("joint mobilization needs its grade (I to V)")
        elif t.id != NEEDS_GRADE and t.grade is not None:
            problems.append(f"{kb.treatments[t.id].name} takes no grade")
    if not any((body.subjective, body.objective, body.assessment, body.plan, body.treatments)):
        problems.append("the note is empty: write at least one part or record a treatment")
    return problems


def _read(session: Session, kb: Knowledge, note: VisitNote) -> VisitNoteRead:
    author = session.get(User, note.clinician_id)
    return VisitNoteRead(
        id=note.id,
        patient_id=note.patient_id,
        appointment_id=note.appointment_id,
        clinician_id=note.clinician_id,
        clinician_name=author.display_name if author else "",
        mode=note.mode,
        visit_date=note.visit_date,
        subjective=note.subjective,
        objective=note.objective,
        assessment=note.assessment,
        plan=note.plan,
        treatments=[
            {**t, "name": kb.treatments[t["id"]].name if t["id"] in kb.treatments else t["id"]}
            for t in note.treatments
        ],
        pain=note.pain,
        created_at=note.created_at,
        updated_at=note.updated_at,
    )


def list_notes(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int
) -> list[VisitNoteRead]:
    """The patient's visit notes, newest visit first; audited as a read."""
    with transaction(session):
        accounts_service.require_staff(actor)
        patient = accounts_service.get_patient(
            session, actor=actor, patient_id=patient_id, deleted_ok=True
        )
        notes = session.scalars(
            select(VisitNote)
            .where(VisitNote.patient_id == patient.id)
            .order_by(VisitNote.visit_date.desc(), VisitNote.id.desc())
        ).all()
        reads = [_read(session, kb, n) for n in notes]
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="visit_note",
            entity_id="*",
            patient_id=patient.id,
        )
    return reads


def _fill(
    session: Session, note: VisitNote, body: VisitNoteCreate, patient: Patient, now: datetime
) -> None:
    appt = None
    if body.appointment_id is not None:
        appt = session.get(Appointment, body.appointment_id)
        if appt is None or appt.patient_id != patient.id:
            raise VisitNoteProblems(["that appointment is not one of this person's visits"])
    zone = accounts_service.clinic_zone(session, patient.clinic_id)
    note.appointment_id = body.appointment_id
    note.mode = appt.mode if appt is not None else body.mode
    note.visit_date = body.visit_date or (
        local_date(appt.starts_at, zone) if appt is not None else local_date(now, zone)
    )
    note.subjective = body.subjective.strip()
    note.objective = body.objective.strip()
    note.assessment = body.assessment.strip()
    note.plan = body.plan.strip()
    note.treatments = [t.model_dump() for t in body.treatments]
    note.pain = body.pain
    note.updated_at = now


def create_note(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    body: VisitNoteCreate,
    now: datetime | None = None,
) -> VisitNoteRead:
    """Write a visit note (one per appointment); audited."""
    with transaction(
        session,
        on_conflict=lambda: VisitNoteProblems(
            ["this visit already has a note: open it to amend it"]
        ),
    ):
        patient = accounts_service.get_staff_patient(session, actor=actor, patient_id=patient_id)
        problems = _problems(kb, body)
        if problems:
            raise VisitNoteProblems(problems)
        now = now or utcnow()
        note = VisitNote(
            clinic_id=patient.clinic_id, patient_id=patient.id, clinician_id=actor.user_id
        )
        _fill(session, note, body, patient, now)
        note.created_at = now
        session.add(note)
        session.flush()  # the note's id, for the audit; a second note of the visit fails here
        accounts_service.audit(
            session,
            actor=actor,
            action="create",
            entity="visit_note",
            entity_id=note.id,
            patient_id=patient.id,
        )
        read = _read(session, kb, note)  # before commit: no read transaction left open
    return read


def get_note(session: Session, *, kb: Knowledge, actor: Actor, note_id: int) -> VisitNoteRead:
    """One visit note of the clinic; audited."""
    with transaction(session):
        note = session.get(VisitNote, note_id)
        if note is None:
            raise NotAllowed("no such visit note")
        # A deleted account's kept notes stay readable (not writable: create and update
        # refuse the tombstone).
        accounts_service.require_staff(actor)
        accounts_service.get_patient(
            session, actor=actor, patient_id=note.patient_id, deleted_ok=True
        )
        read = _read(session, kb, note)
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="visit_note",
            entity_id=note.id,
            patient_id=note.patient_id,
        )
    return read


def update_note(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    note_id: int,
    body: VisitNoteCreate,
    now: datetime | None = None,
) -> VisitNoteRead:
    """Amend a note (its author only); the audit keeps which fields changed."""
    with transaction(
        session, on_conflict=lambda: VisitNoteProblems(["that visit already has another note"])
    ):
        note = session.get(VisitNote, note_id)
        if note is None:
            raise NotAllowed("no such visit note")
        patient = accounts_service.get_staff_patient(
            session, actor=actor, patient_id=note.patient_id
        )
        if note.clinician_id != actor.user_id:
            raise VisitNoteProblems(["only the clinician who wrote this note can amend it"])
        problems = _problems(kb, body)
        if problems:
            raise VisitNoteProblems(problems)
        before = _read(session, kb, note).model_dump(mode="json")
        _fill(session, note, body, patient, now or utcnow())
        session.flush()  # a move to a visit that already has a note fails here
        after = _read(session, kb, note).model_dump(mode="json")
        changed = sorted(
            k for k in after if k not in ("updated_at", "name") and after[k] != before.get(k)
        )
        accounts_service.audit(
            session,
            actor=actor,
            action="update",
            entity="visit_note",
            entity_id=note.id,
            patient_id=note.patient_id,
            detail={"changed": changed},
        )
        read = _read(session, kb, note)  # before commit: no read transaction left open
    return read


def visits_without_note(
    session: Session, *, actor: Actor, patient_id: int, now: datetime | None = None
) -> list[Appointment]:
    """Booked visits that have started and have no note yet, newest first."""
    with reading(session):
        accounts_service.require_staff(actor)
        patient = accounts_service.get_patient(
            session, actor=actor, patient_id=patient_id, deleted_ok=True
        )
        noted = select(VisitNote.appointment_id).where(VisitNote.appointment_id.is_not(None))
        rows = session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient.id,
                Appointment.status == "booked",
                Appointment.starts_at <= (now or utcnow()),
                Appointment.id.not_in(noted),
            )
            .order_by(Appointment.starts_at.desc())
        ).all()
    return list(rows)
