"""conditions.yaml: the conditions, their wording for clinicians and for people, and the
cited prior each one starts from."""

# ruff cannot see that `_Strict` (common.py) is a pydantic model, and pydantic copies a mutable
# default for each instance.
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from popliteal.knowledge.schema.common import Cited, Id, Text, Urgency, _Strict


class PriorBase(Cited):
    probability: float = Field(gt=0, lt=1)


class AgeBand(Cited):
    min: float = Field(ge=0, le=120)
    max: float = Field(gt=0, le=121)
    factor: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> AgeBand:
        if self.max <= self.min:
            raise ValueError("age band 'max' must be above 'min'")
        return self


class Factor(Cited):
    factor: float = Field(gt=0)


class Prior(_Strict):
    base: PriorBase
    age: list[AgeBand] = []
    sex: dict[Literal["female", "male", "other"], Factor] = {}
    runner: Factor | None = None  # applies when the person runs regularly
    non_runner: Factor | None = None  # applies when the person does not


class Condition(_Strict):
    id: Id
    name: Text
    patient_name: Text
    patient_summary: Text
    clinician_summary: Text
    typical_signs: list[Text] = Field(min_length=1)
    self_care: list[Text] = []
    when_to_get_help: Text
    usual_care: Urgency
    evidence_section: str = Field(pattern=r"^§\d+(\.\d+)*$")
    prior: Prior


class ConditionsFile(_Strict):
    conditions: list[Condition]
