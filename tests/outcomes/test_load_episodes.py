"""The episode of care read for many people at once (the patient list) is the one read for each
person (their pages and rules), and costs as many statements for two people as for twenty."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic, Patient
from popliteal.accounts.rules import Actor
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.demo import CHIRO
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import discharges, episode_rows
from popliteal.outcomes.episode import load_episode, load_episodes
from popliteal.outcomes.models import QuestionnaireResponse, RangeOfMotion
from popliteal.outcomes.schemas import DischargeCreate
from popliteal.plans.models import CarePlanVersion
from popliteal.sessions.models import PainLog, SessionLog
from tests.accounts.factories import add_patient
from tests.plans.factories import add_care_plan
from tests.running import factories as rf

# 17:00 UTC is 12:00 in Chicago (the demo clinic): the clinic's today is 1 June 2025.
NOW = datetime(2025, 6, 1, 17, 0, tzinfo=UTC)
TODAY = date(2025, 6, 1)


@dataclass(frozen=True)
class Staff:
    clinic: Clinic
    chiro: Actor


@pytest.fixture
def staff(db: Session) -> Staff:
    clinic = db.get(Clinic, rf.demo_patient(db).clinic_id)
    assert clinic is not None
    found = Staff(clinic=clinic, chiro=rf.actor_for(db, CHIRO.email))
    db.rollback()
    return found


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


class History:
    """One person's records, stored directly, each dated `days` before TODAY."""

    def __init__(self, db: Session, kb: Knowledge, staff: Staff, name: str) -> None:
        self.db, self.kb, self.staff = db, kb, staff
        self.patient = add_patient(
            db, clinic_id=staff.clinic.id, name=name, email=f"{name}@example.org"
        )
        self.version: CarePlanVersion | None = None
        db.commit()

    @property
    def pid(self) -> int:
        return self.patient.id

    def plan(self, days: int, **kwargs: Any) -> History:
        self.version = add_care_plan(
            self.db,
            clinic=self.staff.clinic,
            patient_id=self.pid,
            staff_id=self.staff.chiro.user_id,
            kb=self.kb,
            starts_on=ago(days),
            **kwargs,
        )
        self.db.commit()
        return self

    def nprs(self, days: int, pain: int) -> History:
        self.db.add(
            QuestionnaireResponse(
                clinic_id=self.staff.clinic.id,
                patient_id=self.pid,
                instrument="nprs",
                answers={"pain": pain},
                scores={"instrument": "nprs", "valid": True, "scores": {"pain": float(pain)}},
                valid=True,
                knowledge_version=self.kb.version,
                occasion="follow_up",
                local_date=ago(days),
                entered_by=self.staff.chiro.user_id,
            )
        )
        self.db.commit()
        return self

    def pain(self, days: int, pain: int, kind: str = "morning") -> History:
        self.db.add(PainLog(patient_id=self.pid, local_date=ago(days), pain=pain, kind=kind))
        self.db.commit()
        return self

    def session(self, days: int, status: str = "done") -> History:
        assert self.version is not None
        self.db.add(
            SessionLog(
                clinic_id=self.staff.clinic.id,
                patient_id=self.pid,
                plan_version_id=self.version.id,
                local_date=ago(days),
                status=status,
                pain_before=4,
                pain_after=3 if status == "done" else None,
                entries=[],
            )
        )
        self.db.commit()
        return self

    def rom(self, days: int, flexion: int) -> History:
        self.db.add(
            RangeOfMotion(
                clinic_id=self.staff.clinic.id,
                patient_id=self.pid,
                side="left",
                flexion_deg=flexion,
                extension_deg=-5,
                measured_on=ago(days),
                clinician_id=self.staff.chiro.user_id,
            )
        )
        self.db.commit()
        return self

    def run(self, days: int, km: float = 3.0) -> History:
        rf.add_run(self.db, patient_id=self.pid, day=ago(days), km=km, pain_during=1)
        return self

    def evaluation(self, days: int) -> History:
        kind = self.db.scalar(
            select(AppointmentType.id).where(
                AppointmentType.clinic_id == self.staff.clinic.id,
                AppointmentType.code == "initial_evaluation",
            )
        )
        assert kind is not None
        starts = datetime.combine(ago(days), time(16), tzinfo=UTC)
        self.db.add(
            Appointment(
                clinic_id=self.staff.clinic.id,
                clinician_id=self.staff.chiro.user_id,
                patient_id=self.pid,
                type_id=kind,
                mode="in_clinic",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=60),
            )
        )
        self.db.commit()
        return self

    def discharge(self, days: int) -> History:
        discharges.discharge(
            self.db,
            kb=self.kb,
            actor=self.staff.chiro,
            patient_id=self.pid,
            body=DischargeCreate(override_reason="moved away", discharged_on=ago(days)),
            now=NOW - timedelta(days=days),
        )
        return self


def patients(db: Session, ids: list[int]) -> list[Patient]:
    found = {p.id: p for p in db.scalars(select(Patient).where(Patient.id.in_(ids)))}
    return [found[pid] for pid in ids]


