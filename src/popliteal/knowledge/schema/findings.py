"""findings.yaml: the findings, the rule expressions that test them, interview groups and exam
sections."""

# ruff cannot see that `_Strict` (common.py) is a pydantic model, and pydantic copies a mutable
# default for each instance.
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from popliteal.knowledge.schema.common import Id, Text, _Strict
from popliteal.knowledge.schema.expressions import FindingTest

FindingType = Literal["bool", "scale", "number", "choice"]
Who = Literal["P", "C"]


# Choice values may start with a digit: the contract has `10_30` and `30_100` (quote them in YAML).
ChoiceValue = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=80)]


class UnknownPolicy(_Strict):
    """What "not sure" does to a question that could fire an emergency or urgent rule.

    "Not sure" is never "no": the finding stays "not ruled out". With `ask_again`, the
    interview asks it once more with `how_to_check`, a plain way to check it now (compare both
    calves, feel the foot). Without, it is something a person cannot check today (a past
    illness, how an injury happened).
    """

    ask_again: bool
    how_to_check: Text | None = None

    @model_validator(mode="after")
    def _hint_when_asked_again(self) -> UnknownPolicy:
        if self.ask_again != (self.how_to_check is not None):
            raise ValueError("give 'how_to_check' exactly when 'ask_again' is true")
        return self


class Finding(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: Id
    type: FindingType
    values: list[ChoiceValue] = []
    value_labels: dict[str, Text] = {}
    min: float | None = None
    max: float | None = None
    unit: str | None = None
    who: list[Who] = Field(min_length=1)
    construct_: Id | None = Field(default=None, alias="construct")
    question: str | None = None
    clinician_wording: str | None = None
    help: str | None = None
    ask_if: list[FindingTest] = []  # asked once every one of them holds
    unknown_policy: UnknownPolicy | None = None  # required where it can fire a safety rule
    exam_section: Id | None = None  # where the clinician's exam form shows it (who: C)

    @model_validator(mode="after")
    def _consistent(self) -> Finding:
        if self.type == "choice":
            if len(self.values) < 2:
                raise ValueError("a choice finding needs at least two 'values'")
            if "P" in self.who and set(self.value_labels) != set(self.values):
                raise ValueError("a patient choice finding needs a 'value_labels' entry per value")
        elif self.values:
            raise ValueError("'values' is only for choice findings")
        if self.type == "number" and (self.min is None or self.max is None):
            raise ValueError("a number finding needs 'min' and 'max'")
        if "P" in self.who and not self.question:
            raise ValueError("a finding the person answers (who: P) needs 'question'")
        if "C" in self.who and not self.clinician_wording:
            raise ValueError("a clinician finding (who: C) needs 'clinician_wording'")
        if any(c.unknown or c.missing is not None for c in self.ask_if):
            raise ValueError("'ask_if' takes finding tests (equals / in / at_least / ...) only")
        return self


class Group(_Strict):
    """Questions asked together as one interview step.

    A `checklist` holds yes/no items, each answered Yes, No or Not sure; a `form` holds a few
    short related questions shown on one screen (e.g. age and sex). The one group with `first`
    opens the interview (who is answering, which knee), before the safety questions.
    """

    id: Id
    kind: Literal["checklist", "form"] = "checklist"
    title: Text
    prompt: Text
    findings: list[Id] = Field(min_length=1, max_length=6)
    first: bool = False


class ExamSection(_Strict):
    """A section of the clinician's exam form (findings.yaml `exam_sections`, in form order)."""

    id: Id
    title: Text


class FindingsFile(_Strict):
    findings: list[Finding]
    exam_sections: list[ExamSection] = Field(min_length=1)
    groups: list[Group] = []
