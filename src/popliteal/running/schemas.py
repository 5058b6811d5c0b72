"""Pydantic schemas of runs, imports and the running-load view."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from popliteal.knowledge.schema import MILE_KM
from popliteal.running.plausibility import run_problem
from popliteal.running.sports import Sport

Surface = Literal["road_or_concrete", "uneven_or_trail", "track_or_treadmill", "grass_or_mixed"]
Unit = Literal["km", "mi"]
Pain = Field(default=None, ge=0, le=10)


class ActivityCreate(BaseModel):
    """A run entered by hand; distance in `unit` (the person's unit when omitted)."""

    model_config = ConfigDict(extra="forbid")

    local_date: date
    start_time: time | None = None
    distance: float = Field(gt=0, le=300)
    unit: Unit | None = None
    duration_minutes: float | None = Field(default=None, gt=0, le=24 * 60)
    elevation_gain_m: float | None = Field(default=None, ge=0, le=10_000)
    surface: Surface | None = None
    pain_during: int | None = Pain
    pain_next_morning: int | None = Pain
    walk_run_level: int | None = Field(default=None, ge=1, le=20)
    note: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _plausible(self) -> ActivityCreate:
        km = self.distance * (MILE_KM if self.unit == "mi" else 1.0)
        problem = run_problem(km, self.duration_minutes, self.local_date.year)
        if problem is not None:
            raise ValueError("this run " + problem)
        return self


class ActivityUpdate(BaseModel):
    """What the person adds after a run: surface, pain during and the next morning, level."""

    model_config = ConfigDict(extra="forbid")

    surface: Surface | None = None
    pain_during: int | None = Pain
    pain_next_morning: int | None = Pain
    walk_run_level: int | None = Field(default=None, ge=1, le=20)
    note: str | None = Field(default=None, max_length=1000)

    @field_validator("note")
    @classmethod
    def _null_clears_the_note(cls, note: str | None) -> str:
        """A null note clears it: the column is never null, so "" is what is stored."""
        return note or ""


class ActivityRead(BaseModel):
    id: int
    patient_id: int
    local_date: date
    started_at: datetime | None
    distance_km: float
    distance_mi: float
    duration_s: float | None
    elevation_gain_m: float | None
    surface: Surface | None
    pain_during: int | None
    pain_next_morning: int | None
    walk_run_level: int | None
    sport: Sport = "running"
    source: Literal["manual", "file"]
    distance_source: Literal["manual", "device", "track"]
    file_name: str
    file_format: str | None
    note: str


class ImportSkipped(BaseModel):
    file: str
    reason: str
    activity_id: int | None = None


class ImportResult(BaseModel):
    imported: list[ActivityRead]
    duplicates: list[ImportSkipped]
    rejected: list[ImportSkipped]


class FlagRead(BaseModel):
    id: str
    message: str
    source: str


class UnitUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: Unit
