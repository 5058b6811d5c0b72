"""Pydantic schemas of care plans: what the builder saves and what people and clinicians read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from popliteal.knowledge.schema import Goal, Phase

NAME = Field(min_length=1, max_length=80, pattern=r"^[a-z][a-z0-9_]*$")


class PrescriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_id: str = NAME
    sets: int | None = Field(default=None, ge=1, le=10)
    reps: int | None = Field(default=None, ge=1, le=50)
    hold_s: int | None = Field(default=None, ge=1, le=600)
    minutes: int | None = Field(default=None, ge=1, le=90)
    rest_s: int = Field(default=30, ge=0, le=600)
    per_week: int = Field(default=7, ge=1, le=14)
    note: str = Field(default="", max_length=500)
    # The drafted exercise this one replaced automatically (missing equipment), if any.
    swapped_for: str = Field(default="", max_length=200)


class LimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default="custom", max_length=80)
    text: str = Field(min_length=1, max_length=500)


class PlanCreate(BaseModel):
    """A whole plan version as the clinician saves it (the builder's form, or the API)."""

    model_config = ConfigDict(extra="forbid")

    condition: str = NAME
    phase: Phase
    goal: Goal = "everyday_life"
    pain: int | None = Field(default=None, ge=0, le=10)
    equipment: list[str] = Field(default_factory=list, max_length=20)
    minutes_per_day: int | None = Field(default=None, ge=1, le=240)
    exercises: list[PrescriptionIn] = Field(min_length=1, max_length=12)
    treatments: list[str] = Field(default_factory=list, max_length=20)
    activity_limits: list[LimitIn] = Field(default_factory=list, max_length=20)
    notes: str = Field(default="", max_length=4000)
    change_summary: str = Field(default="", max_length=500)


class PrescriptionRead(BaseModel):
    id: str
    name: str
    sets: int | None
    reps: int | None
    hold_s: int | None
    minutes: int | None
    per_week: int
    rest_s: int
    note: str
    swapped_for: str = ""
    dose: str
    illustration_url: str


class PlanVersionRead(BaseModel):
    plan_id: int
    number: int
    is_current: bool
    condition: str
    condition_name: str
    phase: Phase
    phase_name: str
    goal: Goal
    pain: int | None
    equipment: list[str]
    minutes_per_day: int | None
    exercises: list[PrescriptionRead]
    treatments: list[dict[str, Any]]
    activity_limits: list[dict[str, Any]]
    progression_criteria: list[dict[str, Any]]
    refer_when: list[dict[str, Any]]
    notes: str
    change_summary: str
    starts_on: date
    created_at: datetime
    created_by_name: str
    knowledge_version: str


class PlanVersionSummary(BaseModel):
    number: int
    phase: Phase
    exercise_count: int
    change_summary: str
    created_at: datetime
    created_by_name: str
