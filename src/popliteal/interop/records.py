"""The episode of care as plain records: what the FHIR mapping reads. The service fills them
from the database; the mapping (fhir_resources.py) never sees a session or an ORM row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class OrgRec:
    id: int
    slug: str
    name: str
    address: str
    phone: str


@dataclass(frozen=True)
class StaffRec:
    id: int
    name: str
    email: str
    profession: str | None


@dataclass(frozen=True)
class PatientRec:
    id: int
    name: str
    email: str
    phone: str
    address: str
    birth_date: date | None
    working_diagnosis: str | None
    working_diagnosis_at: datetime | None
    working_diagnosis_by: int | None
    working_diagnosis_note: str


@dataclass(frozen=True)
class ScreeningRec:
    id: str
    created_at: datetime
    role: str
    answers: dict[str, Any]
    result: dict[str, Any]
    knowledge_version: str
    entered_by: int | None  # the clinician of an exam; None for the person's own screening


@dataclass(frozen=True)
class ResponseRec:
    id: int
    instrument: str
    answers: dict[str, Any]
    scores: dict[str, Any]
    valid: bool
    occasion: str
    submitted_at: datetime


@dataclass(frozen=True)
class PlanVersionRec:
    number: int
    phase: str
    goal: str
    exercises: list[dict[str, Any]]
    treatments: list[dict[str, Any]]
    starts_on: date
    created_by: int


@dataclass(frozen=True)
class PlanRec:
    id: int
    condition_id: str
    status: str  # active | ended
    created_at: datetime
    ended_at: datetime | None
    current_version: int
    versions: tuple[PlanVersionRec, ...]


@dataclass(frozen=True)
class AppointmentRec:
    id: int
    starts_at: datetime
    ends_at: datetime
    status: str  # booked | cancelled
    mode: str
    type_name: str
    clinician_id: int


@dataclass(frozen=True)
class PainRec:
    key: str  # unique within the patient: "log-3", "visit-7", "session-12-before"
    at: datetime
    pain: int
    context: str  # what the score was given with, in words


@dataclass(frozen=True)
class RomRec:
    id: int
    side: str
    affected: bool
    flexion_deg: int | None
    extension_deg: int | None
    measured_on: date
    clinician_id: int


@dataclass(frozen=True)
class RunWeekRec:
    start: date  # first day of the 7-day block, on the clinic's calendar
    end: date  # last day
    km: float
    runs: int


@dataclass(frozen=True)
class VisitRec:
    id: int
    visit_date: date
    clinician_id: int
    treatments: list[dict[str, Any]]  # {"id", "detail", "grade"?}


@dataclass(frozen=True)
class Episode:
    """Everything the export says about one patient."""

    org: OrgRec
    patient: PatientRec
    staff: dict[int, StaffRec]
    discharged: bool
    screenings: list[ScreeningRec] = field(default_factory=list)
    responses: list[ResponseRec] = field(default_factory=list)
    plans: list[PlanRec] = field(default_factory=list)
    appointments: list[AppointmentRec] = field(default_factory=list)
    pains: list[PainRec] = field(default_factory=list)
    rom: list[RomRec] = field(default_factory=list)
    run_weeks: list[RunWeekRec] = field(default_factory=list)
    visits: list[VisitRec] = field(default_factory=list)
