"""Pydantic schemas of red flags shown to the person and of alerts read and resolved by staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class AlertRead(BaseModel):
    id: int
    patient_id: int
    patient_name: str
    kind: Literal["red_flag", "review", "surgical_consult"]
    urgency: str | None
    rule_id: str
    reason: str
    patient_message: str
    source: str
    detail: dict[str, Any]
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: int | None
    resolution_note: str


class AlertResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=2000)