@pytest.fixture
def histories(db: Session, kb: Knowledge, staff: Staff) -> list[int]:
    """People with different histories, and one of another clinic (Berlin time)."""
    renewed = (
        History(db, kb, staff, "renewed")
        .plan(60)
        .nprs(60, 6)
        .pain(50, 5)
        .session(55)
        .session(45, "in_progress")
        .rom(50, 100)
        .run(40)
        .discharge(20)
        .plan(5, condition="hamstring_strain", goal="return_to_running")
        .nprs(4, 3)
        .pain(3, 2, "other")
        .session(2)
        .rom(2, 130)
        .run(3)
        .run(1, 5.0)
    )
    evaluated = History(db, kb, staff, "evaluated").evaluation(9).nprs(9, 4).pain(8, 4)
    runner = (
        History(db, kb, staff, "runner")
        .plan(30, goal="return_to_running")
        .run(400)
        .run(10)
        .run(5)
        .run(2)
        .session(6)
        .session(3)
        .pain(4, 1)
    )
    discharged = History(db, kb, staff, "discharged").plan(50).session(40).discharge(10)
    waiting = History(db, kb, staff, "waiting")
    other, _ = rf.other_clinic(db, kb)
    return [renewed.pid, evaluated.pid, runner.pid, discharged.pid, waiting.pid, other.patient_id]


@pytest.mark.postgres
def test_the_episodes_read_together_are_the_episodes_read_one_by_one(
    db: Session, kb: Knowledge, histories: list[int]
) -> None:
    people = patients(db, histories)
    together = load_episodes(db, kb, people, NOW)
    one_by_one = {p.id: load_episode(db, kb, p, NOW) for p in people}
    assert list(together) == histories
    assert together == one_by_one
    renewed, evaluated, runner, discharged, waiting, other = (together[i] for i in histories)
    # the histories differ where the episode rules decide
    assert (renewed.episode_since, renewed.baseline_on, renewed.discharged_on) == (
        ago(19),
        ago(5),
        None,
    )
    assert (renewed.condition, renewed.goal) == ("hamstring_strain", "return_to_running")
    assert [r.local_date for r in renewed.responses] == [ago(4)]
    assert [(p.day, p.source) for p in renewed.pain] == [
        (ago(4), "nprs"),
        (ago(3), "other"),
        (ago(2), "before"),
        (ago(2), "after"),
    ]
    assert ([m.flexion_deg for m in renewed.rom], renewed.done_days) == ([130], [ago(2)])
    assert [r.day for r in renewed.runs] == [ago(3), ago(1)]
    assert (evaluated.baseline_on, evaluated.periods, evaluated.condition) == (ago(9), [], None)
    assert [r.day for r in runner.runs] == [ago(10), ago(5), ago(2)]  # a year of runs
    assert runner.done_days == [ago(6), ago(3)]
    assert (discharged.discharged_on, discharged.episode_since) == (ago(10), None)
    assert (waiting.baseline_on, waiting.responses, waiting.pain) == (None, [], [])
    assert other.today == TODAY
    assert other.patient.clinic_id != renewed.patient.clinic_id
    assert load_episodes(db, kb, [], NOW) == {}


@pytest.mark.postgres
def test_reading_in_chunks_gives_the_same_episodes(
    db: Session, kb: Knowledge, histories: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    people = patients(db, histories)
    whole = load_episodes(db, kb, people, NOW)
    monkeypatch.setattr(episode_rows, "CHUNK", 2)
    assert load_episodes(db, kb, people, NOW) == whole


@pytest.fixture
def statements(db: Session) -> Iterator[list[str]]:
    """The SQL statements sent while the test runs."""
    sent: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", listen)
    yield sent
    event.remove(db.get_bind(), "before_cursor_execute", listen)


@pytest.mark.postgres
def test_two_people_or_twenty_cost_the_same_number_of_statements(
    db: Session, kb: Knowledge, staff: Staff, statements: list[str]
) -> None:
    ids = []
    for n in range(20):
        person = (
            History(db, kb, staff, f"person{n}")
            .evaluation(30 + n)  # one clinician: one evaluation at a time
            .plan(30, goal="return_to_running")
            .nprs(30, 5)
            .pain(20, 4)
            .session(10)
            .rom(10, 110)
            .run(5)
        )
        if n % 3 == 0:
            person.discharge(4)
        if n % 6 == 0:
            person.plan(2)
        ids.append(person.pid)

    def count(n: int, read: Callable[[list[Patient]], object]) -> int:
        """Statements of one read of the first n people, loaded afresh as a request does."""
        db.rollback()
        db.expire_all()  # the clinic too, whatever the last transaction left loaded
        chosen = patients(db, ids[:n])
        statements.clear()
        read(chosen)
        sent = len(statements)
        db.rollback()
        return sent

    together = [count(n, lambda chosen: load_episodes(db, kb, chosen, NOW)) for n in (1, 2, 20)]
    assert together == [together[0]] * 3
    assert count(1, lambda chosen: load_episode(db, kb, chosen[0], NOW)) == together[0]
