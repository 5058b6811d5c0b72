"""Appointments as the person and the clinic see them, and the audit of who read them.

One view per appointment carries what every page, the JSON API and the .ics invite show: when
and where in the clinic's zone, with whom, and whether (and why not) it may still be changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.accounts.rules import Actor
from popliteal.booking import rules
from popliteal.booking.models import Appointment, AppointmentType

MODE_NAMES = {"in_clinic": "In the clinic", "virtual": "Video call", "at_home": "At your home"}


@dataclass(frozen=True)
class AppointmentView:
    id: int
    type_code: str
    type_name: str
    minutes: int
    mode: str
    status: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    clinician_id: int
    clinician_name: str
    patient_id: int
    patient_name: str
    address: str
    location: str
    screening_id: str | None
    sequence: int
    clinic_name: str
    clinic_phone: str
    created_at: datetime
    may_change: bool
    change_refusal: str | None

    @property
    def mode_name(self) -> str:
        return MODE_NAMES.get(self.mode, self.mode)


def appointment_views(
    session: Session, appointments: Sequence[Appointment], *, now: datetime, actor: Actor | None
) -> list[AppointmentView]:
    """The views of these appointments (their clinics, types and people read once each)."""
    if not appointments:
        return []
    clinic_ids = {a.clinic_id for a in appointments}
    clinics = {c.id: c for c in session.scalars(select(Clinic).where(Clinic.id.in_(clinic_ids)))}
    types = {
        t.id: t
        for t in session.scalars(
            select(AppointmentType).where(AppointmentType.id.in_({a.type_id for a in appointments}))
        )
    }
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_({a.clinician_id for a in appointments}))
        )
    }
    patients = {
        p.id: p
        for p in session.scalars(
            select(Patient).where(Patient.id.in_({a.patient_id for a in appointments}))
        )
    }
    out = []
    for a in appointments:
        clinic = clinics[a.clinic_id]
        if actor is not None and actor.is_staff:
            refusal = None if a.status == "booked" else "This visit is already cancelled."
        else:
            refusal = rules.change_refusal(
                starts_at=a.starts_at,
                status=a.status,
                now=now,
                cancel_notice_hours=clinic.cancel_notice_hours,
            )
        if a.mode == "in_clinic":
            location = f"{clinic.name}, {clinic.address}" if clinic.address else clinic.name
        elif a.mode == "virtual":
            location = "Video call: the clinic sends you the link before the visit"
        else:
            location = a.address
        kind = types[a.type_id]
        out.append(
            AppointmentView(
                id=a.id,
                type_code=kind.code,
                type_name=kind.name,
                minutes=kind.minutes,
                mode=a.mode,
                status=a.status,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                timezone=clinic.timezone,
                clinician_id=a.clinician_id,
                clinician_name=users[a.clinician_id].display_name,
                patient_id=a.patient_id,
                patient_name=patients[a.patient_id].full_name,
                address=a.address,
                location=location,
                screening_id=a.screening_id,
                sequence=a.sequence,
                clinic_name=clinic.name,
                clinic_phone=clinic.phone,
                created_at=a.created_at,
                may_change=refusal is None,
                change_refusal=refusal,
            )
        )
    return out


def audit_reads(session: Session, *, actor: Actor, appointments: Sequence[Appointment]) -> None:
    """One read event per patient whose appointments were shown."""
    per_patient: dict[int, list[int]] = {}
    for a in appointments:
        per_patient.setdefault(a.patient_id, []).append(a.id)
    for patient_id, ids in per_patient.items():
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="appointment",
            entity_id=",".join(str(i) for i in ids)[:64],
            patient_id=patient_id,
            detail={"appointment_ids": list(ids)},
        )
