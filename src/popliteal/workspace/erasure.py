"""A person deletes their account: everything about them goes, except what the clinic must keep.

What is kept, and why (README, "Privacy"):
- **Visit notes** (and the knee measurements taken at those visits) stay: they are the clinical
  record the clinic must keep for years after the last visit under its state's record law (for
  example California's physical therapy practice act, Bus. & Prof. Code 2620.7(d): at least
  seven years after discharge; a minor's until a year past 18 and never less than seven). The
  notes stay linked to the tombstoned patient row; the name and date of birth a record must
  carry move to `retained_identities`, apart from it, shown to the clinic's clinicians on that
  record only. `popliteal maintenance run` deletes notes and identity once `keep_until` passes
  (POPLITEAL_RECORD_RETENTION_YEARS after the last visit, default 7).
- **The patient and user rows** stay as tombstones ("Deleted account", no e-mail, phone,
  address or date of birth, no usable password): the append-only audit trail points at them
  by id and may not be edited (migration 0011), and the kept notes point at the patient row.
  The account's e-mail address is freed, so the person can open a new account with it later.
- **Audit events** stay (the database refuses to change them, and the hash chain would show
  it): they are kept under the clinic's duty to show who opened or changed a health record.
  They name the person by patient and user id only, which now lead to the tombstones. Their
  client addresses and details (a pain score, a run's distance, a diagnosis code...) were
  stored sealed with the person's audit key, which is deleted here, so they read as "erased"
  (accounts/audit_keys.py); events written before audit keys existed keep theirs in plain.
  The deletion itself is one more event, without an address, that says only that it happened
  and how many notes were kept.

Everything else is deleted in one transaction: screenings (with their answers and results),
the clinician's exam findings, appointments, care plans and every version, home sessions, pain
scores, runs, questionnaires and scores, range-of-motion measures not tied to a kept note,
discharges, alerts, e-mails to the address, login sessions, reset links, recovery codes and
login attempts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from popliteal.accounts import audit_keys
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import (
    Clinic,
    LoginAttempt,
    LoginSession,
    OneTimeLink,
    PasswordResetToken,
    Patient,
    RecoveryCode,
    RetainedIdentity,
    User,
)
from popliteal.accounts.rules import Actor
from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.booking.notices import when_words
from popliteal.db import reading, transaction
from popliteal.errors import AccountError, NotAllowed
from popliteal.mail import messages
from popliteal.mail.models import OutboxMessage
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.models import Activity
from popliteal.screening.models import ExamFinding, Screening
from popliteal.sessions.models import PainLog, SessionLog, VisitNote

DELETED_NAME = "Deleted account"
# A minor's record is kept at least until a year past their 18th birthday (see above).
MINOR_KEEP_AGE = 19


class WrongPassword(AccountError):
    """The password typed to confirm the deletion is not the account's."""


@dataclass(frozen=True)
class ErasureReport:
    patient_id: int
    visit_notes_kept: int
    keep_until: date | None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def keep_until(*, last_visit: date, born: date | None, years: int) -> date:
    """The day a deleted account's kept notes may go: `years` after the last visit, and for
    someone seen as a child not before a year past their 18th birthday."""
    until = _add_years(last_visit, years)
    if born is not None:
        until = max(until, _add_years(born, MINOR_KEEP_AGE))
    return until


def tombstone_email(user_id: int) -> str:
    """The address a deleted account's user row keeps: unique, never deliverable (the
    `.invalid` top-level name is reserved), never the person's."""
    return f"deleted-{user_id}@deleted.invalid"


def check_password(session: Session, *, actor: Actor, password: str) -> None:
    """Raise WrongPassword unless `password` is the account's (checked outside any write)."""
    with reading(session):
        user = session.get(User, actor.user_id)
        stored = user.password_hash if user is not None else None
    if stored is None or not accounts_service.verify_password(password, stored):
        raise WrongPassword("that password is not right")


