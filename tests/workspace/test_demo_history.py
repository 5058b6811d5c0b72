"""The demo clinic's history (issue 18): weeks of care dated from the clinic's today, so every
page has something to show on first start; the same every time; loaded once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal import migrate
from popliteal.accounts.models import Patient, User
from popliteal.accounts.rules import Actor
from popliteal.alerts.models import OutcomeAlert
from popliteal.db import make_engine, make_sessionmaker
from popliteal.demo import ADMIN, load_demo
from popliteal.demo.clinic import HISTORY_PEOPLE
from popliteal.demo.history import SCREENINGS
from popliteal.outcomes import discharges
from popliteal.running.models import Activity
from popliteal.screening.answers import parse_answers
from popliteal.screening.engine import screen
from popliteal.sessions.models import PainLog, SessionLog
from tests.conftest import clinic_noon


def _fingerprint(session: Session) -> list[tuple[Any, ...]]:
    """What a person would see of the history: days, scores, distances (not row ids)."""
    return [
        *session.execute(
            select(SessionLog.local_date, SessionLog.pain_before, SessionLog.pain_after).order_by(
                SessionLog.patient_id, SessionLog.local_date
            )
        ).all(),
        *session.execute(
            select(Activity.local_date, Activity.distance_km).order_by(
                Activity.patient_id, Activity.local_date, Activity.distance_km
            )
        ).all(),
    ]


def test_demo_history_is_current_deterministic_loaded_once_and_ready_to_discharge(
    tmp_path: Path, kb: Any
) -> None:
    prints = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        with time_machine.travel(clinic_noon(), tick=False), make_sessionmaker(engine)() as db:
            clinic = load_demo(db, kb)
            counts = [db.scalar(select(func.count()).select_from(t)) for t in (SessionLog, PainLog)]
            load_demo(db, kb)  # again: nothing changes
            assert counts == [
                db.scalar(select(func.count()).select_from(t)) for t in (SessionLog, PainLog)
            ]
            prints.append(_fingerprint(db))
            today = clinic_noon().astimezone(clinic.zone).date()
            jordan = db.scalar(select(Patient).where(Patient.full_name == "Jordan Demo"))
            assert jordan is not None
            last_session = db.scalar(
                select(func.max(SessionLog.local_date)).where(SessionLog.patient_id == jordan.id)
            )
            assert last_session is not None
            assert 0 <= (today - last_session).days <= 7  # current: dated from the clinic's today
            assert db.scalar(select(func.count(OutcomeAlert.id))) == 1
            admin = db.scalar(select(User).where(User.email == ADMIN.email))
            assert admin is not None
            casey_account = HISTORY_PEOPLE[1][0]
            casey = db.scalar(
                select(Patient.id)
                .join(User, User.id == Patient.user_id)
                .where(User.email == casey_account.email)
            )
            assert casey is not None
            check = discharges.discharge_check(
                db,
                kb=kb,
                actor=Actor(user_id=admin.id, role=admin.role, clinic_id=clinic.id),  # type: ignore[arg-type]
                patient_id=casey,
                now=clinic_noon(),
            )
            assert [c.status for c in check.criteria if c.status != "met"] == []
            assert check.all_met
            # each person in care has the working diagnosis their clinician recorded
            diagnoses = db.execute(
                select(User.email, Patient.working_diagnosis, Patient.working_diagnosis_by)
                .join(User, User.id == Patient.user_id)
                .where(User.email.in_([p[0].email for p in HISTORY_PEOPLE]))
            ).all()
            assert {e: d for e, d, _ in diagnoses} == {p[0].email: p[4] for p in HISTORY_PEOPLE}
            assert all(by is not None for _, _, by in diagnoses)
        engine.dispose()
    assert prints[0] == prints[1]  # seeded: the same history every time


def test_demo_screenings_leave_no_warning_sign_unanswered(kb: Any) -> None:
    """The demo people were screened as the site's interview would screen them: every warning
    sign answered, so their records do not say "Safety questions not completed"."""
    for raw in SCREENINGS:
        answers = parse_answers(kb, raw)
        result = screen(kb, answers)
        assert result.safety_not_asked == (), raw
        assert result.safety_not_ruled_out == (), raw
    assert {r["symptom_duration_weeks"] for r in SCREENINGS} == {4, 8}  # own values kept
