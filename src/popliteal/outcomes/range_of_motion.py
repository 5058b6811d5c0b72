"""Knee range of motion measured at a visit: recorded by clinicians, read by the person and
the staff of their clinic (audited)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import visible_patient
from popliteal.booking.models import Appointment
from popliteal.clock import local_date, utcnow
from popliteal.db import transaction
from popliteal.errors import ProblemsError
from popliteal.outcomes._access import MAX_BACKDATE_DAYS, require_staff
from popliteal.outcomes.models import RangeOfMotion
from popliteal.outcomes.schemas import RangeOfMotionCreate, RangeOfMotionRead
from popliteal.sessions.models import VisitNote


def _rom_read(r: RangeOfMotion) -> RangeOfMotionRead:
    return RangeOfMotionRead(
        id=r.id,
        patient_id=r.patient_id,
        side=r.side,
        affected=r.affected,
        flexion_deg=r.flexion_deg,
        extension_deg=r.extension_deg,
        measured_on=r.measured_on,
        clinician_id=r.clinician_id,
        appointment_id=r.appointment_id,
        visit_note_id=r.visit_note_id,
        note=r.note,
        created_at=r.created_at,
    )


def record_range_of_motion(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    body: RangeOfMotionCreate,
    now: datetime | None = None,
) -> RangeOfMotionRead:
    """Record a knee's flexion and extension measured at a visit (clinicians only)."""
    with transaction(session):
        require_staff(actor)
        patient = visible_patient(session, actor, patient_id)
        now = now or utcnow()
        today = local_date(now, accounts_service.clinic_zone(session, patient.clinic_id))
        problems = []
        measured_on = body.measured_on or today
        if measured_on > today:
            problems.append("measured_on: the date is in the future")
        elif measured_on < today - timedelta(days=MAX_BACKDATE_DAYS):
            problems.append("measured_on: more than a year ago")
        if body.appointment_id is not None:
            appt = session.get(Appointment, body.appointment_id)
            if appt is None or appt.patient_id != patient.id:
                problems.append("appointment_id: not one of this person's visits")
        if body.visit_note_id is not None:
            note = session.get(VisitNote, body.visit_note_id)
            if note is None or note.patient_id != patient.id:
                problems.append("visit_note_id: not one of this person's visit notes")
        if problems:
            raise ProblemsError(problems)
        row = RangeOfMotion(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            side=body.side,
            affected=body.affected,
            flexion_deg=body.flexion_deg,
            extension_deg=body.extension_deg,
            measured_on=measured_on,
            clinician_id=actor.user_id,
            appointment_id=body.appointment_id,
            visit_note_id=body.visit_note_id,
            note=body.note.strip(),
            created_at=now,
        )
        session.add(row)
        session.flush()
        accounts_service.audit(
            session,
            actor=actor,
            action="create",
            entity="range_of_motion",
            entity_id=row.id,
            patient_id=patient.id,
            detail={
                "side": body.side,
                "flexion": body.flexion_deg,
                "extension": body.extension_deg,
            },
        )
        read = _rom_read(row)
    return read


def list_range_of_motion(
    session: Session, *, actor: Actor, patient_id: int
) -> list[RangeOfMotionRead]:
    """A person's knee measurements, oldest first (their own, or staff of their clinic)."""
    with transaction(session):
        patient = visible_patient(session, actor, patient_id)
        rows = session.scalars(
            select(RangeOfMotion)
            .where(RangeOfMotion.patient_id == patient.id)
            .order_by(RangeOfMotion.measured_on, RangeOfMotion.id)
        ).all()
        reads = [_rom_read(r) for r in rows]
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="range_of_motion",
            entity_id="*",
            patient_id=patient.id,
        )
    return reads
