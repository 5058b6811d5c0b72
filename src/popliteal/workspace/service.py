"""The clinician's patient list and a patient's record: where each patient stands from their
screenings (screening), their next and past appointments (booking), their working diagnosis.

Staff of the patient's clinic only (NotAllowed otherwise, shown as 404 so ids can not be
probed); one transaction per call; every read of a patient is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient, User
from popliteal.accounts.rules import Actor
from popliteal.accounts.schemas import (
    AnswerRead,
    AppointmentRead,
    PatientRead,
    PatientRecordRead,
    PatientSummaryRead,
    ScreeningRead,
)
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.clock import utcnow
from popliteal.db import transaction
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import urgency_rank
from popliteal.screening import exam_layout, staff_service
from popliteal.screening import service as screening_service
from popliteal.screening import standing as screening_standing
from popliteal.screening.engine import question_text
from popliteal.screening.models import Screening

STAFF_ONLY = "this is for the clinic's clinicians"


def _appointment_read(
    appointment: Appointment, kind: AppointmentType, clinician: User, tz: str
) -> AppointmentRead:
    return AppointmentRead(
        id=appointment.id,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        starts_local=clock.local_time(appointment.starts_at, tz),
        type_code=kind.code,
        type_name=kind.name,
        mode=appointment.mode,
        status=appointment.status,
        clinician_id=clinician.id,
        clinician_name=clinician.display_name,
        screening_id=appointment.screening_id,
    )


def _appointments_query() -> Any:
    return (
        select(Appointment, AppointmentType, User)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .join(User, User.id == Appointment.clinician_id)
    )


def list_patients(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    q: str = "",
    now: datetime | None = None,
) -> list[PatientSummaryRead]:
    """The clinic's patients, most urgent first, optionally filtered by name or email."""
    with transaction(session):
        accounts_service.require_staff(actor, "this is for the clinic's clinicians")
        clinic = accounts_service.staff_clinic(session, actor)
        now = now or utcnow()
        query = (
            select(Patient, User.email)
            .join(User, User.id == Patient.user_id)
            .where(Patient.clinic_id == clinic.id)
        )
        q = q.strip()
        if q:
            pattern = (
                "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            query = query.where(
                or_(
                    func.lower(Patient.full_name).like(pattern, escape="\\"),
                    func.lower(User.email).like(pattern, escape="\\"),
                )
            )
        rows = session.execute(query).all()
        ids = [p.id for p, _ in rows]

        standing = screening_standing.patient_standing(session, ids)

        upcoming: dict[int, AppointmentRead] = {}
        if ids:
            for appointment, kind, clinician in session.execute(
                _appointments_query()
                .where(
                    Appointment.patient_id.in_(ids),
                    Appointment.status == "booked",
                    Appointment.starts_at >= now,
                )
                .order_by(Appointment.starts_at)
            ).all():
                if appointment.patient_id not in upcoming:
                    upcoming[appointment.patient_id] = _appointment_read(
                        appointment, kind, clinician, clinic.timezone
                    )

        out = []
        for patient, email in rows:
            current = standing.get(patient.id)
            last = current.latest if current else None
            out.append(
                PatientSummaryRead(
                    id=patient.id,
                    full_name=patient.full_name,
                    email=email,
                    urgency=current.urgency if current else None,
                    latest_screening_id=last.id if last else None,
                    latest_screening_at=last.created_at if last else None,
                    red_flags=current.red_flags if current else [],
                    next_appointment=upcoming.get(patient.id),
                    working_diagnosis=patient.working_diagnosis,
                    working_diagnosis_name=staff_service.condition_name(
                        kb, patient.working_diagnosis
                    ),
                    safety_not_ruled_out=screening_standing.not_completed(last),
                )
            )
        far_future = datetime.max.replace(tzinfo=now.tzinfo)
        out.sort(
            key=lambda p: (
                urgency_rank(p.urgency),
                p.next_appointment.starts_at if p.next_appointment else far_future,
                p.full_name.lower(),
            )
        )
        for listed in out:  # one event per patient, so "who saw patient X" finds list views too
            accounts_service.audit(
                session,
                actor=actor,
                action="read",
                entity="patient_list",
                entity_id=clinic.id,
                patient_id=listed.id,
            )
    return out


def _screening_read(kb: Knowledge, screening: Screening) -> ScreeningRead:
    return ScreeningRead(
        id=screening.id,
        created_at=screening.created_at,
        role=screening.role,
        status=screening.status,
        urgency=screening.urgency,
        knowledge_version=screening.knowledge_version,
        based_on_id=screening.based_on_id,
        created_by_user_id=screening.created_by_user_id,
        answers=[
            AnswerRead(
                finding=fid,
                question=question_text(kb, fid, "clinician") if fid in kb.findings else fid,
                value=value,
                answer=exam_layout.answer_text(kb, fid, value),
            )
            for fid, value in screening_service.answers_in_order(screening)
        ],
        result=screening.result,
    )


def patient_record(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int
) -> PatientRecordRead:
    """The patient's details, screenings (newest first) and appointments; audited as a read."""
    with transaction(session):
        patient = accounts_service.get_staff_patient(
            session, actor=actor, patient_id=patient_id, why=STAFF_ONLY
        )
        clinic = accounts_service.staff_clinic(session, actor)
        user = session.get(User, patient.user_id)
        screenings = session.scalars(
            select(Screening)
            .where(Screening.patient_id == patient.id)
            .order_by(Screening.created_at.desc(), Screening.id.desc())
        ).all()
        appointments = [
            _appointment_read(a, kind, clinician, clinic.timezone)
            for a, kind, clinician in session.execute(
                _appointments_query()
                .where(Appointment.patient_id == patient.id)
                .order_by(Appointment.starts_at.desc())
            ).all()
        ]
        record = PatientRecordRead(
            patient=PatientRead(
                id=patient.id,
                full_name=patient.full_name,
                email=user.email if user else "",
                phone=patient.phone,
                address=patient.address,
                date_of_birth=patient.date_of_birth,
                working_diagnosis=staff_service.working_diagnosis_read(session, kb, patient),
            ),
            timezone=clinic.timezone,
            screenings=[_screening_read(kb, s) for s in screenings],
            appointments=appointments,
        )
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="patient",
            entity_id=patient.id,
            patient_id=patient.id,
        )
    return record
