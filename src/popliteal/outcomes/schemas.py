"""Pydantic schemas of questionnaire responses, follow-up, range of motion and discharge (red
flags and alerts: alerts/schemas.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from popliteal.clock import RecordDate
from popliteal.knowledge.schema import RedFlagRead

InstrumentName = Literal["koos", "lefs", "ikdc", "nprs"]
Occasion = Literal["baseline", "follow_up", "discharge", "ad_hoc"]
Side = Literal["left", "right"]
Answer = int | float | str | bool | None
RowRef = Field(default=None, ge=1, le=2_147_483_647)


class QuestionnaireCreate(BaseModel):
    """One questionnaire: item id -> answer (null or absent = not answered).

    `safety` is the "since last time" checklist ({item id: true/false}); `completed_on` is the
    date written on a paper form a clinician enters (clinicians only; default today).
    """

    model_config = ConfigDict(extra="forbid")

    instrument: InstrumentName
    answers: dict[str, Answer] = Field(max_length=60)
    occasion: Occasion | None = None
    safety: dict[str, Any] | None = Field(default=None, max_length=40)
    completed_on: RecordDate | None = None


class DueRead(BaseModel):
    instrument: str
    occasion: str
    due_on: date
    days_overdue: int


class QuestionnaireRead(BaseModel):
    id: int
    patient_id: int
    instrument: str
    occasion: str
    local_date: date
    submitted_at: datetime
    valid: bool
    scores: dict[str, float | None]
    invalid: list[str]
    missing_items: list[str]
    answers: dict[str, Any]
    safety: dict[str, bool]
    entered_by: int
    knowledge_version: str


class SubmitResult(BaseModel):
    """The stored response with its scores, any red flag to show now, and what is due next."""

    response: QuestionnaireRead
    red_flags: list[RedFlagRead]
    due: list[DueRead]


class ChangeRead(BaseModel):
    before: float
    after: float
    difference: float
    mcid: float
    verdict: Literal["improved", "unchanged", "worse"]
    source: str


class HistoryPoint(BaseModel):
    response_id: int
    local_date: date
    occasion: str
    valid: bool
    scores: dict[str, float | None]
    change: dict[str, ChangeRead]  # per scale, against the first valid score of that scale


class InstrumentHistory(BaseModel):
    instrument: str
    points: list[HistoryPoint]


class OutcomesRead(BaseModel):
    patient_id: int
    main_instrument: str
    instruments: list[str]
    interval_days: int
    baseline_on: date | None
    discharged_on: date | None
    due: list[DueRead]
    responses: list[QuestionnaireRead]  # newest first
    history: list[InstrumentHistory]
    safety_checklist: list[dict[str, str]]  # [{id, text}] to ask with each check-in


class RangeOfMotionCreate(BaseModel):
    """Knee range of motion in degrees. Extension is signed: 0 = straight, negative = lacking
    extension (e.g. -5: the knee stops 5 degrees short of straight), positive = hyperextension.
    `affected` is false for the other knee, measured for comparison."""

    model_config = ConfigDict(extra="forbid")

    side: Side
    affected: bool = True
    flexion_deg: int | None = Field(default=None, ge=0, le=180)
    extension_deg: int | None = Field(default=None, ge=-90, le=30)
    measured_on: RecordDate | None = None
    appointment_id: int | None = RowRef
    visit_note_id: int | None = RowRef
    note: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _measured(self) -> RangeOfMotionCreate:
        if self.flexion_deg is None and self.extension_deg is None:
            raise ValueError("give flexion_deg, extension_deg or both")
        if (
            self.flexion_deg is not None
            and self.extension_deg is not None
            and self.flexion_deg + self.extension_deg < 0
        ):
            raise ValueError(
                f"a knee lacking {-self.extension_deg} degrees of extension is already bent that "
                f"far: flexion can not be {self.flexion_deg}"
            )
        return self


class RangeOfMotionRead(BaseModel):
    id: int
    patient_id: int
    side: Side
    affected: bool
    flexion_deg: int | None
    extension_deg: int | None
    measured_on: date
    clinician_id: int
    appointment_id: int | None
    visit_note_id: int | None
    note: str
    created_at: datetime


class CriterionRead(BaseModel):
    id: str
    name: str
    status: Literal["met", "not_met", "unknown"]
    evidence: str
    detail: dict[str, Any]


class DischargeCheckRead(BaseModel):
    patient_id: int
    all_met: bool
    criteria: list[CriterionRead]
    summary: dict[str, Any]
    due: list[DueRead]  # the discharge questionnaires still to answer
    discharged_on: date | None


class DischargeCreate(BaseModel):
    """Discharge today (or on `discharged_on`); with unmet criteria only with `override_reason`."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=4000)
    override_reason: str | None = Field(default=None, max_length=2000)
    discharged_on: RecordDate | None = None


class DischargeRead(BaseModel):
    id: int
    patient_id: int
    discharged_on: date
    discharged_by: int
    criteria: list[CriterionRead]
    summary: dict[str, Any]
    note: str
    overridden: bool
    override_reason: str
    created_at: datetime