def delete_account(
    session: Session, *, actor: Actor, password: str, now: datetime, retention_years: int
) -> ErasureReport:
    """Delete the signed-in person's account and data after checking their password; keep
    the visit notes under the record duty (module docstring). One transaction; audited."""
    patient_id = actor.own_patient_id
    check_password(session, actor=actor, password=password)
    with transaction(session):
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        user = session.get(User, patient.user_id)
        if user is None:  # a patient row always has its user (foreign key)
            raise AccountError("this account has no login")
        notes, last_visit = session.execute(
            select(func.count(VisitNote.id), func.max(VisitNote.visit_date)).where(
                VisitNote.patient_id == patient.id
            )
        ).one()
        until = None
        if notes:
            until = keep_until(
                last_visit=last_visit, born=patient.date_of_birth, years=retention_years
            )
            session.add(
                RetainedIdentity(
                    patient_id=patient.id,
                    clinic_id=patient.clinic_id,
                    full_name=patient.full_name,
                    date_of_birth=patient.date_of_birth,
                    deleted_at=now,
                    keep_until=until,
                )
            )
        _tell_clinicians_of_freed_visits(session, patient_id=patient.id, now=now)
        _delete_records(session, patient_id=patient.id, user_id=user.id)
        _delete_login_traces(session, user=user)
        _tombstone(patient, user, now=now)
        # Their sealed audit details become unreadable (accounts/audit_seal.py).
        audit_keys.forget(session, patient_id=patient.id)
        accounts_service.audit(
            session,
            actor=actor,
            action="delete",
            entity="patient",
            entity_id=patient.id,
            patient_id=patient.id,
            address="",  # the person's own address, the very thing being erased
            detail={"account": "deleted by the person", "visit_notes_kept": int(notes)},
        )
    return ErasureReport(patient_id=patient_id, visit_notes_kept=int(notes), keep_until=until)


def _tell_clinicians_of_freed_visits(session: Session, *, patient_id: int, now: datetime) -> None:
    """Each booked visit still to come is deleted with the account: its clinician gets an
    e-mail that the time is free (in this transaction, so only if the deletion is saved)."""
    upcoming = session.execute(
        select(Appointment, AppointmentType.name, User.display_name, User.email, Clinic)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .join(User, User.id == Appointment.clinician_id)
        .join(Clinic, Clinic.id == Appointment.clinic_id)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.status == "booked",
            Appointment.starts_at > now,
        )
        .order_by(Appointment.starts_at)
    ).all()
    for appointment, visit_name, clinician_name, email, clinic in upcoming:
        messages.visit_freed(
            session,
            to=email,
            clinician_name=clinician_name,
            clinic_name=clinic.name,
            clinic_phone=clinic.phone,
            clinic_id=clinic.id,
            visit_name=visit_name.lower(),
            when=when_words(appointment.starts_at, clinic.timezone),
            appointment_id=appointment.id,
        )


def _delete_records(session: Session, *, patient_id: int, user_id: int) -> None:
    """Every health record of the person except the kept visit notes, children first."""
    screening_ids = select(Screening.id).where(
        or_(
            Screening.patient_id == patient_id,
            # one started while signed in and never linked (the person's all the same)
            (Screening.patient_id.is_(None)) & (Screening.created_by_user_id == user_id),
        )
    )
    ids = list(session.scalars(screening_ids))
    plan_ids = select(CarePlan.id).where(CarePlan.patient_id == patient_id)
    version_ids = select(CarePlanVersion.id).where(CarePlanVersion.plan_id.in_(plan_ids))
    appointment_ids = select(Appointment.id).where(Appointment.patient_id == patient_id)
    session.execute(
        delete(ExamFinding).where(
            or_(ExamFinding.patient_id == patient_id, ExamFinding.screening_id.in_(ids))
        )
    )
    session.execute(
        delete(SessionLog).where(
            or_(SessionLog.patient_id == patient_id, SessionLog.plan_version_id.in_(version_ids))
        )
    )
    # Measurements written at a kept visit stay with its note; the rest go.
    session.execute(
        delete(RangeOfMotion).where(
            RangeOfMotion.patient_id == patient_id, RangeOfMotion.visit_note_id.is_(None)
        )
    )
    session.execute(
        update(RangeOfMotion)
        .where(RangeOfMotion.appointment_id.in_(appointment_ids))
        .values(appointment_id=None)
    )
    # The kept notes keep their visit's date and mode; the appointment row itself goes.
    session.execute(
        update(VisitNote).where(VisitNote.patient_id == patient_id).values(appointment_id=None)
    )
    session.execute(
        update(Appointment).where(Appointment.screening_id.in_(ids)).values(screening_id=None)
    )
    session.execute(delete(Appointment).where(Appointment.patient_id == patient_id))
    session.execute(
        update(Screening).where(Screening.based_on_id.in_(ids)).values(based_on_id=None)
    )
    session.execute(delete(Screening).where(Screening.id.in_(ids)))
    session.execute(delete(CarePlanVersion).where(CarePlanVersion.plan_id.in_(plan_ids)))
    session.execute(delete(CarePlan).where(CarePlan.patient_id == patient_id))
    for model in (PainLog, Activity, QuestionnaireResponse, Discharge, OutcomeAlert):
        session.execute(delete(model).where(model.patient_id == patient_id))


