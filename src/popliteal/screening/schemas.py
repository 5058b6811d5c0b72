"""Request and response shapes of the screenings API (documentation of the stable contract)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from popliteal.knowledge.schema import RedFlagRead


class ScreeningCreate(BaseModel):
    """The same object `popliteal screen --answers FILE` reads."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "answers": {
                        "age_years": 34,
                        "onset": "gradual",
                        "runner": True,
                        "weekly_running_miles": 22,
                        "calf_swelling": False,
                        "pain_now": None,
                    }
                }
            ]
        },
    )

    answers: dict[str, bool | int | float | str | None] = Field(
        description="finding id -> value (ids and values from the clinical contract); "
        "null means 'asked, don't know'"
    )
    role: Literal["patient", "clinician"] = Field(
        default="patient",
        description="'clinician' is honoured only for a logged-in clinician of the clinic",
    )


class EvidenceRead(BaseModel):
    model_config = ConfigDict(extra="allow")

    finding: str
    value: Any
    lr: float


class ConditionRead(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    # Orders the list (highest first); a cause a fired red-flag rule names is raised to the top.
    probability: float
    # The cause's share from its prior and the answers alone: the chance to show a person.
    probability_from_answers: float | None = None
    evidence: list[EvidenceRead]


class NextQuestionRead(BaseModel):
    finding: str
    question: str


class ScreeningRead(BaseModel):
    """The CLI's `--json` object plus the screening's `id` (GET adds `status`)."""

    model_config = ConfigDict(extra="allow")

    id: str
    knowledge_version: str
    urgency: Literal["emergency", "urgent", "surgical_consult", "conservative"]
    red_flags: list[RedFlagRead]
    conditions: list[ConditionRead]
    next_questions: list[NextQuestionRead]
    advice: list[str]
    disclaimer: str
    status: Literal["in_progress", "complete"] | None = None


class InvalidAnswersRead(BaseModel):
    """Bad input: each problem is the CLI's message for it, verbatim."""

    detail: str
    problems: list[str]


class MessageRead(BaseModel):
    detail: str
