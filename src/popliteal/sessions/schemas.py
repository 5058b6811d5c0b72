"""Pydantic schemas of guided sessions, pain logs and visit notes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from popliteal.clock import RecordDate
from popliteal.knowledge.schema import RedFlagRead

Pain = Field(ge=0, le=10)
SessionMode = Literal["home", "virtual", "at_home_visit"]
VisitMode = Literal["in_clinic", "virtual", "at_home"]


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: SessionMode = "home"
    pain_before: int = Pain
    appointment_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class ExerciseDone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_id: str = Field(min_length=1, max_length=80)
    sets_done: int = Field(ge=0, le=20)
    hurt: bool = False


class SessionFinish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pain_after: int = Pain
    note: str = Field(default="", max_length=2000)
    # The "since last time" safety checklist ({item id: true/false}, followup.yaml); optional.
    safety: dict[str, Any] | None = Field(default=None, max_length=40)


class PainCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pain: int = Pain
    kind: Literal["morning", "other"] = "morning"
    note: str = Field(default="", max_length=1000)


class SessionEntryRead(BaseModel):
    id: str
    name: str
    sets_prescribed: int
    sets_done: int
    hurt: bool


class SessionRead(BaseModel):
    id: int
    patient_id: int
    plan_version: int
    mode: SessionMode
    local_date: date
    status: Literal["in_progress", "done"]
    pain_before: int | None
    pain_after: int | None
    entries: list[SessionEntryRead]
    note: str
    started_at: datetime
    finished_at: datetime | None
    # Red flags the safety checklist raised at finish: show each patient_message at once.
    red_flags: list[RedFlagRead] = Field(default_factory=list)


class AdherenceRead(BaseModel):
    week_start: date
    due_days: int
    done_days: int
    percent: float | None


class ProgressRead(BaseModel):
    """The person's logs at a glance: sessions, adherence by week, pain by week and trend."""

    sessions: list[SessionRead]
    adherence: list[AdherenceRead]
    weekly_pain: list[tuple[date, float | None]]
    pain_trend: str
    hurt_flags: list[dict[str, Any]]


class TreatmentGiven(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=80)
    detail: str = Field(default="", max_length=300)
    grade: Literal["I", "II", "III", "IV", "V"] | None = None


class VisitNoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appointment_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    mode: VisitMode = "in_clinic"
    visit_date: RecordDate | None = None
    subjective: str = Field(default="", max_length=4000)
    objective: str = Field(default="", max_length=4000)
    assessment: str = Field(default="", max_length=4000)
    plan: str = Field(default="", max_length=4000)
    treatments: list[TreatmentGiven] = Field(default_factory=list, max_length=20)
    pain: int | None = Field(default=None, ge=0, le=10)


class VisitNoteRead(BaseModel):
    id: int
    patient_id: int
    appointment_id: int | None
    clinician_id: int
    clinician_name: str
    mode: VisitMode
    visit_date: date
    subjective: str
    objective: str
    assessment: str
    plan: str
    treatments: list[dict[str, Any]]
    pain: int | None
    created_at: datetime
    updated_at: datetime
