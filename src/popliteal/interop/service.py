"""FHIR exchange use cases: load a patient's episode (or a whole clinic's) from every area and
export it as a Bundle; import a QuestionnaireResponse to the screening Questionnaire and
evaluate it like any screening.

`bundle_for_patient` and `bundle_for_clinic` do no access check: the CLI (an operator on the
server) and the person's own data download call them. The API goes through
`read_patient_bundle`, which lets a clinician see their clinic's patients and a person their
own record only, and audits the read.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.accounts.rules import Actor
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.db import reading, transaction
from popliteal.interop.fhir_bundle import collection
from popliteal.interop.questionnaire import answers_from_response
from popliteal.interop.records import (
    AppointmentRec,
    Episode,
    OrgRec,
    PainRec,
    PatientRec,
    PlanRec,
    PlanVersionRec,
    ResponseRec,
    RomRec,
    RunWeekRec,
    ScreeningRec,
    StaffRec,
    VisitRec,
)
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.models import Activity
from popliteal.screening import service as screening_service
from popliteal.screening.models import Screening
from popliteal.sessions.models import PainLog, SessionLog, VisitNote


class NoSuchRecord(LookupError):
    """No patient or clinic with that id (the CLI says so and exits 2)."""


def org_rec(clinic: Clinic) -> OrgRec:
    return OrgRec(clinic.id, clinic.slug, clinic.name, clinic.address, clinic.phone)


def _plans(session: Session, patient_id: int) -> list[PlanRec]:
    plans = session.scalars(
        select(CarePlan).where(CarePlan.patient_id == patient_id).order_by(CarePlan.id)
    ).all()
    versions: dict[int, list[PlanVersionRec]] = defaultdict(list)
    if plans:
        for v in session.scalars(
            select(CarePlanVersion)
            .where(CarePlanVersion.plan_id.in_([p.id for p in plans]))
            .order_by(CarePlanVersion.plan_id, CarePlanVersion.number)
        ):
            versions[v.plan_id].append(
                PlanVersionRec(
                    v.number,
                    v.phase,
                    v.goal,
                    list(v.exercises),
                    list(v.treatments),
                    v.starts_on,
                    v.created_by,
                )
            )
    return [
        PlanRec(
            p.id,
            p.condition_id,
            p.status,
            p.created_at,
            p.ended_at,
            p.current_version,
            tuple(versions[p.id]),
        )
        for p in plans
        if versions[p.id]
    ]


def _pains(session: Session, patient_id: int) -> list[PainRec]:
    out = [
        PainRec(f"log-{p.id}", p.recorded_at, p.pain, f"{p.kind} pain check")
        for p in session.scalars(
            select(PainLog).where(PainLog.patient_id == patient_id).order_by(PainLog.id)
        )
    ]
    for s in session.scalars(
        select(SessionLog).where(SessionLog.patient_id == patient_id).order_by(SessionLog.id)
    ):
        if s.pain_before is not None:
            out.append(
                PainRec(
                    f"session-{s.id}-before",
                    s.started_at,
                    s.pain_before,
                    "before a guided exercise session",
                )
            )
        if s.pain_after is not None:
            out.append(
                PainRec(
                    f"session-{s.id}-after",
                    s.finished_at or s.started_at,
                    s.pain_after,
                    "after a guided exercise session",
                )
            )
    return out


def _run_weeks(session: Session, patient_id: int) -> list[RunWeekRec]:
    """Running distance per calendar week (Monday to Sunday, the person's local dates);
    rides, swims and rows are cross-training and not counted."""
    weeks: dict[date, list[float]] = defaultdict(list)
    for on, km in session.execute(
        select(Activity.local_date, Activity.distance_km).where(
            Activity.patient_id == patient_id, Activity.sport == "running"
        )
    ):
        weeks[on - timedelta(days=on.weekday())].append(float(km))
    return [
        RunWeekRec(start, start + timedelta(days=6), sum(kms), len(kms))
        for start, kms in sorted(weeks.items())
    ]


def load_episode(session: Session, patient: Patient, clinic: Clinic) -> Episode:
    """Everything the export says about one patient, read from every area."""
    pid = patient.id
    user = session.get(User, patient.user_id)
    screenings = [
        ScreeningRec(
            s.id,
            s.created_at,
            s.role,
            dict(s.answers),
            dict(s.result),
            s.knowledge_version,
            s.created_by_user_id if s.role == "clinician" else None,
        )
        for s in session.scalars(
            select(Screening)
            .where(Screening.patient_id == pid, Screening.status == "complete")
            .order_by(Screening.created_at, Screening.id)
        )
    ]
    responses = [
        ResponseRec(
            r.id, r.instrument, dict(r.answers), dict(r.scores), r.valid, r.occasion, r.submitted_at
        )
        for r in session.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == pid)
            .order_by(QuestionnaireResponse.submitted_at, QuestionnaireResponse.id)
        )
    ]
    appointments = [
        AppointmentRec(a.id, a.starts_at, a.ends_at, a.status, a.mode, kind.name, a.clinician_id)
        for a, kind in session.execute(
            select(Appointment, AppointmentType)
            .join(AppointmentType, AppointmentType.id == Appointment.type_id)
            .where(Appointment.patient_id == pid)
            .order_by(Appointment.starts_at, Appointment.id)
        )
    ]
    rom = [
        RomRec(
            m.id, m.side, m.affected, m.flexion_deg, m.extension_deg, m.measured_on, m.clinician_id
        )
        for m in session.scalars(
            select(RangeOfMotion).where(RangeOfMotion.patient_id == pid).order_by(RangeOfMotion.id)
        )
    ]
    notes = session.scalars(
        select(VisitNote).where(VisitNote.patient_id == pid).order_by(VisitNote.visit_date)
    ).all()
    visits = [VisitRec(n.id, n.visit_date, n.clinician_id, list(n.treatments)) for n in notes]
    pains = _pains(session, pid) + [
        PainRec(f"visit-{n.id}", n.created_at, n.pain, "at a visit")
        for n in notes
        if n.pain is not None
    ]
    plans = _plans(session, pid)
    staff_ids = {
        *(s.entered_by for s in screenings if s.entered_by is not None),
        *(v.created_by for p in plans for v in p.versions),
        *(a.clinician_id for a in appointments),
        *(m.clinician_id for m in rom),
        *(v.clinician_id for v in visits),
        *([patient.working_diagnosis_by] if patient.working_diagnosis_by else []),
    }
    staff = {
        u.id: StaffRec(u.id, u.display_name, u.email, u.profession)
        for u in session.scalars(select(User).where(User.id.in_(staff_ids)))
    }
    discharged = (
        session.scalar(select(Discharge.id).where(Discharge.patient_id == pid).limit(1)) is not None
    )
    return Episode(
        org=org_rec(clinic),
        patient=PatientRec(
            pid,
            patient.full_name,
            user.email if user is not None else "",
            patient.phone,
            patient.address,
            patient.date_of_birth,
            patient.working_diagnosis,
            patient.working_diagnosis_at,
            patient.working_diagnosis_by,
            patient.working_diagnosis_note,
        ),
        staff=staff,
        discharged=discharged,
        screenings=screenings,
        responses=responses,
        plans=plans,
        appointments=appointments,
        pains=pains,
        rom=rom,
        run_weeks=_run_weeks(session, pid),
        visits=visits,
    )


def bundle_for_patient(
    session: Session, kb: Knowledge, patient_id: int, now: datetime
) -> dict[str, Any]:
    """One patient's whole record as a FHIR R4 Bundle (collection), as JSON-ready data.

    No access check (the caller's job); NoSuchRecord when there is no such patient."""
    with reading(session):
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise NoSuchRecord(f"no patient with id {patient_id}")
        clinic = session.get(Clinic, patient.clinic_id)
        if clinic is None:
            raise NoSuchRecord(f"patient {patient_id} has no clinic")
        ep = load_episode(session, patient, clinic)
        return collection(kb, ep.org, [ep], now=now, scope=f"patient-{patient_id}")


def bundle_for_clinic(
    session: Session, kb: Knowledge, clinic_id: int, now: datetime
) -> dict[str, Any]:
    """Every patient of a clinic in one Bundle; NoSuchRecord when there is no such clinic."""
    with reading(session):
        clinic = session.get(Clinic, clinic_id)
        if clinic is None:
            raise NoSuchRecord(f"no clinic with id {clinic_id}")
        patients = session.scalars(
            select(Patient).where(Patient.clinic_id == clinic.id).order_by(Patient.id)
        ).all()
        episodes = [load_episode(session, p, clinic) for p in patients]
        return collection(kb, org_rec(clinic), episodes, now=now, scope="clinic")


def export_from_command_line(
    session: Session,
    kb: Knowledge,
    *,
    patient_id: int | None = None,
    clinic_id: int | None = None,
    now: datetime,
) -> dict[str, Any]:
    """`popliteal export fhir`: the server's operator exports a patient or a clinic. No
    access check (whoever runs it can read the database), but the export is an audit event
    like any other read of health data, with nobody signed in as its actor."""
    if patient_id is not None:
        bundle = bundle_for_patient(session, kb, patient_id, now)
        patient = session.get(Patient, patient_id)
        assert patient is not None  # noqa: S101 - the bundle was just made from it
        clinic, entity, entity_id = patient.clinic_id, "patient", patient_id
    elif clinic_id is not None:
        bundle = bundle_for_clinic(session, kb, clinic_id, now)
        clinic, entity, entity_id = clinic_id, "clinic", clinic_id
    else:
        raise ValueError("give a patient or a clinic")
    with transaction(session):
        accounts_service.audit(
            session,
            actor=None,
            action="export",
            entity=entity,
            entity_id=entity_id,
            patient_id=patient_id,
            clinic_id=clinic,
            detail={"format": "fhir-r4-bundle", "by": "command line"},
        )
    return bundle


def read_patient_bundle(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int, now: datetime
) -> dict[str, Any]:
    """The patient's Bundle for a clinician of their clinic, or for the person themself
    (NotAllowed, shown as 404, for anyone else); audited as an export."""
    with transaction(session):
        patient = accounts_service.get_patient(session, actor=actor, patient_id=patient_id)
        accounts_service.audit(
            session,
            actor=actor,
            action="export",
            entity="patient",
            entity_id=patient.id,
            patient_id=patient.id,
            clinic_id=patient.clinic_id,
            detail={"format": "fhir-r4-bundle"},
        )
    return bundle_for_patient(session, kb, patient_id, now)


def import_response(
    session: Session,
    *,
    kb: Knowledge,
    payload: Any,
    actor: Actor | None,
    visitor_token: str | None,
    address: str = "",
) -> screening_service.CreatedScreening:
    """Screen a QuestionnaireResponse to the screening Questionnaire and store it, exactly as
    `POST /api/screenings` would store its answers. Raises ResponseProblems (not a response to
    it) or the screening's InvalidAnswers / ScreeningForbidden."""
    answers = answers_from_response(payload)
    return screening_service.create_complete(
        session,
        kb=kb,
        payload={"answers": answers},
        actor=actor,
        visitor_token=visitor_token,
        address=address,
    )
