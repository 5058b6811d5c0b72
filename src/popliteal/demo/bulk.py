"""Write generated histories (demo/history.py) with bulk inserts: one executemany per table
per batch of people, ids back in order (RETURNING) only where later rows point at them (plans,
versions). A clinic of 10,000 people with a year of runs loads in about a minute on SQLite.

Visits go on the clinicians' calendars without overlaps (the database refuses overlapping
appointments of one clinician or one person on PostgreSQL): each takes the first free slot of
the day from 08:00, with another clinician or the next weekday when a day is full.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.demo.history import History
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.running.models import Activity
from popliteal.screening.models import Screening
from popliteal.sessions.models import PainLog, SessionLog

DAY_START, DAY_END = 8 * 60, 18 * 60  # minutes after midnight, the clinic's time


@dataclass(frozen=True)
class Person:
    """A patient and the account that enters their own records."""

    patient_id: int
    user_id: int
    history: History


@dataclass
class Calendar:
    """Busy minutes per (clinician, day): where the next visit fits."""

    zone: ZoneInfo
    clinicians: list[int]
    busy: dict[tuple[int, date], list[tuple[int, int]]] = field(default_factory=dict)

    def load_existing(self, session: Session) -> None:
        """Mark the clinicians' booked appointments as busy."""
        for clinician, starts, ends in session.execute(
            select(Appointment.clinician_id, Appointment.starts_at, Appointment.ends_at).where(
                Appointment.clinician_id.in_(self.clinicians), Appointment.status == "booked"
            )
        ).all():
            local, until = starts.astimezone(self.zone), ends.astimezone(self.zone)
            self._mark(clinician, local.date(), _minutes(local), _minutes(until))

    def _mark(self, clinician: int, day: date, start: int, end: int) -> None:
        self.busy.setdefault((clinician, day), []).append((start, end))

    def _free(self, clinician: int, day: date, minutes: int) -> int | None:
        taken = sorted(self.busy.get((clinician, day), []))
        start = DAY_START
        for begin, end in taken:
            if start + minutes <= begin:
                break
            start = max(start, end)
        return start if start + minutes <= DAY_END else None

    def place(self, day: date, minutes: int, preferred: int) -> tuple[int, datetime, datetime]:
        """A clinician and a slot on `day` or the next weekday with room."""
        order = [preferred, *(c for c in self.clinicians if c != preferred)]
        while True:
            if day.weekday() < 5:
                for clinician in order:
                    start = self._free(clinician, day, minutes)
                    if start is not None:
                        self._mark(clinician, day, start, start + minutes)
                        at = datetime.combine(day, time(start // 60, start % 60), tzinfo=self.zone)
                        return clinician, at, at + timedelta(minutes=minutes)
            day += timedelta(days=1)


def _minutes(at: datetime) -> int:
    return at.hour * 60 + at.minute


def _insert_returning(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows).all())


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model), rows)


def write_histories(
    session: Session,
    *,
    clinic_id: int,
    people: Sequence[Person],
    calendar: Calendar,
    staff_of: Sequence[int],
) -> None:
    """Insert these people's histories (the caller commits); `staff_of[i]` is the clinician
    who sees person i."""
    types = {
        code: (tid, minutes)
        for tid, code, minutes in session.execute(
            select(AppointmentType.id, AppointmentType.code, AppointmentType.minutes).where(
                AppointmentType.clinic_id == clinic_id
            )
        ).all()
    }
    rows: dict[Any, list[dict[str, Any]]] = {}

    def add(model: Any, row: dict[str, Any]) -> None:
        rows.setdefault(model, []).append(row)

    plan_rows, plan_owner = [], []
    for i, person in enumerate(people):
        h, pid, uid, clinician = person.history, person.patient_id, person.user_id, staff_of[i]
        mine = {"clinic_id": clinic_id, "patient_id": pid}
        screening_id = None
        for s in h.screenings:
            screening_id = s["id"]
            add(
                Screening,
                {
                    **mine,
                    "id": s["id"],
                    "role": "patient",
                    "status": "complete",
                    "answers": s["answers"],
                    "history": s["history"],
                    "result": s["result"],
                    "urgency": s["urgency"],
                    "knowledge_version": s["result"]["knowledge_version"],
                    "created_at": s["at"],
                    "updated_at": s["at"],
                },
            )
        for visit in h.visits:
            type_id, minutes = types[visit.code]
            who, starts, ends = calendar.place(visit.day, minutes, clinician)
            add(
                Appointment,
                {
                    **mine,
                    "clinician_id": who,
                    "type_id": type_id,
                    "mode": visit.mode,
                    "starts_at": starts,
                    "ends_at": ends,
                    "status": "booked",
                    "screening_id": screening_id if visit.code == "free_screening" else None,
                    "created_at": starts - timedelta(days=7),
                },
            )
        for plan in h.plans:
            plan_rows.append(plan)
            plan_owner.append((person, clinician))
        for p in h.pain_logs:
            add(PainLog, {"patient_id": pid, **p})
        for r in h.runs:
            started = datetime.combine(r["local_date"], time(7), tzinfo=calendar.zone)
            add(
                Activity,
                {
                    **mine,
                    **r,
                    "started_at": started,
                    "source": "manual",
                    "distance_source": "manual",
                    "created_by": uid,
                    "created_at": started + timedelta(hours=2),
                },
            )
        for q in h.responses:
            add(
                QuestionnaireResponse,
                {
                    **mine,
                    **q,
                    "knowledge_version": h.screenings[0]["result"]["knowledge_version"],
                    "safety": {},
                    "entered_by": uid,
                },
            )
        for m in h.rom:
            add(RangeOfMotion, {**mine, **m, "affected": True, "clinician_id": clinician})
        for a in h.alerts:
            add(OutcomeAlert, {**mine, **a, "patient_message": "", "detail": {}})
        for d in h.discharges:
            add(
                Discharge,
                {**mine, **d, "discharged_by": clinician, "criteria": [], "summary": {}},
            )
    plan_ids = _insert_returning(
        session,
        CarePlan,
        [
            {
                "clinic_id": clinic_id,
                "patient_id": person.patient_id,
                "created_by": clinician,
                **{k: v for k, v in plan.items() if k != "versions"},
            }
            for plan, (person, clinician) in zip(plan_rows, plan_owner, strict=True)
        ],
    )
    version_rows, version_keys = [], []
    for plan_id, plan, (person, clinician) in zip(plan_ids, plan_rows, plan_owner, strict=True):
        for v in plan["versions"]:
            version_rows.append({**v, "plan_id": plan_id, "created_by": clinician})
            version_keys.append((person.patient_id, v["number"]))
    version_ids = dict(
        zip(version_keys, _insert_returning(session, CarePlanVersion, version_rows), strict=True)
    )
    for person in people:
        for s in person.history.sessions:
            _, number = s["version"]
            add(
                SessionLog,
                {
                    "clinic_id": clinic_id,
                    "patient_id": person.patient_id,
                    "plan_version_id": version_ids[(person.patient_id, number)],
                    "mode": "home",
                    "safety": {},
                    "note": "",
                    **{k: v for k, v in s.items() if k != "version"},
                },
            )
    for model in (Screening, Appointment, PainLog, Activity, QuestionnaireResponse):
        _insert(session, model, rows.pop(model, []))
    for model, found in rows.items():
        _insert(session, model, found)