def _delete_login_traces(session: Session, *, user: User) -> None:
    """Sessions (every browser is logged out), reset and e-mailed booking links, recovery
    codes, login attempts and e-mails to the address."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    session.execute(delete(OneTimeLink).where(OneTimeLink.user_id == user.id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    session.execute(delete(OutboxMessage).where(OutboxMessage.to_address == user.email))


def _tombstone(patient: Patient, user: User, *, now: datetime) -> None:
    """Strip the rows the audit trail and the kept notes point at down to their ids."""
    patient.full_name = DELETED_NAME
    patient.date_of_birth = None
    patient.phone = ""
    patient.address = ""
    patient.working_diagnosis = None
    patient.working_diagnosis_note = ""
    patient.working_diagnosis_by = None
    patient.working_diagnosis_at = None
    patient.deleted_at = now
    user.email = tombstone_email(user.id)
    user.display_name = DELETED_NAME
    # Nobody knows this password; the account is inactive besides.
    user.password_hash = accounts_service.hash_password(secrets.token_urlsafe(32))
    user.is_active = False
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.video_room_url = ""


def expire_kept_records(session: Session, *, today: date) -> int:
    """Delete deleted accounts' kept visit notes (and their measurements and identity) once
    their keep-until day has passed; the number of notes deleted (idempotent)."""
    with transaction(session):
        due = select(RetainedIdentity.patient_id).where(RetainedIdentity.keep_until < today)
        ids = list(session.scalars(due))
        if not ids:
            return 0
        session.execute(delete(RangeOfMotion).where(RangeOfMotion.patient_id.in_(ids)))
        gone = session.execute(delete(VisitNote).where(VisitNote.patient_id.in_(ids)))
        session.execute(delete(RetainedIdentity).where(RetainedIdentity.patient_id.in_(ids)))
    return int(getattr(gone, "rowcount", 0) or 0)


@dataclass(frozen=True)
class KeptRecord:
    """A deleted account's record as the clinic's clinicians see it."""

    patient_id: int
    full_name: str
    date_of_birth: date | None
    deleted_at: datetime
    keep_until: date
    timezone: str


def kept_record(session: Session, *, actor: Actor, patient_id: int) -> KeptRecord | None:
    """The kept record of a deleted account of the clinic (None for a live account); a
    deleted account with nothing kept is refused like an unknown id (NotAllowed)."""
    with transaction(session):
        accounts_service.require_staff(actor, "this is for the clinic's clinicians")
        patient = accounts_service.get_patient(
            session, actor=actor, patient_id=patient_id, deleted_ok=True
        )
        if patient.deleted_at is None:
            return None
        kept = session.get(RetainedIdentity, patient.id)
        if kept is None:
            raise NotAllowed(
                "no such patient",
                entity="patient",
                entity_id=patient_id,
                patient_id=patient.id,
                clinic_id=patient.clinic_id,
            )
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="retained_identity",
            entity_id=patient.id,
            patient_id=patient.id,
        )
        return KeptRecord(
            patient_id=patient.id,
            full_name=kept.full_name,
            date_of_birth=kept.date_of_birth,
            deleted_at=kept.deleted_at,
            keep_until=kept.keep_until,
            timezone=accounts_service.staff_clinic(session, actor).timezone,
        )
