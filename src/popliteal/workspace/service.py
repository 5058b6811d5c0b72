"""The clinician's patient list and a patient's record: where each patient stands from their
screenings (screening), their next and past appointments (booking), their working diagnosis.

Staff of the patient's clinic only (NotAllowed otherwise, shown as 404 so ids can not be
probed); one transaction per call; every read of a patient is audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import User
from popliteal.accounts.rules import Actor
from popliteal.accounts.schemas import (
    AnswerRead,
    AppointmentRead,
    PatientRead,
    PatientRecordRead,
    ScreeningRead,
)
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.db import transaction
from popliteal.knowledge.loader import Knowledge
from popliteal.screening import exam_layout, staff_service
from popliteal.screening import service as screening_service
from popliteal.screening.differential import chance_to_show
from popliteal.screening.engine import question_text
from popliteal.screening.models import Screening

STAFF_ONLY = "this is for the clinic's clinicians"


def appointment_read(
    appointment: Appointment, kind: AppointmentType, clinician: User, tz: str
) -> AppointmentRead:
    """An appointment as the list and the record show it, in the clinic's time."""
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


def appointments_query() -> Any:
    """Appointments with their type and clinician, for the rows the pages show."""
    return (
        select(Appointment, AppointmentType, User)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .join(User, User.id == Appointment.clinician_id)
    )


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
            appointment_read(a, kind, clinician, clinic.timezone)
            for a, kind, clinician in session.execute(
                appointments_query()
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


def diagnosis_options(
    kb: Knowledge, screenings: list[ScreeningRead]
) -> list[tuple[str, str, float | None]]:
    """The working-diagnosis choices: (id, name, probability or None).

    The newest screening or exam that has a ranking puts its conditions first, in its order,
    so the clinician picks from what the engine currently favours; the conditions it does not
    rank follow alphabetically (all of them alphabetically when there is no ranking).
    """
    ranking: list[Any] = next(
        (s.result["conditions"] for s in screenings if (s.result or {}).get("conditions")), []
    )
    ranked: list[tuple[str, str, float | None]] = [
        (c["id"], kb.conditions[c["id"]].name, chance_to_show(c))
        for c in ranking
        if c.get("id") in kb.conditions
    ]
    seen = {cid for cid, _, _ in ranked}
    rest = sorted(
        ((c.id, c.name, None) for c in kb.conditions.values() if c.id not in seen),
        key=lambda x: x[1].lower(),
    )
    return ranked + rest
