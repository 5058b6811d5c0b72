"""Pydantic schemas of the clinician workspace API (/api/patients) and the clinic admin forms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from popliteal.knowledge.schema import RedFlagRead


class AppointmentRead(BaseModel):
    id: int
    starts_at: datetime
    ends_at: datetime
    starts_local: str
    type_code: str
    type_name: str
    mode: str
    status: str
    clinician_id: int
    clinician_name: str
    screening_id: str | None


class PatientSummaryRead(BaseModel):
    """One line of the patient list."""

    id: int
    full_name: str
    email: str
    urgency: str | None
    latest_screening_id: str | None
    latest_screening_at: datetime | None
    red_flags: list[RedFlagRead]
    next_appointment: AppointmentRead | None
    working_diagnosis: str | None
    working_diagnosis_name: str | None
    # Safety findings the person's newest screening left at "not sure" (engine field).
    safety_not_ruled_out: list[str] = []


class WorkingDiagnosisRead(BaseModel):
    condition: str | None
    name: str | None
    note: str
    by_user_id: int | None
    by_name: str | None
    at: datetime | None


class AnswerRead(BaseModel):
    finding: str
    question: str
    value: Any
    answer: str


class ScreeningRead(BaseModel):
    id: str
    created_at: datetime
    role: str
    status: str
    urgency: str
    knowledge_version: str
    based_on_id: str | None
    created_by_user_id: int | None
    answers: list[AnswerRead]
    result: dict[str, Any]


class PatientRead(BaseModel):
    id: int
    full_name: str
    email: str
    phone: str
    address: str
    date_of_birth: date | None
    working_diagnosis: WorkingDiagnosisRead


class PatientRecordRead(BaseModel):
    """A patient's whole record: details, screenings (newest first) and appointments."""

    patient: PatientRead
    timezone: str = Field(description="The clinic's time zone, in which times are shown.")
    screenings: list[ScreeningRead]
    appointments: list[AppointmentRead]


class ExamCreate(BaseModel):
    answers: dict[str, Any] = Field(
        description="Clinician exam findings {finding_id: value}, ids and values as in the "
        "clinical contract; null means not tested / can not tell."
    )


class DiagnosisUpdate(BaseModel):
    condition: str | None = Field(
        default=None,
        max_length=80,
        description="A condition id from the knowledge base, or "
        "null to clear the working diagnosis.",
    )
    note: str = Field(default="", max_length=4000)
