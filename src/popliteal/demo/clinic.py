"""The demo clinic `make run` loads: idempotent, so running it twice changes nothing.

With its history (the default), the demo patient and three more people carry weeks of care
(demo/history.py) dated from the clinic's today, so every chart and page has something to show
on first start: an active episode, one ready for discharge, one with an open alert, one
discharged.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, Patient, User
from popliteal.booking.models import Appointment, AppointmentType, Availability
from popliteal.clock import local_today
from popliteal.demo.bulk import Calendar, Person, write_histories
from popliteal.demo.calm import NO_DANGER_SIGNS
from popliteal.demo.history import Profile, build_templates, generate
from popliteal.knowledge.loader import Knowledge
from popliteal.screening.answers import parse_answers
from popliteal.screening.engine import screen, to_json
from popliteal.screening.models import Screening
from popliteal.sessions.models import SessionLog

CLINIC_SLUG = "demo"
CLINIC_NAME = "Demo Sports & Orthopedic Rehab"
CLINIC_TZ = "America/Chicago"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    name: str
    profession: str | None


# Shown in the README: demo credentials only, for a local demo database.
ADMIN = DemoAccount(
    "pt@demo.popliteal.test",
    "demo-clinician-2026",
    "admin",
    "Alex Rivera, PT, DPT",
    "physical_therapist",
)
CHIRO = DemoAccount(
    "dc@demo.popliteal.test", "demo-clinician-2026", "clinician", "Sam Chen, DC", "chiropractor"
)
PATIENT = DemoAccount(
    "patient@demo.popliteal.test", "demo-patient-2026", "patient", "Jordan Demo", None
)


def _person(email: str, name: str) -> DemoAccount:
    return DemoAccount(email, PATIENT.password, "patient", name, None)


# (account, profile, weeks of care, runner, condition, seed): the demo patient first.
HISTORY_PEOPLE: tuple[tuple[DemoAccount, Profile, int, bool, str, int], ...] = (
    (PATIENT, "active", 5, True, "popliteus_tendinopathy", 1),
    (
        _person("casey@demo.popliteal.test", "Casey Demo"),
        "discharge_ready",
        10,
        True,
        "running_overload",
        2,
    ),
    (_person("morgan@demo.popliteal.test", "Morgan Demo"), "alert", 4, False, "bakers_cyst", 3),
    (
        _person("riley@demo.popliteal.test", "Riley Demo"),
        "discharged",
        8,
        True,
        "hamstring_tendinopathy",
        4,
    ),
)

APPOINTMENT_TYPES = (
    (
        "free_screening",
        "Free screening",
        20,
        ("in_clinic", "virtual"),
        True,
        "A short free talk and check of your knee, to decide whether care with us fits.",
    ),
    (
        "initial_evaluation",
        "Initial evaluation",
        60,
        ("in_clinic", "virtual", "at_home"),
        False,
        "A full examination and the start of your individual care plan.",
    ),
    (
        "follow_up",
        "Follow-up visit",
        30,
        ("in_clinic", "virtual", "at_home"),
        False,
        "Treatment and progress check within your care plan.",
    ),
)

ALL_MODES = ["in_clinic", "virtual", "at_home"]
# (weekday, start, end, modes): weekday 0 = Monday, times in the clinic's zone.
PT_WEEK = [(d, time(8), time(12), ALL_MODES) for d in range(5)] + [
    (d, time(13), time(17), ["in_clinic", "virtual"]) for d in range(5)
]
CHIRO_WEEK = [(d, time(9), time(13), ["in_clinic", "virtual"]) for d in (0, 2, 4)] + [
    (d, time(14), time(18), ["in_clinic", "at_home"]) for d in (1, 3)
]

DEMO_ANSWERS: dict[str, object] = {
    "age_years": 34,
    "sex": "female",
    "onset": "gradual",
    "symptom_duration_weeks": 3,
    "runner": True,
    "weekly_running_miles": 22,
    "pain_location": "posterolateral",
    **dict.fromkeys(NO_DANGER_SIGNS, False),
    "bruising": "none",
}


def _user(session: Session, clinic: Clinic, account: DemoAccount) -> User:
    user = session.scalar(select(User).where(User.email == account.email))
    if user is not None:
        return user
    if account.role == "patient":
        patient = accounts_service.register_patient(
            session,
            clinic_id=clinic.id,
            email=account.email,
            password=account.password,
            full_name=account.name,
            phone="555-0100",
            address="12 Elm Street, Springfield",
        )
        found = session.get(User, patient.user_id)
        if found is None:
            raise RuntimeError("patient user vanished")
        return found
    return accounts_service.create_user(
        session,
        clinic_id=clinic.id,
        email=account.email,
        password=account.password,
        role=account.role,
        display_name=account.name,
        profession=account.profession,
    )


def _demo_screening(session: Session, kb: Knowledge, clinic: Clinic, patient: Patient) -> Screening:
    existing = session.scalar(select(Screening).where(Screening.patient_id == patient.id).limit(1))
    if existing is not None:
        return existing
    answers = parse_answers(kb, DEMO_ANSWERS)
    result = to_json(kb, screen(kb, answers))
    screening = Screening(
        id=secrets.token_hex(16),
        clinic_id=clinic.id,
        patient_id=patient.id,
        role="patient",
        status="complete",
        answers=dict(answers),
        history=[[k] for k in DEMO_ANSWERS],
        result=result,
        urgency=result["urgency"],
        knowledge_version=kb.version,
    )
    session.add(screening)
    session.flush()
    return screening


def load_demo(session: Session, kb: Knowledge, *, history: bool = True) -> Clinic:
    """Create or complete the demo clinic; returns it. Commits. Without `history` only the
    demo patient with one screening and a visit tomorrow (the tests' starting point)."""
    clinic = session.scalar(select(Clinic).where(Clinic.slug == CLINIC_SLUG))
    if clinic is None:
        clinic = Clinic(
            name=CLINIC_NAME,
            slug=CLINIC_SLUG,
            timezone=CLINIC_TZ,
            address="100 Main Street, Springfield",
            phone="555-0199",
        )
        session.add(clinic)
        session.flush()
    for code, name, minutes, modes, free, description in APPOINTMENT_TYPES:
        found = session.scalar(
            select(AppointmentType).where(
                AppointmentType.clinic_id == clinic.id, AppointmentType.code == code
            )
        )
        if found is None:
            session.add(
                AppointmentType(
                    clinic_id=clinic.id,
                    code=code,
                    name=name,
                    minutes=minutes,
                    modes=list(modes),
                    is_free=free,
                    description=description,
                )
            )
    pt = _user(session, clinic, ADMIN)
    chiro = _user(session, clinic, CHIRO)
    for user, week in ((pt, PT_WEEK), (chiro, CHIRO_WEEK)):
        has_any = session.scalar(
            select(Availability.id).where(Availability.clinician_id == user.id).limit(1)
        )
        if has_any is None:
            for weekday, start, end, block_modes in week:
                session.add(
                    Availability(
                        clinic_id=clinic.id,
                        clinician_id=user.id,
                        weekday=weekday,
                        start_time=start,
                        end_time=end,
                        modes=list(block_modes),
                    )
                )
    patient_user = _user(session, clinic, PATIENT)
    patient = session.scalar(select(Patient).where(Patient.user_id == patient_user.id))
    if patient is None:
        raise RuntimeError("the demo patient has no patient record")
    session.flush()
    if history:
        _load_history(session, kb, clinic, [pt.id, chiro.id])
    else:
        screening = _demo_screening(session, kb, clinic, patient)
        session.flush()
        if (
            session.scalar(select(Appointment.id).where(Appointment.patient_id == patient.id))
            is None
        ):
            _demo_appointment(session, clinic, pt, patient, screening)
    session.commit()
    return clinic


def _load_history(session: Session, kb: Knowledge, clinic: Clinic, clinicians: list[int]) -> None:
    """The demo people's care histories, once: nothing is added when the demo patient already
    has a screening (a demo loaded before, with or without history)."""
    patient_ids = []
    for account, *_ in HISTORY_PEOPLE:
        user = _user(session, clinic, account)
        found = session.scalar(select(Patient.id).where(Patient.user_id == user.id))
        if found is None:
            raise RuntimeError("a demo person has no patient record")
        patient_ids.append((found, user.id))
    session.flush()
    first = patient_ids[0][0]
    if session.scalar(select(Screening.id).where(Screening.patient_id == first).limit(1)):
        return
    if session.scalar(select(SessionLog.id).where(SessionLog.patient_id == first).limit(1)):
        return
    templates = build_templates(kb)
    today = local_today(clinic.zone)
    people = [
        Person(
            pid,
            uid,
            generate(
                kb,
                templates,
                random.Random(seed),  # noqa: S311 - made-up data, seeded
                today=today,
                zone=clinic.zone,
                profile=profile,
                runner=runner,
                weeks=weeks,
                condition=condition,
            ),
        )
        for (pid, uid), (_, profile, weeks, runner, condition, seed) in zip(
            patient_ids, HISTORY_PEOPLE, strict=True
        )
    ]
    calendar = Calendar(clinic.zone, clinicians)
    calendar.load_existing(session)
    staff_of = [clinicians[i % 2] for i in range(len(people))]
    write_histories(
        session, clinic_id=clinic.id, people=people, calendar=calendar, staff_of=staff_of
    )
    # Each of them has been seen: their clinician recorded the working diagnosis at the start of
    # care, so the record, the plan and the exam have it to show.
    for (pid, _), (_, _, weeks, _, condition, _), clinician in zip(
        patient_ids, HISTORY_PEOPLE, staff_of, strict=True
    ):
        patient = session.get(Patient, pid)
        if patient is not None and patient.working_diagnosis is None:
            patient.working_diagnosis = condition
            patient.working_diagnosis_by = clinician
            patient.working_diagnosis_at = datetime.combine(
                today - timedelta(weeks=weeks), time(12), tzinfo=clinic.zone
            )


def _demo_appointment(
    session: Session, clinic: Clinic, clinician: User, patient: Patient, screening: Screening
) -> None:
    """The demo patient's free screening: the next weekday at 10:00 clinic time, in clinic."""
    tz = clinic.zone
    day = local_today(tz) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    kind = session.scalar(
        select(AppointmentType).where(
            AppointmentType.clinic_id == clinic.id, AppointmentType.code == "free_screening"
        )
    )
    if kind is None:
        raise RuntimeError("the demo clinic has no free screening type")
    starts = datetime.combine(day, time(10), tzinfo=tz)
    session.add(
        Appointment(
            clinic_id=clinic.id,
            clinician_id=clinician.id,
            patient_id=patient.id,
            type_id=kind.id,
            mode="in_clinic",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=kind.minutes),
            screening_id=screening.id,
        )
    )
